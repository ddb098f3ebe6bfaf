#!/usr/bin/env bash
# PUBLISH fan-out to 100 subscribers, Damselfly vs redis-server side by side
# (ABBA), printing delivered messages/second and server CPU per message.
#   bench/fanout.sh [-n MESSAGES] [--subs N] [--rounds R]
set -euo pipefail
cd "$(dirname "$0")/.."
n=20000 subs=100 rounds=2
while [ $# -gt 0 ]; do
  case $1 in
    -n) n=$2; shift 2;; --subs) subs=$2; shift 2;; --rounds) rounds=$2; shift 2;;
    *) echo "usage: $0 [-n N] [--subs N] [--rounds R]" >&2; exit 2;;
  esac
done
go build -o bin/damselfly ./cmd/damselfly
go build -o bin/fanout ./bench/fanout
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pd=$(port); pr=$(port)
bin/damselfly --port "$pd" --bind 127.0.0.1 --log_level warning --dbfilename "" & dpid=$!
redis-server --port "$pr" --bind 127.0.0.1 --save '' --appendonly no >/dev/null & rpid=$!
trap 'kill $dpid $rpid 2>/dev/null || true' EXIT
for p in $pd $pr; do for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done
run() { timeout 120 bin/fanout -addr "127.0.0.1:$1" -pid "$2" -n "$n" -subs "$subs"; }
declare -a D R
for _ in $(seq "$rounds"); do
  D+=("$(run $pd $dpid)"); R+=("$(run $pr $rpid)"); R+=("$(run $pr $rpid)"); D+=("$(run $pd $dpid)")
done
med() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
drate=$(printf '%s\n' "${D[@]}" | field msgs_per_sec | med); rrate=$(printf '%s\n' "${R[@]}" | field msgs_per_sec | med)
dcpu=$(printf '%s\n' "${D[@]}" | field cpu_us_per_msg | med); rcpu=$(printf '%s\n' "${R[@]}" | field cpu_us_per_msg | med)
printf 'PUBLISH fan-out to %d subscribers, %d messages, median of %d runs each\n' "$subs" "$n" "$((2*rounds))"
printf '  damselfly: %10.0f msgs/s  %.3f cpu us/msg\n' "$drate" "$dcpu"
printf '  redis:     %10.0f msgs/s  %.3f cpu us/msg\n' "$rrate" "$rcpu"
awk -v a="$drate" -v b="$rrate" -v c="$dcpu" -v d="$rcpu" 'BEGIN { printf "  ratio d/r: throughput %.2f, cpu per message %.2f\n", a/b, c/d }'
