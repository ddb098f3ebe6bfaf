package command

import (
	"math"
	"strconv"

	"github.com/damselfly-db/damselfly/internal/num"
)

// parseInt parses a signed 64-bit integer with Redis's string2ll rules.
func parseInt(b []byte) (int64, bool) { return num.ParseInt(b) }

// parseFloat parses a double like Redis's string2d/string2ld: no leading
// blanks, no trailing garbage, no NaN.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isBlank(b[0]) || isBlank(b[len(b)-1]) {
		return 0, false
	}
	// Go's parser allows digit-separating underscores; C's strtod does not.
	for _, c := range b {
		if c == '_' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// intArg parses argument i as an integer, replying with Redis's error on
// failure.
func (c *Ctx) intArg(i int) (int64, bool) {
	v, ok := parseInt(c.Args[i])
	if !ok {
		c.Err(ErrNotInt)
	}
	return v, ok
}

// lower returns an ASCII-lowercased copy of b as a string, for option
// matching.
func lower(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		out[i] = c
	}
	return string(out)
}

// formatFloat renders an INCRBYFLOAT result the way Redis's "human" long
// double format reads: no exponent and no trailing zeros. Redis computes in
// long double; the shortest round-trip form of the float64 result matches
// its output for the values people use.
func formatFloat(f float64) []byte {
	return strconv.AppendFloat(nil, f, 'f', -1, 64)
}
