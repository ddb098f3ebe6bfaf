#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 10 s each):
#   test/fuzz.sh [seconds]
# Targets are found by name (func Fuzz* in *_test.go), so a new one is
# picked up without editing this file. New crashers are written by Go to
# the package's testdata/fuzz/<Target>/ and make this script fail: commit
# them with the fix, they then run on every `go test` as regression seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
failed=()
while IFS=: read -r file target; do
  pkg="./$(dirname "$file")"
  echo "== $pkg $target (${secs}s)"
  # -fuzzminimizetime bounds the minimisation of a crasher too, so the
  # whole run stays within its budget.
  if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" -fuzzminimizetime 10s; then
    failed+=("$pkg $target")
  fi
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' internal cmd 2>/dev/null | sed 's/func //' | sort)
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz target failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "all fuzz targets ran ${secs}s without a failure"
