package script

import (
	"strings"
	"testing"
)

// Numeric for loops take numeric strings as Lua 5.1 does (ARGV values are
// strings), and refuse anything else with Lua 5.1's words; redis-server
// 7.0.15 answers each of these the same.
func TestForBoundsAreCoerced(t *testing.T) {
	e := NewEngine(nil, "7.4.0", 0x070400)
	for _, c := range []struct{ body, want string }{
		{"local s = 0 for i = 1, '4' do s = s + i end return s", ":10\r\n"},
		{"local s = 0 for i = '4', '1', '-1' do s = s + i end return s", ":10\r\n"},
		{"local s = 0 for i = 1, ' 0x3 ' do s = s + i end return s", ":6\r\n"},
		{"local f = function(n) local s = 0 for i = 1, n do s = s + i end return s end return f('4')", ":10\r\n"},
		{"local t = {} for i = 1, #t do end return 1", ":1\r\n"},
		{"for i = 1, 'x' do end", "'for' limit must be a number"},
		{"for i = 'a', 2 do end", "'for' initial value must be a number"},
		{"for i = 1, 2, {} do end", "'for' step must be a number"},
		{"for i = 1, nil do end", "'for' limit must be a number"},
	} {
		if got := eval(t, e, c.body, 2); !strings.Contains(got, c.want) {
			t.Errorf("%s:\n got %q\nwant it to contain %q", c.body, got, c.want)
		}
	}
}
