#!/bin/sh
# Build Damselfly's release binaries: static (no cgo), trimmed, stripped.
# deploy/Dockerfile runs exactly this script, and so do the deploy tests
# (deploy/deploy_test.go), so what is tested is what ships.
#
# usage: deploy/build.sh [OUTDIR]      (run from the repository root)
#   VERSION=...  version stamped into `damselfly --version` (default: git describe)
set -eu
out=${1:-bin}
version=${VERSION:-}
if [ -z "$version" ] || [ "$version" = dev ]; then
	version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
fi
export CGO_ENABLED=0
go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out/damselfly" ./cmd/damselfly
go build -trimpath -ldflags "-s -w" -o "$out/damselfly-healthcheck" ./cmd/damselfly-healthcheck
