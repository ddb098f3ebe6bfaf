package script

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestHoistOnlyScriptsThatNeverAssign(t *testing.T) {
	e := NewEngine(nil, "7.4.0", 0x070400)
	for _, c := range []struct {
		body    string
		hoisted bool
	}{
		{"return redis.call('get', KEYS[1])", true},
		{"local KEYS = 1 return KEYS", true}, // a local, not the global
		{"KEYS = 1", false},
		{"local function f() ARGV = nil end f()", false},
		{"local a, redis = 1, 2", true},
		{"x, redis = 1, 2", false},
		{"return function() return function() KEYS = 2 end end", false},
	} {
		s, err := e.Load([]byte(c.body))
		if err != nil {
			t.Fatalf("%q: %v", c.body, err)
		}
		if got := hasConstant(s.proto, "ARGV") && hasConstant(s.proto, "redis"); got != c.hoisted {
			t.Errorf("%q: hoisted %v, want %v", c.body, got, c.hoisted)
		}
	}
}

func hasConstant(p *lua.FunctionProto, name string) bool {
	for _, k := range p.Constants {
		if s, ok := k.(lua.LString); ok && string(s) == name {
			return true
		}
	}
	return false
}
