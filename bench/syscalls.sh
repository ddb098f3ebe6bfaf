#!/usr/bin/env bash
# System calls per request: strace -c -f on the server over one
# redis-benchmark run, for the event loop, the goroutine-per-connection
# path and redis-server in turn (1 thread each). strace slows every
# request, so read the counts, not the times.
#
#   bash bench/syscalls.sh            # GET, -P 1, 50 clients, 50 000 requests
#   N=50000 P=16 bash bench/syscalls.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-50000}
P=${P:-1}
PORT=${PORT:-7433}
OUT=$(mktemp -d)
[[ -x $ROOT/bin/damselfly ]] || (cd "$ROOT" && go build -o bin/damselfly ./cmd/damselfly)
run() { # name cmd...
	local name=$1
	shift
	"$@" >/dev/null 2>&1 &
	local pid=$!
	sleep 0.7
	redis-benchmark -p "$PORT" -q -n 2000 -c 50 -t set -d 100 -r 1000 >/dev/null 2>&1
	strace -c -f -p "$pid" -o "$OUT/$name.txt" 2>/dev/null &
	local sp=$!
	sleep 0.5
	redis-benchmark -p "$PORT" -q -n "$N" -c 50 -P "$P" -t get -d 100 -r 1000 >/dev/null 2>&1
	kill -INT "$sp"
	wait "$sp" 2>/dev/null || true
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	echo "== $name: system calls per GET (-P $P, $N requests)"
	awk -v n="$N" '$NF ~ /^(read|write|epoll_wait|epoll_pwait|futex|nanosleep|total)$/ {
		c = $4
		printf "  %-12s %8d %8.4f\n", $NF, c, c / n }' "$OUT/$name.txt"
}
D=("$ROOT/bin/damselfly" --port "$PORT" --bind 127.0.0.1 --proactor_threads 1 --dbfilename "" --log_level warning)
run event-loop "${D[@]}"
run goroutines "${D[@]}" --event_loop=false
run redis redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no
rm -rf "$OUT"
