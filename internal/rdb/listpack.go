package rdb

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Listpack builds a Redis listpack: a 6-byte header (total bytes, element
// count), the entries, and a 0xFF terminator. Each entry is an encoding
// byte (integer or string of some width), its data, and a "backlen" that
// lets the list be walked backwards. Strings that are the canonical form
// of an int64 are stored as integers, as Redis's lpAppend does.
type Listpack struct {
	b []byte
	n int
}

const lpHeaderSize = 6

// Reset empties the listpack, keeping its memory.
func (l *Listpack) Reset() {
	l.b = append(l.b[:0], 0, 0, 0, 0, 0, 0)
	l.n = 0
}

// Count is the number of entries.
func (l *Listpack) Count() int { return l.n }

// Bytes is the size of the finished listpack so far.
func (l *Listpack) Bytes() int {
	if len(l.b) == 0 {
		return lpHeaderSize + 1
	}
	return len(l.b) + 1
}

// EntrySize is the number of bytes Append(s) adds, as Redis computes it to
// decide when a node is full.
func EntrySize(s []byte) int {
	if v, ok := parseStrictInt(s); ok {
		n := intEncLen(v)
		return n + backlenSize(n)
	}
	n := strEncLen(len(s))
	return n + backlenSize(n)
}

func intEncLen(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 5
	}
	return 9
}

func strEncLen(n int) int {
	switch {
	case n < 64:
		return 1 + n
	case n < 4096:
		return 2 + n
	}
	return 5 + n
}

func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func appendBacklen(b []byte, l int) []byte {
	switch backlenSize(l) {
	case 1:
		return append(b, byte(l))
	case 2:
		return append(b, byte(l>>7), byte(l&127)|128)
	case 3:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case 4:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
}

// Append adds s, integer-encoded when it is a canonical int64.
func (l *Listpack) Append(s []byte) {
	if v, ok := parseStrictInt(s); ok {
		l.AppendInt(v)
		return
	}
	if len(l.b) == 0 {
		l.Reset()
	}
	start := len(l.b)
	n := len(s)
	switch {
	case n < 64:
		l.b = append(l.b, 0x80|byte(n))
	case n < 4096:
		l.b = append(l.b, 0xE0|byte(n>>8), byte(n))
	default:
		l.b = append(l.b, 0xF0)
		l.b = binary.LittleEndian.AppendUint32(l.b, uint32(n))
	}
	l.b = append(l.b, s...)
	l.b = appendBacklen(l.b, len(l.b)-start)
	l.n++
}

// AppendInt adds an integer entry.
func (l *Listpack) AppendInt(v int64) {
	if len(l.b) == 0 {
		l.Reset()
	}
	start := len(l.b)
	switch intEncLen(v) {
	case 1:
		l.b = append(l.b, byte(v))
	case 2:
		u := uint64(v) & (1<<13 - 1)
		l.b = append(l.b, 0xC0|byte(u>>8), byte(u))
	case 3:
		l.b = append(l.b, 0xF1)
		l.b = binary.LittleEndian.AppendUint16(l.b, uint16(v))
	case 4:
		u := uint32(v)
		l.b = append(l.b, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case 5:
		l.b = append(l.b, 0xF3)
		l.b = binary.LittleEndian.AppendUint32(l.b, uint32(v))
	default:
		l.b = append(l.b, 0xF4)
		l.b = binary.LittleEndian.AppendUint64(l.b, uint64(v))
	}
	l.b = appendBacklen(l.b, len(l.b)-start)
	l.n++
}

// Finish terminates the listpack and returns its bytes, which stay valid
// until the next Reset or Append.
func (l *Listpack) Finish() []byte {
	if len(l.b) == 0 {
		l.Reset()
	}
	b := append(l.b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	cnt := l.n
	if cnt > 65535 {
		cnt = 65535
	}
	binary.LittleEndian.PutUint16(b[4:], uint16(cnt))
	return b
}

var errListpack = errors.New("rdb: listpack integrity check failed")

// ListpackEach calls fn for each entry of the listpack lp, in order. An
// integer entry is passed as its decimal form in a scratch buffer (and
// isInt true, v its value); a string entry as a slice of lp. It checks the
// listpack's structure as Redis's deep validation does.
func ListpackEach(lp []byte, fn func(s []byte, v int64, isInt bool) error) error {
	if len(lp) < lpHeaderSize+1 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != 0xFF {
		return errListpack
	}
	declared := int(binary.LittleEndian.Uint16(lp[4:]))
	var scratch [24]byte
	count := 0
	p := lpHeaderSize
	end := len(lp) - 1
	for p < end {
		start := p
		c := lp[p]
		var s []byte
		var v int64
		isInt := true
		need := func(n int) bool { return p+n <= end }
		switch {
		case c&0x80 == 0:
			v = int64(c)
			p++
		case c&0xC0 == 0x80:
			n := int(c & 0x3F)
			if !need(1 + n) {
				return errListpack
			}
			s = lp[p+1 : p+1+n]
			isInt = false
			p += 1 + n
		case c&0xE0 == 0xC0:
			if !need(2) {
				return errListpack
			}
			u := uint64(c&0x1F)<<8 | uint64(lp[p+1])
			if u >= 1<<12 {
				v = int64(u) - 1<<13
			} else {
				v = int64(u)
			}
			p += 2
		case c&0xF0 == 0xE0:
			if !need(2) {
				return errListpack
			}
			n := int(c&0x0F)<<8 | int(lp[p+1])
			if !need(2 + n) {
				return errListpack
			}
			s = lp[p+2 : p+2+n]
			isInt = false
			p += 2 + n
		case c == 0xF0:
			if !need(5) {
				return errListpack
			}
			n := int(binary.LittleEndian.Uint32(lp[p+1:]))
			if n < 0 || !need(5+n) {
				return errListpack
			}
			s = lp[p+5 : p+5+n]
			isInt = false
			p += 5 + n
		case c == 0xF1:
			if !need(3) {
				return errListpack
			}
			v = int64(int16(binary.LittleEndian.Uint16(lp[p+1:])))
			p += 3
		case c == 0xF2:
			if !need(4) {
				return errListpack
			}
			u := uint32(lp[p+1]) | uint32(lp[p+2])<<8 | uint32(lp[p+3])<<16
			v = int64(int32(u<<8) >> 8)
			p += 4
		case c == 0xF3:
			if !need(5) {
				return errListpack
			}
			v = int64(int32(binary.LittleEndian.Uint32(lp[p+1:])))
			p += 5
		case c == 0xF4:
			if !need(9) {
				return errListpack
			}
			v = int64(binary.LittleEndian.Uint64(lp[p+1:]))
			p += 9
		default:
			return errListpack
		}
		// The backlen must encode the entry's size.
		l := p - start
		bl := backlenSize(l)
		if p+bl > end {
			return errListpack
		}
		var tmp [5]byte
		if string(appendBacklen(tmp[:0], l)) != string(lp[p:p+bl]) {
			return errListpack
		}
		p += bl
		if isInt {
			s = strconv.AppendInt(scratch[:0], v, 10)
		}
		if err := fn(s, v, isInt); err != nil {
			return err
		}
		count++
	}
	if p != end || (declared != 65535 && declared != count) {
		return errListpack
	}
	return nil
}
