package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// lazyfreed reads INFO lazyfreed_objects once Redis's background thread
// is done (lazyfree_pending_objects 0).
func lazyfreed(t *testing.T, w *wireConn) int {
	t.Helper()
	info := w.do("INFO", "memory")
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(info, "lazyfree_pending_objects:0\r\n"); info = w.do("INFO", "memory") {
		if time.Now().After(deadline) {
			t.Fatal("lazyfree_pending_objects stays above 0")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, rest, ok := strings.Cut(info, "lazyfreed_objects:")
	if !ok {
		t.Fatalf("no lazyfreed_objects in INFO")
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(rest, "\r\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLazyfreedObjects: INFO lazyfreed_objects counts what Redis frees in
// the background: UNLINK of a value costlier than 64 steps (not a small
// one, not DEL), and each key of a FLUSHALL/FLUSHDB ASYNC.
func TestLazyfreedObjects(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		w.expect0("CONFIG", "RESETSTAT", "+OK\r\n")
		big := []string{"SADD", "bigset"}
		for i := 0; i < 1000; i++ {
			big = append(big, "m"+strconv.Itoa(i))
		}
		w.expect0(append(big, ":1000\r\n")...)
		w.expect0("SADD", "small", "1", "2", ":2\r\n")
		w.expect0("UNLINK", "small", ":1\r\n")
		if got := lazyfreed(t, w); got != 0 {
			t.Fatalf("after UNLINK of a small set: %d", got)
		}
		w.expect0("UNLINK", "bigset", ":1\r\n")
		if got := lazyfreed(t, w); got != 1 {
			t.Fatalf("after UNLINK of a big set: %d", got)
		}
		big[1] = "bigset2"
		w.expect0(append(big, ":1000\r\n")...)
		w.expect0("DEL", "bigset2", ":1\r\n")
		if got := lazyfreed(t, w); got != 1 {
			t.Fatalf("after DEL of a big set: %d", got)
		}
		// A stream with small nodes, a group and a pending entry.
		w.expect0("CONFIG", "SET", "stream-node-max-entries", "5", "+OK\r\n")
		for i := 0; i < 500; i++ {
			w.do("XADD", "stream", "*", "foo", strconv.Itoa(i))
		}
		w.expect0("XGROUP", "CREATE", "stream", "g", "0", "+OK\r\n")
		w.do("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "stream", ">")
		w.expect0("UNLINK", "stream", ":1\r\n")
		if got := lazyfreed(t, w); got != 2 {
			t.Fatalf("after UNLINK of a big stream: %d", got)
		}
		w.expect0("MSET", "a", "1", "b", "2", "c", "3", "+OK\r\n")
		w.expect0("FLUSHALL", "ASYNC", "+OK\r\n")
		if got := lazyfreed(t, w); got != 5 {
			t.Fatalf("after FLUSHALL ASYNC of 3 keys: %d", got)
		}
		w.expect0("SET", "a", "1", "+OK\r\n")
		w.expect0("FLUSHDB", "+OK\r\n")
		if got := lazyfreed(t, w); got != 5 {
			t.Fatalf("after a synchronous FLUSHDB: %d", got)
		}
		w.expect0("CONFIG", "RESETSTAT", "+OK\r\n")
		if got := lazyfreed(t, w); got != 0 {
			t.Fatalf("after CONFIG RESETSTAT: %d", got)
		}
	})
}
