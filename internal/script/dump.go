package script

import (
	"encoding/binary"
	"strings"
)

// FUNCTION DUMP / RESTORE payloads, in Redis 7.0's format: for each
// library the RDB opcode FUNCTION2 (245) and its code as an RDB string,
// then the RDB version (2 bytes, little endian) and a CRC64 of everything
// before (8 bytes, little endian). Strings are written uncompressed;
// LZF-compressed strings from Redis are read.

const (
	rdbOpcodeFunctionPreGA = 246
	rdbOpcodeFunction2     = 245
	rdbVersion             = 10
)

// RestorePolicy is FUNCTION RESTORE's FLUSH|APPEND|REPLACE.
type RestorePolicy int

// Restore policies.
const (
	RestoreAppend RestorePolicy = iota
	RestoreReplace
	RestoreFlush
)

// DumpFunctions is FUNCTION DUMP.
func (e *Engine) DumpFunctions() []byte {
	var b []byte
	for _, l := range e.Libraries() {
		b = append(b, rdbOpcodeFunction2)
		b = appendRDBLen(b, uint64(len(l.Code)))
		b = append(b, l.Code...)
	}
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	return binary.LittleEndian.AppendUint64(b, crc64(0, b))
}

// RestoreFunctions is FUNCTION RESTORE.
func (e *Engine) RestoreFunctions(payload []byte, policy RestorePolicy) error {
	n := len(payload)
	if n < 10 {
		return Error("ERR DUMP payload version or checksum are wrong")
	}
	ver := binary.LittleEndian.Uint16(payload[n-10:])
	if ver > rdbVersion || crc64(0, payload[:n-8]) != binary.LittleEndian.Uint64(payload[n-8:]) {
		return Error("ERR DUMP payload version or checksum are wrong")
	}
	body := payload[:n-10]
	var libs []*Library
	seen := map[string]bool{}
	funcs := map[string]bool{}
	for len(body) > 0 {
		typ := body[0]
		body = body[1:]
		if typ == rdbOpcodeFunctionPreGA {
			return Error("ERR Pre-GA function format not supported")
		}
		if typ != rdbOpcodeFunction2 {
			return Error("ERR given type is not a function")
		}
		code, rest, ok := readRDBString(body)
		if !ok {
			return Error("ERR failed loading the given functions payload")
		}
		body = rest
		lib, err := e.compileLibrary(string(code), 0)
		if err != nil {
			return err
		}
		if seen[lib.Name] {
			return Error("ERR Library '" + lib.Name + "' already exists")
		}
		seen[lib.Name] = true
		for _, f := range lib.Functions {
			k := strings.ToLower(f.Name)
			if funcs[k] {
				return Error("ERR Function " + f.Name + " already exists")
			}
			funcs[k] = true
		}
		libs = append(libs, lib)
	}
	fs := &e.fn
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if policy == RestoreFlush {
		fs.libs = map[string]*Library{}
		fs.funcs = map[string]*Function{}
		fs.order = nil
		for _, l := range libs {
			fs.link(l)
		}
		return nil
	}
	var replaced []*Library
	for _, l := range libs {
		if old := fs.libs[l.Name]; old != nil {
			if policy != RestoreReplace {
				return Error("ERR Library " + l.Name + " already exists")
			}
			replaced = append(replaced, old)
		}
	}
	for _, old := range replaced {
		fs.unlink(old)
	}
	for _, l := range libs {
		for _, f := range l.Functions {
			if fs.funcs[strings.ToLower(f.Name)] != nil {
				for _, old := range replaced {
					fs.link(old)
				}
				return Error("ERR Function " + f.Name + " already exists")
			}
		}
	}
	for _, l := range libs {
		fs.link(l)
	}
	return nil
}

func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// readRDBLen reads an RDB length; enc reports the special encodings
// (11xxxxxx), whose type is returned as the length.
func readRDBLen(b []byte) (n uint64, enc bool, rest []byte, ok bool) {
	if len(b) == 0 {
		return 0, false, nil, false
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), false, b[1:], true
	case 1:
		if len(b) < 2 {
			return 0, false, nil, false
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], true
	case 3:
		return uint64(b[0] & 0x3f), true, b[1:], true
	}
	switch b[0] {
	case 0x80:
		if len(b) < 5 {
			return 0, false, nil, false
		}
		return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], true
	case 0x81:
		if len(b) < 9 {
			return 0, false, nil, false
		}
		return binary.BigEndian.Uint64(b[1:]), false, b[9:], true
	}
	return 0, false, nil, false
}

// readRDBString reads an RDB string: raw, integer-encoded or LZF.
func readRDBString(b []byte) ([]byte, []byte, bool) {
	n, enc, rest, ok := readRDBLen(b)
	if !ok {
		return nil, nil, false
	}
	if !enc {
		if uint64(len(rest)) < n {
			return nil, nil, false
		}
		return rest[:n], rest[n:], true
	}
	switch n {
	case 0, 1, 2: // 8, 16, 32-bit integers
		size := 1 << n
		if len(rest) < size {
			return nil, nil, false
		}
		var v int64
		switch size {
		case 1:
			v = int64(int8(rest[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(rest)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(rest)))
		}
		return []byte(itoa(int(v))), rest[size:], true
	case 3:
		clen, _, r2, ok := readRDBLen(rest)
		if !ok {
			return nil, nil, false
		}
		ulen, _, r3, ok := readRDBLen(r2)
		if !ok || uint64(len(r3)) < clen || ulen > 1<<30 {
			return nil, nil, false
		}
		out, ok := lzfDecompress(r3[:clen], int(ulen))
		if !ok {
			return nil, nil, false
		}
		return out, r3[clen:], true
	}
	return nil, nil, false
}

// lzfDecompress is liblzf's lzf_decompress.
func lzfDecompress(in []byte, outLen int) ([]byte, bool) {
	out := make([]byte, 0, outLen)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > outLen {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(in[i]) - 1
		i++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, false
		}
		for j := 0; j < n; j++ {
			out = append(out, out[ref+j])
		}
	}
	if len(out) != outLen {
		return nil, false
	}
	return out, true
}

// crc64 is Redis's CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9,
// no initial or final xor).
func crc64(crc uint64, b []byte) uint64 {
	for _, c := range b {
		crc = crc64Table[byte(crc)^c] ^ crc>>8
	}
	return crc
}

var crc64Table = func() (t [256]uint64) {
	const poly = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 reflected
	for i := range t {
		c := uint64(i)
		for j := 0; j < 8; j++ {
			if c&1 != 0 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return
}()
