#!/usr/bin/env bash
# Two Damselfly builds and redis-server side by side: runs one loadgen
# workload on each, in the order NEW OLD REDIS REDIS OLD NEW per round
# (the same seed for the three runs of each half), and prints every run
# and the medians of throughput and server CPU per request with their
# ratios to Redis. For "what did this change buy against Redis" on a
# shared machine, where runs minutes apart differ by more than the change.
# See bench/README.md ("Directus's EVALSHA").
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: bench/oldnew.sh --old BIN --new BIN [options] [-- loadgen args]

  --old BIN        the Damselfly build to compare against (e.g. main's)
  --new BIN        the Damselfly build under test
  -r, --rounds N   rounds of NEW OLD REDIS REDIS OLD NEW (default 2)
  -d, --duration D loadgen -duration of each run (default 3s)
  -h, --help       this text

loadgen args default to the suite's Directus mix:
  -mix directus -dist zipf:0.99 -keys 10000 -key-prefix dx: -prefill
Every run adds -clients 50 -value-size 100. Example, EVALSHA only:
  bench/oldnew.sh --old /tmp/main-damselfly --new bin/damselfly -- \
    -mix directus -dist zipf:0.99 -keys 10000 -key-prefix dx: -prefill -directus-weights 0:1:0:0
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=oldnew.sh
OLD="" NEW="" ROUNDS=2 DUR=3s
need_arg() { [[ $# -ge 2 ]] || { echo "oldnew.sh: option $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
	case "$1" in
	--old) need_arg "$@"; OLD=$2; shift 2 ;;
	--new) need_arg "$@"; NEW=$2; shift 2 ;;
	-r | --rounds) need_arg "$@"; ROUNDS=$2; shift 2 ;;
	-d | --duration) need_arg "$@"; DUR=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; echo "oldnew.sh: unknown option: $1" >&2; exit 2 ;;
	esac
done
LG_ARGS=("$@")
((${#LG_ARGS[@]})) || LG_ARGS=(-mix directus -dist zipf:0.99 -keys 10000 -key-prefix dx: -prefill)
[[ -x $OLD && -x $NEW ]] || { usage >&2; echo "oldnew.sh: --old and --new must be executables" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "oldnew.sh: --rounds must be a positive integer" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

(cd "$ROOT" && go build -o "$WORK/loadgen" ./bench/loadgen) || die "go build ./bench/loadgen failed"
declare -A PID PORT
dfly() { printf '%q --proactor_threads 1 --dbfilename %q --log_level warning' "$1" ""; }
start_server new "$(dfly "$NEW")"
PID[new]=$STARTED_PID PORT[new]=$STARTED_PORT
start_server old "$(dfly "$OLD")" "${PORT[new]}"
PID[old]=$STARTED_PID PORT[old]=$STARTED_PORT
start_server redis "redis-server --save '' --appendonly no" "${PORT[new]}" "${PORT[old]}"
PID[redis]=$STARTED_PID PORT[redis]=$STARTED_PORT
for s in new old redis; do check_stores "$s" "${PORT[$s]}"; done

json_num() { sed -n "s/.*\"$1\":\(-\{0,1\}[0-9.eE+-]*\).*/\1/p" | head -n 1; }
declare -A RPS CPU
run() { # run SERVER SEED
	local out
	out=$(timeout -k 5 120 "$WORK/loadgen" -addr "127.0.0.1:${PORT[$1]}" -pid "${PID[$1]}" -json \
		-duration "$DUR" -clients 50 -value-size 100 -seed "$2" "${LG_ARGS[@]}") || die "loadgen against $1 failed"
	local r c
	r=$(json_num ops_per_sec <<<"$out")
	c=$(json_num server_cpu_us_per_req <<<"$out")
	printf '%-6s seed %-4s rps %8.0f  cpu %6.2f us/req\n' "$1" "$2" "$r" "$c"
	RPS[$1]+="$r " CPU[$1]+="$c "
}
echo "# $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); loadgen ${LG_ARGS[*]} -duration $DUR"
for ((r = 1; r <= ROUNDS; r++)); do
	run new "$r"; run old "$r"; run redis "$r"
	run redis $((r + 100)); run old $((r + 100)); run new $((r + 100))
done
echo
printf '%-6s %9s %9s %10s %10s\n' server rps cpu rps/redis cpu/redis
rr=$(median "${RPS[redis]}") rc=$(median "${CPU[redis]}")
for s in new old redis; do
	mr=$(median "${RPS[$s]}") mc=$(median "${CPU[$s]}")
	printf '%-6s %9.0f %9.2f %10s %10s\n' "$s" "$mr" "$mc" "$(ratio "$mr" "$rr")" "$(ratio "$mc" "$rc")"
done
echo "medians of $((ROUNDS * 2)) runs per server; cpu = server user+system CPU per request (/proc)"
