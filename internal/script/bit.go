package script

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// bit: LuaBitOp 1.0.2 as bundled by Redis. Every operation works on 32-bit
// integers: arguments are normalised like bit.tobit (modulo 2^32, rounding
// non-integers with the 2^52+2^51 trick) and results are signed.

func openBit(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 12)
	reg := func(name string, f func(L *lua.LState, arg func(int) uint32) int) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			return f(L, func(n int) uint32 { return tobit(checkNumber(L, n, name)) })
		}))
	}
	reg("tobit", func(L *lua.LState, bitArg func(int) uint32) int { return pushBit(L, bitArg(1)) })
	reg("bnot", func(L *lua.LState, bitArg func(int) uint32) int { return pushBit(L, ^bitArg(1)) })
	reg("band", bitReduce(func(a, b uint32) uint32 { return a & b }))
	reg("bor", bitReduce(func(a, b uint32) uint32 { return a | b }))
	reg("bxor", bitReduce(func(a, b uint32) uint32 { return a ^ b }))
	reg("lshift", func(L *lua.LState, bitArg func(int) uint32) int {
		b, n := bitArg(1), bitArg(2)&31
		return pushBit(L, b<<n)
	})
	reg("rshift", func(L *lua.LState, bitArg func(int) uint32) int {
		b, n := bitArg(1), bitArg(2)&31
		return pushBit(L, b>>n)
	})
	reg("arshift", func(L *lua.LState, bitArg func(int) uint32) int {
		b, n := bitArg(1), bitArg(2)&31
		return pushBit(L, uint32(int32(b)>>n))
	})
	reg("rol", func(L *lua.LState, bitArg func(int) uint32) int {
		b, n := bitArg(1), bitArg(2)&31
		return pushBit(L, b<<n|b>>(32-n))
	})
	reg("ror", func(L *lua.LState, bitArg func(int) uint32) int {
		b, n := bitArg(1), bitArg(2)&31
		return pushBit(L, b>>n|b<<(32-n))
	})
	reg("bswap", func(L *lua.LState, bitArg func(int) uint32) int {
		b := bitArg(1)
		return pushBit(L, b>>24|(b>>8)&0xff00|(b&0xff00)<<8|b<<24)
	})
	reg("tohex", func(L *lua.LState, bitArg func(int) uint32) int {
		b := bitArg(1)
		n := int32(8)
		if L.Get(2) != lua.LNil {
			n = int32(bitArg(2))
		}
		digits := "0123456789abcdef"
		if n < 0 {
			n = -n
			digits = "0123456789ABCDEF"
		}
		if n > 8 {
			n = 8
		}
		buf := make([]byte, n)
		for i := int(n) - 1; i >= 0; i-- {
			buf[i] = digits[b&15]
			b >>= 4
		}
		L.Push(lua.LString(buf))
		return 1
	})
	return t
}

// tobit is LuaBitOp's barg after luaL_checknumber: the low 32 bits of the
// number added to 2^52+2^51 (round to nearest even, wrap modulo 2^32).
func tobit(f float64) uint32 {
	b := math.Float64bits(f + 6755399441055744.0)
	return uint32(b)
}

func pushBit(L *lua.LState, b uint32) int {
	L.Push(lua.LNumber(int32(b)))
	return 1
}

func bitReduce(op func(a, b uint32) uint32) func(L *lua.LState, bitArg func(int) uint32) int {
	return func(L *lua.LState, bitArg func(int) uint32) int {
		b := bitArg(1)
		for i := 2; i <= L.GetTop(); i++ {
			b = op(b, bitArg(i))
		}
		return pushBit(L, b)
	}
}
