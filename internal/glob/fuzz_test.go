package glob

import (
	"bytes"
	"testing"
)

// The reference matcher below is written from the documented semantics of
// Redis glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE), with the corner cases
// stringmatchlen defines: a '\' escapes the next byte (a trailing one is a
// literal '\'); '[' opens a class closed by ']', with '^' first negating
// it, "x-y" a range (its ends in either order, compared as C's signed
// char), '\' escaping inside it, and an unclosed class running to the end
// of the pattern; '?' is any byte; '*' any run of bytes; NOCASE folds ASCII
// letters (except a byte escaped inside a class); and an empty subject matches only the empty pattern (the match
// loop never runs, so not even "*" matches ""). It compiles the pattern to
// tokens and matches by dynamic programming, a different algorithm from
// the backtracking one under test.

type tokKind int

const (
	tokByte tokKind = iota
	tokAny
	tokStar
	tokClass
)

// classItem is a range (signed bounds, lo <= hi) or, when exact, one
// escaped byte, which Redis compares without case folding.
type classItem struct {
	lo, hi int
	exact  bool
}

type token struct {
	kind  tokKind
	b     byte
	neg   bool
	items []classItem
}

func signed(b byte) int { return int(int8(b)) }

func compile(p []byte) []token {
	var out []token
	for i := 0; i < len(p); {
		switch p[i] {
		case '*':
			out = append(out, token{kind: tokStar})
			i++
		case '?':
			out = append(out, token{kind: tokAny})
			i++
		case '\\':
			if len(p)-i >= 2 {
				out = append(out, token{kind: tokByte, b: p[i+1]})
				i += 2
			} else {
				out = append(out, token{kind: tokByte, b: '\\'})
				i++
			}
		case '[':
			i++
			t := token{kind: tokClass}
			if i < len(p) && p[i] == '^' {
				t.neg = true
				i++
			}
			for {
				if i < len(p) && p[i] == '\\' && len(p)-i >= 2 {
					v := signed(p[i+1])
					t.items = append(t.items, classItem{v, v, true})
					i += 2
				} else if i < len(p) && p[i] == ']' {
					i++
					break
				} else if i >= len(p) {
					break
				} else if len(p)-i >= 3 && p[i+1] == '-' {
					lo, hi := signed(p[i]), signed(p[i+2])
					if lo > hi {
						lo, hi = hi, lo
					}
					t.items = append(t.items, classItem{lo, hi, false})
					i += 3
				} else {
					v := signed(p[i])
					t.items = append(t.items, classItem{v, v, false})
					i++
				}
			}
			out = append(out, t)
		default:
			out = append(out, token{kind: tokByte, b: p[i]})
			i++
		}
	}
	return out
}

func fold(c int, nocase bool) int {
	if nocase && c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (t token) matches(c byte, nocase bool) bool {
	switch t.kind {
	case tokAny:
		return true
	case tokByte:
		return fold(int(t.b), nocase) == fold(int(c), nocase)
	case tokClass:
		in := false
		for _, it := range t.items {
			fc := nocase && !it.exact
			lo, hi, v := fold(it.lo, fc), fold(it.hi, fc), fold(signed(c), fc)
			if v >= lo && v <= hi {
				in = true
			}
		}
		return in != t.neg
	}
	return false
}

func reference(pattern, s []byte, nocase bool) bool {
	if len(s) == 0 {
		return len(pattern) == 0
	}
	toks := compile(pattern)
	// m[j]: the first i bytes of s match the first j tokens.
	prev := make([]bool, len(toks)+1)
	prev[0] = true
	for j, t := range toks {
		prev[j+1] = prev[j] && t.kind == tokStar
	}
	cur := make([]bool, len(toks)+1)
	for i := 1; i <= len(s); i++ {
		cur[0] = false
		for j, t := range toks {
			if t.kind == tokStar {
				cur[j+1] = cur[j] || prev[j+1]
			} else {
				cur[j+1] = prev[j] && t.matches(s[i-1], nocase)
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(toks)]
}

// FuzzMatchReference compares Match with the reference on every pattern and
// subject, both ways of case folding. Patterns with more than 900 '*'
// are left out: there Redis (and Match) give up on purpose.
func FuzzMatchReference(f *testing.F) {
	seeds := [][2]string{
		{"*", ""}, {"*", "abc"}, {"a*c", "abbbc"}, {"h?llo", "hello"}, {"h[ae]llo", "hallo"},
		{"h[^e]llo", "hello"}, {"h[a-b]llo", "hbllo"}, {"h[b-a]llo", "hallo"}, {"\\*", "*"},
		{"[", "a"}, {"[^", "a"}, {"[a-", "-"}, {"[\\", "\\"}, {"a\\", "a\\"}, {"[a-\xff]", "\x80"},
		{"**a*?[x-z]*", "qqqaqyq"}, {"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"[]]", "]"}, {"[A-Z]", "q"}, {"user:*:name", "user:42:name"}, {"\xff*", "\xff"},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]), false)
		f.Add([]byte(s[0]), []byte(s[1]), true)
	}
	f.Fuzz(func(t *testing.T, pattern, s []byte, nocase bool) {
		if len(pattern) > 300 || len(s) > 300 || bytes.Count(pattern, []byte("*")) > 900 {
			return
		}
		got := Match(pattern, s, nocase)
		want := reference(pattern, s, nocase)
		if got != want {
			t.Fatalf("Match(%q, %q, nocase=%v) = %v, the reference says %v", pattern, s, nocase, got, want)
		}
	})
}
