#!/usr/bin/env bash
# PUBLISH-only Directus traffic (loadgen -directus-weights 1:0:0:0: 50
# publishers at pipeline 1, -subscribers subscribers), Damselfly vs
# redis-server, in A B B A order, printing the medians of throughput and
# server CPU per PUBLISH. --before BIN adds a second Damselfly binary
# (e.g. one built from an older commit) in the mirrored order
# BEFORE A R R A BEFORE.
#   bench/publish.sh [--rounds R] [--duration 5s] [--subs N] [--before BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 dur=5s subs=2 before=""
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2;; --duration) dur=$2; shift 2;;
    --subs) subs=$2; shift 2;; --before) before=$2; shift 2;;
    *) echo "usage: $0 [--rounds R] [--duration D] [--subs N] [--before BIN]" >&2; exit 2;;
  esac
done
go build -o bin/damselfly ./cmd/damselfly
go build -o bin/loadgen ./bench/loadgen
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
start_dfly() { "$1" --port "$2" --bind 127.0.0.1 --log_level warning --dbfilename "" --proactor_threads 1 & pids+=($!); }
pd=$(port); start_dfly bin/damselfly "$pd"; dpid=$!
pr=$(port); redis-server --port "$pr" --bind 127.0.0.1 --save '' --appendonly no >/dev/null & rpid=$!; pids+=($rpid)
if [ -n "$before" ]; then pb=$(port); start_dfly "$before" "$pb"; bpid=$!; fi
for p in $pd $pr ${pb:-}; do for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done
run() {
  bin/loadgen -addr "127.0.0.1:$1" -pid "$2" -mix directus -directus-weights 1:0:0:0 \
    -subscribers "$subs" -duration "$dur" -json |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["ops_per_sec"], j["server_cpu_us_per_req"])'
}
declare -a D R B
for _ in $(seq "$rounds"); do
  [ -n "$before" ] && B+=("$(run "$pb" "$bpid")")
  D+=("$(run "$pd" "$dpid")"); R+=("$(run "$pr" "$rpid")")
  R+=("$(run "$pr" "$rpid")"); D+=("$(run "$pd" "$dpid")")
  [ -n "$before" ] && B+=("$(run "$pb" "$bpid")")
done
med() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { printf '%s\n' "$@" | awk -v c="$COL" '{print $c}' | med; }
COL=1; drate=$(col "${D[@]}"); rrate=$(col "${R[@]}")
COL=2; dcpu=$(col "${D[@]}"); rcpu=$(col "${R[@]}")
printf 'PUBLISH to %d subscribers, 50 clients, pipeline 1, %s per run, median of %d runs each\n' "$subs" "$dur" "$((2*rounds))"
printf '  damselfly: %10.0f req/s  %.3f cpu us/req\n' "$drate" "$dcpu"
if [ -n "$before" ]; then
  COL=1; brate=$(col "${B[@]}"); COL=2; bcpu=$(col "${B[@]}")
  printf '  before:    %10.0f req/s  %.3f cpu us/req  (%s)\n' "$brate" "$bcpu" "$before"
fi
printf '  redis:     %10.0f req/s  %.3f cpu us/req\n' "$rrate" "$rcpu"
awk -v a="$drate" -v b="$rrate" -v c="$dcpu" -v d="$rcpu" 'BEGIN { printf "  ratio d/r: throughput %.2f, cpu per request %.2f\n", a/b, c/d }'
if [ -n "$before" ]; then
  awk -v a="$brate" -v b="$rrate" -v c="$bcpu" -v d="$rcpu" 'BEGIN { printf "  ratio before/r: throughput %.2f, cpu per request %.2f\n", a/b, c/d }'
fi
