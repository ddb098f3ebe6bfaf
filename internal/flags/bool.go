package flags

import "strings"

// ParseBool recognises the boolean literals absl accepts (true/false, t/f,
// yes/no, y/n, 1/0, case-insensitively). The second result is false for
// anything else, which is also how the parser decides whether the argument
// after a boolean flag is its value or the next argument.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}
