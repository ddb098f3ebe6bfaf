package script

import (
	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1 names what a script tried to call when it is not a function:
// "attempt to call field 'register_function' (a nil value)", "... global
// 'f' ...", "local 'x'", "method 'm'", "upvalue 'u'" (ldebug.c's
// getobjname, from the bytecode that loaded the called register).
// gopher-lua says "attempt to call a non-function object". Scripts, their
// tests and Redis's own suite read those words, so calling a nil,
// boolean or number goes through a __call metamethod on those types'
// metatables (callNonFunction), which finds the call site in the caller's
// prototype and describes it the same way. (getmetatable hides these
// metatables, as Lua 5.1 has none for those types.)

// gopher-lua's instruction layout (opcode.go): opcode in the top 6 bits,
// A in the next 8, C in 9, B in the low 9; Bx is the low 18 bits; an RK
// operand above 255 names a constant.
const (
	opMove       = lua.OP_MOVE
	opGetUpval   = lua.OP_GETUPVAL
	opGetGlobal  = lua.OP_GETGLOBAL
	opGetTable   = lua.OP_GETTABLE
	opGetTableKS = lua.OP_GETTABLEKS
	opSelf       = lua.OP_SELF
	rkConstant   = 1 << 8
)

func instOp(i uint32) int { return int(i >> 26) }
func instA(i uint32) int  { return int(i>>18) & 0xff }
func instB(i uint32) int  { return int(i & 0x1ff) }
func instC(i uint32) int  { return int(i>>9) & 0x1ff }
func instBx(i uint32) int { return int(i & 0x3ffff) }

// writesOnlyA lists the opcodes that write R(A) alone and nothing else:
// the backward scan may pass over them when A is another register.
var writesOnlyA = map[int]bool{
	lua.OP_MOVE: true, lua.OP_LOADK: true, lua.OP_LOADBOOL: true, lua.OP_GETUPVAL: true,
	lua.OP_GETGLOBAL: true, lua.OP_GETTABLE: true, lua.OP_GETTABLEKS: true, lua.OP_NEWTABLE: true,
	lua.OP_ADD: true, lua.OP_SUB: true, lua.OP_MUL: true, lua.OP_DIV: true, lua.OP_MOD: true,
	lua.OP_POW: true, lua.OP_UNM: true, lua.OP_NOT: true, lua.OP_LEN: true, lua.OP_CONCAT: true,
	lua.OP_CLOSURE: true,
}

// writesNothing lists the opcodes that write no register and do not jump.
var writesNothing = map[int]bool{
	lua.OP_SETGLOBAL: true, lua.OP_SETUPVAL: true, lua.OP_SETTABLE: true, lua.OP_SETTABLEKS: true,
	lua.OP_SETLIST: true, lua.OP_CLOSE: true, lua.OP_NOP: true,
}

// localName is the name of the local variable in register reg at pc, or "".
func localName(p *lua.FunctionProto, reg, pc int) string {
	n := 0
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc < l.EndPc {
			if n == reg {
				return l.Name
			}
			n++
		}
	}
	return ""
}

// stringConst is constant k of p when it is a string.
func stringConst(p *lua.FunctionProto, k int) (string, bool) {
	if k < 0 || k >= len(p.Constants) {
		return "", false
	}
	s, ok := p.Constants[k].(lua.LString)
	return string(s), ok
}

// keyName is an RK operand used as a table key: the constant string, or
// "?" (Lua 5.1's kname).
func keyName(p *lua.FunctionProto, rk int) string {
	if rk&rkConstant != 0 {
		if s, ok := stringConst(p, rk&^rkConstant); ok {
			return s
		}
	}
	return "?"
}

// objName describes register reg at instruction pc of p as Lua 5.1 does
// ("global 'f'"), or "" when the straight-line code before pc does not
// say (a jump in between, a register set by a call...).
func objName(p *lua.FunctionProto, reg, pc int) string {
	for depth := 0; depth < 8; depth++ {
		if name := localName(p, reg, pc); name != "" {
			return "local '" + name + "'"
		}
		i := pc - 1
		for ; i >= 0; i-- {
			inst := p.Code[i]
			op := instOp(inst)
			if writesNothing[op] || writesOnlyA[op] && instA(inst) != reg {
				continue
			}
			if op == opSelf && instA(inst) != reg && instA(inst)+1 != reg {
				continue
			}
			break
		}
		if i < 0 {
			return ""
		}
		inst := p.Code[i]
		switch instOp(inst) {
		case opGetGlobal:
			if s, ok := stringConst(p, instBx(inst)); ok {
				return "global '" + s + "'"
			}
		case opGetTable, opGetTableKS:
			return "field '" + keyName(p, instC(inst)) + "'"
		case opSelf:
			if instA(inst) == reg {
				return "method '" + keyName(p, instC(inst)) + "'"
			}
		case opGetUpval:
			if b := instB(inst); b < len(p.DbgUpvalues) {
				return "upvalue '" + p.DbgUpvalues[b] + "'"
			}
		case opMove:
			// A copy of another register: describe that one, as of the
			// copy (Lua 5.1 names only a local source; so do we).
			if b := instB(inst); b < reg {
				if name := localName(p, b, i); name != "" {
					return "local '" + name + "'"
				}
			}
		}
		return ""
	}
	return ""
}

// callNonFunction is the __call metamethod of nil, booleans and numbers:
// it raises Lua 5.1's error for calling one.
func callNonFunction(L *lua.LState) int {
	typ := L.Get(1).Type().String()
	if desc := callSiteName(L); desc != "" {
		L.RaiseError("attempt to call %s (a %s value)", desc, typ)
	}
	L.RaiseError("attempt to call a %s value", typ)
	return 0
}

// callSiteName describes what the calling Lua function called: its call
// sites on the current line with the callee name gopher-lua recorded
// (DbgCalls), described from the bytecode, when they all agree.
func callSiteName(L *lua.LState) string {
	self, ok := L.GetStack(0)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("n", self, lua.LNil); err != nil || self.Name == "" {
		return ""
	}
	p, line, ok := callerProto(L)
	if !ok {
		return ""
	}
	desc := ""
	for _, call := range p.DbgCalls {
		if call.Name != self.Name || call.Pc >= len(p.Code) || call.Pc >= len(p.DbgSourcePositions) || p.DbgSourcePositions[call.Pc] != line {
			continue
		}
		d := objName(p, instA(p.Code[call.Pc]), call.Pc)
		if d == "" || desc != "" && d != desc {
			return ""
		}
		desc = d
	}
	return desc
}

// callerProto is the prototype of the Lua function that called the
// running metamethod, and the line it is at.
func callerProto(L *lua.LState) (p *lua.FunctionProto, line int, ok bool) {
	caller, ok := L.GetStack(1)
	if !ok {
		return nil, 0, false
	}
	fn, err := L.GetInfo("lf", caller, lua.LNil)
	if err != nil {
		return nil, 0, false
	}
	lf, ok := fn.(*lua.LFunction)
	if !ok || lf.IsG || lf.Proto == nil {
		return nil, 0, false
	}
	return lf.Proto, caller.CurrentLine, true
}

// indexNonTable is the __index and __newindex metamethod of nil, booleans
// and numbers: Lua 5.1's "attempt to index field 'y' (a nil value)".
func indexNonTable(L *lua.LState) int {
	typ := L.Get(1).Type().String()
	if desc := indexSiteName(L, L.Get(2)); desc != "" {
		L.RaiseError("attempt to index %s (a %s value)", desc, typ)
	}
	L.RaiseError("attempt to index a %s value", typ)
	return 0
}

// indexSiteName describes the indexed register at the calling Lua
// function's table accesses on the current line with this key (GETTABLE,
// SETTABLE, SELF), when they all agree.
func indexSiteName(L *lua.LState, key lua.LValue) string {
	return opSiteName(L, func(p *lua.FunctionProto, inst uint32) (int, bool) {
		var reg, rk int
		switch instOp(inst) {
		case opGetTable, opGetTableKS, opSelf:
			reg, rk = instB(inst), instC(inst)
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
			reg, rk = instA(inst), instB(inst)
		default:
			return 0, false
		}
		if k := rk &^ rkConstant; rk&rkConstant != 0 && (k >= len(p.Constants) || p.Constants[k] != key) {
			return 0, false // another key
		}
		return reg, true
	})
}

// arithEvents maps the arithmetic metamethods to their opcodes.
var arithEvents = map[string]int{
	"__add": lua.OP_ADD, "__sub": lua.OP_SUB, "__mul": lua.OP_MUL,
	"__div": lua.OP_DIV, "__mod": lua.OP_MOD, "__pow": lua.OP_POW, "__unm": lua.OP_UNM,
}

// arithNonNumber is an arithmetic metamethod of nil and booleans (never
// numbers: gopher-lua asks a number's metatable before it converts a
// numeric string, so "10" + 1 would land here): Lua 5.1's "attempt to
// perform arithmetic on local 'x' (a nil value)", naming the operand
// that is not a number, as luaG_aritherror does.
func arithNonNumber(op int) lua.LGFunction {
	return func(L *lua.LState) int {
		lhs, rhs := L.Get(1), L.Get(2)
		bad, operand := rhs, 1
		if !isNumberLike(lhs) || op == lua.OP_UNM {
			bad, operand = lhs, 0
		}
		desc := opSiteName(L, func(_ *lua.FunctionProto, inst uint32) (int, bool) {
			if instOp(inst) != op {
				return 0, false
			}
			rk := instB(inst)
			if operand == 1 {
				rk = instC(inst)
			}
			return rk, op == lua.OP_UNM || rk&rkConstant == 0
		})
		if desc != "" {
			L.RaiseError("attempt to perform arithmetic on %s (a %s value)", desc, bad.Type().String())
		}
		L.RaiseError("attempt to perform arithmetic on a %s value", bad.Type().String())
		return 0
	}
}

// concatNonString is __concat of nil and booleans: Lua 5.1's "attempt to
// concatenate local 'x' (a nil value)" (luaG_concaterror: the left operand
// unless it is a string or number). Only a two-operand concatenation says
// which register held it; longer ones keep the plain words.
func concatNonString(L *lua.LState) int {
	lhs, rhs := L.Get(1), L.Get(2)
	bad, right := lhs, false
	switch lhs.(type) {
	case lua.LString, lua.LNumber:
		bad, right = rhs, true
	}
	desc := opSiteName(L, func(_ *lua.FunctionProto, inst uint32) (int, bool) {
		if instOp(inst) != lua.OP_CONCAT || instC(inst) != instB(inst)+1 {
			return 0, false
		}
		if right {
			return instC(inst), true
		}
		return instB(inst), true
	})
	if desc != "" {
		L.RaiseError("attempt to concatenate %s (a %s value)", desc, bad.Type().String())
	}
	L.RaiseError("attempt to concatenate a %s value", bad.Type().String())
	return 0
}

// lenNonTable is __len of nil, booleans and numbers.
func lenNonTable(L *lua.LState) int {
	typ := L.Get(1).Type().String()
	desc := opSiteName(L, func(_ *lua.FunctionProto, inst uint32) (int, bool) { return instB(inst), instOp(inst) == lua.OP_LEN })
	if desc != "" {
		L.RaiseError("attempt to get length of %s (a %s value)", desc, typ)
	}
	L.RaiseError("attempt to get length of a %s value", typ)
	return 0
}

func isNumberLike(v lua.LValue) bool {
	switch x := v.(type) {
	case lua.LNumber:
		return true
	case lua.LString:
		_, err := parseLuaNumber(string(x))
		return err == nil
	}
	return false
}

// opSiteName describes, for the instructions of the calling Lua function
// on the current line that operand picks (the register it reads), that
// register, when they all agree.
func opSiteName(L *lua.LState, operand func(p *lua.FunctionProto, inst uint32) (reg int, ok bool)) string {
	p, line, ok := callerProto(L)
	if !ok {
		return ""
	}
	desc := ""
	for pc, inst := range p.Code {
		if pc >= len(p.DbgSourcePositions) || p.DbgSourcePositions[pc] != line {
			continue
		}
		reg, ok := operand(p, inst)
		if !ok {
			continue
		}
		d := objName(p, reg, pc)
		if d == "" || desc != "" && d != desc {
			return ""
		}
		desc = d
	}
	return desc
}

// installCallNames gives nil, booleans and numbers the metamethods that
// word their errors as Lua 5.1 does.
func installCallNames(L *lua.LState) {
	mt := L.CreateTable(0, 4)
	mt.RawSetString("__call", L.NewFunction(callNonFunction))
	index := L.NewFunction(indexNonTable)
	mt.RawSetString("__index", index)
	mt.RawSetString("__newindex", index)
	mt.RawSetString("__len", L.NewFunction(lenNonTable))
	L.SetMetatable(lua.LNumber(0), mt)
	arith := L.CreateTable(0, 12)
	mt.ForEach(func(k, v lua.LValue) { arith.RawSet(k, v) })
	for event, op := range arithEvents {
		arith.RawSetString(event, L.NewFunction(arithNonNumber(op)))
	}
	arith.RawSetString("__concat", L.NewFunction(concatNonString))
	L.SetMetatable(lua.LNil, arith)
	L.SetMetatable(lua.LFalse, arith)
}
