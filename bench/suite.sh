#!/usr/bin/env bash
# The benchmark suite of issue 9, in one command: Damselfly against Debian's
# redis-server on this machine, same clients, same workloads, A B B A order,
# with throughput, p50/p99 and server CPU per request (from /proc) as
# ratios. Prints a table of medians, writes bench/results/latest.json and
# docs/bench.svg (or bench/results/quick.* with -q). See bench/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: bench/suite.sh [options]

  -q, --quick          short runs, one round (2-3 minutes); writes
                       bench/results/quick.{json,svg,csv}
  -r, --rounds N       ABBA rounds (default 3; 1 with -q)
  --only LIST          comma list of scenario ids or shell patterns
                       (e.g. 'rb-*,directus'); --list shows them
  --list               list the scenarios and exit
  --proactor-threads N Damselfly threads in the main (non-scale) rows (default 1)
  --pin                servers on CPU 1, clients on CPU 0 (needs taskset)
  --no-build           use the existing bin/damselfly, bin/loadgen, bin/bench-report
  --no-write           print the table only; write no result files
  --max-time S         start no new run after S seconds (default 900; 240 with -q)
  -h, --help           this text
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=suite.sh
QUICK=0 ROUNDS="" ONLY="" LIST=0 PT=1 PIN=0 BUILD=1 WRITE=1 MAX_TIME=""
need_arg() { [[ $# -ge 2 ]] || { echo "suite.sh: option $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
	case "$1" in
	-q | --quick) QUICK=1; shift ;;
	-r | --rounds) need_arg "$@"; ROUNDS=$2; shift 2 ;;
	--only) need_arg "$@"; ONLY=$2; shift 2 ;;
	--list) LIST=1; shift ;;
	--proactor-threads) need_arg "$@"; PT=$2; shift 2 ;;
	--pin) PIN=1; shift ;;
	--no-build) BUILD=0; shift ;;
	--no-write) WRITE=0; shift ;;
	--max-time) need_arg "$@"; MAX_TIME=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; echo "suite.sh: unknown option: $1" >&2; exit 2 ;;
	esac
done
if ((QUICK)); then
	: "${ROUNDS:=1}" "${MAX_TIME:=240}"
	RB_N=100000 RB_PN=1000000 LG_DUR=2s KEYSPACE=100000
else
	: "${ROUNDS:=3}" "${MAX_TIME:=900}"
	RB_N=200000 RB_PN=2000000 LG_DUR=4s KEYSPACE=100000
fi
for v in ROUNDS PT MAX_TIME; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "suite.sh: $v must be a positive integer (got '${!v}')" >&2; exit 2; }
done

# ---------------------------------------------------------------- scenarios
# id | title | tool (rb = redis-benchmark, lg = bench/loadgen) | A | B |
# targets (issue 9, on the A/B ratios) | tool arguments.
# Servers: dfly = Damselfly with --proactor-threads (PT), dfly-1t/dfly-2t
# with 1/2 threads, redis = redis-server. Every row uses 50 clients and
# 100-byte values; rb keys: -r 100000.
DFLY="dfly-${PT}t"
DIRECTUS_ARGS="-mix directus -dist zipf:0.99 -keys 10000 -key-prefix dx: -prefill"
SCENARIOS=(
	"rb-set-p1|redis-benchmark SET, no pipelining|rb|$DFLY|redis|rps>=1.0;cpu<=1.0;p99<=1.0|set 1"
	"rb-get-p1|redis-benchmark GET, no pipelining|rb|$DFLY|redis|rps>=1.0;cpu<=1.0;p99<=1.0|get 1"
	"rb-set-p16|redis-benchmark SET, pipeline 16|rb|$DFLY|redis|rps>=1.5|set 16"
	"rb-get-p16|redis-benchmark GET, pipeline 16|rb|$DFLY|redis|rps>=1.5|get 16"
	"lg-uniform|loadgen SET:GET 1:10, uniform over 100k keys|lg|$DFLY|redis||-dist uniform"
	"lg-zipf|loadgen SET:GET 1:10, zipf 0.99 over 100k keys|lg|$DFLY|redis||-dist zipf:0.99"
	"lg-gaussian|loadgen SET:GET 1:10, gaussian sigma 0.1 over 100k keys|lg|$DFLY|redis||-dist gaussian:0.1"
	"lg-zipf-p16|loadgen SET:GET 1:10, zipf 0.99, pipeline 16|lg|$DFLY|redis||-dist zipf:0.99 -pipeline 16"
	"directus|loadgen Directus mix (PUBLISH/EVALSHA/GET/SET PX), 2 subscribers|lg|$DFLY|redis|rps>=1.0|$DIRECTUS_ARGS"
	"scale-get-p1|GET no pipelining, 2 threads vs 1|rb|dfly-2t|dfly-1t||get 1"
	"scale-get-p16|GET pipeline 16, 2 threads vs 1|rb|dfly-2t|dfly-1t||get 16"
	"scale-directus|Directus mix, 2 threads vs 1|lg|dfly-2t|dfly-1t||$DIRECTUS_ARGS"
	"dfly2-get-p16|GET pipeline 16, Damselfly on 2 threads vs Redis|rb|dfly-2t|redis|rps>=1.5|get 16"
)
if ((LIST)); then
	for s in "${SCENARIOS[@]}"; do
		IFS='|' read -r id title tool a b targets args <<<"$s"
		printf '%-15s %-5s %-8s vs %-8s %-28s %s\n' "$id" "$tool" "$a" "$b" "${targets:--}" "$title"
	done
	exit 0
fi
selected() { # selected ID: in --only (or no --only)?
	local pat
	[[ -z $ONLY ]] && return 0
	IFS=',' read -r -a pats <<<"$ONLY"
	for pat in "${pats[@]}"; do
		# shellcheck disable=SC2053  # the pattern is meant to glob
		[[ $1 == $pat ]] && return 0
	done
	return 1
}
RUN_LIST=()
for s in "${SCENARIOS[@]}"; do
	selected "${s%%|*}" && RUN_LIST+=("$s")
done
((${#RUN_LIST[@]} > 0)) || { echo "suite.sh: --only '$ONLY' selects no scenario (see --list)" >&2; exit 2; }

for tool in go redis-server redis-benchmark redis-cli timeout awk sed; do
	command -v "$tool" >/dev/null || { echo "suite.sh: $tool not found" >&2; exit 1; }
done
[[ -r /proc/self/stat ]] || { echo "suite.sh: /proc is needed for CPU accounting" >&2; exit 1; }
if ((PIN)); then
	command -v taskset >/dev/null || { echo "suite.sh: --pin needs taskset" >&2; exit 1; }
fi

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
CLK_TCK=$(getconf CLK_TCK)
T0=$SECONDS

# ---------------------------------------------------------------- build
BIN=$ROOT/bin
if ((BUILD)); then
	echo "# building bin/damselfly, bin/loadgen, bin/bench-report" >&2
	(cd "$ROOT" && go build -o bin/damselfly ./cmd/damselfly && go build -o bin/loadgen ./bench/loadgen &&
		go build -o bin/bench-report ./bench/report) || die "go build failed"
fi
for b in damselfly loadgen bench-report; do
	[[ -x $BIN/$b ]] || die "$BIN/$b not found (run without --no-build)"
done

# ---------------------------------------------------------------- servers
declare -A PID PORT CMD
dfly_cmd() { printf '%q --proactor_threads %d --dbfilename %q --log_level warning' "$BIN/damselfly" "$1" ""; }
CMD[redis]="redis-server --save '' --appendonly no"
CMD[dfly-1t]=$(dfly_cmd 1)
CMD[dfly-2t]=$(dfly_cmd 2)
CMD[$DFLY]=$(dfly_cmd "$PT")
NEEDED=()
for s in "${RUN_LIST[@]}"; do
	IFS='|' read -r _ _ _ a b _ _ <<<"$s"
	for name in "$a" "$b"; do
		[[ " ${NEEDED[*]} " == *" $name "* ]] || NEEDED+=("$name")
	done
done
for name in "${NEEDED[@]}"; do
	start_server "$name" "${CMD[$name]}" "${PORT[@]}"
	PID[$name]=$STARTED_PID
	PORT[$name]=$STARTED_PORT
	check_stores "$name" "${PORT[$name]}"
done

CLIENT_PIN=()
((PIN)) && CLIENT_PIN=(taskset -c 0)

rb() { # rb PORT TEST PIPELINE N -> redis-benchmark --csv on stdout
	timeout -k 5 120 "${CLIENT_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$1" -t "$2" -P "$3" -n "$4" \
		-c 50 -d 100 -r "$KEYSPACE" --csv
}

# Warm-up, unmeasured: fill both keyspaces so GETs find their keys and
# allocators are warm, on every server alike.
for name in "${NEEDED[@]}"; do
	echo "# warm-up $name" >&2
	rb "${PORT[$name]}" set 16 $((KEYSPACE * 4)) >/dev/null 2>&1 || echo "# warning: redis-benchmark warm-up of $name failed" >&2
	"${CLIENT_PIN[@]}" "$BIN/loadgen" -addr "127.0.0.1:${PORT[$name]}" -prefill -requests 1 -keys "$KEYSPACE" >/dev/null ||
		echo "# warning: loadgen warm-up of $name failed" >&2
done

# ---------------------------------------------------------------- runs
RAW=$WORK/runs.csv
echo "scenario,title,tool,a,b,targets,round,seq,side,server,requests,rps,p50_ms,p99_ms,cpu_us_per_req,client_cpu_us_per_req,errors,wall_s" >"$RAW"
SKIPPED=0 FAILED=0

json_num() { # json_num KEY < json: the first number after "KEY":
	sed -n "s/.*\"$1\":\(-\{0,1\}[0-9.eE+-]*\).*/\1/p" | head -n 1
}

# run_one SCENARIO-LINE ROUND SEQ SIDE
run_one() {
	local id title tool a b targets args round=$2 seq=$3 side=$4 name pid port
	IFS='|' read -r id title tool a b targets args <<<"$1"
	name=$a
	[[ $side == B ]] && name=$b
	pid=${PID[$name]} port=${PORT[$name]}
	kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) died; log: $(tail -n 5 "$WORK/$name.log")"
	local n=NA rps=NA p50=NA p99=NA cpu=NA ccpu=NA errs=0 rc=0 out c0 c1 t0 t1 line
	t0=$(date +%s.%N)
	if [[ $tool == rb ]]; then
		local test pipe
		read -r test pipe <<<"$args"
		n=$RB_N
		((pipe > 1)) && n=$RB_PN
		c0=$(cpu_ticks "$pid")
		out=$(rb "$port" "$test" "$pipe" "$n" 2>"$WORK/run.err") || rc=$?
		c1=$(cpu_ticks "$pid")
		if ((rc == 0)); then
			line=$(printf '%s\n' "$out" | rb_csv_parse)
			[[ -n $line ]] && read -r rps p50 p99 <<<"$line"
			cpu=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.4f", t / hz * 1e6 / n }')
		fi
	else
		# A and B of each half of A B B A draw the same key sequence.
		local seed=$((round * 10 + (seq + 1) / 2))
		# shellcheck disable=SC2086  # args are words
		out=$(timeout -k 5 120 "${CLIENT_PIN[@]}" "$BIN/loadgen" -addr "127.0.0.1:$port" -pid "$pid" -json \
			-duration "$LG_DUR" -clients 50 -value-size 100 -seed "$seed" $args 2>"$WORK/run.err") || rc=$?
		if ((rc == 0)); then
			n=$(json_num requests <<<"$out")
			rps=$(json_num ops_per_sec <<<"$out")
			p50=$(json_num p50 <<<"$out")
			p99=$(json_num p99 <<<"$out")
			cpu=$(json_num server_cpu_us_per_req <<<"$out")
			ccpu=$(json_num client_cpu_us_per_req <<<"$out")
			errs=$(json_num error_count <<<"$out")
			p50=$(awk -v v="$p50" 'BEGIN { printf "%.4f", v / 1000 }')
			p99=$(awk -v v="$p99" 'BEGIN { printf "%.4f", v / 1000 }')
			[[ -n $cpu ]] || cpu=NA
			if [[ ${errs:-0} != 0 ]]; then
				echo "# $name $id: $errs error replies: $(printf '%s' "$out" | sed -n 's/.*"errors":\({[^}]*}\).*/\1/p' | cut -c1-200)" >&2
			fi
		fi
	fi
	t1=$(date +%s.%N)
	if ((rc != 0)); then
		FAILED=$((FAILED + 1))
		rps=NA p50=NA p99=NA cpu=NA
		echo "# run failed (rc=$rc): $name $id: $(grep -v 'Could not fetch server CONFIG' "$WORK/run.err" | tr '\n' ' ' | cut -c1-200)" >&2
	fi
	printf '# round %d.%d %-14s %-8s rps=%-9s p50=%-7s p99=%-7s cpu=%s us/req\n' "$round" "$seq" "$id" "$name" "$rps" "$p50" "$p99" "$cpu" >&2
	printf '%s,"%s",%s,%s,%s,"%s",%d,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$id" "$title" "$tool" "$a" "$b" "$targets" \
		"$round" "$seq" "$side" "$name" "$n" "$rps" "$p50" "$p99" "$cpu" "$ccpu" "${errs:-0}" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" >>"$RAW"
}

# Rounds outermost: a slow drift in the machine's load then spreads over
# every scenario, and within a scenario A B B A cancels a linear drift.
for ((round = 1; round <= ROUNDS; round++)); do
	for s in "${RUN_LIST[@]}"; do
		# All four runs or none, so that A and B stay balanced.
		if ((SECONDS - T0 >= MAX_TIME)); then
			SKIPPED=$((SKIPPED + 4))
			continue
		fi
		seq=0
		for side in A B B A; do
			seq=$((seq + 1))
			run_one "$s" "$round" "$seq" "$side"
		done
	done
done

# ---------------------------------------------------------------- report
ELAPSED=$((SECONDS - T0))
DATE=$(date -u +%Y-%m-%dT%H:%MZ)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
MACHINE="$(nproc) CPUs, load $LOAD"
echo
echo "Damselfly vs Redis — $DATE, $MACHINE, $ROUNDS round(s) of A B B A (median of $((ROUNDS * 2)) runs per side), wall ${ELAPSED}s"
echo "redis-benchmark $(redis-benchmark --version 2>/dev/null | awk '{print $2}'): -c 50 -d 100 -r $KEYSPACE, -n $RB_N (P1) / $RB_PN (P16); loadgen: -clients 50 -value-size 100 -duration $LG_DUR"
for name in "${NEEDED[@]}"; do
	printf '  %-8s %s  [pid %s]\n' "$name" "${CMD[$name]}" "${PID[$name]}"
done
echo
REPORT=("$BIN/bench-report" -raw "$RAW" -meta "date=$DATE" -meta "machine=$MACHINE" -meta "rounds=$ROUNDS"
	-meta "mode=$( ((QUICK)) && echo quick || echo full)" -meta "rb_n=$RB_N" -meta "rb_pipeline_n=$RB_PN"
	-meta "loadgen_duration=$LG_DUR" -meta "wall_s=$ELAPSED" -meta "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)")
for name in "${NEEDED[@]}"; do
	REPORT+=(-meta "server.$name=${CMD[$name]}")
done
if ((WRITE)); then
	mkdir -p "$ROOT/bench/results"
	if ((QUICK)); then
		REPORT+=(-json "$ROOT/bench/results/quick.json" -svg "$ROOT/bench/results/quick.svg")
		cp "$RAW" "$ROOT/bench/results/quick.csv"
	else
		REPORT+=(-json "$ROOT/bench/results/latest.json" -svg "$ROOT/docs/bench.svg")
		cp "$RAW" "$ROOT/bench/results/latest.csv"
	fi
fi
"${REPORT[@]}" -title "Damselfly / Redis, same machine, same clients (median of $((ROUNDS * 2)) runs per side)"
echo
echo "ratio A/B: rps > 1 and cpu, p99 < 1 favour A. cpu = server user+system CPU per request (/proc), the figure to trust on a shared machine."
echo "±%: noise, the larger (max-min)/median of that figure over either side's runs; a ratio closer to 1 than that is not a result."
echo -n "RSS at the end:"
for name in "${NEEDED[@]}"; do
	echo -n " $name $(($(rss_kb "${PID[$name]}") / 1024)) MiB"
done
echo
((FAILED)) && echo "note: $FAILED run(s) failed (shown as '-'); see '# run failed' above."
((SKIPPED)) && echo "note: $SKIPPED run(s) skipped after --max-time ${MAX_TIME}s."
if ((WRITE)); then
	if ((QUICK)); then
		echo "wrote bench/results/quick.{json,svg,csv}"
	else
		echo "wrote bench/results/latest.{json,csv} and docs/bench.svg"
	fi
fi
exit 0
