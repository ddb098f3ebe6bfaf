package main

import (
	"math"
)

// idealHitRatio is the share of requests that a cache holding exactly the
// capacity most popular of the n keys would serve: the best any eviction
// policy can do on an independent stream from this distribution (no policy
// can beat knowing the popularity ranking).
func idealHitRatio(spec distSpec, n, capacity uint64) float64 {
	if capacity >= n {
		return 1
	}
	if capacity == 0 {
		return 0
	}
	switch spec.kind {
	case "zipf":
		// The top keys are ranks 1..capacity; sum the weights directly
		// (n up to 1e8 takes well under a second, and it is exact).
		var top, all float64
		for k := uint64(1); k <= n; k++ {
			w := math.Exp(-spec.param * math.Log(float64(k)))
			if k <= capacity {
				top += w
			}
			all += w
		}
		return top / all
	case "gaussian":
		// The most probable keys are the block of capacity keys closest to
		// the mean; with the mean on a key boundary (n even) or in a key's
		// middle (n odd), the best block is the one that straddles it most
		// evenly, so try the two integer starts around mean - capacity/2.
		mean, sigma := float64(n)/2, spec.param*float64(n)
		cdf := func(x float64) float64 { return 0.5 * math.Erfc(-(x-mean)/(sigma*math.Sqrt2)) }
		all := cdf(float64(n)) - cdf(0)
		best := 0.0
		lo := math.Floor(mean - float64(capacity)/2)
		for _, start := range []float64{lo, lo + 1} {
			if start < 0 || start+float64(capacity) > float64(n) {
				continue
			}
			best = math.Max(best, cdf(start+float64(capacity))-cdf(start))
		}
		return best / all
	}
	return float64(capacity) / float64(n)
}
