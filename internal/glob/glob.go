// Package glob matches Redis-style glob patterns (KEYS, SCAN MATCH,
// PSUBSCRIBE, CONFIG GET): '*', '?', '[...]' with ranges and '^' negation,
// and '\' escapes. Semantics follow Redis's stringmatchlen, including its
// treatment of a trailing unclosed '[' and its recursion limit for patterns
// crafted to take exponential time.
package glob

// Match reports whether s matches pattern; nocase folds ASCII letters.
func Match(pattern, s []byte, nocase bool) bool {
	skipLongerMatches := false
	return match(pattern, s, nocase, &skipLongerMatches, 0)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
}

// maxNesting bounds recursion on '*' so a pattern of many stars cannot make
// KEYS run for hours (Redis 7 bails out the same way).
const maxNesting = 1000

func match(p, s []byte, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > maxNesting {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if match(p[1:], s, nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			// No suffix of s matched the rest of the pattern, so no longer
			// prefix of it will either: stop every enclosing '*' too.
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) == 0 {
					// Unclosed class: Redis treats the end as closing it.
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					// Redis compares range ends as C chars, signed on
					// the platforms it ships for: [a-\xff] is the range
					// -1..97, which holds \x10 and \xff but not \x80.
					start, end := int8(p[0]), int8(p[2])
					if start > end {
						start, end = end, start
					}
					c := int8(s[0])
					if nocase {
						start, end, c = int8(lower(byte(start))), int8(lower(byte(end))), int8(lower(byte(c)))
					}
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else if eq(p[0], s[0], nocase) {
					matched = true
				}
				p = p[1:]
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
			if len(p) == 0 {
				// Redis steps back so the final p++ does not run past the end.
				return len(s) == 0
			}
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			if !eq(p[0], s[0], nocase) {
				return false
			}
			s = s[1:]
		default:
			if !eq(p[0], s[0], nocase) {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

func eq(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}

// IsLiteral reports whether pattern has no special characters, so a caller
// can turn a KEYS/SCAN MATCH of a plain name into a direct lookup.
func IsLiteral(pattern []byte) bool {
	for _, c := range pattern {
		switch c {
		case '*', '?', '[', '\\':
			return false
		}
	}
	return true
}

// LiteralPrefix returns the part of pattern before its first special
// character (e.g. "sets:ns:" for "sets:ns:*").
func LiteralPrefix(pattern []byte) []byte {
	for i, c := range pattern {
		switch c {
		case '*', '?', '[', '\\':
			return pattern[:i]
		}
	}
	return pattern
}
