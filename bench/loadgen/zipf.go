package main

import (
	"math"
	"math/rand/v2"
)

// zipf draws ranks with P(rank k) proportional to 1/k^s over k = 1..n, for
// any s > 0 (math/rand's Zipf needs s > 1, but cache studies and memtier use
// s around 0.6-1.2). It is the rejection-inversion method of W. Hörmann and
// G. Derflinger, "Rejection-inversion to generate variates from monotone
// discrete distributions" (1996): O(1) memory and O(1) expected time for any
// key count. Key index = rank - 1, so key 0 is the most popular.
type zipf struct {
	rng  *rand.Rand
	n    float64
	s    float64 // exponent
	hX1  float64 // H(1.5) - 1
	hN   float64 // H(n + 0.5)
	skip float64 // accept without the second test when k - x <= skip
}

func newZipf(rng *rand.Rand, n uint64, s float64) *zipf {
	z := &zipf{rng: rng, n: float64(n), s: s}
	z.hX1 = z.hIntegral(1.5) - 1
	z.hN = z.hIntegral(z.n + 0.5)
	z.skip = 2 - z.hIntegralInv(z.hIntegral(2.5)-z.h(2))
	return z
}

func (z *zipf) next() uint64 {
	for {
		u := z.hN + z.rng.Float64()*(z.hX1-z.hN)
		x := z.hIntegralInv(u)
		k := math.Floor(x + 0.5)
		if k < 1 {
			k = 1
		} else if k > z.n {
			k = z.n
		}
		if k-x <= z.skip || u >= z.hIntegral(k+0.5)-z.h(k) {
			return uint64(k) - 1
		}
	}
}

// h is the unnormalised probability 1/x^s.
func (z *zipf) h(x float64) float64 { return math.Exp(-z.s * math.Log(x)) }

// hIntegral is an antiderivative of h: (x^(1-s) - 1) / (1-s), and log x at s = 1,
// written through expm1 so that it is exact near s = 1 too.
func (z *zipf) hIntegral(x float64) float64 {
	lx := math.Log(x)
	return expm1Over((1-z.s)*lx) * lx
}

// hIntegralInv inverts hIntegral.
func (z *zipf) hIntegralInv(x float64) float64 {
	t := x * (1 - z.s)
	if t < -1 { // rounding can push it just past the pole
		t = -1
	}
	return math.Exp(log1pOver(t) * x)
}

// expm1Over is expm1(x)/x, continuous at 0.
func expm1Over(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x/2*(1+x/3*(1+x/4))
}

// log1pOver is log1p(x)/x, continuous at 0.
func log1pOver(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(0.5-x*(1.0/3-x/4))
}
