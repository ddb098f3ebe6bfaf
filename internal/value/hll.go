package value

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
)

// HyperLogLog in Redis's string format, byte for byte, so that an HLL
// value moves between Redis and Damselfly with GET/SET, DUMP/RESTORE or an
// RDB file and counts the same.
//
// The value is a string: a 16-byte header then the registers.
//
//	offset 0  "HYLL"
//	offset 4  encoding: 0 dense, 1 sparse
//	offset 5  3 unused bytes (zero)
//	offset 8  cached cardinality, 64-bit little endian; the top bit of the
//	          last byte set means "stale, recompute"
//	offset 16 registers
//
// There are 2^14 registers of 6 bits. An element is hashed with
// MurmurHash64A (seed 0xadc83b19); the low 14 bits pick the register, and
// the run of zeros in the remaining 50 bits, plus one, is the candidate
// value (at most 51). A register keeps the largest candidate it has seen.
//
// Dense: 12288 bytes, register i at bit i*6, least significant bits first
// (register 0 is the low 6 bits of byte 0, register 1 the high 2 bits of
// byte 0 and the low 4 of byte 1, ...).
//
// Sparse: run-length opcodes, each describing consecutive registers:
//
//	00xxxxxx           ZERO:  xxxxxx+1 (1..64) registers at 0
//	01xxxxxx yyyyyyyy  XZERO: 14-bit length+1 (1..16384) registers at 0
//	1vvvvvxx           VAL:   xx+1 (1..4) registers at vvvvv+1 (1..32)
//
// A new HLL is sparse (two XZERO opcodes' worth: one of 16384). It becomes
// dense, and never goes back, when a register needs a value above 32 or
// when a change would make the whole string longer than hll-sparse-max-bytes.
// The sparse update and merge rules below follow Redis's exactly, since
// they decide the bytes.
//
// The cardinality estimate is Otmar Ertl's improved raw estimator
// ("New cardinality estimation algorithms for HyperLogLog sketches",
// arXiv:1702.01284) over the histogram of register values, as Redis 5+
// computes it, in the same order of float64 operations.

const (
	HLLP          = 14
	HLLQ          = 64 - HLLP
	HLLRegisters  = 1 << HLLP
	hllPMask      = HLLRegisters - 1
	hllBits       = 6
	hllRegMax     = 1<<hllBits - 1
	HLLHeaderSize = 16
	HLLDenseSize  = HLLHeaderSize + (HLLRegisters*hllBits+7)/8

	HLLDense  = 0
	HLLSparse = 1

	hllSparseValMax   = 32
	hllSparseValLen   = 4
	hllSparseZeroMax  = 64
	hllSparseXZeroMax = 16384

	hllAlphaInf = 0.721347520444481703680 // 0.5/ln(2)
	hllSeed     = 0xadc83b19
)

// ErrHLLCorrupt reports a sparse HLL whose opcodes do not describe exactly
// the 16384 registers.
var ErrHLLCorrupt = errors.New("corrupted HLL")

// MurmurHash64A is Austin Appleby's 64-bit MurmurHash2, reading 8-byte
// blocks little endian as Redis does on every architecture.
func MurmurHash64A(key []byte, seed uint32) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(seed) ^ uint64(len(key))*m
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if n := len(key); n > 0 {
		for i := n - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// HLLPatLen returns the register an element maps to and the value it
// proposes for it (the length of its 0...01 pattern).
func HLLPatLen(ele []byte) (index int, count uint8) {
	h := MurmurHash64A(ele, hllSeed)
	index = int(h & hllPMask)
	h >>= HLLP
	h |= 1 << HLLQ
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// NewHLL returns an empty HLL: sparse, one XZERO opcode, cached
// cardinality 0.
func NewHLL() []byte {
	s := make([]byte, HLLHeaderSize+2)
	copy(s, "HYLL")
	s[4] = HLLSparse
	setXZero(s[HLLHeaderSize:], HLLRegisters)
	return s
}

// IsHLL reports whether s is a string Redis accepts as an HLL: at least a
// header, the magic, a known encoding, and the exact size when dense.
func IsHLL(s []byte) bool {
	if len(s) < HLLHeaderSize || string(s[:4]) != "HYLL" || s[4] > HLLSparse {
		return false
	}
	return s[4] != HLLDense || len(s) == HLLDenseSize
}

// HLLEncoding returns HLLDense or HLLSparse.
func HLLEncoding(s []byte) byte { return s[4] }

// HLLInvalidateCache marks the cached cardinality stale.
func HLLInvalidateCache(s []byte) { s[15] |= 0x80 }

// HLLCached returns the cached cardinality and whether it is valid.
func HLLCached(s []byte) (uint64, bool) {
	if s[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(s[8:16]), true
}

// HLLSetCache stores card as the cached cardinality.
func HLLSetCache(s []byte, card uint64) { binary.LittleEndian.PutUint64(s[8:16], card) }

// Dense register access. The register array is 12288 bytes; the last
// register's high byte would be the one past the end, which is always zero
// (Redis reads the sds terminator there).

func denseGet(r []byte, i int) uint8 {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(r[b]) >> fb
	if b+1 < len(r) {
		v |= uint(r[b+1]) << (8 - fb)
	}
	return uint8(v & hllRegMax)
}

func denseSet(r []byte, i int, val uint8) {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(val)
	r[b] = byte(uint(r[b])&^(hllRegMax<<fb) | v<<fb)
	if b+1 < len(r) {
		r[b+1] = byte(uint(r[b+1])&^(hllRegMax>>(8-fb)) | v>>(8-fb))
	}
}

// HLLDenseGet returns register i of a dense HLL string.
func HLLDenseGet(s []byte, i int) uint8 { return denseGet(s[HLLHeaderSize:], i) }

// HLLSetRegister sets register i of a dense HLL string to v.
func HLLSetRegister(s []byte, i int, v uint8) { denseSet(s[HLLHeaderSize:], i, v) }

// Sparse opcodes.

func isZero(b byte) bool  { return b&0xc0 == 0 }
func isXZero(b byte) bool { return b&0xc0 == 0x40 }
func isVal(b byte) bool   { return b&0x80 != 0 }
func zeroLen(b byte) int  { return int(b&0x3f) + 1 }
func xzeroLen(p []byte) int {
	return (int(p[0]&0x3f)<<8 | int(p[1])) + 1
}
func valValue(b byte) int { return int(b>>2&0x1f) + 1 }
func valLen(b byte) int   { return int(b&3) + 1 }
func valOp(val, n int) byte {
	return byte((val-1)<<2|(n-1)) | 0x80
}
func setXZero(p []byte, n int) {
	n--
	p[0] = byte(n>>8) | 0x40
	p[1] = byte(n)
}

// xzeroAt reads an XZERO opcode at p[i]; a truncated one (the string ends
// after its first byte) reads its missing byte as zero, like Redis reading
// the sds terminator.
func xzeroAt(p []byte, i int) int {
	lo := 0
	if i+1 < len(p) {
		lo = int(p[i+1])
	}
	return (int(p[i]&0x3f)<<8 | lo) + 1
}

// HLLToDense converts a sparse HLL to dense, keeping the header (and so the
// cached cardinality). A dense HLL is returned as is.
func HLLToDense(s []byte) ([]byte, error) {
	if s[4] == HLLDense {
		return s, nil
	}
	d := make([]byte, HLLDenseSize)
	copy(d, s[:HLLHeaderSize])
	d[4] = HLLDense
	regs := d[HLLHeaderSize:]
	p := s[HLLHeaderSize:]
	idx := 0
	for i := 0; i < len(p); {
		switch b := p[i]; {
		case isZero(b):
			idx += zeroLen(b)
			i++
		case isXZero(b):
			idx += xzeroAt(p, i)
			i += 2
		default:
			n, v := valLen(b), valValue(b)
			if idx+n > HLLRegisters {
				return nil, ErrHLLCorrupt
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, uint8(v))
				idx++
			}
			i++
		}
	}
	if idx != HLLRegisters {
		return nil, ErrHLLCorrupt
	}
	return d, nil
}

// HLLSet raises register index of s to count if it is lower, following
// Redis's hllSparseSet/hllDenseSet exactly: it may rewrite, grow or
// promote the string, so it returns the new one. changed reports that a
// register changed. maxSparse is hll-sparse-max-bytes.
func HLLSet(s []byte, index int, count uint8, maxSparse int64) (out []byte, changed bool, err error) {
	if s[4] == HLLDense {
		r := s[HLLHeaderSize:]
		if count > denseGet(r, index) {
			denseSet(r, index, count)
			return s, true, nil
		}
		return s, false, nil
	}
	if count > hllSparseValMax {
		return hllPromote(s, index, count)
	}
	// Step 1: find the opcode covering index.
	p := s[HLLHeaderSize:]
	end := len(p)
	first, span := 0, 0
	i, prev := 0, -1
	for i < end {
		oplen := 1
		switch b := p[i]; {
		case isZero(b):
			span = zeroLen(b)
		case isVal(b):
			span = valLen(b)
		default:
			span = xzeroAt(p, i)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = i
		i += oplen
		first += span
	}
	if span == 0 || i >= end {
		return s, false, ErrHLLCorrupt
	}
	b := p[i]
	zero, xzero, val := isZero(b), isXZero(b), isVal(b)
	var runlen int
	switch {
	case zero:
		runlen = zeroLen(b)
	case xzero:
		runlen = xzeroAt(p, i)
	default:
		runlen = valLen(b)
	}
	updated := false
	if val {
		old := valValue(b)
		if old >= int(count) {
			return s, false, nil
		}
		if runlen == 1 {
			p[i] = valOp(int(count), 1)
			updated = true
		}
	}
	if !updated && zero && runlen == 1 {
		p[i] = valOp(int(count), 1)
		updated = true
	}
	if !updated {
		// Split the opcode: at worst XZERO-VAL-XZERO, 5 bytes.
		var seq [5]byte
		n := 0
		last := first + span - 1
		putZero := func(l int) {
			if l > hllSparseZeroMax {
				setXZero(seq[n:], l)
				n += 2
			} else {
				seq[n] = byte(l - 1)
				n++
			}
		}
		if zero || xzero {
			if index != first {
				putZero(index - first)
			}
			seq[n] = valOp(int(count), 1)
			n++
			if index != last {
				putZero(last - index)
			}
		} else {
			cur := valValue(b)
			if index != first {
				seq[n] = valOp(cur, index-first)
				n++
			}
			seq[n] = valOp(int(count), 1)
			n++
			if index != last {
				seq[n] = valOp(cur, last-index)
				n++
			}
		}
		oldlen := 1
		if xzero {
			oldlen = 2
		}
		delta := n - oldlen
		if delta > 0 && int64(len(s)+delta) > maxSparse {
			return hllPromote(s, index, count)
		}
		tailAt := HLLHeaderSize + i + oldlen
		if tailAt > len(s) {
			tailAt = len(s) // a truncated final XZERO
		}
		ns := make([]byte, 0, len(s)+delta)
		ns = append(ns, s[:HLLHeaderSize+i]...)
		ns = append(ns, seq[:n]...)
		ns = append(ns, s[tailAt:]...)
		s = ns
		p = s[HLLHeaderSize:]
		end = len(p)
	}
	// Step 4: merge adjacent VAL opcodes of the same value, scanning up to
	// five opcodes from the previous one.
	j := 0
	if prev >= 0 {
		j = prev
	}
	for scan := 5; j < end && scan > 0; scan-- {
		if isXZero(p[j]) {
			j += 2
			continue
		}
		if isZero(p[j]) {
			j++
			continue
		}
		if j+1 < end && isVal(p[j+1]) {
			v1, v2 := valValue(p[j]), valValue(p[j+1])
			if v1 == v2 {
				if l := valLen(p[j]) + valLen(p[j+1]); l <= hllSparseValLen {
					p[j+1] = valOp(v1, l)
					copy(p[j:], p[j+1:])
					s = s[:len(s)-1]
					p = s[HLLHeaderSize:]
					end--
					continue
				}
			}
		}
		j++
	}
	HLLInvalidateCache(s)
	return s, true, nil
}

func hllPromote(s []byte, index int, count uint8) ([]byte, bool, error) {
	d, err := HLLToDense(s)
	if err != nil {
		return s, false, err
	}
	denseSet(d[HLLHeaderSize:], index, count)
	return d, true, nil
}

// HLLAdd adds ele to s (see HLLSet).
func HLLAdd(s, ele []byte, maxSparse int64) ([]byte, bool, error) {
	index, count := HLLPatLen(ele)
	return HLLSet(s, index, count, maxSparse)
}

// HLLMergeInto raises max[i] to s's register i for every i (max has
// HLLRegisters entries).
func HLLMergeInto(max []uint8, s []byte) error {
	if s[4] == HLLDense {
		r := s[HLLHeaderSize:]
		_ = max[HLLRegisters-1]
		for i, j := 0, 0; i+2 < len(r); i, j = i+3, j+4 {
			// Four 6-bit registers in every three bytes.
			b0, b1, b2 := r[i], r[i+1], r[i+2]
			m := max[j : j+4 : j+4]
			if v := b0 & 63; v > m[0] {
				m[0] = v
			}
			if v := (b0>>6 | b1<<2) & 63; v > m[1] {
				m[1] = v
			}
			if v := (b1>>4 | b2<<4) & 63; v > m[2] {
				m[2] = v
			}
			if v := b2 >> 2; v > m[3] {
				m[3] = v
			}
		}
		return nil
	}
	p := s[HLLHeaderSize:]
	idx := 0
	for i := 0; i < len(p); {
		switch b := p[i]; {
		case isZero(b):
			idx += zeroLen(b)
			i++
		case isXZero(b):
			idx += xzeroAt(p, i)
			i += 2
		default:
			n, v := valLen(b), uint8(valValue(b))
			if idx+n > HLLRegisters {
				return ErrHLLCorrupt
			}
			for ; n > 0; n-- {
				if v > max[idx] {
					max[idx] = v
				}
				idx++
			}
			i++
		}
	}
	if idx != HLLRegisters {
		return ErrHLLCorrupt
	}
	return nil
}

// HLLCount estimates the cardinality of s from its registers (ignoring the
// cache). A sparse HLL whose opcodes do not cover exactly all registers is
// corrupt.
func HLLCount(s []byte) (uint64, error) {
	var histo [64]int
	if s[4] == HLLDense {
		r := s[HLLHeaderSize:]
		for i := 0; i+2 < len(r); i += 3 {
			b0, b1, b2 := r[i], r[i+1], r[i+2]
			histo[b0&63]++
			histo[(b0>>6|b1<<2)&63]++
			histo[(b1>>4|b2<<4)&63]++
			histo[b2>>2]++
		}
	} else {
		p := s[HLLHeaderSize:]
		idx := 0
		for i := 0; i < len(p); {
			switch b := p[i]; {
			case isZero(b):
				n := zeroLen(b)
				idx += n
				histo[0] += n
				i++
			case isXZero(b):
				n := xzeroAt(p, i)
				idx += n
				histo[0] += n
				i += 2
			default:
				n := valLen(b)
				idx += n
				histo[valValue(b)] += n
				i++
			}
		}
		if idx != HLLRegisters {
			return 0, ErrHLLCorrupt
		}
	}
	return hllEstimate(&histo), nil
}

// HLLCountRegisters estimates the cardinality of raw 8-bit registers (the
// union PFCOUNT builds for several keys).
func HLLCountRegisters(regs []uint8) uint64 {
	var histo [64]int
	for _, v := range regs {
		histo[v&63]++
	}
	return hllEstimate(&histo)
}

func hllEstimate(histo *[64]int) uint64 {
	const m = float64(HLLRegisters)
	// float64() conversions keep each product rounded on its own: no fused
	// multiply-add, as in Redis's C build.
	z := float64(m * hllTau((m-float64(histo[HLLQ+1]))/m))
	for j := HLLQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(histo[0])/m))
	return uint64(math.Round(float64(float64(hllAlphaInf*m)*m) / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zp := z
		z += float64(x * y)
		y += y
		if zp == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := float64((1 - x) * (1 - x))
		z -= float64(d * y)
		if zp == z {
			return z / 3
		}
	}
}

// HLLFromRegisters builds the HLL PFMERGE stores: starting from dst (an
// existing HLL, or nil for a new one), raise each register to max[i], in
// index order, promoting to dense first when toDense.
func HLLFromRegisters(dst []byte, max []uint8, toDense bool, maxSparse int64) ([]byte, error) {
	if dst == nil {
		dst = NewHLL()
	}
	var err error
	if toDense {
		if dst, err = HLLToDense(dst); err != nil {
			return nil, err
		}
	}
	for i, v := range max {
		if v == 0 {
			continue
		}
		// Like Redis, errors are ignored here: dst was validated as a
		// merge source already.
		if out, _, err := HLLSet(dst, i, v, maxSparse); err == nil {
			dst = out
		}
	}
	HLLInvalidateCache(dst)
	return dst, nil
}

// HLLDecode renders a sparse HLL's opcodes as PFDEBUG DECODE does.
func HLLDecode(s []byte) string {
	var out []byte
	p := s[HLLHeaderSize:]
	for i := 0; i < len(p); {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		switch b := p[i]; {
		case isZero(b):
			out = append(out, "z:"...)
			out = appendInt(out, zeroLen(b))
			i++
		case isXZero(b):
			out = append(out, "Z:"...)
			out = appendInt(out, xzeroAt(p, i))
			i += 2
		default:
			out = append(out, "v:"...)
			out = appendInt(out, valValue(b))
			out = append(out, ',')
			out = appendInt(out, valLen(b))
			i++
		}
	}
	return string(out)
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
