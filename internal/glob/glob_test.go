package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "", false}, // as stringmatchlen; KEYS/SCAN special-case a lone "*"
		{"*", "abc", true},
		{"a*", "abc", true},
		{"a*c", "abc", true},
		{"a*d", "abc", false},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hallo", true},
		{"h\\*llo", "h*llo", true},
		{"h\\*llo", "hello", false},
		{"sets:namespace:system-cache:*", "sets:namespace:system-cache:x", true},
		{"a[", "a", false},
		{"a[b", "ab", true},
		{"*a", "ba", true},
		{"a**", "a", true},
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
	} {
		if got := MatchString(c.p, c.s, false); got != c.want {
			t.Errorf("Match(%q,%q)=%v want %v", c.p, c.s, got, c.want)
		}
	}
	if !MatchString("HELLO", "hello", true) {
		t.Error("nocase")
	}
}

func TestPathological(t *testing.T) {
	p := strings.Repeat("a*", 50) + "b"
	s := strings.Repeat("a", 60)
	if MatchString(p, s, false) {
		t.Fatal("should not match")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?[c-d]\\e", "axbyce")
	f.Fuzz(func(t *testing.T, p, s string) {
		MatchString(p, s, false)
		if s != "" && !MatchString("*", s, false) {
			t.Fatal("* must match everything")
		}
		if IsLiteral([]byte(s)) && !MatchString(s, s, false) {
			t.Fatal("a literal matches itself")
		}
	})
}

// TestSignedRanges: redis-server 7.0.15 answers KEYS "[a-\xff]" with
// "\x10" and "\xff" but neither "\x80" nor "b" (C's signed char).
func TestSignedRanges(t *testing.T) {
	for s, want := range map[string]bool{"\x10": true, "\xff": true, "\x80": false, "b": false, "a": true} {
		if got := MatchString("[a-\xff]", s, false); got != want {
			t.Errorf("[a-\\xff] vs %q: %v, want %v", s, got, want)
		}
	}
}
