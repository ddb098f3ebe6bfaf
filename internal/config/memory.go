package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseMemory parses a size in bytes the way Dragonfly's flags do
// (ParseHumanReadableBytes in helio): a non-negative number, optionally with
// a fraction, then an optional unit B, K, M, G, T, P or E in any case,
// optionally followed by "i" and/or "B". Every unit is binary, so "1GB",
// "1G" and "1GiB" all mean 1<<30 bytes, unlike Redis where "1g" is 10^9;
// Dragonfly's meaning is kept because its command lines are the ones that
// carry units. Fractions round to the nearest byte: "1.5GiB" is 1610612736.
func ParseMemory(s string) (int64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	number, unit := s[:i], strings.ToLower(s[i:])
	whole, frac, hasFrac := strings.Cut(number, ".")
	if whole == "" && frac == "" || strings.Contains(frac, ".") {
		return 0, memoryError(s)
	}
	shift, ok := unitShift(unit)
	if !ok {
		return 0, memoryError(s)
	}

	var v int64
	if whole != "" {
		w, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || w > math.MaxInt64>>shift {
			return 0, fmt.Errorf("memory size %q is too large", s)
		}
		v = w << shift
	}
	if hasFrac && frac != "" {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, memoryError(s)
		}
		add := int64(f*float64(int64(1)<<shift) + 0.5)
		if v > math.MaxInt64-add {
			return 0, fmt.Errorf("memory size %q is too large", s)
		}
		v += add
	}
	return v, nil
}

// unitShift maps a unit suffix, already lower-cased, to a power of two.
func unitShift(unit string) (uint, bool) {
	if unit == "" || unit == "b" {
		return 0, true
	}
	shift := uint(0)
	switch unit[0] {
	case 'k':
		shift = 10
	case 'm':
		shift = 20
	case 'g':
		shift = 30
	case 't':
		shift = 40
	case 'p':
		shift = 50
	case 'e':
		shift = 60
	default:
		return 0, false
	}
	switch unit[1:] {
	case "", "b", "i", "ib":
		return shift, true
	}
	return 0, false
}

func memoryError(s string) error {
	return fmt.Errorf("invalid memory size %q: use a number with an optional unit, e.g. 500MB, 1G, 1.5GiB", s)
}

// humanBytes renders a byte count compactly for help text, using the
// largest unit that divides it exactly.
func humanBytes(v int64) string {
	if v == 0 {
		return "0"
	}
	for _, u := range []struct {
		shift uint
		name  string
	}{{40, "TB"}, {30, "GB"}, {20, "MB"}, {10, "KB"}} {
		if v%(int64(1)<<u.shift) == 0 {
			return strconv.FormatInt(v>>u.shift, 10) + u.name
		}
	}
	return strconv.FormatInt(v, 10)
}
