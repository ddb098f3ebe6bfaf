package script

import (
	lua "github.com/yuin/gopher-lua"
)

// A script runs with a context only so that SCRIPT KILL can stop it, and
// gopher-lua pays for that on every instruction (mainLoopWithContext
// polls the context's Done channel before each one): about 0.2 µs of
// the 7.4 µs a rate limiter's EVALSHA costs the server. A script whose
// interpreter time is bounded by its own length gains nothing from the
// poll, so it runs without one. Bounded means: no backward jump (no
// loop), no function of its own (no recursion), and no global but those
// below, none of which returns a Lua function, so it cannot reach one
// through loadstring, load or _G either. Each instruction then runs at
// most once, and the script's time goes to its redis.call/pcall, which
// check the kill switch themselves (state.call). Redis is no stricter:
// its kill check is a hook every 100 000 instructions, which a script
// without loops never reaches.
//
// safeGlobals are the globals a bounded script may read: Go functions and
// tables of them, and KEYS/ARGV.
var safeGlobals = map[string]bool{
	"redis": true, "KEYS": true, "ARGV": true,
	"string": true, "table": true, "math": true, "bit": true,
	"cjson": true, "cmsgpack": true, "struct": true,
	"tonumber": true, "tostring": true, "type": true, "unpack": true,
	"select": true, "error": true, "assert": true, "pcall": true,
	"xpcall": true, "pairs": true, "ipairs": true, "next": true,
	"rawequal": true,
}

// bounded reports whether a script compiled to p may run without a
// context (see above).
func bounded(p *lua.FunctionProto) bool {
	if len(p.FunctionPrototypes) > 0 {
		return false
	}
	for _, inst := range p.Code {
		switch instOp(inst) {
		case lua.OP_CLOSURE, lua.OP_FORLOOP, lua.OP_TFORLOOP:
			return false
		case lua.OP_JMP:
			if instSbx(inst) < 0 {
				return false
			}
		case lua.OP_GETGLOBAL:
			name, ok := stringConst(p, instBx(inst))
			if !ok || !safeGlobals[name] {
				return false
			}
		}
	}
	return true
}

// instSbx is the signed jump offset of OP_JMP (gopher-lua's GETSBX).
func instSbx(i uint32) int { return instBx(i) - 0x1ffff }
