package script

import (
	"math"
	"strconv"
	"strings"
)

// appendNum14 formats f as Lua 5.1's tostring does ("%.14g"), with glibc's
// spelling of the special values.
func appendNum14(b []byte, f float64) []byte { return appendG(b, f, 14) }

// appendNum17 formats f as Redis formats a Lua number passed to
// redis.call ("%.17g").
func appendNum17(b []byte, f float64) []byte { return appendG(b, f, 17) }

func appendG(b []byte, f float64, prec int) []byte {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	if f == 0 && math.Signbit(f) {
		return append(b, "-0"...)
	}
	if f == math.Trunc(f) && math.Abs(f) < pow10[prec] {
		// Fast path for the common integer case.
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', prec, 64)
}

func num14(f float64) string { return string(appendNum14(nil, f)) }

// toInt64 converts like C's (long long) cast on x86-64: NaN and values out
// of range give the "integer indefinite" value math.MinInt64.
func toInt64(f float64) int64 {
	if math.IsNaN(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// parseLuaNumber is Lua 5.1's luaO_str2d: strtod, or a hexadecimal
// integer, with blanks allowed around it.
func parseLuaNumber(s string) (float64, error) {
	t := strings.TrimFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' })
	if t == "" {
		return 0, strconv.ErrSyntax
	}
	u := t
	neg := false
	if u[0] == '-' || u[0] == '+' {
		neg = u[0] == '-'
		u = u[1:]
	}
	if len(u) > 2 && u[0] == '0' && (u[1] == 'x' || u[1] == 'X') {
		n, err := strconv.ParseUint(u[2:], 16, 64)
		if err != nil {
			return 0, err
		}
		if neg {
			return -float64(n), nil
		}
		return float64(n), nil
	}
	f, n := strtod(t)
	if n != len(t) {
		return 0, strconv.ErrSyntax
	}
	return f, nil
}

var pow10 = [18]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17}
