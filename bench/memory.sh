#!/usr/bin/env bash
# Bytes per key, Damselfly vs redis-server, side by side in one run.
#
# For each workload every server is started fresh on a free loopback port,
# its used_memory (INFO memory) and RSS (/proc/PID/status VmRSS) are read,
# the data is loaded, and both are read again after --settle seconds
# (default 8: Damselfly's heartbeat packs idle small hashes by then). The
# deltas divided by the key count are the B/key figures. Servers run in
# A B B A order (A = Damselfly, B = Redis) per round; the table shows the
# median per side and the ratio Damselfly / Redis.
#
# Workloads:
#   strings  DEBUG POPULATE N key 100   (keys key:0.., 100-byte values)
#   hashes   HSET key:I f v for I < N, sent with redis-cli --pipe
#
# Usage: bench/memory.sh [-n KEYS] [-r ROUNDS] [--gogc LIST] [--settle S]
#                        [--loads strings,hashes] [--no-build]
#   --gogc LIST  comma list of GOGC values to run Damselfly with, e.g. 100,25
#                (default "100,25"; "" = the environment's).
set -euo pipefail

N=1000000
ROUNDS=1
SETTLE=8
GOGCS="100,25"
BUILD=1
LOADS="strings,hashes"
while (($#)); do
	case $1 in
	-n) N=$2; shift 2 ;;
	-r) ROUNDS=$2; shift 2 ;;
	--gogc) GOGCS=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--settle) SETTLE=$2; shift 2 ;;
	--loads) LOADS=$2; shift 2 ;;
	-h | --help) sed -n '2,21p' "$0"; exit 0 ;;
	*) echo "memory.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

if ((BUILD)); then
	(cd "$ROOT" && go build -o bin/damselfly ./cmd/damselfly)
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
	local p
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 20000))
		port_in_use "$p" || { echo "$p"; return 0; }
	done
	echo "no free port" >&2; exit 1
}
rss_bytes() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }
used_memory() { redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'; }

# start SIDE GOGC -> PID PORT
start() {
	local side=$1 gogc=$2 port pid
	port=$(pick_port)
	if [[ $side == A ]]; then
		if [[ -n $gogc ]]; then
			GOGC=$gogc "$ROOT/bin/damselfly" --port "$port" --bind 127.0.0.1 --proactor_threads 2 \
				--dbfilename "" --log_level warning >"$WORK/a.log" 2>&1 &
		else
			"$ROOT/bin/damselfly" --port "$port" --bind 127.0.0.1 --proactor_threads 2 \
				--dbfilename "" --log_level warning >"$WORK/a.log" 2>&1 &
		fi
	else
		redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command local >"$WORK/b.log" 2>&1 &
	fi
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; ; i++)); do
		[[ $(redis-cli -p "$port" PING 2>/dev/null) == PONG ]] && break
		if ((i >= 300)) || ! kill -0 "$pid" 2>/dev/null; then
			echo "memory.sh: side $side did not start on port $port:" >&2
			cat "$WORK/a.log" "$WORK/b.log" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done
	PID=$pid PORT=$port
}

hash_cmds() { awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "*4\r\n$4\r\nHSET\r\n$%d\r\nkey:%d\r\n$1\r\nf\r\n$1\r\nv\r\n", length("key:" i), i }'; }
hash_cmds >"$WORK/hashes.resp"

# measure SIDE GOGC WORKLOAD -> prints "used_per_key rss_per_key"
measure() {
	local side=$1 gogc=$2 load=$3 u0 r0 u1 r1 keys
	start "$side" "$gogc"
	sleep 1
	u0=$(used_memory "$PORT") r0=$(rss_bytes "$PID")
	case $load in
	strings) redis-cli -p "$PORT" DEBUG POPULATE "$N" key 100 >/dev/null ;;
	hashes) redis-cli -p "$PORT" --pipe <"$WORK/hashes.resp" >/dev/null ;;
	esac
	sleep "$SETTLE"
	keys=$(redis-cli -p "$PORT" DBSIZE)
	((keys == N)) || { echo "memory.sh: side $side has $keys keys, want $N" >&2; exit 1; }
	u1=$(used_memory "$PORT") r1=$(rss_bytes "$PID")
	kill "$PID"; wait "$PID" 2>/dev/null || true
	awk -v u="$((u1 - u0))" -v r="$((r1 - r0))" -v n="$N" 'BEGIN { printf "%.1f %.1f\n", u / n, r / n }'
}

median() { sort -n | awk '{a[NR] = $1} END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '%-8s %-6s %12s %12s %12s %12s %8s %8s\n' workload GOGC dfly_used redis_used dfly_rss redis_rss used_x rss_x
IFS=, read -r -a GOGC_LIST <<<"$GOGCS"
((${#GOGC_LIST[@]})) || GOGC_LIST=("")
IFS=, read -r -a LOAD_LIST <<<"$LOADS"
for load in "${LOAD_LIST[@]}"; do
	for gogc in "${GOGC_LIST[@]}"; do
		: >"$WORK/A" ; : >"$WORK/B"
		for ((r = 0; r < ROUNDS; r++)); do
			for side in A B B A; do
				measure "$side" "$gogc" "$load" >>"$WORK/$side"
			done
		done
		au=$(awk '{print $1}' "$WORK/A" | median) ar=$(awk '{print $2}' "$WORK/A" | median)
		bu=$(awk '{print $1}' "$WORK/B" | median) br=$(awk '{print $2}' "$WORK/B" | median)
		awk -v l="$load" -v g="${gogc:-env}" -v au="$au" -v bu="$bu" -v ar="$ar" -v br="$br" \
			'BEGIN { printf "%-8s %-6s %12.1f %12.1f %12.1f %12.1f %8.2f %8.2f\n", l, g, au, bu, ar, br, au / bu, ar / br }'
	done
done
echo "# B/key = (after - before) / $N keys; median of $((ROUNDS * 2)) runs per side (ABBA); x = Damselfly / Redis"
