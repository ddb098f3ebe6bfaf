package script

import (
	lua "github.com/yuin/gopher-lua"
)

// An EVAL script reads its globals through two tables: the read-only
// _G proxy it runs with and, behind its metatable's __index, the real
// globals. Every "redis.call" or "KEYS[1]" is so two hash lookups before
// the field itself, the largest cost of the interpreter in a short
// script such as a rate limiter's. Scripts cannot change those globals
// (_G is read-only, rawset refuses it), so reading redis, KEYS and ARGV
// once per run into locals gives the same values; hoistPrelude does that
// by compiling the script behind one more statement on its first line, so
// line numbers in errors do not move.
//
// The one way a script could tell is assigning one of the names ("KEYS =
// 1"), which must fail as a write to a read-only table and would instead
// set the local: scripts that assign any of them anywhere are compiled as
// written.
const hoistPrelude = "local redis, KEYS, ARGV = redis, KEYS, ARGV; "

// hoistedNames are the globals hoistPrelude reads.
var hoistedNames = [...]string{"redis", "KEYS", "ARGV"}

// compileHoisted compiles src (already known to compile as written, to
// proto) with hoistPrelude, or returns proto when the script assigns a
// hoisted global or the longer chunk does not compile (a script already
// at the limit of locals).
func compileHoisted(src []byte, name string, proto *lua.FunctionProto) *lua.FunctionProto {
	if assignsHoisted(proto) {
		return proto
	}
	buf := make([]byte, 0, len(hoistPrelude)+len(src))
	buf = append(append(buf, hoistPrelude...), src...)
	hoisted, err := compile(buf, name)
	if err != nil {
		return proto
	}
	return hoisted
}

// assignsHoisted reports whether p or a function nested in it sets one of
// the hoisted globals.
func assignsHoisted(p *lua.FunctionProto) bool {
	for _, inst := range p.Code {
		if int(inst>>26) != lua.OP_SETGLOBAL {
			continue
		}
		bx := int(inst & 0x3ffff)
		if bx >= len(p.Constants) {
			return true // not what the compiler emits: be safe
		}
		k, ok := p.Constants[bx].(lua.LString)
		if !ok {
			return true
		}
		for _, n := range hoistedNames {
			if string(k) == n {
				return true
			}
		}
	}
	for _, child := range p.FunctionPrototypes {
		if assignsHoisted(child) {
			return true
		}
	}
	return false
}
