package rdb

import (
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
)

var (
	errZiplist = errors.New("rdb: ziplist integrity check failed")
	errIntset  = errors.New("rdb: intset integrity check failed")
	errZipmap  = errors.New("rdb: zipmap integrity check failed")
)

// ZiplistEach calls fn for each entry of a ziplist (the compact encoding
// of Redis before 7.0): a header (total bytes, tail offset, count), then
// entries of previous-entry length, encoding and data, then 0xFF. Integer
// entries are passed in decimal.
func ZiplistEach(zl []byte, fn func(s []byte) error) error {
	if len(zl) < 11 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xFF {
		return errZiplist
	}
	declared := int(binary.LittleEndian.Uint16(zl[8:]))
	var scratch [24]byte
	p, end, count, prevLen := 10, len(zl)-1, 0, 0
	for p < end {
		start := p
		// Previous entry length: 1 byte, or 0xFE and 4 bytes.
		var pl int
		if zl[p] < 254 {
			pl = int(zl[p])
			p++
		} else if zl[p] == 254 {
			if p+5 > end {
				return errZiplist
			}
			pl = int(binary.LittleEndian.Uint32(zl[p+1:]))
			p += 5
		} else {
			return errZiplist
		}
		if pl != prevLen {
			return errZiplist
		}
		if p >= end {
			return errZiplist
		}
		c := zl[p]
		var s []byte
		var v int64
		isInt := true
		switch {
		case c>>6 == 0:
			n := int(c & 0x3F)
			if p+1+n > end {
				return errZiplist
			}
			s, isInt = zl[p+1:p+1+n], false
			p += 1 + n
		case c>>6 == 1:
			if p+2 > end {
				return errZiplist
			}
			n := int(c&0x3F)<<8 | int(zl[p+1])
			if p+2+n > end {
				return errZiplist
			}
			s, isInt = zl[p+2:p+2+n], false
			p += 2 + n
		case c == 0x80:
			if p+5 > end {
				return errZiplist
			}
			n := int(binary.BigEndian.Uint32(zl[p+1:]))
			if n < 0 || p+5+n > end {
				return errZiplist
			}
			s, isInt = zl[p+5:p+5+n], false
			p += 5 + n
		case c == 0xC0:
			if p+3 > end {
				return errZiplist
			}
			v = int64(int16(binary.LittleEndian.Uint16(zl[p+1:])))
			p += 3
		case c == 0xD0:
			if p+5 > end {
				return errZiplist
			}
			v = int64(int32(binary.LittleEndian.Uint32(zl[p+1:])))
			p += 5
		case c == 0xE0:
			if p+9 > end {
				return errZiplist
			}
			v = int64(binary.LittleEndian.Uint64(zl[p+1:]))
			p += 9
		case c == 0xF0:
			if p+4 > end {
				return errZiplist
			}
			u := uint32(zl[p+1]) | uint32(zl[p+2])<<8 | uint32(zl[p+3])<<16
			v = int64(int32(u<<8) >> 8)
			p += 4
		case c == 0xFE:
			if p+2 > end {
				return errZiplist
			}
			v = int64(int8(zl[p+1]))
			p += 2
		case c >= 0xF1 && c <= 0xFD:
			v = int64(c&0x0F) - 1
			p++
		default:
			return errZiplist
		}
		prevLen = p - start
		if isInt {
			s = strconv.AppendInt(scratch[:0], v, 10)
		}
		if err := fn(s); err != nil {
			return err
		}
		count++
	}
	if p != end || (declared != 65535 && declared != count) {
		return errZiplist
	}
	return nil
}

// IntsetEach calls fn for each member of an intset: encoding (2, 4 or 8
// bytes per member), count, then the members ascending, little endian.
func IntsetEach(is []byte, fn func(v int64) error) error {
	if len(is) < 8 {
		return errIntset
	}
	enc := int(binary.LittleEndian.Uint32(is))
	n := int(binary.LittleEndian.Uint32(is[4:]))
	if (enc != 2 && enc != 4 && enc != 8) || n < 0 || len(is) != 8+n*enc || n == 0 {
		return errIntset
	}
	prev := int64(0)
	for i := 0; i < n; i++ {
		b := is[8+i*enc:]
		var v int64
		switch enc {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		default:
			v = int64(binary.LittleEndian.Uint64(b))
		}
		if i > 0 && v <= prev {
			return errIntset
		}
		prev = v
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// AppendIntset appends the intset of the members (sorted here).
func AppendIntset(b []byte, members []int64) []byte {
	sort.Slice(members, func(i, j int) bool { return members[i] < members[j] })
	enc := 2
	for _, v := range members {
		switch {
		case v < -1<<31 || v > 1<<31-1:
			enc = 8
		case (v < -1<<15 || v > 1<<15-1) && enc < 4:
			enc = 4
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(enc))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(members)))
	for _, v := range members {
		switch enc {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// ZipmapEach calls fn for each field and value of a zipmap (hashes before
// Redis 2.6): a count byte, then entries "len key len free value" where a
// length is one byte, or 254 and 4 bytes, and 0xFF ends the map.
func ZipmapEach(zm []byte, fn func(field, val []byte) error) error {
	if len(zm) < 2 || zm[len(zm)-1] != 0xFF {
		return errZipmap
	}
	p := 1
	readLen := func() (int, bool) {
		if p >= len(zm) {
			return 0, false
		}
		c := zm[p]
		switch {
		case c < 254:
			p++
			return int(c), true
		case c == 254:
			if p+5 > len(zm) {
				return 0, false
			}
			n := int(binary.LittleEndian.Uint32(zm[p+1:]))
			p += 5
			return n, n >= 0
		}
		return 0, false
	}
	for {
		if p >= len(zm) {
			return errZipmap
		}
		if zm[p] == 0xFF {
			if p != len(zm)-1 {
				return errZipmap
			}
			return nil
		}
		kl, ok := readLen()
		if !ok || p+kl > len(zm) {
			return errZipmap
		}
		key := zm[p : p+kl]
		p += kl
		vl, ok := readLen()
		if !ok || p >= len(zm) {
			return errZipmap
		}
		free := int(zm[p])
		p++
		if p+vl+free > len(zm) {
			return errZipmap
		}
		val := zm[p : p+vl]
		p += vl + free
		if err := fn(key, val); err != nil {
			return err
		}
	}
}
