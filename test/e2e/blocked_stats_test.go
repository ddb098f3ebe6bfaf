package e2e

import (
	"strings"
	"testing"
)

// TestBlockedErrorCountsAsFailed: a blocking command whose wait ends with
// an error (its consumer group destroyed, CLIENT UNBLOCK ... ERROR) is
// counted in failed_calls and errorstats, as Redis counts it on unblock.
func TestBlockedErrorCountsAsFailed(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		admin := dialWire(t, s.Addr)
		admin.expect0("CONFIG", "RESETSTAT", "+OK\r\n")
		admin.expect0("XGROUP", "CREATE", "st", "g", "$", "MKSTREAM", "+OK\r\n")

		reader := dialWire(t, s.Addr)
		reader.write(respCmd("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "st", ">"))
		popper := dialWire(t, s.Addr)
		id := strings.TrimSpace(strings.TrimPrefix(popper.do("CLIENT", "ID"), ":"))
		popper.write(respCmd("BLPOP", "nolist", "0"))
		listsWaitBlocked(t, admin, 2)

		admin.expect0("XGROUP", "DESTROY", "st", "g", ":1\r\n")
		reader.expect("-NOGROUP the consumer group this client was blocked on no longer exists\r\n")
		admin.expect0("CLIENT", "UNBLOCK", id, "ERROR", ":1\r\n")
		popper.expect("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")

		stats := admin.do("INFO", "commandstats")
		for _, want := range []string{"cmdstat_xreadgroup:calls=1,", "cmdstat_blpop:calls=1,"} {
			i := strings.Index(stats, want)
			if i < 0 {
				t.Fatalf("no %q in %q", want, stats)
			}
			line := stats[i:]
			line = line[:strings.IndexByte(line, '\r')]
			if !strings.HasSuffix(line, "failed_calls=1") {
				t.Errorf("%s: want failed_calls=1", line)
			}
		}
		errs := admin.do("INFO", "errorstats")
		for _, want := range []string{"errorstat_NOGROUP:count=1", "errorstat_UNBLOCKED:count=1"} {
			if !strings.Contains(errs, want) {
				t.Errorf("no %q in %q", want, errs)
			}
		}
	})
}

// TestClientUnblockAsSoonAsListed: once CLIENT LIST shows a client's
// cmd=blpop, CLIENT UNBLOCK finds it blocked (ioredis's suite waits for
// exactly that, then expects 1): the client counts as blocked from the
// moment its command registered the wait, not from when its connection
// started waiting after leaving its event loop. Same on both servers.
func TestClientUnblockAsSoonAsListed(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		ctl := dialWire(t, s.Addr)
		for i := 0; i < 200; i++ {
			b := dialWire(t, s.Addr)
			id := strings.TrimSuffix(strings.TrimPrefix(b.do("CLIENT", "ID"), ":"), "\r\n")
			b.writeStr(string(respCmd("BLPOP", "unblock:list", "0")))
			for n := 0; ; n++ {
				list := ctl.do("CLIENT", "LIST", "ID", id)
				if strings.Contains(list, "cmd=blpop") {
					break
				}
				if n > 1000 {
					t.Fatalf("CLIENT LIST never showed cmd=blpop: %q", list)
				}
			}
			if got := ctl.do("CLIENT", "UNBLOCK", id); got != ":1\r\n" {
				t.Fatalf("round %d: CLIENT UNBLOCK right after CLIENT LIST showed cmd=blpop: %q", i, got)
			}
			b.expect("*-1\r\n")
			b.nc.Close()
		}
	})
}
