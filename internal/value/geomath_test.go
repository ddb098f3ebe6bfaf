package value

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// bigSin is sin(x) to 200 bits by its Taylor series (|x| <= 4).
func bigSin(x float64, cos bool) float64 {
	const prec = 300
	X := new(big.Float).SetPrec(prec).SetFloat64(x)
	x2 := new(big.Float).SetPrec(prec).Mul(X, X)
	sum := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).SetFloat64(1)
	n := 0
	if !cos {
		term.Set(X)
		n = 1
	}
	limit := new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1), -250)
	for term.Sign() != 0 && new(big.Float).Abs(term).Cmp(limit) > 0 {
		sum.Add(sum, term)
		term.Mul(term, x2)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(-(n+1)*(n+2))))
		n += 2
	}
	f, _ := sum.Float64()
	return f
}

// TestCRSinCos checks crSin and crCos against 300-bit evaluations.
func TestCRSinCos(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 3000; i++ {
		x := (r.Float64()*2 - 1) * 3.2
		if got, want := crSin(x), bigSin(x, false); got != want {
			t.Fatalf("crSin(%v) = %v, want %v", x, got, want)
		}
		if got, want := crCos(x), bigSin(x, true); got != want {
			t.Fatalf("crCos(%v) = %v, want %v", x, got, want)
		}
	}
}

// TestCRAsin checks that crAsin's result is the double nearest asin(x):
// sin of it brackets x more tightly than sin of its neighbours.
func TestCRAsin(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for i := 0; i < 2000; i++ {
		x := r.Float64()
		y := crAsin(x)
		const prec = 300
		errOf := func(y float64) *big.Float {
			// |sin(y) - x| computed to 300 bits via bigSin's series.
			X := new(big.Float).SetPrec(prec).SetFloat64(y)
			x2 := new(big.Float).SetPrec(prec).Mul(X, X)
			sum := new(big.Float).SetPrec(prec)
			term := new(big.Float).SetPrec(prec).Set(X)
			for n := 1; n < 80; n += 2 {
				sum.Add(sum, term)
				term.Mul(term, x2)
				term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(-(n+1)*(n+2))))
			}
			sum.Sub(sum, new(big.Float).SetPrec(prec).SetFloat64(x))
			return sum.Abs(sum)
		}
		e := errOf(y)
		if errOf(math.Nextafter(y, 0)).Cmp(e) < 0 || errOf(math.Nextafter(y, 2)).Cmp(e) < 0 {
			t.Fatalf("crAsin(%v) = %v is not the nearest", x, y)
		}
	}
}

func BenchmarkGeoDistance(b *testing.B) {
	for i := 0; i < b.N; i++ {
		GeoDistance(13.361389, 38.115556, 15.087269+float64(i&7)*1e-3, 37.502669)
	}
}
