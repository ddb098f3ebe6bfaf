package value

import "strconv"

// StringEncoding is the OBJECT ENCODING Redis reports for a string value:
// "int" for values that round-trip as a 64-bit integer, "embstr" for short
// strings and "raw" otherwise. raw forces "raw", as Redis does for strings
// modified in place (APPEND, SETRANGE, SETBIT).
func StringEncoding(b []byte, raw bool) string {
	if raw {
		return "raw"
	}
	if len(b) <= 20 && len(b) > 0 {
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil && strconv.FormatInt(n, 10) == string(b) {
			return "int"
		}
	}
	if len(b) > 44 {
		return "raw"
	}
	return "embstr"
}
