package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// struct: Roberto Ierusalimschy's struct library as bundled by Redis, on
// a 64-bit little-endian machine (long and size_t are 8 bytes, the
// maximum alignment is 8).

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

type structHeader struct {
	big   bool
	align int
}

func openStruct(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 3)
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

type structFmt struct {
	L     *lua.LState
	fname string
	fmt   string
	pos   int
}

func (f *structFmt) more() bool { return f.pos < len(f.fmt) && f.fmt[f.pos] != 0 }

func (f *structFmt) opt() byte {
	c := f.fmt[f.pos]
	f.pos++
	return c
}

func (f *structFmt) num(def int) int {
	if f.pos >= len(f.fmt) || f.fmt[f.pos] < '0' || f.fmt[f.pos] > '9' {
		return def
	}
	a := 0
	for f.pos < len(f.fmt) && f.fmt[f.pos] >= '0' && f.fmt[f.pos] <= '9' {
		d := int(f.fmt[f.pos] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			f.L.RaiseError("integral size overflow")
		}
		a = a*10 + d
		f.pos++
	}
	return a
}

// size is optsize.
func (f *structFmt) size(opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T':
		return 8
	case 'f':
		return 4
	case 'd':
		return 8
	case 'x':
		return 1
	case 'c':
		return f.num(1)
	case 'i', 'I':
		sz := f.num(4)
		if sz > structMaxIntSize {
			f.L.RaiseError("integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

func toAlign(n int, h *structHeader, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > h.align {
		size = h.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func (f *structFmt) control(opt byte, h *structHeader) {
	switch opt {
	case ' ':
	case '>':
		h.big = true
	case '<':
		h.big = false
	case '!':
		a := f.num(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			f.L.RaiseError("alignment %d is not a power of 2", a)
		}
		h.align = a
	default:
		argError(f.L, 1, f.fname, "invalid format option '"+string(opt)+"'")
	}
}

func putInt(buf []byte, v uint64, big bool, size int) []byte {
	b := make([]byte, size)
	if big {
		for i := size - 1; i >= 0; i-- {
			b[i] = byte(v)
			v >>= 8
		}
	} else {
		for i := 0; i < size; i++ {
			b[i] = byte(v)
			v >>= 8
		}
	}
	return append(buf, b...)
}

func structPack(L *lua.LState) int {
	f := &structFmt{L: L, fname: "pack", fmt: checkString(L, 1, "pack")}
	h := structHeader{align: 1}
	arg := 2
	var out []byte
	total := 0
	for f.more() {
		opt := f.opt()
		size := f.size(opt)
		pad := toAlign(total, &h, opt, size)
		total += pad
		for ; pad > 0; pad-- {
			out = append(out, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := checkNumber(L, arg, "pack")
			arg++
			var v uint64
			if n < 0 {
				v = uint64(toInt64(n))
			} else if n >= 18446744073709551616.0 {
				v = 1 << 63
			} else {
				v = uint64(n)
			}
			out = putInt(out, v, h.big, size)
		case 'x':
			out = append(out, 0)
		case 'f':
			n := float32(checkNumber(L, arg, "pack"))
			arg++
			out = putInt(out, uint64(math.Float32bits(n)), h.big, 4)
		case 'd':
			n := checkNumber(L, arg, "pack")
			arg++
			out = putInt(out, math.Float64bits(n), h.big, 8)
		case 'c', 's':
			s := checkString(L, arg, "pack")
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				argError(L, arg, "pack", "string too short")
			}
			out = append(out, s[:size]...)
			if opt == 's' {
				out = append(out, 0)
				size++
			}
		default:
			f.control(opt, &h)
		}
		total += size
	}
	L.Push(lua.LString(out))
	return 1
}

func getInt(b []byte, big, signed bool, size int) float64 {
	var l uint64
	if big {
		for i := 0; i < size; i++ {
			l = l<<8 | uint64(b[i])
		}
	} else {
		for i := size - 1; i >= 0; i-- {
			l = l<<8 | uint64(b[i])
		}
	}
	if !signed {
		return float64(l)
	}
	if size < 8 && size > 0 {
		mask := ^uint64(0) << (size*8 - 1)
		if l&mask != 0 {
			l |= mask
		}
	}
	return float64(int64(l))
}

func structUnpack(L *lua.LState) int {
	f := &structFmt{L: L, fname: "unpack", fmt: checkString(L, 1, "unpack")}
	data := checkString(L, 2, "unpack")
	ld := len(data)
	pos := optInt(L, 3, "unpack", 1) - 1
	if pos < 0 || pos > ld {
		argError(L, 3, "unpack", "offset must be 1 or greater")
	}
	h := structHeader{align: 1}
	n := 0
	for f.more() {
		opt := f.opt()
		size := f.size(opt)
		pos += toAlign(pos, &h, opt, size)
		if size > ld || pos > ld-size {
			argError(L, 2, "unpack", "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt >= 'a' && opt <= 'z'
			L.Push(lua.LNumber(getInt([]byte(data[pos:pos+size]), h.big, signed, size)))
			n++
		case 'x':
		case 'f':
			var u uint32
			if h.big {
				u = binary.BigEndian.Uint32([]byte(data[pos : pos+4]))
			} else {
				u = binary.LittleEndian.Uint32([]byte(data[pos : pos+4]))
			}
			L.Push(lua.LNumber(math.Float32frombits(u)))
			n++
		case 'd':
			var u uint64
			if h.big {
				u = binary.BigEndian.Uint64([]byte(data[pos : pos+8]))
			} else {
				u = binary.LittleEndian.Uint64([]byte(data[pos : pos+8]))
			}
			L.Push(lua.LNumber(math.Float64frombits(u)))
			n++
		case 'c':
			if size == 0 {
				prev, ok := L.Get(-1).(lua.LNumber)
				if n == 0 || !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(prev)
				L.Pop(1)
				n--
				if size > ld || pos > ld-size {
					argError(L, 2, "unpack", "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
			n++
		case 's':
			e := -1
			for i := pos; i < ld; i++ {
				if data[i] == 0 {
					e = i
					break
				}
			}
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			size = e - pos + 1
			L.Push(lua.LString(data[pos:e]))
			n++
		default:
			f.control(opt, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	f := &structFmt{L: L, fname: "size", fmt: checkString(L, 1, "size")}
	h := structHeader{align: 1}
	pos := 0
	for f.more() {
		opt := f.opt()
		size := f.size(opt)
		pos += toAlign(pos, &h, opt, size)
		if opt == 's' {
			argError(L, 1, "size", "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			argError(L, 1, "size", "option 'c0' has no fixed size")
		}
		if !(opt >= 'a' && opt <= 'z' || opt >= 'A' && opt <= 'Z' || opt >= '0' && opt <= '9') {
			f.control(opt, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}
