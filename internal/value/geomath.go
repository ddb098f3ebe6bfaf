package value

import (
	"math"
	"math/big"
)

// Correctly rounded sin, cos and asin for the geo distance formula.
//
// Redis computes distances with the C library's sin, cos and asin; glibc's
// are correctly rounded (the exact result rounded to the nearest double)
// for practically every argument, while Go's math package is accurate to
// about one unit in the last place and differs from glibc in a sizeable
// share of cases. A stored distance (GEOSEARCHSTORE ... STOREDIST) shows
// every bit, so these evaluate the functions in double-double arithmetic
// (about 106 bits) and round once, which gives glibc's results.
//
// Arguments are reduced by multiples of pi/2 held in three doubles; the
// reduced argument (|r| <= pi/4) goes through Taylor series whose
// coefficients are double-double. asin refines math.Asin by one Newton step
// on sin(y) = x in double-double. Out of the range where the reduction is
// accurate (|x| > 2^20) the math package's results are used.

type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(x, y dd) dd {
	s := twoSum(x.hi, y.hi)
	t := twoSum(x.lo, y.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(x, y dd) dd {
	p := twoProd(x.hi, y.hi)
	p.lo += x.hi*y.lo + x.lo*y.hi
	return quickTwoSum(p.hi, p.lo)
}

func ddNeg(x dd) dd { return dd{-x.hi, -x.lo} }

func ddDiv(x, y dd) dd {
	q1 := x.hi / y.hi
	r := ddAdd(x, ddNeg(ddMul(dd{q1, 0}, y)))
	q2 := r.hi / y.hi
	r = ddAdd(r, ddNeg(ddMul(dd{q2, 0}, y)))
	q3 := r.hi / y.hi
	q := quickTwoSum(q1, q2)
	return ddAdd(q, dd{q3, 0})
}

var (
	// pi/2 as the sum of three doubles.
	piOver2 [3]float64
	// Taylor coefficients: sinC[i] = (-1)^i/(2i+1)!, cosC[i] = (-1)^i/(2i)!.
	sinC, cosC [16]dd
)

func init() {
	const prec = 400
	// pi to 120 digits.
	pi, _, _ := big.ParseFloat("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651328230664709384460955058223172535940812848111745028410270193852110555964462294895493038196", 10, prec, big.ToNearestEven)
	h := new(big.Float).SetPrec(prec).Quo(pi, big.NewFloat(2))
	for i := range piOver2 {
		f, _ := h.Float64()
		piOver2[i] = f
		h.Sub(h, new(big.Float).SetPrec(prec).SetFloat64(f))
	}
	toDD := func(v *big.Float) dd {
		hi, _ := v.Float64()
		rest := new(big.Float).SetPrec(prec).Sub(v, new(big.Float).SetFloat64(hi))
		lo, _ := rest.Float64()
		return dd{hi, lo}
	}
	fact := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := 0; n < 32; n++ {
		if n > 0 {
			fact.Mul(fact, new(big.Float).SetPrec(prec).SetInt64(int64(n)))
		}
		inv := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt64(1), fact)
		if (n/2)%2 == 1 {
			inv.Neg(inv)
		}
		if n%2 == 0 {
			cosC[n/2] = toDD(inv)
		} else {
			sinC[n/2] = toDD(inv)
		}
	}
}

// reduce returns r = x - k*pi/2 in double-double and k mod 4.
func reduce(x float64) (dd, int) {
	k := math.Round(x / piOver2[0])
	if k == 0 {
		return dd{x, 0}, 0
	}
	r := ddAdd(dd{x, 0}, ddNeg(twoProd(k, piOver2[0])))
	r = ddAdd(r, ddNeg(twoProd(k, piOver2[1])))
	r = ddAdd(r, dd{-k * piOver2[2], 0})
	return r, int(int64(k) & 3)
}

// sinPoly and cosPoly evaluate the Taylor series for |r| <= pi/4.
func sinPoly(r dd) dd {
	r2 := ddMul(r, r)
	s := sinC[len(sinC)-1]
	for i := len(sinC) - 2; i >= 0; i-- {
		s = ddAdd(ddMul(s, r2), sinC[i])
	}
	return ddMul(s, r)
}

func cosPoly(r dd) dd {
	r2 := ddMul(r, r)
	s := cosC[len(cosC)-1]
	for i := len(cosC) - 2; i >= 0; i-- {
		s = ddAdd(ddMul(s, r2), cosC[i])
	}
	return s
}

func ddSin(x float64) dd {
	r, q := reduce(x)
	switch q {
	case 0:
		return sinPoly(r)
	case 1:
		return cosPoly(r)
	case 2:
		return ddNeg(sinPoly(r))
	default:
		return ddNeg(cosPoly(r))
	}
}

func ddCos(x float64) dd {
	r, q := reduce(x)
	switch q {
	case 0:
		return cosPoly(r)
	case 1:
		return ddNeg(sinPoly(r))
	case 2:
		return ddNeg(cosPoly(r))
	default:
		return sinPoly(r)
	}
}

const crMathMax = 1 << 20

// crSin is sin(x) correctly rounded.
func crSin(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > crMathMax {
		return math.Sin(x)
	}
	d := ddSin(x)
	return d.hi + d.lo
}

// crCos is cos(x) correctly rounded.
func crCos(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > crMathMax {
		return math.Cos(x)
	}
	d := ddCos(x)
	return d.hi + d.lo
}

// crAsin is asin(x) correctly rounded, for 0 <= |x| <= 1.
func crAsin(x float64) float64 {
	y := math.Asin(x)
	if x == 0 || math.IsNaN(y) || math.Abs(x) == 1 {
		return y
	}
	// One Newton step on sin(y) - x = 0: y -= (sin(y) - x) / cos(y).
	s := ddSin(y)
	c := ddCos(y)
	num := ddAdd(s, dd{-x, 0})
	d := ddAdd(dd{y, 0}, ddNeg(ddDiv(num, c)))
	return d.hi + d.lo
}
