package command

import (
	"math/big"
	"strings"
)

// Redis computes INCRBYFLOAT and HINCRBYFLOAT in C long double, which on
// x86-64 is the x87 80-bit format: a 64-bit significand, rounded to nearest
// even, with a 15-bit exponent. Users see that precision in the replies
// ("0.1 + 0.2" is "0.3", not "0.30000000000000004"), so we compute with a
// big.Float of the same significand width and check the same exponent range.
const longDoublePrec = 64

var (
	// Largest finite long double and smallest normal one; strtold reports
	// ERANGE outside them, and Redis then rejects the value.
	longDoubleMax, _, _       = big.ParseFloat("1.18973149535723176502e+4932", 10, longDoublePrec, big.ToNearestEven)
	longDoubleMinNormal, _, _ = big.ParseFloat("3.36210314311209350626e-4932", 10, longDoublePrec, big.ToNearestEven)
)

// parseLongDouble parses like Redis's string2ld: strtold's syntax (decimal,
// hexadecimal, inf), no blanks around it, no NaN, and nothing out of range.
func parseLongDouble(b []byte) (*big.Float, bool) {
	s := string(b)
	if len(s) == 0 || len(s) >= 5*1024 || isBlank(s[0]) || isBlank(s[len(s)-1]) || strings.ContainsRune(s, '_') {
		return nil, false
	}
	ls := strings.ToLower(strings.TrimLeft(s, "+-"))
	if ls == "inf" || ls == "infinity" {
		f := new(big.Float).SetPrec(longDoublePrec).SetInf(s[0] == '-')
		return f, true
	}
	if strings.Contains(ls, "nan") {
		return nil, false
	}
	base := 10
	if strings.HasPrefix(ls, "0x") {
		base = 0 // big.Float reads 0x mantissas with p exponents, as strtold
	} else if strings.HasPrefix(ls, "0b") || strings.HasPrefix(ls, "0o") {
		return nil, false
	}
	f, _, err := big.ParseFloat(s, base, longDoublePrec, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	if outOfLongDoubleRange(f) {
		return nil, false
	}
	return f, true
}

func outOfLongDoubleRange(f *big.Float) bool {
	if f.IsInf() || f.Sign() == 0 {
		return false
	}
	a := new(big.Float).Abs(f)
	return a.Cmp(longDoubleMax) > 0 || a.Cmp(longDoubleMinNormal) < 0
}

// addLongDouble returns a+b rounded to long double, and false when the
// result is infinite or NaN (Redis's "would produce NaN or Infinity").
func addLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	sum := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Add(a, b)
	if sum.IsInf() {
		return nil, false
	}
	if a := new(big.Float).Abs(sum); a.Cmp(longDoubleMax) > 0 {
		return nil, false
	}
	return sum, true
}

// formatLongDouble prints like Redis's ld2string in human mode: "%.17Lf"
// with trailing zeros (and a trailing point) removed.
func formatLongDouble(f *big.Float) []byte {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return []byte(s)
}
