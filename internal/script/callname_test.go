package script

import (
	"strings"
	"testing"
)

// Lua 5.1's words for calling, indexing, measuring or computing with a
// value that cannot be, naming the variable (ldebug.c's getobjname). The
// expected texts are redis-server 7.0.15's replies to the same EVALs.
func TestErrorsNameTheVariable(t *testing.T) {
	e := NewEngine(nil, "7.4.0", 0x070400)
	cases := []struct{ body, want string }{
		{"local t = {} return t.foo()", "attempt to call field 'foo' (a nil value)"},
		{"return redis.nosuch()", "attempt to call field 'nosuch' (a nil value)"},
		{"local x = nil; return x()", "attempt to call local 'x' (a nil value)"},
		{"local t = {} return t:m()", "attempt to call method 'm' (a nil value)"},
		{"local u = nil; return (function() return u() end)()", "attempt to call upvalue 'u' (a nil value)"},
		{"local k='f'; local t={}; return t[k]()", "attempt to call field '?' (a nil value)"},
		{"local t = {f=1} return t['f']()", "attempt to call field 'f' (a number value)"},
		{"local x = 1; local y = x; return y()", "attempt to call local 'y' (a number value)"},
		{"local t = true; return t()", "attempt to call local 't' (a boolean value)"},
		{"return (5)()", "attempt to call a number value"},
		{"local s = 'abc'; return s:nosuch()", "attempt to call method 'nosuch' (a nil value)"},
		{"local t = {x={}} return t.x.y.z", "attempt to index field 'y' (a nil value)"},
		{"local t = {x={}} t.x.y.z = 1", "attempt to index field 'y' (a nil value)"},
		{"local a = nil; return a.b", "attempt to index local 'a' (a nil value)"},
		{"local a = 5; return a.b", "attempt to index local 'a' (a number value)"},
		{"local t={} return t[1][2]", "attempt to index field '?' (a nil value)"},
		{"local u; return (function() return u.v end)()", "attempt to index upvalue 'u' (a nil value)"},
		{"return redis.nosuchtable.x", "attempt to index field 'nosuchtable' (a nil value)"},
		{"local t = {} return #t.x", "attempt to get length of field 'x' (a nil value)"},
		{"local t={} return t.x + 1", "attempt to perform arithmetic on field 'x' (a nil value)"},
		{"local t={} return 1 + t.x", "attempt to perform arithmetic on field 'x' (a nil value)"},
		{"local x; return -x", "attempt to perform arithmetic on local 'x' (a nil value)"},
		{"local b = true; return b * 2", "attempt to perform arithmetic on local 'b' (a boolean value)"},
		{"return 1 < nil", "attempt to compare number with nil"},
		{"local t={} return t.a .. 'x'", "attempt to concatenate field 'a' (a nil value)"},
		{"local x return 'a' .. x", "attempt to concatenate local 'x' (a nil value)"},
		{"local b = false return b .. 'a'", "attempt to concatenate local 'b' (a boolean value)"},
		{"return 'a' .. 1 .. 'b'", "$3\r\na1b\r\n"},
		// The metamethods behind these words change nothing else.
		{"return '10' + 1", ":11\r\n"},
		{"return '10' + '5'", ":15\r\n"},
		{"return 7 % 3 + 2 ^ 3", ":9\r\n"},
		{"return tostring(getmetatable(nil)) .. tostring(getmetatable(1)) .. tostring(getmetatable(false))", "$9\r\nnilnilnil\r\n"},
		{"local ok, err = pcall(function() local x; x() end) return err", "attempt to call local 'x' (a nil value)"},
	}
	for _, c := range cases {
		got := eval(t, e, c.body, 2)
		if !strings.Contains(got, c.want) {
			t.Errorf("%s:\n got %q\nwant it to contain %q", c.body, got, c.want)
		}
	}
}
