package config

// globMatch reports whether name matches a Redis glob pattern, ignoring
// ASCII case as CONFIG GET does: * matches any run, ? one character,
// [abc], [a-z] and [^...] a set, and a backslash makes the next character
// literal.
func globMatch(pattern, name string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 1 && pattern[1] == '*' {
				pattern = pattern[1:]
			}
			if len(pattern) == 1 {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if globMatch(pattern[1:], name[i:]) {
					return true
				}
			}
			return false
		case '?':
			if name == "" {
				return false
			}
		case '[':
			if name == "" {
				return false
			}
			ok, rest := matchClass(pattern[1:], name[0])
			if !ok {
				return false
			}
			pattern, name = rest, name[1:]
			continue
		case '\\':
			if len(pattern) > 1 {
				pattern = pattern[1:]
			}
			fallthrough
		default:
			if name == "" || lower(pattern[0]) != lower(name[0]) {
				return false
			}
		}
		pattern, name = pattern[1:], name[1:]
	}
	return name == ""
}

// matchClass matches c against the set that starts just after "[" and
// returns the pattern after the closing "]". An unclosed set ends with the
// pattern, as in Redis.
func matchClass(p string, c byte) (bool, string) {
	negate := len(p) > 0 && p[0] == '^'
	if negate {
		p = p[1:]
	}
	c = lower(c)
	matched := false
	for len(p) > 0 {
		switch {
		case p[0] == '\\' && len(p) > 1:
			matched = matched || lower(p[1]) == c
			p = p[2:]
		case p[0] == ']':
			return matched != negate, p[1:]
		case len(p) > 2 && p[1] == '-':
			lo, hi := lower(p[0]), lower(p[2])
			if lo > hi {
				lo, hi = hi, lo
			}
			matched = matched || (c >= lo && c <= hi)
			p = p[3:]
		default:
			matched = matched || lower(p[0]) == c
			p = p[1:]
		}
	}
	return matched != negate, p
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
