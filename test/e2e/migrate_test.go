package e2e

import (
	"net"
	"testing"
)

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// TestMigrate: MIGRATE moves keys (with their TTL) to another server,
// COPY keeps them, an existing target key fails without REPLACE, and the
// argument errors and NOKEY are Redis's. The target is a redis-server
// for both sources.
func TestMigrate(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		dst := StartRedis(t)
		host, port := hostPort(t, dst.Addr)
		w := dialWire(t, s.Addr)
		d := dialWire(t, dst.Addr)
		w.expect0("MIGRATE", host, port, "nokey", "0", "1000", "+NOKEY\r\n")
		w.expect0("SET", "k", "v", "EX", "100", "+OK\r\n")
		w.expect0("RPUSH", "l", "a", "b", "c", ":3\r\n")
		w.expect0("MIGRATE", host, port, "k", "0", "1000", "KEYS", "l", "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n")
		w.expect0("MIGRATE", host, port, "k", "x", "1000", "-ERR value is not an integer or out of range\r\n")
		w.expect0("MIGRATE", host, port, "k", "0", "1000", "AUTH", "-ERR syntax error\r\n")
		w.expect0("MIGRATE", host, port, "", "3", "1000", "KEYS", "k", "l", "nokey", "+OK\r\n")
		w.expect0("EXISTS", "k", "l", ":0\r\n")
		d.expect0("SELECT", "3", "+OK\r\n")
		d.expect0("LRANGE", "l", "0", "-1", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n")
		if got := d.do("TTL", "k"); got != ":100\r\n" && got != ":99\r\n" {
			t.Fatalf("TTL after MIGRATE: %q", got)
		}
		w.expect0("SET", "k", "v2", "+OK\r\n")
		w.expect0("MIGRATE", host, port, "k", "3", "1000", "COPY",
			"-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n")
		w.expect0("MIGRATE", host, port, "k", "3", "1000", "COPY", "REPLACE", "+OK\r\n")
		w.expect0("GET", "k", "$2\r\nv2\r\n")
		d.expect0("GET", "k", "$2\r\nv2\r\n")
		w.expect0("MIGRATE", host, "1", "k", "3", "100", "-IOERR error or timeout writing to target instance\r\n")
	})
}

// TestMigrateIntoDamselfly: redis-server migrates keys into Damselfly.
func TestMigrateIntoDamselfly(t *testing.T) {
	src := StartRedis(t)
	dst := Start(t)
	host, port := hostPort(t, dst.Addr)
	w := dialWire(t, src.Addr)
	w.expect0("HSET", "h", "f", "v", ":1\r\n")
	w.expect0("MIGRATE", host, port, "h", "0", "1000", "+OK\r\n")
	d := dialWire(t, dst.Addr)
	d.expect0("HGET", "h", "f", "$1\r\nv\r\n")
}
