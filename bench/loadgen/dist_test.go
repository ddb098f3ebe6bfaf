package main

import (
	"math"
	"testing"
)

func draw(t *testing.T, dist string, n uint64, seed uint64, client, count int) []uint64 {
	t.Helper()
	spec, err := parseDist(dist)
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := rngs(seed, client)
	d := newKeyDist(spec, n, kr)
	out := make([]uint64, count)
	for i := range out {
		out[i] = d.next()
		if out[i] >= n {
			t.Fatalf("%s: key %d outside [0,%d)", dist, out[i], n)
		}
	}
	return out
}

func sameSeq(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDistSeededDeterminism(t *testing.T) {
	for _, dist := range []string{"uniform", "zipf:0.99", "zipf:1", "zipf:1.5", "gaussian:0.1"} {
		a := draw(t, dist, 100000, 42, 3, 1000)
		b := draw(t, dist, 100000, 42, 3, 1000)
		if !sameSeq(a, b) {
			t.Errorf("%s: same seed and client gave different key sequences", dist)
		}
		if sameSeq(a, draw(t, dist, 100000, 43, 3, 1000)) {
			t.Errorf("%s: seeds 42 and 43 gave the same sequence", dist)
		}
		if sameSeq(a, draw(t, dist, 100000, 42, 4, 1000)) {
			t.Errorf("%s: clients 3 and 4 gave the same sequence", dist)
		}
	}
}

// The key sequence must not depend on the command mix: the ops generator
// is separate from the keys generator.
func TestKeySequenceIndependentOfMix(t *testing.T) {
	kr1, or1 := rngs(7, 0)
	kr2, _ := rngs(7, 0)
	spec, _ := parseDist("zipf:0.9")
	d1, d2 := newKeyDist(spec, 1000, kr1), newKeyDist(spec, 1000, kr2)
	m := newMix([numOps]int{opGet: 3, opSet: 1})
	for i := range 1000 {
		m.pick(or1) // drawn only on the first side
		if a, b := d1.next(), d2.next(); a != b {
			t.Fatalf("draw %d: %d != %d after drawing commands", i, a, b)
		}
	}
}

func TestUniformIsFlat(t *testing.T) {
	const n, draws = 10, 200000
	var hist [n]int
	for _, k := range draw(t, "uniform", n, 1, 0, draws) {
		hist[k]++
	}
	for k, c := range hist {
		if math.Abs(float64(c)/draws-0.1) > 0.005 {
			t.Errorf("key %d drawn %.4f of the time, want 0.1", k, float64(c)/draws)
		}
	}
}

// zipfPMF is the exact probability of key index k (rank k+1).
func zipfPMF(s float64, n uint64) []float64 {
	p := make([]float64, n)
	var sum float64
	for k := range p {
		p[k] = math.Pow(float64(k+1), -s)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
	return p
}

func TestZipfMatchesItsLaw(t *testing.T) {
	const n, draws = 1000, 400000
	for _, s := range []float64{0.5, 0.99, 1, 1.3} {
		var hist [n]float64
		for _, k := range draw(t, "zipf:"+ftoa(s), n, 9, 0, draws) {
			hist[k]++
		}
		pmf := zipfPMF(s, n)
		// The most popular keys individually, within 4 standard errors.
		for k := range 10 {
			got := hist[k] / draws
			se := math.Sqrt(pmf[k] * (1 - pmf[k]) / draws)
			if math.Abs(got-pmf[k]) > 4*se {
				t.Errorf("s=%v: key %d drawn %.5f of the time, want %.5f ± %.5f", s, k, got, pmf[k], 4*se)
			}
		}
		// Skew: rank 1 over rank 2 is 2^s.
		if r := hist[0] / hist[1]; math.Abs(r-math.Pow(2, s)) > 0.05*math.Pow(2, s) {
			t.Errorf("s=%v: P(key0)/P(key1) = %.3f, want %.3f", s, r, math.Pow(2, s))
		}
		// And the tail as a whole: share of the last half of the keys.
		var tail, want float64
		for k := n / 2; k < n; k++ {
			tail += hist[k] / draws
			want += pmf[k]
		}
		if math.Abs(tail-want) > 0.01 {
			t.Errorf("s=%v: last half of the keys drawn %.4f of the time, want %.4f", s, tail, want)
		}
	}
}

func TestZipfLargeKeyRange(t *testing.T) {
	// O(1) memory: a billion keys must work, and still favour key 0.
	keys := draw(t, "zipf:0.99", 1e9, 5, 0, 100000)
	var zero int
	for _, k := range keys {
		if k == 0 {
			zero++
		}
	}
	want := 1 / (math.Log(1e9) + 0.5772) // about 1/H(n) for s near 1
	if got := float64(zero) / float64(len(keys)); math.Abs(got-want) > 0.25*want {
		t.Errorf("key 0 drawn %.4f of the time, want about %.4f", got, want)
	}
}

func TestGaussianSpread(t *testing.T) {
	const n, draws = 100000, 200000
	for _, sigma := range []float64{0.01, 0.1} {
		keys := draw(t, "gaussian:"+ftoa(sigma), n, 3, 1, draws)
		var sum, sq float64
		within := 0
		for _, k := range keys {
			x := float64(k) + 0.5
			sum += x
			sq += x * x
			if math.Abs(x-n/2) <= sigma*n {
				within++
			}
		}
		mean := sum / draws
		sd := math.Sqrt(sq/draws - mean*mean)
		if math.Abs(mean-n/2) > 0.01*n*sigma*5 {
			t.Errorf("sigma=%v: mean %.1f, want %d", sigma, mean, n/2)
		}
		if math.Abs(sd-sigma*n) > 0.02*sigma*n {
			t.Errorf("sigma=%v: std-dev %.1f, want %.1f", sigma, sd, sigma*n)
		}
		if got := float64(within) / draws; math.Abs(got-0.6827) > 0.01 {
			t.Errorf("sigma=%v: %.4f of draws within one sigma, want 0.6827", sigma, got)
		}
	}
	// A spread wider than the range is truncated, never clamped onto the edges.
	keys := draw(t, "gaussian:2", 100, 3, 0, 100000)
	var hist [100]int
	for _, k := range keys {
		hist[k]++
	}
	if hist[0] > 2*hist[50] || hist[99] > 2*hist[50] {
		t.Errorf("edges over-drawn: key0 %d, key50 %d, key99 %d", hist[0], hist[50], hist[99])
	}
}

func TestParseDist(t *testing.T) {
	good := map[string]string{"uniform": "uniform", "zipf:0.99": "zipf:0.99", "gaussian:0.25": "gaussian:0.25", "zipf:1": "zipf:1"}
	for in, want := range good {
		d, err := parseDist(in)
		if err != nil || d.String() != want {
			t.Errorf("parseDist(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"", "zipf", "zipf:0", "zipf:-1", "gaussian:x", "uniform:1", "pareto:1", "zipf:NaN", "zipf:Inf"} {
		if _, err := parseDist(bad); err == nil {
			t.Errorf("parseDist(%q) accepted", bad)
		}
	}
}
