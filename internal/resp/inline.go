package resp

import "bytes"

// parseInline handles the telnet-style request form: one line, arguments
// separated by blanks, with redis-cli's quoting rules (sdssplitargs).
func parseInline(buf []byte, args [][]byte) ([][]byte, int, error) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		if len(buf) > InlineMax {
			return args, 0, ErrTooBigInline
		}
		return args, 0, nil
	}
	if i > InlineMax {
		return args, 0, ErrTooBigInline
	}
	line := buf[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := splitArgs(line, args)
	if !ok {
		return args[:0], 0, ErrUnbalancedQuotes
	}
	return args, i + 1, nil
}

// splitArgs splits an inline line. Unquoted arguments are sub-slices of line;
// quoted ones are decoded in place (the decoded form is never longer than the
// quoted one), so no allocation happens here either.
func splitArgs(line []byte, args [][]byte) ([][]byte, bool) {
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return args, true
		}
		start := p
		w := p // write cursor for decoded bytes
		inDQ, inSQ := false, false
		for {
			if inDQ {
				if p >= len(line) {
					return args, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+3 < len(line) && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					line[w] = hexVal(line[p+2])<<4 | hexVal(line[p+3])
					p += 4
					w++
				case c == '\\' && p+1 < len(line):
					p++
					switch line[p] {
					case 'n':
						line[w] = '\n'
					case 'r':
						line[w] = '\r'
					case 't':
						line[w] = '\t'
					case 'b':
						line[w] = '\b'
					case 'a':
						line[w] = '\a'
					default:
						line[w] = line[p]
					}
					p++
					w++
				case c == '"':
					// A closing quote must be followed by a blank or the end.
					p++
					if p < len(line) && !isSpace(line[p]) {
						return args, false
					}
					inDQ = false
					goto done
				default:
					line[w] = c
					p++
					w++
				}
				continue
			}
			if inSQ {
				if p >= len(line) {
					return args, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+1 < len(line) && line[p+1] == '\'':
					line[w] = '\''
					p += 2
					w++
				case c == '\'':
					p++
					if p < len(line) && !isSpace(line[p]) {
						return args, false
					}
					inSQ = false
					goto done
				default:
					line[w] = c
					p++
					w++
				}
				continue
			}
			if p >= len(line) || isSpace(line[p]) {
				goto done
			}
			switch line[p] {
			case '"':
				inDQ = true
				p++
			case '\'':
				inSQ = true
				p++
			default:
				line[w] = line[p]
				p++
				w++
			}
		}
	done:
		args = append(args, line[start:w:w])
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// SplitArgs splits a line by Redis's sdssplitargs rules (blanks separate
// arguments; "..." takes \n, \r, \t, \b, \a, \xHH and \<c> escapes; '...'
// takes \'), as redis.conf lines are read. ok is false for unbalanced
// quotes or a closing quote not followed by a blank.
func SplitArgs(line string) (args []string, ok bool) {
	parts, ok := splitArgs([]byte(line), nil)
	for _, p := range parts {
		args = append(args, string(p))
	}
	return args, ok
}
