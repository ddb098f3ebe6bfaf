package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// What Redis 7.0's unit/tracking checks beyond the basics, compared on
// both servers byte for byte.

const (
	invMsg  = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
	invPush = ">2\r\n$10\r\ninvalidate\r\n"
)

// redirectTarget opens a RESP2 connection subscribed to
// __redis__:invalidate and returns it with its client id.
func redirectTarget(t *testing.T, s *Server) (*wireConn, string) {
	t.Helper()
	r := dialWire(t, s.Addr)
	id := strings.TrimSpace(strings.TrimPrefix(r.do("CLIENT", "ID"), ":"))
	r.write(respCmd("SUBSCRIBE", "__redis__:invalidate"))
	r.reply()
	return r, id
}

func bulks(keys ...string) string {
	out := "*" + strconv.Itoa(len(keys)) + "\r\n"
	for _, k := range keys {
		out += respBulk(k)
	}
	return out
}

// TestTrackingBcastBatches: in BCAST mode the keys one command (or one
// EXEC) changes under a prefix arrive in one message, sorted; prefixes
// add up and may not overlap; NOLOOP drops the client's own keys; keys
// read before switching to BCAST are not reported.
func TestTrackingBcastBatches(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		red, id := redirectTarget(t, s)
		c := dialWire(t, s.Addr)
		other := dialWire(t, s.Addr)
		// Read in the default mode, then switch: a{t} stays in the table
		// but must not be reported to a BCAST client.
		c.expect0("CLIENT", "TRACKING", "on", "REDIRECT", id, "+OK\r\n")
		c.do("MGET", "a{t}", "b{t}")
		c.expect0("CLIENT", "TRACKING", "off", "+OK\r\n")
		c.expect0("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", id, "+OK\r\n")
		c.expect0("MSET", "c{t}", "3", "a{t}", "1", "b{t}", "2", "+OK\r\n")
		red.expect(invMsg + bulks("a{t}", "b{t}", "c{t}"))

		c.expect0("CLIENT", "TRACKING", "off", "+OK\r\n")
		c.expect0("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", id, "PREFIX", "b:", "PREFIX", "a:", "+OK\r\n")
		c.expect0("MULTI", "+OK\r\n")
		for _, k := range []string{"b:2{t}", "a:1{t}", "c:1{t}", "b:1{t}", "a:2{t}"} {
			c.expect0("INCR", k, "+QUEUED\r\n")
		}
		c.expect0("EXEC", "*5\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n")
		red.expect(invMsg + bulks("a:1{t}", "a:2{t}"))
		red.expect(invMsg + bulks("b:1{t}", "b:2{t}"))

		c.expect0("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", id, "PREFIX", "c:", "+OK\r\n")
		c.expect0("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c:x", "-ERR Prefix 'c:x' overlaps with an existing prefix 'c:'. Prefixes for a single client must not overlap.\r\n")
		c.expect0("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "d:x", "PREFIX", "d:", "-ERR Prefix 'd:x' overlaps with another provided prefix 'd:'. Prefixes for a single client must not overlap.\r\n")
		c.expect0("CLIENT", "TRACKING", "on", "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n")
		if got := c.do("CLIENT", "TRACKINGINFO"); !strings.Contains(got, "$8\r\nprefixes\r\n*3\r\n") {
			t.Fatalf("TRACKINGINFO after adding a prefix: %q", got)
		}
		c.expect0("INCR", "c:1234", ":1\r\n")
		red.expect(invMsg + bulks("c:1234"))

		// NOLOOP: the client's own writes are left out of the batch.
		c.expect0("CLIENT", "TRACKING", "off", "+OK\r\n")
		c.expect0("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", id, "NOLOOP", "+OK\r\n")
		other.expect0("SET", "otherkey1", "1", "+OK\r\n")
		red.expect(invMsg + bulks("otherkey1"))
		c.expect0("SET", "loopkey", "1", "+OK\r\n")
		other.expect0("SET", "otherkey2", "1", "+OK\r\n")
		red.expect(invMsg + bulks("otherkey2"))
		c.expect0("CLIENT", "TRACKING", "off", "+OK\r\n")

		c.expect0("CLIENT", "TRACKING", "on", "OPTIN", "+OK\r\n")
		c.expect0("CLIENT", "TRACKING", "on", "OPTOUT", "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n")
	})
}

// TestTrackingOwnInvalidationAfterReply: a RESP3 client's own write, a
// transaction and an unblocked BLMOVE get their reply first and the
// invalidation right after.
func TestTrackingOwnInvalidationAfterReply(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := dialWire(t, s.Addr)
		c.do("HELLO", "3")
		c.expect0("CLIENT", "TRACKING", "on", "+OK\r\n")
		c.expect0("HSET", "myhash", "f", "1", ":1\r\n")
		c.expect0("HGET", "myhash", "f", "$1\r\n1\r\n")
		c.expect0("HDEL", "myhash", "f", ":1\r\n")
		c.expect(invPush + bulks("myhash"))

		c.expect0("MSET", "a{t}", "1", "b{t}", "2", "+OK\r\n")
		c.expect0("GET", "a{t}", "$1\r\n1\r\n")
		c.expect0("MULTI", "+OK\r\n")
		c.expect0("INCR", "a{t}", "+QUEUED\r\n")
		c.expect0("GET", "b{t}", "+QUEUED\r\n")
		c.expect0("EXEC", "*2\r\n:2\r\n$1\r\n2\r\n")
		c.expect(invPush + bulks("a{t}"))

		c.expect0("GET", "a{t}", "$1\r\n2\r\n")
		c.expect0("MULTI", "+OK\r\n")
		c.expect0("FLUSHDB", "+QUEUED\r\n")
		c.expect0("EXEC", "*1\r\n+OK\r\n")
		c.expect(invPush + "_\r\n")

		// Unblocked BLMOVE: its reply, then list2's invalidation.
		other := dialWire(t, s.Addr)
		other.expect0("RPUSH", "list2{t}", "a", ":1\r\n")
		c.expect0("LRANGE", "list2{t}", "0", "-1", "*1\r\n$1\r\na\r\n")
		c.write(respCmd("BLMOVE", "list1{t}", "list2{t}", "LEFT", "LEFT", "0"))
		waitBlockedClients(t, other, 1)
		other.expect0("RPUSH", "list1{t}", "foo", ":1\r\n")
		c.expect("$3\r\nfoo\r\n")
		c.expect(invPush + bulks("list2{t}"))
		c.expect0("PING", "+PONG\r\n")
	})
}

func waitBlockedClients(t *testing.T, w *wireConn, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if strings.Contains(w.do("INFO", "clients"), "blocked_clients:"+strconv.Itoa(n)+"\r\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw %d blocked clients", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTrackingScriptsAndTable: a script that read something tracks the
// keys it declared (and only then); the table's size shows in INFO; a
// FLUSHALL empties it even while no client tracks; shrinking
// tracking-table-max-keys evicts keys with an invalidation each.
func TestTrackingScriptsAndTable(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := dialWire(t, s.Addr)
		other := dialWire(t, s.Addr)
		c.do("HELLO", "3")
		c.expect0("CLIENT", "TRACKING", "on", "+OK\r\n")
		other.expect0("MSET", "key1{t}", "1", "key2{t}", "1", "+OK\r\n")
		c.expect0("EVAL", "redis.call('set', 'key3{t}', 'bar')", "2", "key1{t}", "key2{t}", "_\r\n")
		c.expect0("EVAL_RO", "redis.call('ping')", "2", "key1{t}", "key2{t}", "_\r\n")
		other.expect0("MSET", "key2{t}", "2", "key1{t}", "2", "+OK\r\n")
		c.expect0("EVAL", "redis.call('get', 'key3{t}')", "2", "key1{t}", "key2{t}", "_\r\n")
		other.expect0("MSET", "key2{t}", "2", "key1{t}", "2", "key3{t}", "2", "+OK\r\n")
		c.expect(invPush + bulks("key2{t}"))
		c.expect(invPush + bulks("key1{t}"))
		c.expect0("PING", "+PONG\r\n")

		c.expect0("MGET", "x1", "x2", "x3", "*3\r\n_\r\n_\r\n_\r\n")
		bc := dialWire(t, s.Addr)
		bc.expect0("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:", "PREFIX", "q:", "+OK\r\n")
		info := c.do("INFO", "stats")
		for _, want := range []string{"tracking_total_keys:3\r\n", "tracking_total_items:3\r\n", "tracking_total_prefixes:2\r\n"} {
			if !strings.Contains(info, want) {
				t.Fatalf("INFO stats lacks %q: %q", want, info)
			}
		}
		if got := c.do("INFO", "clients"); !strings.Contains(got, "tracking_clients:2\r\n") {
			t.Fatalf("INFO clients: %q", got)
		}

		// Evicting from the table tells the reader.
		other.expect0("CONFIG", "SET", "tracking-table-max-keys", "2", "+OK\r\n")
		got := c.reply()
		if !strings.HasPrefix(got, invPush+"*1\r\n$2\r\nx") {
			t.Fatalf("invalidation for an evicted table key: %q", got)
		}
		other.expect0("CONFIG", "SET", "tracking-table-max-keys", "0", "+OK\r\n")

		// FLUSHALL with nobody tracking still empties the table.
		c.expect0("CLIENT", "TRACKING", "off", "+OK\r\n")
		bc.expect0("CLIENT", "TRACKING", "off", "+OK\r\n")
		other.expect0("FLUSHALL", "+OK\r\n")
		if got := other.do("INFO", "stats"); !strings.Contains(got, "tracking_total_keys:0\r\n") {
			t.Fatalf("table after FLUSHALL: %q", got)
		}
	})
}

// TestTrackingBrokenRedirect: once the redirect target is gone, a RESP3
// client is told so with tracking-redir-broken, and TRACKINGINFO says
// broken_redirect.
func TestTrackingBrokenRedirect(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		red, id := redirectTarget(t, s)
		c := dialWire(t, s.Addr)
		other := dialWire(t, s.Addr)
		c.do("HELLO", "3")
		c.expect0("CLIENT", "TRACKING", "on", "REDIRECT", id, "+OK\r\n")
		other.expect0("SET", "key1", "1", "+OK\r\n")
		c.expect0("GET", "key1", "$1\r\n1\r\n")
		red.write(respCmd("QUIT"))
		red.expect("+OK\r\n")
		red.expectClosed()
		// The target's goroutine may still be closing: wait for it to go.
		deadline := time.Now().Add(5 * time.Second)
		for strings.Contains(other.do("CLIENT", "LIST"), "id="+id+" ") {
			if time.Now().After(deadline) {
				t.Fatal("redirect target still listed")
			}
			time.Sleep(5 * time.Millisecond)
		}
		other.expect0("SET", "key1", "2", "+OK\r\n")
		c.expect(">2\r\n$21\r\ntracking-redir-broken\r\n:" + id + "\r\n")
		got := c.do("CLIENT", "TRACKINGINFO")
		if !strings.Contains(got, "~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n") {
			t.Fatalf("TRACKINGINFO: %q", got)
		}
	})
}

// TestTrackingPushBeforeNextReply: an invalidation caused by another
// client's write reaches the tracking client before the reply to the
// command it sends next (clients read it as that command's first reply).
func TestTrackingPushBeforeNextReply(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := dialWire(t, s.Addr)
		other := dialWire(t, s.Addr)
		c.do("HELLO", "3")
		c.expect0("CLIENT", "TRACKING", "on", "BCAST", "+OK\r\n")
		for i := 0; i < 50; i++ {
			other.expect0("INCR", "key1", ":"+strconv.Itoa(i+1)+"\r\n")
			c.write(respCmd("PING"))
			c.expect(invPush + bulks("key1"))
			c.expect("+PONG\r\n")
		}
	})
}
