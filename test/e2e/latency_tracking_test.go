package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// TestLatencyTracking: latency-tracking no stops recording (INFO
// latencystats and LATENCY HISTOGRAM stay empty); turned back on, calls
// are recorded again, with the percentiles latency-tracking-info-
// percentiles names, checked with Redis's errors. Same on both servers.
func TestLatencyTracking(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		w.do("SET", "a", "b")
		if got := w.do("INFO", "latencystats"); !strings.Contains(got, "latency_percentiles_usec_set:p50=") {
			t.Fatalf("INFO latencystats with tracking on: %q", got)
		}
		w.do("CONFIG", "RESETSTAT")
		w.do("CONFIG", "SET", "latency-tracking", "no")
		w.do("SET", "a", "b")
		w.do("GET", "a")
		if got := w.do("INFO", "latencystats"); strings.Contains(got, "_set:") || strings.Contains(got, "_get:") {
			t.Fatalf("INFO latencystats with tracking off: %q", got)
		}
		if got := w.do("LATENCY", "HISTOGRAM", "set", "get"); got != "*0\r\n" {
			t.Fatalf("LATENCY HISTOGRAM with tracking off: %q", got)
		}
		w.do("CONFIG", "SET", "latency-tracking", "yes")
		if got := w.do("CONFIG", "SET", "latency-tracking-info-percentiles", "50 90 99.99 100"); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET percentiles: %q", got)
		}
		w.do("SET", "a", "b")
		got := w.do("INFO", "latencystats")
		if !regexp.MustCompile(`latency_percentiles_usec_set:p50=\d+\.\d{3},p90=\d+\.\d{3},p99\.99=\d+\.\d{3},p100=\d+\.\d{3}\r\n`).MatchString(got) {
			t.Fatalf("INFO latencystats with percentiles 50 90 99.99 100: %q", got)
		}
		for _, c := range []struct{ val, want string }{
			{"abc", "- Invalid latency-tracking-info-percentiles parameters"},
			{"101", "- latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
		} {
			if got := w.do("CONFIG", "SET", "latency-tracking-info-percentiles", c.val); !strings.HasPrefix(got, "-ERR CONFIG SET failed") || !strings.HasSuffix(got, c.want+"\r\n") {
				t.Errorf("CONFIG SET latency-tracking-info-percentiles %s: %q", c.val, got)
			}
		}
		w.do("CONFIG", "SET", "latency-tracking-info-percentiles", "")
		if got := w.do("INFO", "latencystats"); !strings.Contains(got, "latency_percentiles_usec_set:\r\n") {
			t.Fatalf("INFO latencystats with no percentiles: %q", got)
		}
	})
}
