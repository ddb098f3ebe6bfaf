#!/usr/bin/env bash
# Regenerates redis7.rdb: a dataset of every type and encoding written by
# Debian's redis-server 7.0 (the reader's compatibility test and a fuzz
# seed). Run from this directory; needs redis-server and redis-cli.
set -euo pipefail
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --dbfilename dump.rdb --save "" --daemonize no \
  --logfile "$dir/log" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
r() { redis-cli -p "$port" "$@" >/dev/null; }
r set str:small hello
r set str:int 12345
r set str:neg -7
r set str:bigint 98765432109
r set str:long "$(printf 'compressible %.0s' $(seq 40))"
printf 'bin\x00\xff\r\nary' | redis-cli -p "$port" -x set str:bin >/dev/null
r set str:ttl v PXAT 4102444800000
r rpush list:small a b 1 2 -3
for i in $(seq 1000); do echo "RPUSH list:big element-$i-$(printf '%*s' $((i % 50)) '')"; done | redis-cli -p "$port" >/dev/null
r sadd set:ints 1 2 3 -100 70000 5000000000
r sadd set:strs a b c 1
r zadd zset:small 1 a 2.5 b -inf c inf d
for i in $(seq 200); do echo "ZADD zset:big $i.25 member-$i"; done | redis-cli -p "$port" >/dev/null
r hset hash:small f1 v1 f2 2 f3 ""
for i in $(seq 600); do echo "HSET hash:big field-$i value-$i"; done | redis-cli -p "$port" >/dev/null
r xadd stream '1-1' a 1 b 2
r xadd stream '1-2' a 3 b 4
r xadd stream '2-0' c 5
r xadd stream '3-0' a 6 b 7
r xdel stream 1-2
r xgroup create stream g1 0
r xgroup create stream g2 '$'
r xreadgroup group g1 alice count 2 streams stream '>'
r xreadgroup group g1 bob count 1 streams stream '>'

redis-cli -p "$port" -n 5 set db5:key in-db-5 >/dev/null
r function load "#!lua name=mylib
redis.register_function('myfunc', function(keys, args) return 1 end)"
r save
cp "$dir/dump.rdb" redis7.rdb
