package script

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cjsonConfig is lua-cjson's per-module configuration, changed by the
// cjson.encode_* / decode_* functions and read by encode and decode.
type cjsonConfig struct {
	encodeMaxDepth, decodeMaxDepth int
	precision                      int // significant digits of encoded numbers
	sparseConvert                  bool
	sparseRatio, sparseSafe        int
	keepBuffer                     bool // accepted; Go's buffer reuse is the allocator's business
	encodeInvalid                  int  // invalidOff, invalidOn or invalidNull
	decodeInvalid                  bool
}

const (
	invalidOff = iota
	invalidOn
	invalidNull
)

// cfgInt is json_integer_option: an optional integer argument within
// [lo, hi] replaces *v; the current value is returned.
func cfgInt(L *lua.LState, name string, v *int, lo, hi int) int {
	cfgNArgs(L, name, 1)
	cfgIntArg(L, name, 1, v, lo, hi)
	L.Push(lua.LNumber(*v))
	return 1
}

func cfgIntArg(L *lua.LState, name string, n int, v *int, lo, hi int) {
	if n > L.GetTop() || L.Get(n) == lua.LNil {
		return
	}
	x := L.CheckNumber(n)
	f := float64(x)
	if f < float64(lo) || f > float64(hi) {
		L.RaiseError("bad argument #%d to '%s' (expected integer between %d and %d)", n, name, lo, hi)
	}
	*v = int(f)
}

// cfgEnum is json_enum_option: a boolean or one of options replaces *v;
// the current value comes back as a boolean when it is off/on.
func cfgEnum(L *lua.LState, name string, n int, v *int, options ...string) lua.LValue {
	if n <= L.GetTop() && L.Get(n) != lua.LNil {
		switch a := L.Get(n).(type) {
		case lua.LBool:
			*v = 0
			if a {
				*v = 1
			}
		default:
			s := L.CheckString(n)
			found := false
			for i, o := range options {
				if s == o {
					*v, found = i, true
				}
			}
			if !found {
				L.RaiseError("bad argument #%d to '%s' (invalid option '%s')", n, name, s)
			}
		}
	}
	if *v <= 1 {
		return lua.LBool(*v == 1)
	}
	return lua.LString(options[*v])
}

func cfgBool(L *lua.LState, name string, b *bool) int {
	cfgNArgs(L, name, 1)
	v := 0
	if *b {
		v = 1
	}
	L.Push(cfgEnum(L, name, 1, &v, "off", "on"))
	*b = v == 1
	return 1
}

func cfgNArgs(L *lua.LState, name string, max int) {
	if L.GetTop() > max {
		L.RaiseError("bad argument #%d to '%s' (expected at most %d arguments)", max+1, name, max)
	}
}

func (c *cjsonConfig) sparseArray(L *lua.LState) int {
	const name = "encode_sparse_array"
	cfgNArgs(L, name, 3)
	v := 0
	if c.sparseConvert {
		v = 1
	}
	conv := cfgEnum(L, name, 1, &v, "off", "on")
	c.sparseConvert = v == 1
	cfgIntArg(L, name, 2, &c.sparseRatio, 0, math.MaxInt32)
	cfgIntArg(L, name, 3, &c.sparseSafe, 0, math.MaxInt32)
	L.Push(conv)
	L.Push(lua.LNumber(c.sparseRatio))
	L.Push(lua.LNumber(c.sparseSafe))
	return 3
}

func (c *cjsonConfig) encodeInvalidNumbers(L *lua.LState) int {
	cfgNArgs(L, "encode_invalid_numbers", 1)
	L.Push(cfgEnum(L, "encode_invalid_numbers", 1, &c.encodeInvalid, "off", "on", "null"))
	return 1
}
