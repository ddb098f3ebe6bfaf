#!/usr/bin/env bash
# Runs Redis 7.0.15's own test suite (tests/unit, in external-server mode)
# against Damselfly, one unit per fresh server, and compares the failures
# with known-failures.txt. The suite comes from Debian's source tarball of
# the redis-server package we use as the oracle (downloaded once, checked
# against its SHA-256, cached under ~/.cache/damselfly).
#
#   test/redis-suite/run.sh [--bin path/to/damselfly] [unit ...]
#
# Exit status: 0 when every failure is a known one; 1 when a test that is
# not listed fails or a unit crashes or times out.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
bin=""
if [ "${1:-}" = "--bin" ]; then bin=$2; shift 2; fi
if [ -z "$bin" ]; then
  mkdir -p bin
  go build -o bin/damselfly ./cmd/damselfly
  bin=bin/damselfly
fi
bin=$(realpath "$bin")

url=http://deb.debian.org/debian/pool/main/r/redis/redis_7.0.15.orig.tar.gz
sum=4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982
cache=${XDG_CACHE_HOME:-$HOME/.cache}/damselfly
src=$cache/redis-7.0.15
if [ ! -f "$src/.complete" ]; then
  mkdir -p "$cache"
  curl -fsS -o "$cache/redis.tar.gz" "$url"
  echo "$sum  $cache/redis.tar.gz" | sha256sum -c --quiet
  rm -rf "$src"
  tar xzf "$cache/redis.tar.gz" -C "$cache" redis-7.0.15/tests redis-7.0.15/runtest
  mkdir -p "$src/src"
  # runtest looks for the binaries it may start; external mode starts none,
  # but a few helpers call redis-cli / redis-benchmark.
  for b in redis-server redis-cli redis-benchmark; do
    ln -sf "$(command -v $b)" "$src/src/$b"
  done
  touch "$src/.complete"
fi

known=$repo/test/redis-suite/known-failures.txt
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ $# -gt 0 ]; then
  units=("$@")
else
  mapfile -t units < <(sed -n '/^set ::all_tests {/,/^}/p' "$src/tests/test_helper.tcl" | grep -v '[{}]' | awk '{print $1}' | grep '^unit/' | grep -v '^unit/cluster\|^unit/moduleapi')
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

status=0
: > "$out/failures"
for u in "${units[@]}"; do
  port=$(free_port)
  data=$(mktemp -d)
  (cd "$data" && exec "$bin" --port "$port" --bind 127.0.0.1 --dbfilename dump.rdb --log_level error) >"$out/server.log" 2>&1 &
  spid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log=$out/$(echo "$u" | tr / _).log
  start=$SECONDS
  set +e
  (cd "$src" && rm -rf tests/tmp/* && timeout 150 ./runtest --host 127.0.0.1 --port "$port" --clients 1 \
      --baseport $((20000 + RANDOM % 20000)) --single "$u" --tags -needs:repl --durable) >"$log" 2>&1
  rc=$?
  set -e
  kill "$spid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  rm -rf "$data"
  # One line per failed test: unit <TAB> name (exceptions name the unit).
  { sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a '^\[err\]: \|^\[exception\]: ' || true; } | sort -u | while read -r line; do
    case $line in
      "[err]: "*) name=${line#\[err\]: }; name=${name% in tests/*} ;;
      *) name="exception: ${line#\[exception\]: }" ;;
    esac
    printf '%s\t%s\n' "$u" "$name"
  done >> "$out/failures"
  ok=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -ac '^\[ok\]: ' || true)
  if [ $rc -eq 124 ]; then
    printf '%s\t%s\n' "$u" "timeout: the unit did not finish in 150 s" >> "$out/failures"
  fi
  printf '%-28s %4d ok  %3d s\n' "$u" "$ok" $((SECONDS - start))
done

# Compare with the known failures (lines "unit<TAB>test name<TAB># why").
unexpected=0
while IFS=$'\t' read -r u name; do
  if ! grep -qF "$(printf '%s\t%s\t' "$u" "$name")" "$known"; then
    echo "UNEXPECTED FAILURE: $u: $name"
    grep -a -A4 -F "[err]: $name" "$out/$(echo "$u" | tr / _).log" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | sed -n 2,4p | sed 's/^/    /' || true
    unexpected=$((unexpected + 1))
  fi
done < "$out/failures"
passing_known=0
while IFS=$'\t' read -r u name why; do
  case $u in ''|'#'*) continue;; esac
  if printf '%s\n' "${units[@]}" | grep -qxF "$u" && ! grep -qF "$(printf '%s\t%s' "$u" "$name")" "$out/failures"; then
    case $why in *flaky*) ;; *) echo "now passing (remove from known-failures.txt): $u: $name"; passing_known=$((passing_known + 1));; esac
  fi
done < "$known"
total=$(wc -l < "$out/failures")
echo "Redis 7.0.15 test suite: $total failing tests, $unexpected unexpected, $passing_known known failures now passing"
[ $unexpected -eq 0 ] || status=1
exit $status
