package main

import (
	"math"
	"sort"
	"strconv"
	"testing"
)

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// empiricalTop is the share of draws that fall on the capacity most drawn keys.
func empiricalTop(t *testing.T, dist string, n, capacity uint64, draws int) float64 {
	counts := make([]int, n)
	for _, k := range draw(t, dist, n, 11, 0, draws) {
		counts[k]++
	}
	sort.Sort(sort.Reverse(sort.IntSlice(counts)))
	top := 0
	for _, c := range counts[:capacity] {
		top += c
	}
	return float64(top) / float64(draws)
}

func TestIdealHitRatioUniform(t *testing.T) {
	spec, _ := parseDist("uniform")
	if got := idealHitRatio(spec, 1000, 250); got != 0.25 {
		t.Errorf("uniform 250/1000 = %v, want 0.25", got)
	}
}

func TestIdealHitRatioZipfExact(t *testing.T) {
	// n = 4, s = 1: weights 1, 1/2, 1/3, 1/4; sum 25/12.
	spec, _ := parseDist("zipf:1")
	if got, want := idealHitRatio(spec, 4, 2), (1+0.5)/(25.0/12); math.Abs(got-want) > 1e-12 {
		t.Errorf("zipf:1 top 2 of 4 = %v, want %v", got, want)
	}
	spec, _ = parseDist("zipf:2")
	if got, want := idealHitRatio(spec, 3, 1), 1/(1+0.25+1.0/9); math.Abs(got-want) > 1e-12 {
		t.Errorf("zipf:2 top 1 of 3 = %v, want %v", got, want)
	}
}

func TestIdealHitRatioEdges(t *testing.T) {
	for _, d := range []string{"uniform", "zipf:0.99", "gaussian:0.1"} {
		spec, _ := parseDist(d)
		if got := idealHitRatio(spec, 1000, 0); got != 0 {
			t.Errorf("%s: capacity 0 gave %v", d, got)
		}
		if got := idealHitRatio(spec, 1000, 1000); got != 1 {
			t.Errorf("%s: capacity = keys gave %v", d, got)
		}
		if got := idealHitRatio(spec, 1000, 5000); got != 1 {
			t.Errorf("%s: capacity > keys gave %v", d, got)
		}
		prev := 0.0
		for c := uint64(1); c < 1000; c += 37 {
			v := idealHitRatio(spec, 1000, c)
			if v < prev || v > 1 {
				t.Errorf("%s: ideal hit ratio not monotone in capacity: %v at %d after %v", d, v, c, prev)
			}
			prev = v
		}
	}
}

// The formula must agree with what the generator really draws.
func TestIdealHitRatioMatchesDraws(t *testing.T) {
	const draws = 400000
	for _, tc := range []struct {
		dist        string
		n, capacity uint64
	}{
		{"zipf:0.99", 10000, 1000},
		{"zipf:0.6", 10000, 2000},
		{"gaussian:0.1", 10000, 1000},
		{"gaussian:0.05", 9999, 500}, // odd key count: mean in a key's middle
		{"gaussian:1", 1000, 300},    // heavily truncated
		{"uniform", 1000, 100},
	} {
		spec, _ := parseDist(tc.dist)
		want := idealHitRatio(spec, tc.n, tc.capacity)
		got := empiricalTop(t, tc.dist, tc.n, tc.capacity, draws)
		// The empirical top-k is biased upwards by sampling noise in the
		// flat parts; 1.5 % absolute covers that at this draw count.
		if math.Abs(got-want) > 0.015 {
			t.Errorf("%s n=%d capacity=%d: formula %.4f, drawn %.4f", tc.dist, tc.n, tc.capacity, want, got)
		}
	}
}
