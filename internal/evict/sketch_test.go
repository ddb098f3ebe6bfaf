package evict

import (
	"math/rand/v2"
	"testing"
)

// TestSketchCountsAndAges: estimates follow the accesses counted (to the
// counters' 15), rarely overestimate keys never seen, and halve once ten
// table widths of accesses have gone by.
func TestSketchCountsAndAges(t *testing.T) {
	s := NewSketch(4096)
	rng := rand.New(rand.NewPCG(1, 2))
	hot := make([]uint64, 100)
	for i := range hot {
		hot[i] = rng.Uint64()
		for j := 0; j <= i%20; j++ {
			s.Add(hot[i])
		}
	}
	for i, h := range hot {
		want := uint8(min(i%20+1, 15))
		if got := s.Estimate(h); got < want {
			t.Fatalf("key %d added %d times estimates %d: a count-min sketch never underestimates", i, i%20+1, got)
		}
	}
	over := 0
	for i := 0; i < 10000; i++ {
		if s.Estimate(rng.Uint64()) > 0 {
			over++
		}
	}
	if over > 100 {
		t.Errorf("%d of 10000 unseen keys estimate above 0", over)
	}
	before := s.Estimate(hot[14]) // 15 accesses
	for s.added != 0 && s.added < s.period-1 {
		s.Add(rng.Uint64())
	}
	s.Add(rng.Uint64()) // the halving
	if got := s.Estimate(hot[14]); got > before/2+1 || got < before/2-1 {
		t.Errorf("after the halving the key estimates %d, want about %d", got, before/2)
	}
}

// TestSketchFitGrows: the table grows with the keys held, never shrinks.
func TestSketchFitGrows(t *testing.T) {
	s := NewSketch(0)
	small := s.Bytes()
	s.Fit(100000)
	if s.Bytes() <= small || s.Bytes() < 100000*8 {
		t.Fatalf("sketch for 100k keys is %d bytes", s.Bytes())
	}
	big := s.Bytes()
	s.Fit(10)
	if s.Bytes() != big {
		t.Fatal("Fit shrank the sketch")
	}
}
