package config

import (
	"errors"
	"fmt"
	"strconv"
)

// errNotInteger is Redis's reason text for a value that is not an integer.
var errNotInteger = errors.New("argument couldn't be parsed into an integer")

// parseInteger parses a decimal integer as strictly as Redis's string2ll:
// no sign other than a leading "-", no spaces, no leading zeros, no "-0".
// Matching it means a value CONFIG SET refuses in Redis is refused here.
func parseInteger(s string) (int64, error) {
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" || (digits[0] == '0' && len(s) > 1) {
		return 0, errNotInteger
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, errNotInteger
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errNotInteger
	}
	return v, nil
}

// rangeError is Redis's reason text for a number outside a setting's bounds.
func rangeError(lo, hi int64) error {
	return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
}
