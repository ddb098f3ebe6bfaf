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
  #
  # Go 1.26's fuzzing coordinator can report "context deadline exceeded"
  # as a failure when -fuzztime expires while a worker is mid-call on a
  # loaded machine (go.dev/issue/75804, fixed in Go 1.27): no input is
  # written and nothing failed. That signature alone, with no "Failing
  # input written", is retried (twice at most); anything else fails.
  for try in 1 2 3; do
    log=$(mktemp)
    if go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" -fuzzminimizetime 10s 2>&1 | tee "$log"; then
      rm -f "$log"
      break
    fi
    if [ "$try" -lt 3 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written\|panic:\|_test\.go:[0-9]*:' "$log"; then
      echo "== $pkg $target: the fuzzing coordinator's deadline race (go.dev/issue/75804), no failing input; running it again"
      rm -f "$log"
      continue
    fi
    rm -f "$log"
    failed+=("$pkg $target")
    break
  done
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' internal cmd 2>/dev/null | sed 's/func //' | sort)
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz target failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "all fuzz targets ran ${secs}s without a failure"
