#!/usr/bin/env bash
# BGSAVE side by side: Damselfly's fork-less snapshot against redis-server's
# fork, on 1M x 100 B and 2M x 1 KB, idle and under 8 writer clients:
# duration, peak extra memory, writer p99 latency during the save.
#   bench/snapshot.sh [--quick] [extra flags for bench/snapshot, e.g. --threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/damselfly ./cmd/damselfly
go build -o bin/snapshot-bench ./bench/snapshot
if [ "${1:-}" = "--quick" ]; then
  shift
  bin/snapshot-bench -keys 200000 -size 100 "$@"
  exit
fi
bin/snapshot-bench -keys 1000000 -size 100 "$@"
echo
bin/snapshot-bench -keys 2000000 -size 1024 "$@"
