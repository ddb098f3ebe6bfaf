package command

import (
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	for _, ns := range []int64{0, 1, 1023, 1024, 1500, 2047, 2048, 5000, 1e6, 123456789, 1 << 44, 1 << 50} {
		i := histIndex(ns)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d out of range", ns, i)
		}
		if ns <= 1<<histMaxExp && ns > histUpper(i) {
			t.Errorf("%d ns in bucket %d whose upper bound is %d", ns, i, histUpper(i))
		}
		if i > 0 && ns <= 1<<histMaxExp && ns <= histUpper(i-1) {
			t.Errorf("%d ns in bucket %d but fits bucket %d", ns, i, i-1)
		}
	}
}

func TestHistogramCDF(t *testing.T) {
	var s cmdCounter
	for _, d := range []time.Duration{500, 900, 1500, 3000, 3000, 40 * time.Microsecond} {
		s.record(d, false, histIndex(int64(d)))
	}
	total, pts := s.hist.Load().CDF()
	if total != 6 {
		t.Fatalf("total %d", total)
	}
	// Redis's keys: 1024 ns -> 1, 2048 -> 2, 4096 -> 4, ..., 65536 -> 66.
	want := [][2]int64{{1, 2}, {2, 3}, {4, 5}, {66, 6}}
	if len(pts) != len(want) {
		t.Fatalf("points %v, want %v", pts, want)
	}
	for i := range want {
		if pts[i] != want[i] {
			t.Fatalf("points %v, want %v", pts, want)
		}
	}
	if p := s.hist.Load().Percentile(50); p < 1 || p > 4.2 {
		t.Fatalf("p50 = %v", p)
	}
}

// The graph redis-server 7.0 draws for one 100 ms sample taken this second.
func TestLatencyGraphMatchesRedis(t *testing.T) {
	e := LatencyEvent{Name: "command", History: []LatencySample{{Time: 1000, Millis: 100}}, Max: 100}
	want := "command - high 100 ms, low 100 ms (all time high 100 ms)\n" +
		"--------------------------------------------------------------------------------\n" +
		" \n \n \n_\n \n0\ns\n"
	if got := latencyGraph(e, 1000); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestParseMemory(t *testing.T) {
	for s, want := range map[string]uint64{"0": 0, "100": 100, "1kb": 1024, "2mb": 2 << 20, "1gb": 1 << 30, "3k": 3000} {
		if got, ok := parseMemory(s); !ok || got != want {
			t.Errorf("parseMemory(%q) = %d %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "x", "1x", "-1"} {
		if _, ok := parseMemory(s); ok {
			t.Errorf("parseMemory(%q) accepted", s)
		}
	}
}

func TestRDBStringLen(t *testing.T) {
	// serializedlength values redis-server reports without compression.
	for s, want := range map[string]int64{"hello": 6, "5": 2, "12345": 3, "100000": 5, "12345678901": 12, "": 1} {
		if got := rdbStringLen([]byte(s)); got != want {
			t.Errorf("rdbStringLen(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestTableCommandDocsConsistent(t *testing.T) {
	tb := NewTable()
	for _, s := range tb.All() {
		// Every command must render COMMAND INFO and DOCS without panicking.
		_ = specCategories(s, s.Name)
		for _, sub := range s.Subcommands {
			if found, parent := tb.lookupFull(s.Name + "|" + sub.Name); found != sub || parent != s {
				t.Errorf("lookupFull(%s|%s) failed", s.Name, sub.Name)
			}
		}
	}
}

// MEMORY USAGE belongs to the keys family; the server family adds its
// subcommands to whichever MEMORY container exists.
func TestMemoryContainerMerge(t *testing.T) {
	tb := &Table{byName: map[string]*Spec{}}
	usage := &Spec{Name: "usage", Arity: -3, Handler: func(*Ctx) {}}
	tb.add(&Spec{Name: "memory", Arity: -2, Subcommands: []*Spec{usage}, Handler: runSub})
	registerMemory(tb, func(name string, arity int, flags Flag, h func(*Ctx), since, summary string, cats ...string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, Handler: h}
	})
	m := tb.Lookup([]byte("MEMORY"))
	if m.Sub([]byte("usage")) != usage || m.Sub([]byte("stats")) == nil || m.Sub([]byte("purge")) == nil {
		t.Fatalf("subcommands after merge: %v", m.Subcommands)
	}
	fresh := NewTable().Lookup([]byte("memory"))
	if fresh == nil || fresh.Sub([]byte("doctor")) == nil {
		t.Fatal("no MEMORY container in the table")
	}
}
