package e2e

import (
	"strings"
	"testing"
)

// TestClientTracking compares invalidation pushes with redis-server in the
// default, BCAST, OPTIN, NOLOOP and REDIRECT modes.
func TestClientTracking(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := dialWire(t, s.Addr)
		w := dialWire(t, s.Addr)
		c.do("HELLO", "3")
		c.expect2("CLIENT", "TRACKING", "-ERR wrong number of arguments for 'client|tracking' command\r\n")
		if got := c.do("CLIENT", "TRACKING", "ON"); got != "+OK\r\n" {
			t.Fatalf("TRACKING ON = %q", got)
		}
		w.do("SET", "k", "1")
		c.do("GET", "k")
		w.do("SET", "k", "2")
		c.expect(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
		// Once invalidated, the key is forgotten until read again.
		w.do("SET", "k", "3")
		c.do("GET", "k")
		w.do("DEL", "k")
		c.expect(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
		// FLUSHALL invalidates everything with a null.
		w.do("FLUSHALL")
		c.expect(">2\r\n$10\r\ninvalidate\r\n_\r\n")
		if got := c.do("CLIENT", "TRACKING", "OFF"); got != "+OK\r\n" {
			t.Fatalf("TRACKING OFF = %q", got)
		}
		// BCAST with prefixes.
		c.do("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:")
		w.do("SET", "other", "1")
		w.do("SET", "user:1", "x")
		c.expect(">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nuser:1\r\n")
		c.do("CLIENT", "TRACKING", "OFF")
		// OPTIN: only reads after CLIENT CACHING YES are tracked.
		c.do("CLIENT", "TRACKING", "ON", "OPTIN")
		c.do("GET", "a")
		c.do("CLIENT", "CACHING", "YES")
		c.do("GET", "b")
		w.do("SET", "a", "1")
		w.do("SET", "b", "1")
		c.expect(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nb\r\n")
		if got := c.do("CLIENT", "TRACKINGINFO"); !strings.Contains(got, "optin") {
			t.Fatalf("TRACKINGINFO = %q", got)
		}
		c.do("CLIENT", "TRACKING", "OFF")
		// NOLOOP: own writes are not reported.
		c.do("CLIENT", "TRACKING", "ON", "NOLOOP")
		c.do("GET", "n")
		c.do("SET", "n", "1")
		c.do("GET", "n")
		w.do("SET", "n", "2")
		c.expect(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nn\r\n")
		c.do("CLIENT", "TRACKING", "OFF")
		// REDIRECT to a RESP2 connection subscribed to __redis__:invalidate.
		r := dialWire(t, s.Addr)
		id := strings.TrimSpace(strings.TrimPrefix(r.do("CLIENT", "ID"), ":"))
		r.write(respCmd("SUBSCRIBE", "__redis__:invalidate"))
		r.reply()
		if got := c.do("CLIENT", "TRACKING", "ON", "REDIRECT", id); got != "+OK\r\n" {
			t.Fatalf("REDIRECT = %q", got)
		}
		if got := c.do("CLIENT", "GETREDIR"); got != ":"+id+"\r\n" {
			t.Fatalf("GETREDIR = %q", got)
		}
		c.do("GET", "r")
		w.do("SET", "r", "1")
		r.expect("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nr\r\n")
	})
}
