#!/usr/bin/env bash
# Run the go-redis v9 module's own Ginkgo suite against Damselfly (or, with
# --redis, against the system redis-server) and compare the failures with
# test/goredis/expected-failures.txt. See test/goredis/README.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
GOREDIS_MODULE=github.com/redis/go-redis/v9
GOREDIS_VERSION=${GOREDIS_VERSION:-v9.23.0}
# The suite hard-codes the standalone server address ":6379" (redisStackPort in
# main_test.go); we give it a private network namespace so that port is ours.
PORT=6379

# Suite description prefix that Ginkgo puts in front of every spec text before
# matching --ginkgo.focus/--ginkgo.skip.
P='^go-redis '

# ---------------------------------------------------------------------------
# Families: name -> focus regexp over "go-redis <containers...> <It text>".
declare -A FAMILY=(
  [strings]="${P}Commands (strings|marshaling/unmarshaling|json marshaling/unmarshaling) "
  [bitmaps]="${P}(Commands strings should (GetBit|SetBit|BitCount|BitOp|BitPos|BitField)|BitCountByt?e )"
  [keys]="${P}(Commands (keys|scanning) |ScanIterator )"
  [server]="${P}(Commands (server|debugging|SlowLog|Latency) |HotKeys Commands )"
  [acl]="${P}ACL"
  [client]="${P}(Client[ -]|Conn |Hook |Hook with MinIdleConns |Dialer connection timeouts |Credentials Provider Priority |pool |races |Cmd |RawCmd |RawWriteToCmd |NoRetry behavior |error |Monitor command |AutoPipeline|UniversalClient should connect to simple servers|pipelining )"
  [hashes]="${P}(Commands hashes |HIMPORT commands )"
  [lists]="${P}Commands lists "
  [sets]="${P}Commands sets "
  [zsets]="${P}Commands sorted sets "
  [streams]="${P}Commands streams "
  [hyperloglog]="${P}Commands hyperloglog "
  [geo]="${P}Commands Geo add and radius search "
  [pubsub]="${P}PubSub "
  [tx]="${P}(Tx |pipelining TxPipeline )"
  [scripting]="${P}(Commands (Eval|EvalRO|Functions) |NewScriptServerSHA )"
  [arrays]="${P}Array Commands "
)
FAMILY_ORDER=(strings bitmaps keys server acl client hashes lists sets zsets streams hyperloglog geo pubsub tx scripting arrays)
declare -A ALIAS=(
  [generic]=keys [connection]=server [string]=strings [bitmap]=bitmaps [bits]=bitmaps [key]=keys
  [hash]=hashes [list]=lists [set]=sets [sortedsets]=zsets [zset]=zsets [stream]=streams
  [hll]=hyperloglog [transactions]=tx [multi]=tx [scripts]=scripting [eval]=scripting
  [functions]=scripting [array]=arrays
)

# Always skipped, whatever is selected (see README "What is skipped").
ALWAYS_SKIP=(
  # Redis Stack modules (RediSearch, RedisJSON, TimeSeries, Bloom & co, vector sets)
  "${P}(RediSearch|FT\\.|JSON Commands|Go-Redis Advanced JSON|RedisTimeseries|TS\\.|Probabilistic commands|Redis VectorSet)"
  "${P}Commands server should (ConfigGet Modules|ConfigGet with Modules|ConfigSet FT DIALECT|ConfigSet Modules|Fail ConfigSet Modules|Info Modules|InfoMap Modules|filter commands by module)$"
  # extra servers the harness does not start: OSS cluster, sentinel, ring shards, TLS, secondary
  "${P}(ClusterClient|cluster races|Command Tips tests|TLS|Sentinel|SentinelAclAuth|NewFailoverClusterClient|Redis Ring|Ring |empty Redis Ring|UniversalClient should connect to failover)"
)
LABEL_FILTER='!(search || json || timeseries || probabilistic || bloom || cuckoo || cms || topk || tdigest || vectorset)'

usage() {
  cat <<EOF
usage: $0 [options] [FAMILY...]

Runs go-redis $GOREDIS_VERSION's Ginkgo suite against a server started on
127.0.0.1:$PORT inside a private network namespace. No FAMILY = all families.

  --server PATH       server binary (default: $REPO_ROOT/bin/damselfly)
  --redis             use the system redis-server instead (harness self-check);
                      compares with expected-failures-redis.txt
  --expected FILE     expected-failures file (default: by server kind)
  --update            rewrite the expected-failures file from this run
                      (adds new failures with a "TODO triage" reason, drops fixed ones)
  --strict            also exit non-zero when listed specs pass now
  --focus REGEX       extra Ginkgo focus regexp (ORed with the families);
                      matched against "go-redis <full spec name>"
  --skip REGEX        extra Ginkgo skip regexp
  --timeout SECS      bound for the test run (default 1200; build has its own 900)
  --seed N            Ginkgo random seed (default 1, fixed for reproducibility)
  --redis-version X.Y REDIS_VERSION given to the suite (default: from INFO server)
  --server-arg ARG    extra argument for the server (repeatable)
  --out DIR           keep report.json, junit.xml, ginkgo.log, server.log here
                      (default: a new /tmp/damselfly-goredis.XXXXXX)
  --dry-run           list the selected specs without starting a server
  --no-netns          use the host network (port $PORT must be free)
  --keep              keep the copied module source and test binary
  -v, --verbose       stream Ginkgo's verbose output; list expected failures
  --list              list families and exit

families: ${FAMILY_ORDER[*]}
aliases:  $(for a in "${!ALIAS[@]}"; do printf '%s=%s ' "$a" "${ALIAS[$a]}"; done)
EOF
}

log() { printf 'goredis: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

# ---------------------------------------------------------------------------
# Inner part: runs inside the network namespace (or directly with --no-netns).
# argv: __inner NSERVER server-argv... -- test-argv...
# env:  GR_OUT GR_SRC GR_TIMEOUT GR_NETNS GR_REDIS_VERSION GR_VERBOSE
inner() {
  shift
  local n=$1; shift
  local -a server=("${@:1:n}"); shift "$n"
  [[ $1 == -- ]] && shift
  local -a test=("$@")

  if [[ $GR_NETNS == 1 ]]; then
    ip link set lo up || die "cannot bring up loopback in the network namespace"
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "something already listens on 127.0.0.1:$PORT (use the network namespace, i.e. drop --no-netns)"
  fi

  log "starting: ${server[*]}"
  "${server[@]}" >"$GR_OUT/server.log" 2>&1 &
  SERVER_PID=$!
  trap stop_server EXIT

  local i reply=""
  for ((i = 0; i < 150; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$GR_OUT/server.log" >&2; die "server exited during startup (log: $GR_OUT/server.log)"; }
    reply=$(resp PING 2>/dev/null || true)
    [[ $reply == +PONG* ]] && break
    sleep 0.1
  done
  [[ $reply == +PONG* ]] || die "server did not answer PING on 127.0.0.1:$PORT within 15s (log: $GR_OUT/server.log)"

  local rv=$GR_REDIS_VERSION
  if [[ -z $rv ]]; then
    local full
    full=$(resp INFO server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version:\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n1)
    rv=${full:-7.0}
    [[ -n $full ]] || log "warning: no redis_version in INFO server; assuming 7.0"
  fi
  local major=${rv%%.*}
  if ((major < 7)); then log "warning: server reports $rv; the suite needs 7..9, using 7.0"; rv=7.0; fi
  if ((major > 9)); then log "warning: server reports $rv; the suite needs 7..9, using 9.0"; rv=9.0; fi
  log "REDIS_VERSION=$rv (version-gated specs are skipped accordingly)"

  local rc=0 start=$SECONDS crashed=0
  # RE_CLUSTER=true selects go-redis' "lightweight" BeforeSuite, which only
  # uses the standalone server (no ring/sentinel/cluster/TLS servers needed).
  # GOREDIS_TEST_SUBJECT and REDIS_ENDPOINTS_CONFIG_PATH are cleared so the
  # specs use a plain *redis.Client on :6379.
  (
    cd "$GR_SRC"
    export RE_CLUSTER=true RCE_DOCKER=false REDIS_VERSION=$rv
    unset GOREDIS_TEST_SUBJECT REDIS_ENDPOINTS_CONFIG_PATH RE_DB_NAME REDIS_PORT
    exec timeout -k 15 "$GR_TIMEOUT" "${test[@]}"
  ) >"$GR_OUT/ginkgo.log" 2>&1 &
  local test_pid=$! tail_pid=""
  if [[ $GR_VERBOSE == 1 ]]; then
    tail -n +1 -f --pid="$test_pid" "$GR_OUT/ginkgo.log" &
    tail_pid=$!
  fi
  # If the server dies, interrupt the suite (SIGTERM to `timeout`, which
  # forwards it; Ginkgo then still writes its report) instead of letting every
  # remaining spec fail against a closed port.
  while kill -0 "$test_pid" 2>/dev/null; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      crashed=1
      log "error: the server exited during the run; interrupting the suite"
      kill -TERM "$test_pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  wait "$test_pid" || rc=$?
  [[ -n $tail_pid ]] && { wait "$tail_pid" 2>/dev/null || true; }
  log "suite finished in $((SECONDS - start))s (exit $rc; log: $GR_OUT/ginkgo.log)"
  if ((rc == 124 || rc == 137)); then log "error: the test binary hit the ${GR_TIMEOUT}s timeout"; fi
  if ((crashed)) || ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "error: the server exited during the run (log: $GR_OUT/server.log)"
    rc=3
  fi
  exit "$rc"
}

# resp CMD ARGS...: send one RESP command to 127.0.0.1:$PORT, print the reply
# (only what arrives within 2s; enough for PING and INFO server).
resp() {
  local a out
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  out="*$#\r\n"
  for a in "$@"; do out+="\$${#a}\r\n$a\r\n"; done
  printf '%b' "$out" >&3
  local line
  while IFS= read -r -t 2 line <&3; do
    printf '%s\n' "$line"
    [[ $line == +* || $line == -* ]] && break
    [[ $line == redis_version:* ]] && break
  done
  exec 3>&-
}

stop_server() {
  [[ -n ${SERVER_PID:-} ]] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

if [[ ${1:-} == __inner ]]; then
  inner "$@"
fi

# ---------------------------------------------------------------------------
# Outer part: argument parsing, building the suite, report comparison.
server_bin="" use_redis=0 expected="" update=0 strict=0 timeout_s=1200 seed=1
redis_version=${REDIS_VERSION:-} out="" dry_run=0 netns=1 keep=0 verbose=0
declare -a families=() extra_focus=() extra_skip=() server_args=()
while (($#)); do
  case $1 in
    --server) server_bin=${2:?}; shift ;;
    --server=*) server_bin=${1#*=} ;;
    --redis) use_redis=1 ;;
    --expected) expected=${2:?}; shift ;;
    --update) update=1 ;;
    --strict) strict=1 ;;
    --focus) extra_focus+=("${2:?}"); shift ;;
    --skip) extra_skip+=("${2:?}"); shift ;;
    --timeout) timeout_s=${2:?}; shift ;;
    --seed) seed=${2:?}; shift ;;
    --redis-version) redis_version=${2:?}; shift ;;
    --server-arg) server_args+=("${2?}"); shift ;;
    --out) out=${2:?}; shift ;;
    --dry-run) dry_run=1 ;;
    --no-netns) netns=0 ;;
    --keep) keep=1 ;;
    -v | --verbose) verbose=1 ;;
    --list)
      for f in "${FAMILY_ORDER[@]}"; do printf '%-12s %s\n' "$f" "${FAMILY[$f]}"; done
      exit 0 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) families+=("$1") ;;
  esac
  shift
done

declare -a focus=()
if ((${#families[@]} == 0)) && ((${#extra_focus[@]} == 0)); then families=(all); fi
for f in "${families[@]}"; do
  f=${f,,}
  [[ -n ${ALIAS[$f]:-} ]] && f=${ALIAS[$f]}
  if [[ $f == all ]]; then
    for g in "${FAMILY_ORDER[@]}"; do focus+=("${FAMILY[$g]}"); done
  elif [[ -n ${FAMILY[$f]:-} ]]; then
    focus+=("${FAMILY[$f]}")
  else
    die "unknown family '$f' (try --list)"
  fi
done
focus+=("${extra_focus[@]}")

if ((use_redis)); then
  server_bin=$(command -v redis-server) || die "redis-server not found"
  expected=${expected:-$SCRIPT_DIR/expected-failures-redis.txt}
else
  server_bin=${server_bin:-$REPO_ROOT/bin/damselfly}
  expected=${expected:-$SCRIPT_DIR/expected-failures.txt}
  if ((!dry_run)) && [[ ! -x $server_bin ]]; then
    die "no server binary at $server_bin (build it: go build -o bin/damselfly ./cmd/damselfly, or pass --server PATH / --redis)"
  fi
fi
[[ $server_bin == /* ]] || server_bin=$(cd "$(dirname "$server_bin")" && pwd)/$(basename "$server_bin")
[[ $expected == /* ]] || expected=$PWD/$expected

command -v go >/dev/null || die "go not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
if ((netns)) && ((!dry_run)); then
  command -v unshare >/dev/null || die "unshare not found (use --no-netns)"
  command -v ip >/dev/null || die "ip (iproute2) not found (use --no-netns)"
fi

if [[ -z $out ]]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/damselfly-goredis.XXXXXX")
else
  mkdir -p "$out"; out=$(cd "$out" && pwd)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/damselfly-goredis-src.XXXXXX")
cleanup() { if ((keep)); then log "module copy and test binary kept in $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

# --- build the suite in a writable copy of the module source ----------------
export GOWORK=off GOTOOLCHAIN=${GOTOOLCHAIN:-local}
build_start=$SECONDS
moddir=$(cd "$work" && timeout 600 go mod download -json "$GOREDIS_MODULE@$GOREDIS_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') || true
[[ -n $moddir && -f $moddir/main_test.go ]] || die "go mod download $GOREDIS_MODULE@$GOREDIS_VERSION failed"
cp -R "$moddir/." "$work/src"
chmod -R u+w "$work/src"
# -trimpath keeps build-cache hits across different temp directories.
(cd "$work/src" && timeout 900 go test -trimpath -c -o "$work/goredis.test" .) >"$out/build.log" 2>&1 ||
  { cat "$out/build.log" >&2; die "building the go-redis test binary failed"; }
(cd "$SCRIPT_DIR" && timeout 300 go build -o "$work/report" report.go) >>"$out/build.log" 2>&1 ||
  { cat "$out/build.log" >&2; die "building report.go failed"; }
log "built go-redis $GOREDIS_VERSION suite in $((SECONDS - build_start))s"

ginkgo=(
  "$work/goredis.test"
  -test.run '^TestGinkgoSuite$'
  -test.timeout "$((timeout_s + 60))s"
  # Ginkgo's own timeout fires first so that it still writes the report
  # (interrupted spec marked, rest skipped); `timeout` is the hard stop.
  -ginkgo.timeout "$((timeout_s >= 60 ? timeout_s - 20 : timeout_s * 2 / 3))s"
  -ginkgo.grace-period 5s
  -ginkgo.seed "$seed"
  -ginkgo.no-color
  -ginkgo.label-filter "$LABEL_FILTER"
  -ginkgo.json-report "$out/report.json"
  -ginkgo.junit-report "$out/junit.xml"
  -ginkgo.poll-progress-after 120s
  -ginkgo.poll-progress-interval 60s
)
for f in "${focus[@]}"; do ginkgo+=(-ginkgo.focus "$f"); done
for s in "${ALWAYS_SKIP[@]}" "${extra_skip[@]}"; do ginkgo+=(-ginkgo.skip "$s"); done
if ((verbose)); then ginkgo+=(-ginkgo.v); else ginkgo+=(-ginkgo.succinct); fi

rm -f "$out/report.json"
if ((dry_run)); then
  (cd "$work/src" && RE_CLUSTER=true REDIS_VERSION=${redis_version:-7.0} timeout 120 "${ginkgo[@]}" -ginkgo.dry-run >"$out/ginkgo.log" 2>&1) ||
    { tail -n 30 "$out/ginkgo.log" >&2; die "dry run failed"; }
  "$work/report" -list -report "$out/report.json"
  exit 0
fi

# --- server command line ----------------------------------------------------
sdir=$out/server-data
rm -rf "$sdir"; mkdir -p "$sdir"
if ((use_redis)); then
  # An (empty) config file so that CONFIG REWRITE has something to rewrite.
  : >"$sdir/redis.conf"
  server=("$server_bin" "$sdir/redis.conf" --port "$PORT" --bind 127.0.0.1 --dir "$sdir" --dbfilename dump.rdb
    --save "" --appendonly no --protected-mode no --daemonize no
    --enable-debug-command yes --enable-module-command yes "${server_args[@]}")
else
  # Damselfly takes Dragonfly-style gflags; only flags it knows are passed.
  server=("$server_bin" --port "$PORT" --bind 127.0.0.1 --dir "$sdir" --dbfilename dump.rdb "${server_args[@]}")
fi

export GR_OUT=$out GR_SRC=$work/src GR_TIMEOUT=$timeout_s GR_NETNS=$netns GR_REDIS_VERSION=$redis_version GR_VERBOSE=$verbose
rc=0
if ((netns)); then
  # New network namespace: private loopback, port 6379 free, no route out.
  # New PID namespace: if this script dies, the kernel reaps the server too.
  ns=(unshare --net --pid --fork --kill-child)
  ((EUID == 0)) || ns=(unshare --map-root-user --net --pid --fork --kill-child)
  "${ns[@]}" -- bash "$SCRIPT_DIR/run.sh" __inner "${#server[@]}" "${server[@]}" -- "${ginkgo[@]}" || rc=$?
else
  bash "$SCRIPT_DIR/run.sh" __inner "${#server[@]}" "${server[@]}" -- "${ginkgo[@]}" || rc=$?
fi

if [[ ! -s $out/report.json ]]; then
  tail -n 40 "$out/ginkgo.log" >&2 2>/dev/null || true
  log "error: no Ginkgo report was written (exit $rc); see $out/ginkgo.log and $out/server.log"
  echo "goredis: 0 passed, 1 failed"
  exit 2
fi
report_args=(-report "$out/report.json" -expected "$expected")
((update)) && report_args+=(-update)
((strict)) && report_args+=(-strict)
((verbose)) && report_args+=(-v)
log "artifacts: $out (report.json, junit.xml, ginkgo.log, server.log)"
rrc=0
"$work/report" "${report_args[@]}" || rrc=$?
if ((rrc == 0 && rc == 3)); then rrc=1; fi # server crashed but every failure was listed
exit "$rrc"
