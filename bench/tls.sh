#!/usr/bin/env bash
# TLS side by side: redis-benchmark --tls against Damselfly --tls and
# redis-server --tls-port, with the same throw-away certificate, in ABBA
# order (A = Damselfly, B = Redis). Reports the median requests/sec and
# server CPU per request of each side and their ratios (d/r). Damselfly
# runs on one thread, like Redis. Usage: bench/tls.sh [-n N] [-r rounds]
# [-P list] [-t tests]
set -euo pipefail
N=100000 ROUNDS=2 PIPES="1,16" TESTS="set,get"
while (($#)); do
	case $1 in
	-n) N=$2; shift 2 ;;
	-r) ROUNDS=$2; shift 2 ;;
	-P) PIPES=$2; shift 2 ;;
	-t) TESTS=$2; shift 2 ;;
	*) echo "usage: $0 [-n N] [-r rounds] [-P 1,16] [-t set,get]" >&2; exit 2 ;;
	esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=localhost \
	-addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
(cd "$root" && go build -o "$tmp/damselfly" ./cmd/damselfly)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dport=$(port) rport=$(port)
"$tmp/damselfly" --port "$dport" --bind 127.0.0.1 --proactor_threads 1 --dbfilename "" \
	--tls --tls_cert_file "$tmp/cert.pem" --tls_key_file "$tmp/key.pem" --log_level error &
pids+=($!); dpid=$!
redis-server --port 0 --tls-port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
	--tls-cert-file "$tmp/cert.pem" --tls-key-file "$tmp/key.pem" --tls-auth-clients no \
	--dir "$tmp" --loglevel warning >/dev/null &
pids+=($!); rpid=$!
cli() { redis-cli --tls --cacert "$tmp/cert.pem" -p "$1" "${@:2}"; }
for p in $dport $rport; do
	for _ in $(seq 100); do cli "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
ticks() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; set -- $s; echo $((${12} + ${13})); }
hz=$(getconf CLK_TCK)
declare -A rps cpu
run() { # side port pid P test
	local before after out
	before=$(ticks "$3")
	out=$(redis-benchmark --tls --cacert "$tmp/cert.pem" -p "$2" -c 50 -n "$N" -P "$4" -t "$5" -r 100000 -d 100 --csv -q | tail -1)
	after=$(ticks "$3")
	rps[$1,$4,$5]+="$(echo "$out" | cut -d, -f2 | tr -d '"') "
	cpu[$1,$4,$5]+="$(awk -v t=$((after - before)) -v hz="$hz" -v n="$N" 'BEGIN{printf "%.3f", t/hz/n*1e6}') "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
IFS=, read -ra plist <<<"$PIPES"
IFS=, read -ra tlist <<<"$TESTS"
for ((r = 0; r < ROUNDS; r++)); do
	for P in "${plist[@]}"; do
		for t in "${tlist[@]}"; do
			run d "$dport" "$dpid" "$P" "$t"; run r "$rport" "$rpid" "$P" "$t"
			run r "$rport" "$rpid" "$P" "$t"; run d "$dport" "$dpid" "$P" "$t"
		done
	done
done
printf '%-5s %3s %12s %12s %6s %14s %14s %6s\n' test P "rps d" "rps r" "d/r" "cpu us/req d" "cpu us/req r" "d/r"
for P in "${plist[@]}"; do
	for t in "${tlist[@]}"; do
		rd=$(median <<<"${rps[d,$P,$t]}") rr=$(median <<<"${rps[r,$P,$t]}")
		cd=$(median <<<"${cpu[d,$P,$t]}") cr=$(median <<<"${cpu[r,$P,$t]}")
		printf '%-5s %3s %12s %12s %6.2f %14s %14s %6.2f\n' "$t" "$P" "$rd" "$rr" "$(echo "$rd/$rr" | bc -l)" "$cd" "$cr" "$(echo "$cd/$cr" | bc -l)"
	done
done
