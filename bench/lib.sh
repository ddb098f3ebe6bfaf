# shellcheck shell=bash
# Shared by bench/compare.sh and bench/suite.sh: server start-up and
# clean-up on loopback, CPU accounting from /proc, redis-benchmark CSV
# parsing, and small statistics. Source it after `set -euo pipefail`.
#
# Globals it uses: WORK (a scratch directory, made here), SERVER_PIDS
# (every PID started, killed at exit), PIN (1: servers on CPU 1), and
# BENCH_NAME (prefix of error messages).

WORK=$(mktemp -d "${TMPDIR:-/tmp}/damselfly-bench.XXXXXX")
SERVER_PIDS=()
: "${PIN:=0}"
: "${BENCH_NAME:=$(basename "$0")}"

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

# cleanup stops only the servers this script started, then removes WORK.
# shellcheck disable=SC2317  # called through trap
cleanup() {
	local pid i
	for pid in "${SERVER_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${SERVER_PIDS[@]}"; do
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() { # pick_port [exclude...]
	local p i x ok
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 40000))
		ok=1
		for x in "$@"; do [[ $p != "$x" ]] || ok=0; done
		((ok)) || continue
		port_in_use "$p" || { echo "$p"; return 0; }
	done
	die "no free loopback port found"
}

ping_ok() { [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null) == PONG ]]; }

# start_server NAME CMDSTRING [EXCLUDE_PORT...] -> sets STARTED_PID, STARTED_PORT.
# shellcheck disable=SC2034  # STARTED_* are read by the caller
# "--port P --bind 127.0.0.1" is appended to CMDSTRING unless it contains
# {port}, which is then replaced by the port.
start_server() {
	local name=$1 cmdstr=$2 attempt port pid i
	shift 2
	local -a cmd pin=()
	((PIN)) && pin=(taskset -c 1)
	for ((attempt = 1; attempt <= 3; attempt++)); do
		port=$(pick_port "$@")
		if [[ $cmdstr == *"{port}"* ]]; then
			eval "cmd=(${cmdstr//\{port\}/$port})"
		else
			eval "cmd=($cmdstr)"
			cmd+=(--port "$port" --bind 127.0.0.1)
		fi
		printf '# %s:' "$name" >&2
		printf ' %q' "${pin[@]}" "${cmd[@]}" >&2
		echo >&2
		"${pin[@]}" "${cmd[@]}" >"$WORK/$name.log" 2>&1 &
		pid=$!
		SERVER_PIDS+=("$pid")
		for ((i = 0; i < 200; i++)); do # up to ~20 s
			kill -0 "$pid" 2>/dev/null || break
			if ping_ok "$port"; then
				STARTED_PID=$pid
				STARTED_PORT=$port
				return 0
			fi
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$WORK/$name.log" >&2
			die "$name (pid $pid) did not answer PING on port $port within 20 s"
		fi
		echo "# $name exited during start-up (attempt $attempt); log:" >&2
		tail -n 20 "$WORK/$name.log" >&2
	done
	die "could not start $name"
}

# check_stores NAME PORT: refuse to benchmark something that does not store
# data (a server answering every command with an error looks very fast).
check_stores() {
	local out
	out=$(timeout 2 redis-cli -h 127.0.0.1 -p "$2" SET bench:check hello 2>&1 || true)
	[[ $out == OK ]] || die "$1: SET returned '$out'"
	out=$(timeout 2 redis-cli -h 127.0.0.1 -p "$2" GET bench:check 2>&1 || true)
	[[ $out == hello ]] || die "$1: GET returned '$out'"
	timeout 2 redis-cli -h 127.0.0.1 -p "$2" DEL bench:check >/dev/null 2>&1 || true
}

cpu_ticks() { # utime+stime of a process, all threads, in clock ticks
	local stat rest
	stat=$(<"/proc/$1/stat") || die "server pid $1 is gone"
	rest=${stat##*) } # fields from 3 on; comm may contain spaces
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13}))
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# rb_csv_parse: redis-benchmark 7 --csv output on stdin -> "rps p50_ms p99_ms"
# (NA where a column is missing), for the first data row.
rb_csv_parse() {
	awk -F',' '
		{ for (i = 1; i <= NF; i++) gsub(/"/, "", $i) }
		$1 == "test" { for (i = 1; i <= NF; i++) col[$i] = i; next }
		NF >= 2 && ("rps" in col) {
			p50 = ("p50_latency_ms" in col) ? $(col["p50_latency_ms"]) : "NA"
			p99 = ("p99_latency_ms" in col) ? $(col["p99_latency_ms"]) : "NA"
			print $(col["rps"]), p50, p99; exit
		}'
}

median() { # median of the numeric words in $1, or NA
	# shellcheck disable=SC2086
	printf '%s\n' $1 | awk '$1 != "NA" && $1 != "" { v[++n] = $1 + 0 }
		END {
			if (n == 0) { print "NA"; exit }
			for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
			if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2
		}'
}
spread() { # (max-min)/median of the numeric words in $1, in percent, or NA
	# shellcheck disable=SC2086
	printf '%s\n' $1 | awk '$1 != "NA" && $1 != "" { v[++n] = $1 + 0 }
		END {
			if (n < 2) { print "NA"; exit }
			for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
			m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			if (m == 0) print "NA"; else printf "%.0f", (v[n] - v[1]) / m * 100
		}'
}
maxnum() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA") print b; else if (b == "NA") print a; else print (a + 0 > b + 0) ? a : b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.2f", a / b }'; }
fmt() { # fmt PRINTF_FMT VALUE
	if [[ $2 == NA ]]; then echo "-"; else awk -v f="$1" -v v="$2" 'BEGIN { printf f, v }'; fi
}
