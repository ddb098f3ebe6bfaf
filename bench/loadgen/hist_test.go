package main

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestHistBucketBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 40, math.MaxUint64}
	for range 10000 {
		vals = append(vals, r.Uint64()>>r.UintN(64))
	}
	for _, v := range vals {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d outside [0,%d)", v, i, histBuckets)
		}
		if lo := histLow(i); lo > v {
			t.Fatalf("histLow(%d) = %d > %d", i, lo, v)
		}
		if i+1 < histBuckets {
			hi := histLow(i + 1)
			if hi <= v {
				t.Fatalf("value %d not below next bucket's low %d", v, hi)
			}
			if width := float64(hi - histLow(i)); v >= 128 && width/float64(v) > 1.0/64 {
				t.Fatalf("bucket of %d is %v wide: more than 1/64 relative", v, width)
			}
		}
	}
}

func TestHistQuantiles(t *testing.T) {
	var h histogram
	r := rand.New(rand.NewPCG(3, 4))
	vals := make([]uint64, 100000)
	for i := range vals {
		// Log-normal-ish latencies from 10 us to tens of ms, in ns.
		vals[i] = uint64(math.Exp(11 + 1.2*r.NormFloat64()))
		h.record(vals[i])
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := float64(vals[int(math.Ceil(q*float64(len(vals))))-1])
		got := float64(h.quantile(q))
		if math.Abs(got-exact)/exact > 1.0/64 {
			t.Errorf("p%v = %v, exact %v", q*100, got, exact)
		}
	}
	if h.quantile(1) != vals[len(vals)-1] || h.max != vals[len(vals)-1] {
		t.Errorf("p100 %d / max %d, want %d", h.quantile(1), h.max, vals[len(vals)-1])
	}
	var a, b histogram
	for i, v := range vals {
		if i%2 == 0 {
			a.record(v)
		} else {
			b.record(v)
		}
	}
	a.merge(&b)
	if a != h {
		t.Error("merging two halves differs from recording all")
	}
}

func TestHistEmpty(t *testing.T) {
	var h histogram
	if h.quantile(0.99) != 0 || h.mean() != 0 {
		t.Error("empty histogram must report 0")
	}
}
