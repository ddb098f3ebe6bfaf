#!/usr/bin/env bash
# Directus end to end: install what the test needs (Debian's redis_exporter;
# Node 22 and Directus from npm, cached under ${XDG_CACHE_HOME:-~/.cache}/damselfly),
# then run test/directus against redis-server and Damselfly.
#
#   test/directus/run.sh                      # both targets
#   DAMSELFLY_DIRECTUS_TARGETS=damselfly test/directus/run.sh
#   DAMSELFLY_DIRECTUS_UPDATE=1 DAMSELFLY_DIRECTUS_TARGETS=redis-server test/directus/run.sh
#                                             # also rewrite commands-seen.txt
#
# Artifacts (launcher and Directus logs, the recorded Redis traffic, MONITOR
# capture, node's report) go to test-artifacts/directus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v npm >/dev/null || need+=(npm)
command -v curl >/dev/null || need+=(curl)
if ! command -v prometheus-redis-exporter >/dev/null && ! command -v redis_exporter >/dev/null; then
  need+=(prometheus-redis-exporter)
fi
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Node 22 and Directus: minutes the first time, seconds when cached.
go run ./cmd/stack install

DAMSELFLY_DIRECTUS_E2E=1 go test -count=1 -timeout 40m -v -run '^TestDirectus$' ./test/directus
