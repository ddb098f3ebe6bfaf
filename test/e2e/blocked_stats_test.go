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
