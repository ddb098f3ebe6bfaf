package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Behaviours Redis's own test suite (tests/unit in redis 7.0.15) checks,
// compared on both servers.

// TestSlowlogInsideExecAndAfterBlock: EXEC is not logged but the commands
// it ran are; a command that blocked is logged when its wait ends.
func TestSlowlogInsideExecAndAfterBlock(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		w.expect0("CONFIG", "SET", "slowlog-log-slower-than", "100000", "+OK\r\n")
		w.expect0("SLOWLOG", "RESET", "+OK\r\n")
		w.expect0("MULTI", "+OK\r\n")
		w.expect0("DEBUG", "SLEEP", "0.2", "+QUEUED\r\n")
		w.expect0("EXEC", "*1\r\n+OK\r\n")
		w.expect0("SLOWLOG", "LEN", ":1\r\n")
		if got := w.do("SLOWLOG", "GET"); !strings.Contains(got, "$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n") {
			t.Fatalf("slow log after EXEC: %q", got)
		}

		w.expect0("CONFIG", "SET", "slowlog-log-slower-than", "0", "+OK\r\n")
		blocked := dialWire(t, s.Addr)
		blocked.write(respCmd("BLPOP", "l", "0"))
		listsWaitBlocked(t, w, 1)
		w.expect0("MULTI", "+OK\r\n")
		w.expect0("LPUSH", "l", "foo", "+QUEUED\r\n")
		w.expect0("SLOWLOG", "RESET", "+QUEUED\r\n")
		w.expect0("EXEC", "*2\r\n:1\r\n+OK\r\n")
		blocked.expect("*2\r\n$1\r\nl\r\n$3\r\nfoo\r\n")
		deadline := time.Now().Add(2 * time.Second)
		for {
			got := w.do("SLOWLOG", "GET", "100")
			if strings.Contains(got, "$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("BLPOP not logged after its wait: %q", got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}, "--enable-debug-command", "yes")
}

// TestRedisSuiteSmallReplies: DEBUG OBJECT sees a key that expired but
// was not reclaimed; FUNCTION FLUSH/RESTORE with too many arguments; a
// lone CLIENT INFO shows its own 26 bytes in qbuf.
func TestRedisSuiteSmallReplies(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		w.expect0("DEBUG", "SET-ACTIVE-EXPIRE", "0", "+OK\r\n")
		w.expect0("SET", "key", "value", "PX", "1", "+OK\r\n")
		time.Sleep(20 * time.Millisecond)
		if got := w.do("DEBUG", "OBJECT", "key"); !strings.HasPrefix(got, "+Value at:") {
			t.Fatalf("DEBUG OBJECT of an expired, unreclaimed key: %q", got)
		}
		w.expect0("EXISTS", "key", ":0\r\n")
		w.expect0("DEBUG", "SET-ACTIVE-EXPIRE", "1", "+OK\r\n")

		w.expect0("function", "flush", "bad_arg", "bad_arg", "-ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.\r\n")
		w.expect0("FUNCTION", "FLUSH", "bad_arg", "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n")
		w.expect0("function", "restore", "a", "b", "c", "-ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.\r\n")

		if got := w.do("CLIENT", "INFO"); !strings.Contains(got, " qbuf=26 ") {
			t.Fatalf("CLIENT INFO: %q", got)
		}
	}, "--enable-debug-command", "yes")
}

// TestClientKillSkipmeNo: CLIENT KILL SKIPME NO counts and kills the
// caller too, but the caller still gets the count before its connection
// closes (Redis closes it after the reply).
func TestClientKillSkipmeNo(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		other := dialWire(t, s.Addr)
		other.expect0("PING", "+PONG\r\n")
		me := dialWire(t, s.Addr)
		// The harness's start-up probe may still be closing: wait until
		// only these two are connected.
		for deadline := time.Now().Add(5 * time.Second); strings.Count(me.do("CLIENT", "LIST"), "id=") != 2; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("other clients than these two stay connected")
			}
		}
		got := me.do("CLIENT", "KILL", "SKIPME", "no")
		if got != ":2\r\n" {
			t.Fatalf("CLIENT KILL SKIPME no: %q, want :2", got)
		}
		me.expectClosed()
		other.expectClosed()
	})
}

// TestNoMultiCommands: SAVE and SHUTDOWN are refused inside MULTI, which
// then aborts at EXEC.
func TestNoMultiCommands(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		for _, cmd := range []string{"SAVE", "SHUTDOWN"} {
			w.expect0("MULTI", "+OK\r\n")
			w.expect0("SET", "foo", "bar", "+QUEUED\r\n")
			w.expect0(cmd, "-ERR Command not allowed inside a transaction\r\n")
			w.expect0("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n")
			w.expect0("GET", "foo", "$-1\r\n")
		}
	})
}

// TestClientReplyOnAfterSkip: CLIENT REPLY ON answers +OK even when it is
// the command a SKIP applied to.
func TestClientReplyOnAfterSkip(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		w.write(respCmd("CLIENT", "REPLY", "SKIP"))
		w.expect0("CLIENT", "REPLY", "ON", "+OK\r\n")
		w.expect0("PING", "+PONG\r\n")
		w.write(respCmd("CLIENT", "REPLY", "SKIP"))
		w.write(respCmd("PING", "b"))
		w.expect0("PING", "c", "$1\r\nc\r\n")
	})
}

// TestPauseWriteBlocksWritingExecAndScripts: CLIENT PAUSE WRITE holds an
// EXEC whose queue writes and a script that may write (the held client
// counts in blocked_clients), not a no-writes script.
func TestPauseWriteBlocksWritingExecAndScripts(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		admin := dialWire(t, s.Addr)
		tx := dialWire(t, s.Addr)
		tx.expect0("MULTI", "+OK\r\n")
		tx.expect0("SET", "foo", "bar", "+QUEUED\r\n")
		admin.expect0("CLIENT", "PAUSE", "60000", "WRITE", "+OK\r\n")
		ro := dialWire(t, s.Addr)
		ro.expect0("EVAL", "#!lua flags=no-writes\nreturn 'hi'", "0", "$2\r\nhi\r\n")
		tx.write(respCmd("EXEC"))
		sc := dialWire(t, s.Addr)
		sc.write(respCmd("EVAL", "return 1", "0"))
		listsWaitBlocked(t, admin, 2)
		admin.expect0("CLIENT", "UNPAUSE", "+OK\r\n")
		tx.expect("*1\r\n+OK\r\n")
		sc.expect(":1\r\n")
	})
}

// TestExpiryHeldDuringPause: during CLIENT PAUSE the dataset stays as it
// is (Redis 7): expired keys read as absent but are neither deleted
// actively nor lazily, nor counted in expired_keys, until the pause ends.
func TestExpiryHeldDuringPause(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		expired := func() string {
			for _, l := range strings.Split(w.do("INFO", "stats"), "\r\n") {
				if strings.HasPrefix(l, "expired_keys:") {
					return l
				}
			}
			t.Fatal("no expired_keys in INFO stats")
			return ""
		}
		before := expired()
		w.expect0("MULTI", "+OK\r\n")
		w.expect0("SET", "foo{t}", "bar", "PX", "10", "+QUEUED\r\n")
		w.expect0("SET", "bar{t}", "foo", "PX", "10", "+QUEUED\r\n")
		w.expect0("CLIENT", "PAUSE", "50000", "WRITE", "+QUEUED\r\n")
		w.expect0("EXEC", "*3\r\n+OK\r\n+OK\r\n+OK\r\n")
		time.Sleep(300 * time.Millisecond) // several active-expiry cycles
		w.expect0("GET", "foo{t}", "$-1\r\n")
		w.expect0("GET", "bar{t}", "$-1\r\n")
		if got := expired(); got != before {
			t.Fatalf("keys expired during the pause: %s, before %s", got, before)
		}
		w.expect0("CLIENT", "UNPAUSE", "+OK\r\n")
		w.expect0("GET", "foo{t}", "$-1\r\n")
		w.expect0("GET", "bar{t}", "$-1\r\n")
		var n int
		fmt.Sscanf(strings.TrimPrefix(before, "expired_keys:"), "%d", &n)
		if got, want := expired(), fmt.Sprintf("expired_keys:%d", n+2); got != want {
			t.Fatalf("after the pause: %s, want %s", got, want)
		}
	})
}

// TestKilledClientLeavesClientList: once CLIENT KILL has answered, the
// killed connections are no longer listed, as in Redis, which frees them
// at once (go-redis's "ClientKillByFilter with kill myself" lists clients
// from another connection right after the reply). The victim is blocked
// in BLPOP, so its connection winds down on its own goroutine; the
// killer pipelines CLIENT LIST right behind the kill.
func TestKilledClientLeavesClientList(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		for i := 0; i < 10; i++ {
			killer := dialWire(t, s.Addr)
			victim := dialWire(t, s.Addr)
			victim.expect0("CLIENT", "SETNAME", "victim", "+OK\r\n")
			id := strings.TrimSuffix(strings.TrimPrefix(victim.do("CLIENT", "ID"), ":"), "\r\n")
			victim.writeStr("*3\r\n$5\r\nBLPOP\r\n$7\r\nnothing\r\n$1\r\n0\r\n")
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(killer.do("CLIENT", "LIST"), "cmd=blpop"); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("victim never blocked")
				}
			}
			killer.writeStr(fmt.Sprintf("*4\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$2\r\nID\r\n$%d\r\n%s\r\n*2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n", len(id), id))
			killer.expect(":1\r\n")
			if got := killer.reply(); strings.Contains(got, "name=victim") {
				t.Fatalf("round %d: killed client still listed:\n%s", i, got)
			}
			victim.expectClosed()
			killer.nc.Close()
		}
	})
}
