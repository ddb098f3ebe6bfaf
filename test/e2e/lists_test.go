package e2e

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Blocking list commands, run against Damselfly (4 shards, so keys spread
// over shards) and against redis-server, which proves every expectation.
// Each test blocks clients by sending a command without reading its reply,
// waits until INFO reports them blocked, acts from another connection, and
// then reads the blocked clients' replies.

// listsOnBoth runs fn against a 4-shard Damselfly and against redis-server.
func listsOnBoth(t *testing.T, fn func(t *testing.T, s *Server)) {
	t.Helper()
	for _, tg := range oracleTargets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			var flags []string
			if tg.name == "damselfly" {
				flags = []string{"--proactor_threads", "4"}
			}
			s := tg.start(t, flags...)
			t.Cleanup(func() {
				if strings.Contains(s.Log(), "DATA RACE") {
					t.Errorf("server log:\n%s", s.Log())
				}
			})
			fn(t, s)
		})
	}
}

var listsBlockedRE = regexp.MustCompile(`blocked_clients:(\d+)`)

// listsBlockedClients reads blocked_clients from INFO clients.
func listsBlockedClients(t *testing.T, ctl *wireConn) int {
	t.Helper()
	r := ctl.do("INFO", "clients")
	m := listsBlockedRE.FindStringSubmatch(r)
	if m == nil {
		t.Fatalf("no blocked_clients in INFO: %q", r)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// listsWaitBlocked waits until exactly n clients are blocked.
func listsWaitBlocked(t *testing.T, ctl *wireConn, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := listsBlockedClients(t, ctl)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients is %d, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listsSend writes a command without reading its reply.
func listsSend(w *wireConn, args ...string) { w.t.Helper(); w.write(respCmd(args...)) }

// listsExpectNothing checks that no reply arrives within d.
func listsExpectNothing(t *testing.T, w *wireConn, d time.Duration) {
	t.Helper()
	w.nc.SetReadDeadline(time.Now().Add(d))
	var out strings.Builder
	b := make([]byte, 1)
	n, err := w.r.Read(b)
	out.Write(b[:n])
	var ne net.Error
	if n > 0 || !(errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("expected no reply, got %q (err %v)", out.String(), err)
	}
}

func listsArr(elems ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(elems))
	for _, e := range elems {
		b.WriteString(respBulk(e))
	}
	return b.String()
}

// A client that blocked first is served first; a push serves as many
// waiters as it has elements, after the whole push; the pusher's reply is
// the length before anyone was served.
func TestListsBlockingFIFO(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl, a, b, c := dialWire(t, s.Addr), dialWire(t, s.Addr), dialWire(t, s.Addr), dialWire(t, s.Addr)
		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		listsSend(b, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 2)
		ctl.write(respCmd("RPUSH", "k", "x"))
		ctl.expect(":1\r\n")
		a.expect(listsArr("k", "x"))
		listsExpectNothing(t, b, 100*time.Millisecond)
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", "k", "y"))
		ctl.expect(":1\r\n")
		b.expect(listsArr("k", "y"))
		listsWaitBlocked(t, ctl, 0)

		// One push for several waiters: LPUSH a b c makes [c b a] first.
		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		listsSend(b, "BRPOP", "k", "0")
		listsWaitBlocked(t, ctl, 2)
		listsSend(c, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 3)
		ctl.write(respCmd("LPUSH", "k", "a", "b", "c"))
		ctl.expect(":3\r\n")
		a.expect(listsArr("k", "c"))
		b.expect(listsArr("k", "a"))
		c.expect(listsArr("k", "b"))
		ctl.write(respCmd("EXISTS", "k"))
		ctl.expect(":0\r\n")
		listsWaitBlocked(t, ctl, 0)

		// More waiters than elements: the last one keeps waiting.
		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		listsSend(b, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 2)
		listsSend(c, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 3)
		ctl.write(respCmd("RPUSH", "k", "1", "2"))
		ctl.expect(":2\r\n")
		a.expect(listsArr("k", "1"))
		b.expect(listsArr("k", "2"))
		listsExpectNothing(t, c, 100*time.Millisecond)
		ctl.write(respCmd("RPUSH", "k", "3", "4", "5"))
		ctl.expect(":3\r\n")
		c.expect(listsArr("k", "3"))
		ctl.write(respCmd("LRANGE", "k", "0", "-1"))
		ctl.expect(listsArr("4", "5"))
	})
}

// BLMOVE whose destination is (often) in another shard, a chain of BLMOVEs
// fed by one push, and a waiter on many keys spread over the shards.
func TestListsBlockingAcrossShards(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl, a, b := dialWire(t, s.Addr), dialWire(t, s.Addr), dialWire(t, s.Addr)
		for i := 0; i < 12; i++ {
			src, dst := fmt.Sprintf("src%d", i), fmt.Sprintf("dst%d", i)
			listsSend(a, "BLMOVE", src, dst, "LEFT", "RIGHT", "0")
			listsWaitBlocked(t, ctl, 1)
			ctl.write(respCmd("RPUSH", src, "v"+src))
			ctl.expect(":1\r\n")
			a.expect(respBulk("v" + src))
			ctl.write(respCmd("LRANGE", dst, "0", "-1"))
			ctl.expect(listsArr("v" + src))
			ctl.write(respCmd("EXISTS", src))
			ctl.expect(":0\r\n")
		}

		// a: s1 -> s2, b: s2 -> s3. One push to s1 feeds both.
		listsSend(a, "BLMOVE", "s1", "s2", "RIGHT", "LEFT", "0")
		listsWaitBlocked(t, ctl, 1)
		listsSend(b, "BRPOPLPUSH", "s2", "s3", "0")
		listsWaitBlocked(t, ctl, 2)
		ctl.write(respCmd("RPUSH", "s1", "x"))
		ctl.expect(":1\r\n")
		a.expect(respBulk("x"))
		b.expect(respBulk("x"))
		ctl.write(respCmd("LRANGE", "s3", "0", "-1"))
		ctl.expect(listsArr("x"))
		ctl.write(respCmd("EXISTS", "s1", "s2"))
		ctl.expect(":0\r\n")

		// One waiter on many keys; each push to any of them serves it.
		keys := make([]string, 16)
		for i := range keys {
			keys[i] = fmt.Sprintf("multi%d", i)
		}
		for _, i := range []int{9, 0, 15, 4} {
			listsSend(a, append(append([]string{"BRPOP"}, keys...), "0")...)
			listsWaitBlocked(t, ctl, 1)
			ctl.write(respCmd("RPUSH", keys[i], "a", "b"))
			ctl.expect(":2\r\n")
			a.expect(listsArr(keys[i], "b"))
			ctl.write(respCmd("LRANGE", keys[i], "0", "-1"))
			ctl.expect(listsArr("a"))
			ctl.write(respCmd("DEL", keys[i]))
			ctl.expect(":1\r\n")
		}
		// BLMPOP over many keys with COUNT.
		listsSend(a, append(append([]string{"BLMPOP", "0", "16"}, keys...), "LEFT", "COUNT", "3")...)
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", keys[7], "1", "2", "3", "4"))
		ctl.expect(":4\r\n")
		a.expect("*2\r\n" + respBulk(keys[7]) + listsArr("1", "2", "3"))
		ctl.write(respCmd("LRANGE", keys[7], "0", "-1"))
		ctl.expect(listsArr("4"))
	})
}

// A MULTI/EXEC that feeds two keys serves their waiters in the order it fed
// them, as Redis does (its ready-keys list), whichever shards the keys are
// in: BLPOP a b gets a's element when the transaction pushes to a first.
// Shards are chosen by a per-process hash seed, so 32 pairs make it all
// but certain (1 - 0.75^32) that some pair has b in a lower shard than a;
// serving shard by shard, in index order, failed Redis's own "BLMPOP with
// multiple blocked clients" one run in four.
func TestListsBlockingServedInFeedOrder(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl := dialWire(t, s.Addr)
		const pairs = 32
		waiters := make([]*wireConn, pairs)
		for i := range waiters {
			waiters[i] = dialWire(t, s.Addr)
			listsSend(waiters[i], "BLPOP", fmt.Sprintf("first%d", i), fmt.Sprintf("second%d", i), "0")
			listsWaitBlocked(t, ctl, i+1)
		}
		ctl.write(respCmd("MULTI"))
		ctl.expect("+OK\r\n")
		for i := 0; i < pairs; i++ {
			ctl.write(respCmd("RPUSH", fmt.Sprintf("first%d", i), "f"))
			ctl.expect("+QUEUED\r\n")
			ctl.write(respCmd("RPUSH", fmt.Sprintf("second%d", i), "s"))
			ctl.expect("+QUEUED\r\n")
		}
		ctl.write(respCmd("EXEC"))
		ctl.expect(fmt.Sprintf("*%d\r\n", 2*pairs) + strings.Repeat(":1\r\n", 2*pairs))
		for i, w := range waiters {
			w.expect(listsArr(fmt.Sprintf("first%d", i), "f"))
		}
		listsWaitBlocked(t, ctl, 0)
	})
}

// Timeouts reply with a null array in both protocols, for every blocking
// list command; CLIENT UNBLOCK ends a wait as a timeout or with an error.
func TestListsBlockingTimeoutAndUnblock(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl, a := dialWire(t, s.Addr), dialWire(t, s.Addr)
		for _, proto := range []string{"2", "3"} {
			a.do("HELLO", proto)
			null := "*-1\r\n"
			if proto == "3" {
				null = "_\r\n"
			}
			for _, cmd := range [][]string{
				{"BLPOP", "none", "0.05"},
				{"BRPOP", "none", "none2", "0.05"},
				{"BLMOVE", "none", "dst", "LEFT", "LEFT", "0.05"},
				{"BRPOPLPUSH", "none", "dst", "0.05"},
				{"BLMPOP", "0.05", "2", "none", "none2", "RIGHT", "COUNT", "2"},
				{"BLPOP", "none", "0.0001"},
			} {
				start := time.Now()
				a.write(respCmd(cmd...))
				a.expect(null)
				if d := time.Since(start); cmd[len(cmd)-1] == "0.05" && d < 40*time.Millisecond {
					t.Fatalf("%v returned after %v", cmd, d)
				}
			}
			id := strings.TrimSpace(strings.TrimPrefix(a.do("CLIENT", "ID"), ":"))

			listsSend(a, "BLPOP", "none", "0")
			listsWaitBlocked(t, ctl, 1)
			ctl.write(respCmd("CLIENT", "UNBLOCK", id))
			ctl.expect(":1\r\n")
			a.expect(null)
			listsWaitBlocked(t, ctl, 0)

			listsSend(a, "BLMOVE", "none", "dst", "LEFT", "LEFT", "0")
			listsWaitBlocked(t, ctl, 1)
			ctl.write(respCmd("CLIENT", "UNBLOCK", id, "TIMEOUT"))
			ctl.expect(":1\r\n")
			a.expect(null)

			listsSend(a, "BLMPOP", "0", "1", "none", "LEFT")
			listsWaitBlocked(t, ctl, 1)
			ctl.write(respCmd("CLIENT", "UNBLOCK", id, "ERROR"))
			ctl.expect(":1\r\n")
			a.expect("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
			listsWaitBlocked(t, ctl, 0)

			ctl.write(respCmd("CLIENT", "UNBLOCK", id))
			ctl.expect(":0\r\n")
			ctl.write(respCmd("CLIENT", "UNBLOCK", id, "ERROR"))
			ctl.expect(":0\r\n")
			// The connection still works, and nothing was pushed anywhere.
			a.write(respCmd("PING"))
			a.expect("+PONG\r\n")
			ctl.write(respCmd("EXISTS", "dst", "none"))
			ctl.expect(":0\r\n")
		}
	})
}

// A client that disconnects while blocked takes nothing with it; CLIENT
// KILL (also by MAXAGE) ends a blocked client.
func TestListsBlockingDisconnect(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl := dialWire(t, s.Addr)
		a := dialWire(t, s.Addr)
		listsSend(a, "BLPOP", "k", "0")
		b := dialWire(t, s.Addr)
		listsSend(b, "BLMOVE", "k2", "dst", "LEFT", "RIGHT", "0")
		listsWaitBlocked(t, ctl, 2)
		a.nc.Close()
		b.nc.Close()
		listsWaitBlocked(t, ctl, 0)
		ctl.write(respCmd("RPUSH", "k", "x"))
		ctl.expect(":1\r\n")
		ctl.write(respCmd("RPUSH", "k2", "y"))
		ctl.expect(":1\r\n")
		ctl.write(respCmd("LRANGE", "k", "0", "-1"))
		ctl.expect(listsArr("x"))
		ctl.write(respCmd("LRANGE", "k2", "0", "-1"))
		ctl.expect(listsArr("y"))
		ctl.write(respCmd("EXISTS", "dst"))
		ctl.expect(":0\r\n")

		// CLIENT KILL ID of a blocked client.
		c := dialWire(t, s.Addr)
		id := strings.TrimSpace(strings.TrimPrefix(c.do("CLIENT", "ID"), ":"))
		listsSend(c, "BLPOP", "none", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("CLIENT", "KILL", "ID", id))
		ctl.expect(":1\r\n")
		c.expectClosed()
		listsWaitBlocked(t, ctl, 0)

		// MAXAGE (Redis 7.4, not in the 7.0 oracle): only connections at
		// least that old (in seconds) go.
		if !strings.Contains(ctl.do("INFO", "server"), "damselfly_version") {
			return
		}
		d := dialWire(t, s.Addr)
		listsSend(d, "BLPOP", "none", "0")
		listsWaitBlocked(t, ctl, 1)
		time.Sleep(1100 * time.Millisecond)
		young := dialWire(t, s.Addr)
		young.write(respCmd("CLIENT", "KILL", "MAXAGE", "1"))
		young.expect(":2\r\n") // d and ctl, not itself
		d.expectClosed()
		young.write(respCmd("PING"))
		young.expect("+PONG\r\n")
		young.write(respCmd("LPUSH", "none", "z"))
		young.expect(":1\r\n")
	})
}

// Replies keep their order around a blocking command in a pipeline:
// replies before it arrive while it waits, the ones after it follow its
// reply.
func TestListsBlockingPipeline(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl, a := dialWire(t, s.Addr), dialWire(t, s.Addr)
		var p []byte
		p = append(p, respCmd("SET", "before", "1")...)
		p = append(p, respCmd("BLPOP", "k", "0")...)
		p = append(p, respCmd("PING")...)
		p = append(p, respCmd("RPUSH", "after", "1")...)
		p = append(p, respCmd("BLPOP", "k", "0")...)
		p = append(p, respCmd("GET", "before")...)
		a.write(p)
		a.expect("+OK\r\n")
		listsWaitBlocked(t, ctl, 1)
		listsExpectNothing(t, a, 50*time.Millisecond)
		ctl.write(respCmd("RPUSH", "k", "x"))
		ctl.expect(":1\r\n")
		a.expect(listsArr("k", "x"))
		a.expect("+PONG\r\n")
		a.expect(":1\r\n")
		listsWaitBlocked(t, ctl, 1)
		// More commands sent while blocked are kept for afterwards.
		a.write(respCmd("ECHO", "later"))
		listsExpectNothing(t, a, 50*time.Millisecond)
		ctl.write(respCmd("RPUSH", "k", "y"))
		ctl.expect(":1\r\n")
		a.expect(listsArr("k", "y"))
		a.expect(respBulk("1"))
		a.expect(respBulk("later"))
	})
}

// Redis 7.0 details of serving blocked clients: a key of another type does
// not wake them, a destination of the wrong type is an error (and the
// element stays), databases are separate, keys made by RENAME or LMOVE
// wake waiters, BRPOPLPUSH onto its own source.
func TestListsBlockingSemantics(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl, a, b := dialWire(t, s.Addr), dialWire(t, s.Addr), dialWire(t, s.Addr)

		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("SET", "k", "str"))
		ctl.expect("+OK\r\n")
		listsExpectNothing(t, a, 50*time.Millisecond)
		ctl.write(respCmd("DEL", "k"))
		ctl.expect(":1\r\n")
		ctl.write(respCmd("RPUSH", "k", "v"))
		ctl.expect(":1\r\n")
		a.expect(listsArr("k", "v"))

		// Wrong-type destination when served.
		listsSend(a, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("SET", "dst", "str"))
		ctl.expect("+OK\r\n")
		ctl.write(respCmd("RPUSH", "src", "1", "2"))
		ctl.expect(":2\r\n")
		a.expect("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
		ctl.write(respCmd("LRANGE", "src", "0", "-1"))
		ctl.expect(listsArr("1", "2"))
		ctl.write(respCmd("DEL", "src", "dst"))
		ctl.expect(":2\r\n")
		listsWaitBlocked(t, ctl, 0)

		// Databases.
		a.do("SELECT", "1")
		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", "k", "db0"))
		ctl.expect(":1\r\n")
		listsExpectNothing(t, a, 50*time.Millisecond)
		b.do("SELECT", "1")
		b.write(respCmd("RPUSH", "k", "db1"))
		b.expect(":1\r\n")
		a.expect(listsArr("k", "db1"))
		a.do("SELECT", "0")
		ctl.write(respCmd("LRANGE", "k", "0", "-1"))
		ctl.expect(listsArr("db0"))
		ctl.write(respCmd("DEL", "k"))
		ctl.expect(":1\r\n")
		// MOVE and SWAPDB bring a list under a client of another database.
		listsSend(b, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", "k", "moved"))
		ctl.expect(":1\r\n")
		ctl.write(respCmd("MOVE", "k", "1"))
		ctl.expect(":1\r\n")
		b.expect(listsArr("k", "moved"))
		listsSend(b, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", "k", "swapped", "stays"))
		ctl.expect(":2\r\n")
		ctl.write(respCmd("SWAPDB", "0", "1"))
		ctl.expect("+OK\r\n")
		b.expect(listsArr("k", "swapped"))
		b.do("SELECT", "0")
		ctl.write(respCmd("LRANGE", "k", "0", "-1"))
		ctl.expect("*0\r\n")
		ctl.write(respCmd("SELECT", "1"))
		ctl.expect("+OK\r\n")
		ctl.write(respCmd("LRANGE", "k", "0", "-1"))
		ctl.expect(listsArr("stays"))
		ctl.write(respCmd("FLUSHDB"))
		ctl.expect("+OK\r\n")
		ctl.write(respCmd("SELECT", "0"))
		ctl.expect("+OK\r\n")

		// RENAME and LMOVE create the awaited key.
		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", "tmp", "r"))
		ctl.expect(":1\r\n")
		ctl.write(respCmd("RENAME", "tmp", "k"))
		ctl.expect("+OK\r\n")
		a.expect(listsArr("k", "r"))
		listsSend(a, "BRPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", "tmp", "m"))
		ctl.expect(":1\r\n")
		ctl.write(respCmd("LMOVE", "tmp", "k", "LEFT", "RIGHT"))
		ctl.expect(respBulk("m"))
		a.expect(listsArr("k", "m"))

		// BRPOPLPUSH k k rotates onto itself once fed.
		listsSend(a, "BRPOPLPUSH", "k", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", "k", "a", "b"))
		ctl.expect(":2\r\n")
		a.expect(respBulk("b"))
		ctl.write(respCmd("LRANGE", "k", "0", "-1"))
		ctl.expect(listsArr("b", "a"))
		ctl.write(respCmd("DEL", "k"))
		ctl.expect(":1\r\n")

		// MULTI/EXEC wakes waiters only once it has finished.
		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		for _, cmd := range [][]string{{"MULTI"}, {"RPUSH", "k", "x", "y"}, {"LPOP", "k"}} {
			ctl.write(respCmd(cmd...))
			ctl.reply()
		}
		ctl.write(respCmd("EXEC"))
		ctl.expect("*2\r\n:2\r\n" + respBulk("x"))
		a.expect(listsArr("k", "y"))
		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		for _, cmd := range [][]string{{"MULTI"}, {"RPUSH", "k", "z"}, {"DEL", "k"}} {
			ctl.write(respCmd(cmd...))
			ctl.reply()
		}
		ctl.write(respCmd("EXEC"))
		ctl.expect("*2\r\n:1\r\n:1\r\n")
		listsExpectNothing(t, a, 50*time.Millisecond)
		ctl.write(respCmd("RPUSH", "k", "w"))
		ctl.expect(":1\r\n")
		a.expect(listsArr("k", "w"))

		// The same key twice in one BLPOP.
		listsSend(a, "BLPOP", "k", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		ctl.write(respCmd("RPUSH", "k", "twice", "more"))
		ctl.expect(":2\r\n")
		a.expect(listsArr("k", "twice"))
		ctl.write(respCmd("LRANGE", "k", "0", "-1"))
		ctl.expect(listsArr("more"))
		listsWaitBlocked(t, ctl, 0)
	})
}

// Many producers and consumers at once (run it with a -race binary:
// DAMSELFLY_BIN=...): every element pushed is popped exactly once.
func TestListsBlockingStress(t *testing.T) {
	s := Start(t, "--proactor_threads", "4")
	const (
		producers = 6
		consumers = 8
		perProd   = 400
		nkeys     = 5
	)
	keys := make([]string, nkeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("q%d", i)
	}
	total := producers * perProd
	var mu sync.Mutex
	seen := map[string]int{}
	got := 0
	done := make(chan struct{})
	errs := make(chan error, producers+consumers)
	var wg sync.WaitGroup
	for c := 0; c < consumers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			cl := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: 2 + c%2, ReadTimeout: 10 * time.Second})
			defer cl.Close()
			ctx := Ctx(t)
			for {
				select {
				case <-done:
					return
				default:
				}
				var vals []string
				var err error
				switch c % 4 {
				case 0:
					vals, err = cl.BLPop(ctx, time.Second, keys...).Result()
					if err == nil {
						vals = vals[1:]
					}
				case 1:
					vals, err = cl.BRPop(ctx, time.Second, keys...).Result()
					if err == nil {
						vals = vals[1:]
					}
				case 2:
					var k string
					k, vals, err = cl.BLMPop(ctx, time.Second, "left", 3, keys...).Result()
					_ = k
				case 3:
					// Move through a private list, then pop it.
					var v string
					own := fmt.Sprintf("own%d", c)
					v, err = cl.BLMove(ctx, keys[c%nkeys], own, "LEFT", "RIGHT", time.Second).Result()
					if err == nil {
						if v2, err2 := cl.LPop(ctx, own).Result(); err2 != nil || v2 != v {
							errs <- fmt.Errorf("own list gave %q/%v after BLMOVE %q", v2, err2, v)
							return
						}
						vals = []string{v}
					}
				}
				if err == redis.Nil {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, v := range vals {
					seen[v]++
					got++
				}
				if got == total {
					close(done)
				}
				mu.Unlock()
			}
		}(c)
	}
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			cl := redis.NewClient(&redis.Options{Addr: s.Addr})
			defer cl.Close()
			ctx := Ctx(t)
			for i := 0; i < perProd; i++ {
				k := keys[(p+i)%nkeys]
				v := fmt.Sprintf("p%d-%d", p, i)
				var err error
				if i%3 == 0 {
					err = cl.LPush(ctx, k, v).Err()
				} else {
					err = cl.RPush(ctx, k, v).Err()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(p)
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		mu.Lock()
		t.Fatalf("stress test stuck: %d of %d popped", got, total)
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got != total {
		t.Fatalf("popped %d of %d", got, total)
	}
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("%s popped %d times", v, n)
		}
	}
	if out := s.Log(); strings.Contains(out, "DATA RACE") || strings.Contains(out, "panic") {
		t.Fatalf("server log:\n%s", out)
	}
}

// Keyspace events of the list commands, in Redis's order (LMOVE: the push
// on the destination, then the pop, then "del" of an emptied source).
func TestListsKeyspaceEvents(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl, sub, a := dialWire(t, s.Addr), dialWire(t, s.Addr), dialWire(t, s.Addr)
		ctl.write(respCmd("CONFIG", "SET", "notify-keyspace-events", "Elg"))
		ctl.expect("+OK\r\n")
		sub.write(respCmd("PSUBSCRIBE", "__keyevent@0__:*"))
		sub.expect("*3\r\n" + respBulk("psubscribe") + respBulk("__keyevent@0__:*") + ":1\r\n")
		var want []string
		run := func(args []string, events ...string) {
			t.Helper()
			ctl.write(respCmd(args...))
			ctl.reply()
			for i := 0; i < len(events); i += 2 {
				want = append(want, events[i]+" "+events[i+1])
			}
		}
		run([]string{"RPUSH", "l", "a", "b", "c"}, "rpush", "l")
		run([]string{"LPUSH", "l", "z"}, "lpush", "l")
		run([]string{"LPUSHX", "nolist", "a"})
		run([]string{"LINSERT", "l", "BEFORE", "a", "y"}, "linsert", "l")
		run([]string{"LINSERT", "l", "BEFORE", "nothing", "y"})
		run([]string{"LSET", "l", "0", "q"}, "lset", "l")
		run([]string{"LPOP", "l", "0"})
		run([]string{"LPOP", "l"}, "lpop", "l")
		run([]string{"RPOP", "l", "2"}, "rpop", "l")
		run([]string{"LTRIM", "l", "0", "-1"}, "ltrim", "l")
		run([]string{"LREM", "l", "0", "nothing"})
		run([]string{"LREM", "l", "0", "y"}, "lrem", "l")
		run([]string{"LMOVE", "l", "dst", "LEFT", "RIGHT"}, "rpush", "dst", "lpop", "l", "del", "l")
		run([]string{"RPUSH", "src", "x"}, "rpush", "src")
		run([]string{"BLMPOP", "0", "1", "src", "RIGHT", "COUNT", "5"}, "rpop", "src", "del", "src")
		run([]string{"RPOPLPUSH", "dst", "dst"}, "lpush", "dst", "rpop", "dst")
		run([]string{"LTRIM", "dst", "1", "0"}, "ltrim", "dst", "del", "dst")
		listsSend(a, "BLPOP", "k", "0")
		listsWaitBlocked(t, ctl, 1)
		run([]string{"RPUSH", "k", "v"}, "rpush", "k", "lpop", "k", "del", "k")
		a.expect(listsArr("k", "v"))
		listsSend(a, "BLMOVE", "k", "k2", "LEFT", "LEFT", "0")
		listsWaitBlocked(t, ctl, 1)
		run([]string{"LPUSH", "k", "w"}, "lpush", "k", "lpush", "k2", "lpop", "k", "del", "k")
		a.expect(respBulk("w"))

		for _, w := range want {
			ev, key, _ := strings.Cut(w, " ")
			sub.expect("*4\r\n" + respBulk("pmessage") + respBulk("__keyevent@0__:*") + respBulk("__keyevent@0__:"+ev) + respBulk(key))
		}
		listsExpectNothing(t, sub, 50*time.Millisecond)
	})
}

// The idle timeout (config "timeout") spares blocked clients, and a client
// that disconnects after blocking longer than it still loses nothing.
func TestListsBlockingIdleTimeout(t *testing.T) {
	listsOnBoth(t, func(t *testing.T, s *Server) {
		ctl := dialWire(t, s.Addr)
		ctl.write(respCmd("CONFIG", "SET", "timeout", "1"))
		ctl.expect("+OK\r\n")
		a, b := dialWire(t, s.Addr), dialWire(t, s.Addr)
		listsSend(a, "BLPOP", "k", "0")
		listsSend(b, "BLPOP", "k2", "0")
		listsWaitBlocked(t, ctl, 2)
		for i := 0; i < 10; i++ { // ctl itself must not idle out
			time.Sleep(250 * time.Millisecond)
			ctl.write(respCmd("PING"))
			ctl.expect("+PONG\r\n")
		}
		ctl.write(respCmd("RPUSH", "k", "x"))
		ctl.expect(":1\r\n")
		a.expect(listsArr("k", "x"))
		b.nc.Close()
		listsWaitBlocked(t, ctl, 0)
		ctl.write(respCmd("RPUSH", "k2", "y"))
		ctl.expect(":1\r\n")
		ctl.write(respCmd("LRANGE", "k2", "0", "-1"))
		ctl.expect(listsArr("y"))
	})
}

// Consumers that wait for ever on many keys (spread over the shards) while
// producers push concurrently: once the producers stop, every list must
// drain; data left in a list while clients wait on it is a lost wake-up.
func TestListsBlockingNoLostWakeup(t *testing.T) {
	s := Start(t, "--proactor_threads", "4")
	const (
		consumers = 10
		producers = 6
		perProd   = 300
		nkeys     = 8
	)
	keys := make([]any, nkeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("w%d", i)
	}
	var mu sync.Mutex
	got := 0
	errs := make(chan error, consumers+producers)
	var cwg, pwg sync.WaitGroup
	for c := 0; c < consumers; c++ {
		cwg.Add(1)
		go func(c int) {
			defer cwg.Done()
			cl := redis.NewClient(&redis.Options{Addr: s.Addr, ReadTimeout: -1, Protocol: 2})
			defer cl.Close()
			for {
				var args []any
				if c%2 == 0 {
					args = append(append([]any{"BLPOP"}, keys...), 0)
				} else {
					args = append(append([]any{"BLMPOP", 0, nkeys}, keys...), "RIGHT", "COUNT", 2)
				}
				v, err := cl.Do(Ctx(t), args...).Slice()
				if err != nil {
					errs <- err
					return
				}
				var vals []string
				switch x := v[1].(type) {
				case string:
					vals = []string{x}
				case []any:
					for _, e := range x {
						vals = append(vals, e.(string))
					}
				}
				stop := false
				mu.Lock()
				for _, e := range vals {
					if e == "stop" {
						stop = true
					} else {
						got++
					}
				}
				mu.Unlock()
				if stop {
					return
				}
			}
		}(c)
	}
	for p := 0; p < producers; p++ {
		pwg.Add(1)
		go func(p int) {
			defer pwg.Done()
			cl := redis.NewClient(&redis.Options{Addr: s.Addr})
			defer cl.Close()
			for i := 0; i < perProd; i++ {
				k := keys[(p*7+i)%nkeys].(string)
				if err := cl.RPush(Ctx(t), k, fmt.Sprint(i), "x").Err(); err != nil {
					errs <- err
					return
				}
			}
		}(p)
	}
	pwg.Wait()
	ctl := s.Client(t, 2)
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := int64(0)
		for _, k := range keys {
			left += ctl.LLen(Ctx(t), k.(string)).Val()
		}
		mu.Lock()
		n := got
		mu.Unlock()
		if left == 0 && n == producers*perProd*2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d elements left in the lists, %d popped of %d, with clients waiting", left, n, producers*perProd*2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// One sentinel per consumer ("stop" may come in a pair for BLMPOP).
	for c := 0; c < consumers; c++ {
		ctl.RPush(Ctx(t), keys[c%nkeys].(string), "stop")
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { cwg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("consumers did not all stop")
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if out := s.Log(); strings.Contains(out, "DATA RACE") || strings.Contains(out, "panic") {
		t.Fatalf("server log:\n%s", out)
	}
}
