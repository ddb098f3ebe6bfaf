package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cmsgpack: lua-cmsgpack 0.4.0 as bundled by Redis. Integral numbers are
// packed as the smallest integer type, other numbers as float when that is
// exact, else double; strings as str8/16/32; tables as arrays when their
// keys are exactly 1..n, else maps; tables nested deeper than 16 as nil.

const msgpackMaxNesting = 16

func (st *state) openMsgpack() *lua.LTable {
	L := st.L
	t := L.CreateTable(0, 8)
	t.RawSetString("pack", L.NewFunction(st.msgpackPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return st.msgpackUnpack(L, 0, 0) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		off := optInt(L, 2, "unpack_one", 0)
		L.SetTop(1)
		return st.msgpackUnpack(L, 1, off)
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		limit := int(toInt64(checkNumber(L, 2, "unpack_limit")))
		off := optInt(L, 3, "unpack_limit", 0)
		L.SetTop(1)
		return st.msgpackUnpack(L, limit, off)
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

func (st *state) msgpackPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		argError(L, 0, "pack", "MessagePack pack needs input.")
	}
	var buf []byte
	for i := 1; i <= n; i++ {
		buf = st.mpEncode(buf, L.Get(i), 0)
	}
	L.Push(lua.LString(buf))
	return 1
}

func (st *state) mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch v := v.(type) {
	case lua.LString:
		return mpBytes(b, string(v))
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if !math.IsInf(f, 0) && !math.IsNaN(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0 && float64(int64(f)) == f {
			return mpInt(b, int64(f))
		}
		if float64(float32(f)) == f || math.IsNaN(f) {
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(f)))
		}
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case *lua.LTable:
		if level == msgpackMaxNesting {
			return append(b, 0xc0)
		}
		t := st.real(v)
		if n, ok := mpIsArray(t); ok {
			b = mpHeader(b, n, 0x90, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = st.mpEncode(b, t.RawGetInt(i), level+1)
			}
			return b
		}
		n := 0
		for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
			n++
		}
		b = mpHeader(b, n, 0x80, 0xde, 0xdf)
		for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
			b = st.mpEncode(b, k, level+1)
			b = st.mpEncode(b, val, level+1)
		}
		return b
	}
	return append(b, 0xc0)
}

// mpIsArray is table_is_an_array: keys exactly 1..n.
func mpIsArray(t *lua.LTable) (int, bool) {
	count, max := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || n <= 0 || float64(int32(n)) != float64(n) {
			return 0, false
		}
		if int(n) > max {
			max = int(n)
		}
		count++
	}
	return max, max == count
}

func mpHeader(b []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n <= 15:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, b16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, b32), uint32(n))
}

func mpBytes(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

func mpInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(int16(n)))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

type mpCur struct {
	b   []byte
	err int // 1 EOF, 2 bad format
}

func (c *mpCur) need(n int) bool {
	if len(c.b) < n {
		c.err = 1
		return false
	}
	return true
}

func (st *state) mpDecode(c *mpCur) lua.LValue {
	if !c.need(1) {
		return lua.LNil
	}
	L := st.L
	t := c.b[0]
	u := func(n int) uint64 {
		if !c.need(1 + n) {
			return 0
		}
		var v uint64
		for i := 1; i <= n; i++ {
			v = v<<8 | uint64(c.b[i])
		}
		c.b = c.b[1+n:]
		return v
	}
	str := func(n uint64) lua.LValue {
		if uint64(len(c.b)) < n {
			c.err = 1
			return lua.LNil
		}
		s := lua.LString(c.b[:n])
		c.b = c.b[n:]
		return s
	}
	array := func(n uint64) lua.LValue {
		tb := L.CreateTable(int(min(n, 1024)), 0)
		for i := uint64(1); i <= n && c.err == 0; i++ {
			tb.RawSetInt(int(i), st.mpDecode(c))
		}
		return tb
	}
	mapv := func(n uint64) lua.LValue {
		tb := L.CreateTable(0, int(min(n, 1024)))
		for i := uint64(0); i < n && c.err == 0; i++ {
			k := st.mpDecode(c)
			v := st.mpDecode(c)
			if c.err == 0 && k != lua.LNil {
				tb.RawSet(k, v)
			}
		}
		return tb
	}
	switch t {
	case 0xcc, 0xcd, 0xce, 0xcf:
		v := u(1 << (t - 0xcc))
		if c.err != 0 {
			return lua.LNil
		}
		return lua.LNumber(float64(v))
	case 0xd0:
		v := u(1)
		return lua.LNumber(int8(v))
	case 0xd1:
		v := u(2)
		return lua.LNumber(int16(v))
	case 0xd2:
		v := u(4)
		return lua.LNumber(int32(v))
	case 0xd3:
		v := u(8)
		return lua.LNumber(float64(int64(v)))
	case 0xc0:
		c.b = c.b[1:]
		return lua.LNil
	case 0xc3:
		c.b = c.b[1:]
		return lua.LTrue
	case 0xc2:
		c.b = c.b[1:]
		return lua.LFalse
	case 0xca:
		v := u(4)
		return lua.LNumber(math.Float32frombits(uint32(v)))
	case 0xcb:
		v := u(8)
		return lua.LNumber(math.Float64frombits(v))
	case 0xd9:
		n := u(1)
		if c.err != 0 {
			return lua.LNil
		}
		return str(n)
	case 0xda:
		n := u(2)
		if c.err != 0 {
			return lua.LNil
		}
		return str(n)
	case 0xdb:
		n := u(4)
		if c.err != 0 {
			return lua.LNil
		}
		return str(n)
	case 0xdc:
		n := u(2)
		if c.err != 0 {
			return lua.LNil
		}
		return array(n)
	case 0xdd:
		n := u(4)
		if c.err != 0 {
			return lua.LNil
		}
		return array(n)
	case 0xde:
		n := u(2)
		if c.err != 0 {
			return lua.LNil
		}
		return mapv(n)
	case 0xdf:
		n := u(4)
		if c.err != 0 {
			return lua.LNil
		}
		return mapv(n)
	}
	switch {
	case t&0x80 == 0:
		c.b = c.b[1:]
		return lua.LNumber(t)
	case t&0xe0 == 0xe0:
		c.b = c.b[1:]
		return lua.LNumber(int8(t))
	case t&0xe0 == 0xa0:
		c.b = c.b[1:]
		return str(uint64(t & 0x1f))
	case t&0xf0 == 0x90:
		c.b = c.b[1:]
		return array(uint64(t & 0x0f))
	case t&0xf0 == 0x80:
		c.b = c.b[1:]
		return mapv(uint64(t & 0x0f))
	}
	c.err = 2
	return lua.LNil
}

func (st *state) msgpackUnpack(L *lua.LState, limit, offset int) int {
	s := checkString(L, 1, "unpack")
	decodeAll := limit == 0 && offset == 0
	if offset < 0 || limit < 0 {
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", offset, len(s))
	}
	if offset > len(s) {
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	if decodeAll {
		limit = math.MaxInt32
	}
	c := mpCur{b: []byte(s[offset:])}
	var vals []lua.LValue
	for cnt := 0; len(c.b) > 0 && cnt < limit; cnt++ {
		v := st.mpDecode(&c)
		switch c.err {
		case 1:
			L.RaiseError("Missing bytes in input.")
		case 2:
			L.RaiseError("Bad data format in input.")
		}
		vals = append(vals, v)
	}
	if !decodeAll {
		next := len(s) - len(c.b)
		if len(c.b) == 0 {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range vals {
		L.Push(v)
	}
	if decodeAll {
		return len(vals)
	}
	return len(vals) + 1
}
