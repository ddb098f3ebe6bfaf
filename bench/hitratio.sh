#!/usr/bin/env bash
# hitratio.sh: cache hit ratio and peak RSS under a memory cap, Damselfly
# --cache_mode against redis-server allkeys-lru, same seeded workload and
# client (bench/loadgen), for Zipf, Gaussian and uniform key popularity.
#
# Scenario (issue #5): 100 MB cap, keyspace 10x the cap (1,000,000 keys of
# 1000-byte values = ~1 GB), SET:GET 1:4, 50 clients, pipeline 1. Each run
# starts a fresh server, runs WARMUP_REQUESTS unmeasured (the cache fills,
# seed+1), then measures the GET hit ratio over REQUESTS while RSS is sampled
# from /proc every 100 ms; the ideal is the share of requests on the
# 100,000 most popular keys (what a cache holding exactly those would hit).
# Warm-up and measurement are counted in requests, not seconds, so both
# servers see the same request stream however fast each serves it (the
# hit ratio of a cache filled by SETs depends on how many it has seen).
# Runs go in ABBA order per distribution (ROUNDS=2, the default) so a
# neighbour's load falls on both sides; the table gives every run and the
# medians with the Damselfly/Redis ratio.
#
# Damselfly runs one proactor thread (PROACTOR_THREADS=N to change), as
# redis-server runs one: with the default, one per core, the server's
# threads and the client's share this machine's two cores, and a thread
# waiting for a time slice made the p99 4 ms instead of 1.4.
#
#   bash bench/hitratio.sh                       # all three distributions
#   DISTS="zipf:0.99" WARMUP_REQUESTS=500000 REQUESTS=200000 bash bench/hitratio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_NAME=hitratio
# shellcheck source=bench/lib.sh
. bench/lib.sh

: "${DISTS:=zipf:0.99 gaussian:0.1 uniform}"
: "${CAP:=100mb}"
: "${CAP_BYTES:=104857600}"
: "${KEYS:=1000000}"
: "${VALUE:=1000}"
: "${CAPACITY_KEYS:=100000}"
: "${WARMUP_REQUESTS:=1500000}"
: "${REQUESTS:=500000}"
: "${ROUNDS:=2}"
: "${SEED:=42}"
: "${CLIENTS:=50}"

command -v redis-server >/dev/null || die "redis-server is required"
go build -o "$WORK/damselfly" ./cmd/damselfly
go build -o "$WORK/loadgen" ./bench/loadgen

declare -A SERVER_CMD=(
	[damselfly]="$WORK/damselfly --cache_mode=true --maxmemory=$CAP --proactor_threads=${PROACTOR_THREADS:-1} --dbfilename= --save= --log_level=warning"
	[redis]="redis-server --maxmemory $CAP --maxmemory-policy allkeys-lru --save '' --appendonly no"
)

# run_one SERVER DIST -> "hit ideal peak_rss_bytes evicted keys_held ops_per_sec"
run_one() {
	local name=$1 dist=$2 pid port sampler out
	start_server "$name" "${SERVER_CMD[$name]}"
	pid=$STARTED_PID port=$STARTED_PORT
	check_stores "$name" "$port"
	# Peak RSS over the whole run, warm-up included.
	(
		peak=0
		while kill -0 "$pid" 2>/dev/null; do
			r=$(rss_kb "$pid")
			((r > peak)) && peak=$r && echo "$peak" >"$WORK/peak.$pid"
			sleep 0.1
		done
	) &
	sampler=$!
	local -a common=(-addr "127.0.0.1:$port" -clients "$CLIENTS" -dist "$dist" -keys "$KEYS" -value-size "$VALUE" -ratio 1:4)
	"$WORK/loadgen" "${common[@]}" -seed $((SEED + 1)) -requests "$WARMUP_REQUESTS" -json >/dev/null
	out=$("$WORK/loadgen" "${common[@]}" -seed "$SEED" -capacity-keys "$CAPACITY_KEYS" -requests "$REQUESTS" -json)
	local evicted held
	evicted=$(redis-cli -p "$port" INFO stats | awk -F: '/^evicted_keys:/ {print $2+0}')
	held=$(redis-cli -p "$port" DBSIZE)
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	local peak
	peak=$(cat "$WORK/peak.$pid" 2>/dev/null || echo 0)
	python3 - "$out" "$peak" "$evicted" "$held" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"{r['hit_ratio']:.4f} {r['ideal_hit_ratio']:.4f} {int(sys.argv[2])*1024} {sys.argv[3]} {sys.argv[4]} {r['ops_per_sec']:.0f}")
PY
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }

printf '%-14s %-9s %5s %8s %8s %12s %9s %10s %9s %8s\n' dist server round hit ideal peak_rss_MB rss/cap evicted keys_held ops/s
declare -A HITS RSS IDEAL
for dist in $DISTS; do
	for ((round = 1; round <= ROUNDS; round++)); do
		order="damselfly redis"
		((round % 2 == 0)) && order="redis damselfly"
		for name in $order; do
			read -r hit ideal rss evicted held ops < <(run_one "$name" "$dist")
			printf '%-14s %-9s %5d %8s %8s %12.1f %9.3f %10s %9s %8s\n' "$dist" "$name" "$round" "$hit" "$ideal" \
				"$(echo "$rss / 1048576" | bc -l)" "$(echo "$rss / $CAP_BYTES" | bc -l)" "$evicted" "$held" "$ops"
			HITS[$dist.$name]+="$hit "
			RSS[$dist.$name]+="$rss "
			IDEAL[$dist]=$ideal
		done
	done
done
echo
printf '%-14s %8s %10s %10s %8s %14s %14s\n' dist ideal dfly_hit redis_hit ratio dfly_rss/cap redis_rss/cap
for dist in $DISTS; do
	d=$(tr ' ' '\n' <<<"${HITS[$dist.damselfly]}" | grep . | median)
	r=$(tr ' ' '\n' <<<"${HITS[$dist.redis]}" | grep . | median)
	dr=$(tr ' ' '\n' <<<"${RSS[$dist.damselfly]}" | grep . | sort -n | tail -1)
	rr=$(tr ' ' '\n' <<<"${RSS[$dist.redis]}" | grep . | sort -n | tail -1)
	printf '%-14s %8s %10s %10s %8.3f %14.3f %14.3f\n' "$dist" "${IDEAL[$dist]}" "$d" "$r" \
		"$(echo "$d / $r" | bc -l)" "$(echo "$dr / $CAP_BYTES" | bc -l)" "$(echo "$rr / $CAP_BYTES" | bc -l)"
done
echo "(hit: median GET hit ratio over $ROUNDS runs; rss/cap: the highest peak RSS of those runs over the cap)"
