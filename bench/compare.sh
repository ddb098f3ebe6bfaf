#!/usr/bin/env bash
# Side-by-side benchmark: Damselfly vs redis-server, driven by redis-benchmark.
#
# Both servers run on free loopback ports on this machine. Runs are interleaved
# A B B A (A = Damselfly, B = Redis) per round so slow drift in machine load
# hits both sides alike. For every run we record requests/sec and p50/p99 from
# redis-benchmark --csv, and the server's CPU time (utime+stime from
# /proc/PID/stat) divided by the number of requests: on a small shared machine
# that CPU figure is the one to trust; rps mostly measures the client and the
# neighbours. See bench/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: bench/compare.sh [options]

  -n N                 requests per run at pipeline 1            (default 200000)
  --pipeline-n N       requests per run at pipeline > 1         (default 10 x N)
  -r, --rounds N       ABBA rounds; each round runs each side twice (default 2)
  -c, --clients N      parallel connections                       (default 50)
  -d, --data-size N    value size in bytes                        (default 100)
  --keyspace N         redis-benchmark -r (random key range)      (default 100000)
  --tests LIST         comma list for redis-benchmark -t          (default set,get)
  --extra LIST         more tests appended to --tests, e.g. incr,lpush,hset,mset;
                       "evalsha" runs EVALSHA of a small Lua script
                       (return redis.call('incr', KEYS[1])) on a random key
  --pipelines LIST     comma list of -P values                    (default 1,16)
  --proactor-threads N Damselfly --proactor_threads               (default 1)
  --server-cmd CMD     Damselfly command line instead of building bin/damselfly;
                       "--port P --bind 127.0.0.1" is appended unless CMD
                       contains {port}, which is replaced by the port.
                       e.g. --server-cmd "redis-server --save '' --appendonly no"
  --redis-cmd CMD      Redis command line, same rules  (default: redis-server
                       --save '' --appendonly no)
  --no-build           don't run go build (use the existing bin/damselfly)
  --no-warmup          skip the unmeasured SET warm-up that fills the keyspace
  --client-threads N   redis-benchmark --threads N (default: single-threaded)
  --pin                pin servers to CPU 1 and redis-benchmark to CPU 0
  --run-timeout S      kill a redis-benchmark run after S seconds (default 60)
  --max-time S         start no new run after S seconds in total (default 600)
  --raw FILE           also write every run as CSV to FILE
  -h, --help           this text
EOF
}

die() { echo "compare.sh: $*" >&2; exit 1; } # until lib.sh is sourced

# ---------------------------------------------------------------- options
N=200000
PN=""
ROUNDS=2
CLIENTS=50
DATASIZE=100
KEYSPACE=100000
TESTS="set,get"
EXTRA=""
PIPELINES="1,16"
PTHREADS=1
SERVER_CMD=""
REDIS_CMD="redis-server --save '' --appendonly no"
BUILD=1
WARMUP=1
CLIENT_THREADS=""
PIN=0
RUN_TIMEOUT=60
MAX_TIME=600
RAW=""

need_arg() { [[ $# -ge 2 ]] || die "option $1 needs a value"; }
while [[ $# -gt 0 ]]; do
	case "$1" in
	-n) need_arg "$@"; N=$2; shift 2 ;;
	--pipeline-n) need_arg "$@"; PN=$2; shift 2 ;;
	-r | --rounds) need_arg "$@"; ROUNDS=$2; shift 2 ;;
	-c | --clients) need_arg "$@"; CLIENTS=$2; shift 2 ;;
	-d | --data-size) need_arg "$@"; DATASIZE=$2; shift 2 ;;
	--keyspace) need_arg "$@"; KEYSPACE=$2; shift 2 ;;
	--tests) need_arg "$@"; TESTS=$2; shift 2 ;;
	--extra) need_arg "$@"; EXTRA=$2; shift 2 ;;
	--pipelines) need_arg "$@"; PIPELINES=$2; shift 2 ;;
	--proactor-threads) need_arg "$@"; PTHREADS=$2; shift 2 ;;
	--server-cmd) need_arg "$@"; SERVER_CMD=$2; shift 2 ;;
	--redis-cmd) need_arg "$@"; REDIS_CMD=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--no-warmup) WARMUP=0; shift ;;
	--client-threads) need_arg "$@"; CLIENT_THREADS=$2; shift 2 ;;
	--pin) PIN=1; shift ;;
	--run-timeout) need_arg "$@"; RUN_TIMEOUT=$2; shift 2 ;;
	--max-time) need_arg "$@"; MAX_TIME=$2; shift 2 ;;
	--raw) need_arg "$@"; RAW=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option: $1" ;;
	esac
done
[[ -n $PN ]] || PN=$((N * 10))
for v in N PN ROUNDS CLIENTS DATASIZE KEYSPACE PTHREADS RUN_TIMEOUT MAX_TIME; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ -z $CLIENT_THREADS || $CLIENT_THREADS =~ ^[1-9][0-9]*$ ]] || die "--client-threads must be a positive integer"
[[ -n $EXTRA ]] && TESTS="$TESTS,$EXTRA"
IFS=',' read -r -a TEST_LIST <<<"${TESTS,,}"
IFS=',' read -r -a PIPE_LIST <<<"$PIPELINES"
for p in "${PIPE_LIST[@]}"; do
	[[ $p =~ ^[1-9][0-9]*$ ]] || die "bad pipeline value '$p'"
done

for tool in redis-benchmark redis-cli timeout awk; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -r /proc/self/stat ]] || die "/proc is needed for CPU accounting"
if ((PIN)); then
	command -v taskset >/dev/null || die "--pin needs taskset"
	(($(nproc) >= 2)) || die "--pin needs at least 2 CPUs"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLK_TCK=$(getconf CLK_TCK)
T0=$SECONDS

# ---------------------------------------------------------------- servers
BENCH_NAME=compare.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

if [[ -z $SERVER_CMD ]]; then
	if ((BUILD)); then
		echo "# building: (cd $ROOT && go build -o bin/damselfly ./cmd/damselfly)" >&2
		(cd "$ROOT" && go build -o bin/damselfly ./cmd/damselfly) || die "go build failed"
	fi
	[[ -x $ROOT/bin/damselfly ]] || die "$ROOT/bin/damselfly not found (build it or use --server-cmd)"
	printf -v SERVER_CMD '%q --proactor_threads %d --dbfilename %q --log_level warning' \
		"$ROOT/bin/damselfly" "$PTHREADS" ""
fi

declare -A SIDE_NAME=([A]=dfly [B]=redis)
start_server damselfly "$SERVER_CMD" ""
A_PID=$STARTED_PID A_PORT=$STARTED_PORT
start_server redis "$REDIS_CMD" "$A_PORT"
B_PID=$STARTED_PID B_PORT=$STARTED_PORT

check_stores damselfly "$A_PORT"
check_stores redis "$B_PORT"

# ---------------------------------------------------------------- runs
CLIENT_PIN=()
((PIN)) && CLIENT_PIN=(taskset -c 0)
CLIENT_OPTS=()
[[ -n $CLIENT_THREADS ]] && CLIENT_OPTS=(--threads "$CLIENT_THREADS")

# The "evalsha" test: EVALSHA of a small script, loaded on both servers.
EVALSHA_SCRIPT="return redis.call('incr', KEYS[1])"
EVALSHA_SHA=""
for test in "${TEST_LIST[@]}"; do
	[[ $test == evalsha ]] || continue
	for side in A B; do
		port_var=${side}_PORT
		sha=$(timeout 2 redis-cli -h 127.0.0.1 -p "${!port_var}" SCRIPT LOAD "$EVALSHA_SCRIPT" 2>&1 || true)
		[[ $sha =~ ^[0-9a-f]{40}$ ]] || die "${SIDE_NAME[$side]}: SCRIPT LOAD returned '$sha'"
		EVALSHA_SHA=$sha
	done
done

bench_cmd() { # bench_cmd PORT TEST PIPELINE N -> runs redis-benchmark --csv
	local what=(-t "$2")
	[[ $2 == evalsha ]] && what=(evalsha "$EVALSHA_SHA" 1 "bench:lua:__rand_int__")
	timeout -k 5 "$RUN_TIMEOUT" "${CLIENT_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$1" \
		-P "$3" -n "$4" -c "$CLIENTS" -d "$DATASIZE" -r "$KEYSPACE" \
		"${CLIENT_OPTS[@]}" --csv "${what[@]}"
}

if ((WARMUP)); then
	for side in A B; do
		port_var=${side}_PORT
		echo "# warm-up ${SIDE_NAME[$side]}: SET -P 16 -n $((KEYSPACE * 4))" >&2
		bench_cmd "${!port_var}" set 16 $((KEYSPACE * 4)) >/dev/null 2>&1 ||
			echo "# warning: warm-up on ${SIDE_NAME[$side]} failed" >&2
	done
fi

declare -A RPS P50 P99 CPU
LOW_TICKS=0
FAILED=0
SKIPPED=0
[[ -n $RAW ]] && echo "round,seq,side,test,pipeline,requests,rps,p50_ms,p99_ms,cpu_ticks,cpu_us_per_req,wall_s" >"$RAW"

# run_one SIDE TEST PIPELINE ROUND SEQ
run_one() {
	local side=$1 test=$2 pipe=$3 round=$4 seq=$5 pid port n out rc c0 c1 t0 t1 ticks us line
	local rps=NA p50=NA p99=NA key
	pid_var=${side}_PID
	port_var=${side}_PORT
	pid=${!pid_var}
	port=${!port_var}
	if ((SECONDS - T0 >= MAX_TIME)); then
		SKIPPED=$((SKIPPED + 1))
		return 0
	fi
	n=$N
	((pipe > 1)) && n=$PN
	kill -0 "$pid" 2>/dev/null || die "side $side (pid $pid) died; log: $(tail -n 5 "$WORK"/*.log)"
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	rc=0
	out=$(bench_cmd "$port" "$test" "$pipe" "$n" 2>"$WORK/bench.err") || rc=$?
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	ticks=$((c1 - c0))
	((ticks >= 50)) || LOW_TICKS=1
	if ((rc != 0)); then
		FAILED=$((FAILED + 1))
		echo "# run failed (rc=$rc): ${SIDE_NAME[$side]} $test -P $pipe: $(grep -v 'Could not fetch server CONFIG' "$WORK/bench.err" | tr '\n' ' ' | cut -c1-160)" >&2
	else
		# Header: "test","rps","avg_latency_ms",...; one data row for one test.
		line=$(printf '%s\n' "$out" | rb_csv_parse)
		[[ -n $line ]] && read -r rps p50 p99 <<<"$line"
	fi
	us=NA
	[[ $rps != NA ]] && us=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }')
	key="$side|$test|$pipe"
	RPS[$key]+="$rps "
	P50[$key]+="$p50 "
	P99[$key]+="$p99 "
	CPU[$key]+="$us "
	printf '# round %d.%d %-5s %-6s -P %-3s rps=%-10s p50=%-6s p99=%-6s cpu=%s us/req\n' \
		"$round" "$seq" "${SIDE_NAME[$side]}" "$test" "$pipe" "$rps" "$p50" "$p99" "$us" >&2
	[[ -n $RAW ]] && echo "$round,$seq,$side,$test,$pipe,$n,$rps,$p50,$p99,$ticks,$us,$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')" >>"$RAW"
	return 0
}

for ((round = 1; round <= ROUNDS; round++)); do
	for test in "${TEST_LIST[@]}"; do
		for pipe in "${PIPE_LIST[@]}"; do
			seq=0
			for side in A B B A; do
				seq=$((seq + 1))
				run_one "$side" "$test" "$pipe" "$round" "$seq"
			done
		done
	done
done

# ---------------------------------------------------------------- report
elapsed=$((SECONDS - T0))
echo
echo "Damselfly vs Redis — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis-benchmark $(redis-benchmark --version 2>/dev/null | awk '{print $2}'): -c $CLIENTS -d $DATASIZE -r $KEYSPACE," \
	"-n $N (P=1) / $PN (P>1), $ROUNDS round(s) of A B B A, median of $((ROUNDS * 2)) runs per cell"
echo "A damselfly: $SERVER_CMD  [pid $A_PID port $A_PORT]"
echo "B redis:     $REDIS_CMD  [pid $B_PID port $B_PORT]"
echo
hdr='%-8s %3s | %11s %11s %6s | %13s %13s | %8s %8s %6s %6s\n'
# shellcheck disable=SC2059
printf "$hdr" test P "dfly rps" "redis rps" ratio "dfly p50/p99" "redis p50/p99" "dfly cpu" "redis cpu" ratio noise
# shellcheck disable=SC2059
printf "$hdr" "" "" "" "" "d/r" "ms" "ms" "us/req" "us/req" "d/r" "%"
printf '%.0s-' {1..111}
echo
for test in "${TEST_LIST[@]}"; do
	for pipe in "${PIPE_LIST[@]}"; do
		ka="A|$test|$pipe" kb="B|$test|$pipe"
		ra=$(median "${RPS[$ka]:-}") rb=$(median "${RPS[$kb]:-}")
		a50=$(median "${P50[$ka]:-}") a99=$(median "${P99[$ka]:-}")
		b50=$(median "${P50[$kb]:-}") b99=$(median "${P99[$kb]:-}")
		ca=$(median "${CPU[$ka]:-}") cb=$(median "${CPU[$kb]:-}")
		noise=$(maxnum "$(spread "${CPU[$ka]:-}")" "$(spread "${CPU[$kb]:-}")")
		# shellcheck disable=SC2059
		printf "$hdr" "${test^^}" "$pipe" "$(fmt '%.0f' "$ra")" "$(fmt '%.0f' "$rb")" "$(ratio "$ra" "$rb")" \
			"$(fmt '%.3f' "$a50")/$(fmt '%.3f' "$a99")" "$(fmt '%.3f' "$b50")/$(fmt '%.3f' "$b99")" \
			"$(fmt '%.2f' "$ca")" "$(fmt '%.2f' "$cb")" "$(ratio "$ca" "$cb")" "$(fmt '%.0f' "$noise")"
	done
done
echo
echo "rps ratio > 1: Damselfly faster. cpu ratio < 1: Damselfly uses less server CPU per request."
echo "noise: the larger (max-min)/median of cpu us/req over either side's runs; a cpu ratio within it is not a result."
echo "RSS after run: damselfly $(($(rss_kb "$A_PID") / 1024)) MiB, redis $(($(rss_kb "$B_PID") / 1024)) MiB. Wall time ${elapsed}s."
((LOW_TICKS)) && echo "note: some runs used < 50 CPU ticks (1 tick = $((1000 / CLK_TCK)) ms); raise -n / --pipeline-n for steadier CPU figures."
((FAILED)) && echo "note: $FAILED run(s) failed (shown as '-'); see the '# run failed' lines above."
((SKIPPED)) && echo "note: $SKIPPED run(s) skipped after --max-time ${MAX_TIME}s."
[[ -n $RAW ]] && echo "raw runs: $RAW"
exit 0
