package rdb

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/damselfly-db/damselfly/internal/num"
)

// Encoder appends RDB items to Buf. It never fails: the caller decides
// where the bytes go and when (a snapshot hands full buffers to a writer
// goroutine; DUMP keeps them). The zero Encoder compresses strings with
// LZF like Redis's default rdbcompression yes; set NoCompress to turn it
// off.
type Encoder struct {
	Buf        []byte
	NoCompress bool
	lzf        []byte
	lzfTab     *lzfTable
	lp         Listpack
}

// Type appends an object type or opcode byte.
func (e *Encoder) Type(t byte) { e.Buf = append(e.Buf, t) }

// Len appends an RDB length.
func (e *Encoder) Len(n uint64) { e.Buf = AppendLen(e.Buf, n) }

// AppendLen appends the RDB encoding of length n: 6 bits, 14 bits, 32 or
// 64 bits big-endian.
func AppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|len14Bit<<6, byte(n))
	case n <= math.MaxUint32:
		b = append(b, len32Bit)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, len64Bit)
	return binary.BigEndian.AppendUint64(b, n)
}

// String appends a string as Redis's rdbSaveRawString does: as an 8, 16
// or 32-bit integer when it is the canonical form of one, LZF-compressed
// when longer than 20 bytes and that saves at least 4 bytes, verbatim
// otherwise.
func (e *Encoder) String(s []byte) {
	if len(s) <= 11 {
		if v, ok := parseStrictInt(s); ok {
			if b, ok := appendIntEncoded(e.Buf, v); ok {
				e.Buf = b
				return
			}
		}
	}
	if !e.NoCompress && len(s) > 20 {
		if e.lzfTab == nil {
			e.lzfTab = new(lzfTable)
		}
		if c := e.lzfTab.compress(e.lzf[:0], s, len(s)-4); c != nil {
			e.lzf = c
			e.Buf = append(e.Buf, lenEncVal<<6|rdbEncLZF)
			e.Buf = AppendLen(e.Buf, uint64(len(c)))
			e.Buf = AppendLen(e.Buf, uint64(len(s)))
			e.Buf = append(e.Buf, c...)
			return
		}
	}
	e.Buf = AppendLen(e.Buf, uint64(len(s)))
	e.Buf = append(e.Buf, s...)
}

// RawString appends s with its length and no integer or LZF encoding.
func (e *Encoder) RawString(s []byte) {
	e.Buf = AppendLen(e.Buf, uint64(len(s)))
	e.Buf = append(e.Buf, s...)
}

// Int appends v as an RDB string (integer-encoded when it fits 32 bits).
func (e *Encoder) Int(v int64) {
	if b, ok := appendIntEncoded(e.Buf, v); ok {
		e.Buf = b
		return
	}
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	e.Buf = AppendLen(e.Buf, uint64(len(s)))
	e.Buf = append(e.Buf, s...)
}

func appendIntEncoded(b []byte, v int64) ([]byte, bool) {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, lenEncVal<<6|rdbEncInt8, byte(v)), true
	case v >= math.MinInt16 && v <= math.MaxInt16:
		b = append(b, lenEncVal<<6|rdbEncInt16)
		return binary.LittleEndian.AppendUint16(b, uint16(v)), true
	case v >= math.MinInt32 && v <= math.MaxInt32:
		b = append(b, lenEncVal<<6|rdbEncInt32)
		return binary.LittleEndian.AppendUint32(b, uint32(v)), true
	}
	return b, false
}

// BinaryDouble appends f as 8 little-endian bytes (ZSET_2 scores).
func (e *Encoder) BinaryDouble(f float64) {
	e.Buf = binary.LittleEndian.AppendUint64(e.Buf, math.Float64bits(f))
}

// Millis appends a millisecond time as 8 little-endian bytes.
func (e *Encoder) Millis(ms int64) { e.Buf = binary.LittleEndian.AppendUint64(e.Buf, uint64(ms)) }

// Header appends the magic and version: "REDIS0010".
func (e *Encoder) Header() { e.Buf = append(e.Buf, "REDIS0010"...) }

// Aux appends an AUX field.
func (e *Encoder) Aux(key, val string) {
	e.Type(OpAux)
	e.String([]byte(key))
	e.String([]byte(val))
}

// SelectDB appends a SELECTDB opcode.
func (e *Encoder) SelectDB(db int) {
	e.Type(OpSelectDB)
	e.Len(uint64(db))
}

// ResizeDB appends a RESIZEDB hint.
func (e *Encoder) ResizeDB(keys, expires uint64) {
	e.Type(OpResizeDB)
	e.Len(keys)
	e.Len(expires)
}

// Function appends a FUNCTION2 library (its code).
func (e *Encoder) Function(code []byte) {
	e.Type(OpFunction2)
	e.String(code)
}

// Expire appends an EXPIRETIME_MS opcode.
func (e *Encoder) Expire(ms int64) {
	e.Type(OpExpireTimeMs)
	e.Millis(ms)
}

// Idle appends an IDLE opcode (seconds since last access).
func (e *Encoder) Idle(secs uint64) {
	e.Type(OpIdle)
	e.Len(secs)
}

// Freq appends a FREQ opcode (LFU counter).
func (e *Encoder) Freq(f uint8) { e.Buf = append(e.Buf, OpFreq, f) }

// EOF appends the EOF opcode; the caller appends the checksum of the whole
// file (AppendChecksum) since only it has seen every byte.
func (e *Encoder) EOF() { e.Type(OpEOF) }

// AppendChecksum appends crc as the 8-byte little-endian footer.
func AppendChecksum(b []byte, crc uint64) []byte { return binary.LittleEndian.AppendUint64(b, crc) }

// DumpFooter appends DUMP's footer to a serialized value: the RDB version
// (2 bytes) and the CRC64 of everything before (8 bytes), little endian.
func DumpFooter(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

// parseStrictInt is Redis's string2ll (strings stored as integers).
func parseStrictInt(s []byte) (int64, bool) { return num.ParseInt(s) }
