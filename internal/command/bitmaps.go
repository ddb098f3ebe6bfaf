package command

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/value"
)

// Bitmap commands work on string values as arrays of bits, bit 0 being the
// most significant bit of the first byte (Redis's convention).

func registerBitmaps(t *Table) {
	bm := func(name string, arity int, flags Flag, first, last int, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: first, Last: last, Step: 1, Handler: h,
			Group: "bitmap", Since: since, Summary: summary, Categories: []string{"bitmap"}}
	}
	w := Write | DenyOOM
	t.add(
		bm("setbit", 4, w, 1, 1, cmdSetBit, "2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist."),
		bm("getbit", 3, ReadOnly|Fast, 1, 1, cmdGetBit, "2.2.0", "Returns a bit value by offset."),
		bm("bitcount", -2, ReadOnly, 1, 1, cmdBitCount, "2.6.0", "Counts the number of set bits (population counting) in a string."),
		bm("bitpos", -3, ReadOnly, 1, 1, cmdBitPos, "2.8.7", "Finds the first set (1) or clear (0) bit in a string."),
		bm("bitop", -4, w, 2, -1, cmdBitOp, "2.6.0", "Performs bitwise operations on multiple strings, and stores the result."),
		bm("bitfield", -2, w, 1, 1, func(c *Ctx) { bitfieldGeneric(c, false) }, "3.2.0", "Performs arbitrary bitfield integer operations on strings."),
		bm("bitfield_ro", -2, ReadOnly|Fast, 1, 1, func(c *Ctx) { bitfieldGeneric(c, true) }, "6.0.0", "Performs arbitrary read-only bitfield integer operations on strings."),
	)
}

const (
	errBitOffset   = "ERR bit offset is not an integer or out of range"
	errBitValue    = "ERR bit is not an integer or out of range"
	errBitfieldTyp = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)

// bitOffsetArg parses a bit offset as Redis's getBitOffsetFromArgument:
// with hash and bits > 0, "#n" means n*bits. The offset's byte must be
// below proto-max-bulk-len.
func (c *Ctx) bitOffsetArg(arg []byte, hash bool, width int) (uint64, bool) {
	useHash := hash && width > 0 && len(arg) > 0 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	off, ok := parseInt(arg)
	if !ok {
		c.Err(errBitOffset)
		return 0, false
	}
	if useHash {
		off *= int64(width) // wraps like C's signed multiply does in practice
	}
	if off < 0 || off>>3 >= c.Env.Config.ProtoMaxBulkLen.Get() {
		c.Err(errBitOffset)
		return 0, false
	}
	return uint64(off), true
}

// bitString finds key for a bit write, creating it or zero-padding it so
// that bit maxBit is addressable. grown reports that the key was created or
// lengthened. ok is false when a reply was written.
func (c *Ctx) bitString(key []byte, maxBit uint64) (buf []byte, grown, ok bool) {
	db, ref, exists := c.LookupWrite(key)
	if exists && db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return nil, false, false
	}
	if !exists {
		ref = db.SetString(key, nil, 0, false)
	}
	n := int(maxBit>>3) + 1
	grown = !exists || len(db.Str(ref)) < n
	return db.MutableString(ref, n), grown, true
}

func cmdSetBit(c *Ctx) {
	off, ok := c.bitOffsetArg(c.Args[2], false, 0)
	if !ok {
		return
	}
	on, ok := parseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Err(errBitValue)
		return
	}
	buf, grown, ok := c.bitString(c.Args[1], off)
	if !ok {
		return
	}
	i, mask := off>>3, byte(1)<<(7-off&7)
	old := buf[i]&mask != 0
	if on == 1 {
		buf[i] |= mask
	} else {
		buf[i] &^= mask
	}
	if grown || old != (on == 1) {
		c.Notify(config.EventString, "setbit", c.Args[1])
		c.Changed(1)
	} else {
		c.Changed(0)
	}
	c.W.Int(b2i(old))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmdGetBit(c *Ctx) {
	off, ok := c.bitOffsetArg(c.Args[2], false, 0)
	if !ok {
		return
	}
	v, _, ok := c.getString(c.Args[1])
	if !ok {
		return
	}
	i := off >> 3
	if i >= uint64(len(v)) {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(v[i]>>(7-off&7)) & 1)
}

// popcount counts the set bits of p.
func popcount(p []byte) int64 {
	var n int
	for len(p) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	for _, b := range p {
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// bitRange resolves a BITCOUNT/BITPOS start..end range (negative indexes
// count from the end) over total units, clamped to the value. empty means
// start > end after clamping.
func bitRange(start, end, total int64) (int64, int64, bool) {
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= total {
		end = total - 1
	}
	return start, end, start > end
}

// unitArg parses the BIT|BYTE argument.
func (c *Ctx) unitArg(arg []byte) (isBit, ok bool) {
	switch lower(arg) {
	case "bit":
		return true, true
	case "byte":
		return false, true
	}
	c.Err(ErrSyntax)
	return false, false
}

func cmdBitCount(c *Ctx) {
	v, found, ok := c.getString(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.Int(0)
		return
	}
	n := int64(len(v))
	switch len(c.Args) {
	case 2:
		c.W.Int(popcount(v))
		return
	case 4, 5:
	default:
		c.Err(ErrSyntax)
		return
	}
	start, ok := c.intArg(2)
	if !ok {
		return
	}
	end, ok := c.intArg(3)
	if !ok {
		return
	}
	if start < 0 && end < 0 && start > end {
		c.W.Int(0)
		return
	}
	isBit := false
	if len(c.Args) == 5 {
		if isBit, ok = c.unitArg(c.Args[4]); !ok {
			return
		}
	}
	total := n
	if isBit {
		total <<= 3
	}
	start, end, empty := bitRange(start, end, total)
	if empty {
		c.W.Int(0)
		return
	}
	if !isBit {
		c.W.Int(popcount(v[start : end+1]))
		return
	}
	sb, eb := start>>3, end>>3
	cnt := popcount(v[sb : eb+1])
	cnt -= int64(bits.OnesCount8(v[sb] & ^byte(0xFF>>(start&7))))
	cnt -= int64(bits.OnesCount8(v[eb] & byte(0xFF>>(end&7+1))))
	c.W.Int(cnt)
}

// bitSearch returns the position of the first bit equal to want in p's
// bits from..to (inclusive, both within p), or -1.
func bitSearch(p []byte, from, to int64, want byte) int64 {
	var flip byte
	if want == 0 {
		flip = 0xFF
	}
	sb, eb := from>>3, to>>3
	for i := sb; i <= eb; i++ {
		// Skip whole interior words that cannot match.
		if i > sb {
			skip := uint64(0)
			if want == 0 {
				skip = math.MaxUint64
			}
			for i+8 < eb && binary.LittleEndian.Uint64(p[i:]) == skip {
				i += 8
			}
		}
		b := p[i] ^ flip
		if i == sb {
			b &= 0xFF >> (from & 7)
		}
		if i == eb {
			b &= 0xFF << (7 - to&7)
		}
		if b != 0 {
			return i<<3 + int64(bits.LeadingZeros8(b))
		}
	}
	return -1
}

func cmdBitPos(c *Ctx) {
	bit, ok := c.intArg(2)
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Err("ERR The bit argument must be 1 or 0.")
		return
	}
	v, found, ok := c.getString(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.Int(-bit) // infinite zeros: 0 for a clear bit, -1 for a set one
		return
	}
	n := int64(len(v))
	var start, end int64
	endGiven, isBit := false, false
	switch len(c.Args) {
	case 3:
		start, end = 0, n-1
	case 4, 5, 6:
		if start, ok = c.intArg(3); !ok {
			return
		}
		if len(c.Args) == 6 {
			if isBit, ok = c.unitArg(c.Args[5]); !ok {
				return
			}
		}
		if len(c.Args) >= 5 {
			if end, ok = c.intArg(4); !ok {
				return
			}
			endGiven = true
		} else {
			end = n - 1
			if isBit {
				end = n<<3 + 7
			}
		}
	default:
		c.Err(ErrSyntax)
		return
	}
	total := n
	if isBit {
		total <<= 3
	}
	start, end, empty := bitRange(start, end, total)
	if empty {
		c.W.Int(-1)
		return
	}
	from, to := start, end
	if !isBit {
		from, to = start<<3, end<<3+7
	}
	pos := bitSearch(v, from, to, byte(bit))
	if pos < 0 && bit == 0 && !endGiven {
		// Without an explicit end the string is taken as zero-padded on the
		// right: the first clear bit is the one just past the range.
		pos = to + 1
	}
	c.W.Int(pos)
}

const (
	opAnd = iota
	opOr
	opXor
	opNot
)

func cmdBitOp(c *Ctx) {
	var op int
	switch lower(c.Args[1]) {
	case "and":
		op = opAnd
	case "or":
		op = opOr
	case "xor":
		op = opXor
	case "not":
		op = opNot
	default:
		c.Err(ErrSyntax)
		return
	}
	if op == opNot && len(c.Args) != 4 {
		c.Err("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcKeys := c.Args[3:]
	srcs := make([][]byte, len(srcKeys))
	maxLen := 0
	for i, k := range srcKeys {
		v, _, ok := c.getString(k)
		if !ok {
			return
		}
		srcs[i] = v
		maxLen = max(maxLen, len(v))
	}
	dest := c.Args[2]
	db := c.DB(dest)
	if maxLen == 0 {
		if db.Delete(dest) {
			c.Notify(config.EventGeneric, "del", dest)
		}
		c.W.Int(0)
		return
	}
	// Compute straight into the new value (a raw string in Redis too). A
	// string dest of the right length that is not a source is reused in
	// place; otherwise dest gets a new value, and the sources stay valid:
	// replacing dest's value does not touch the bytes an old value of dest,
	// itself a source, still holds.
	var res []byte
	if ref, ok := db.Find(dest); ok && db.Kind(ref) == value.String && len(db.Str(ref)) == maxLen && !bitopIsSource(dest, srcKeys) {
		res = db.MutableString(ref, maxLen)
		db.SetExpireAt(ref, 0)
	} else {
		res = db.MutableString(db.SetString(dest, nil, 0, false), maxLen)
	}
	copy(res, srcs[0])
	clear(res[len(srcs[0]):])
	switch op {
	case opNot:
		bitopWords(opNot, res, res)
	case opAnd:
		for _, s := range srcs[1:] {
			bitopWords(opAnd, res, s)
			clear(res[len(s):])
		}
	default:
		for _, s := range srcs[1:] {
			bitopWords(op, res, s)
		}
	}
	c.Notify(config.EventString, "set", dest)
	c.W.Int(int64(maxLen))
}

// bitopWords applies op to r[:len(s)] with s (NOT: r = ^s), eight bytes
// at a time: a bitmap of megabytes is combined at memory speed.
func bitopWords(op int, r, s []byte) {
	n := len(s) / 8
	if n > 0 {
		rw := unsafe.Slice((*uint64)(unsafe.Pointer(&r[0])), n)
		sw := unsafe.Slice((*uint64)(unsafe.Pointer(&s[0])), n)
		switch op {
		case opAnd:
			for i := range rw {
				rw[i] &= sw[i]
			}
		case opOr:
			for i := range rw {
				rw[i] |= sw[i]
			}
		case opXor:
			for i := range rw {
				rw[i] ^= sw[i]
			}
		case opNot:
			for i := range rw {
				rw[i] = ^sw[i]
			}
		}
	}
	for i := n * 8; i < len(s); i++ {
		switch op {
		case opAnd:
			r[i] &= s[i]
		case opOr:
			r[i] |= s[i]
		case opXor:
			r[i] ^= s[i]
		case opNot:
			r[i] = ^s[i]
		}
	}
}

func bitopIsSource(dest []byte, srcs [][]byte) bool {
	for _, k := range srcs {
		if bytes.Equal(k, dest) {
			return true
		}
	}
	return false
}

// Bitfield integers: width bits at bit offset off, most significant first.

func getBitfield(p []byte, off uint64, width int) uint64 {
	var v uint64
	for j := 0; j < width; j++ {
		i := off >> 3
		var b uint64
		if i < uint64(len(p)) {
			b = uint64(p[i]>>(7-off&7)) & 1
		}
		v = v<<1 | b
		off++
	}
	return v
}

func getSignedBitfield(p []byte, off uint64, width int) int64 {
	v := getBitfield(p, off, width)
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= math.MaxUint64 << width
	}
	return int64(v)
}

func setBitfield(p []byte, off uint64, width int, v uint64) {
	for j := 0; j < width; j++ {
		bit := byte(v>>(width-1-j)) & 1
		i := off >> 3
		sh := 7 - off&7
		p[i] = p[i]&^(1<<sh) | bit<<sh
		off++
	}
}

const (
	overflowWrap = iota
	overflowSat
	overflowFail
)

// unsignedOverflow checks value+incr against a width-bit unsigned integer
// (Redis's checkUnsignedBitfieldOverflow): it returns whether it overflows
// and the value to store instead under the overflow policy.
func unsignedOverflow(v uint64, incr int64, width int, policy int) (bool, uint64) {
	maxv := uint64(1)<<width - 1
	maxIncr := int64(maxv - v)
	minIncr := -int64(v)
	if v > maxv || (incr > 0 && incr > maxIncr) {
		if policy == overflowSat {
			return true, maxv
		}
		return true, (v + uint64(incr)) &^ (math.MaxUint64 << width)
	}
	if incr < 0 && incr < minIncr {
		if policy == overflowSat {
			return true, 0
		}
		return true, (v + uint64(incr)) &^ (math.MaxUint64 << width)
	}
	return false, 0
}

// signedOverflow is the signed counterpart (checkSignedBitfieldOverflow).
func signedOverflow(v, incr int64, width int, policy int) (bool, int64) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = 1<<(width-1) - 1
	}
	minv := -maxv - 1
	maxIncr := int64(uint64(maxv) - uint64(v))
	minIncr := minv - v
	wrap := func() int64 {
		r := uint64(v) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << width
			if r&(1<<(width-1)) != 0 {
				r |= mask
			} else {
				r &^= mask
			}
		}
		return int64(r)
	}
	if v > maxv || (width != 64 && incr > maxIncr) || (v >= 0 && incr > 0 && incr > maxIncr) {
		if policy == overflowSat {
			return true, maxv
		}
		return true, wrap()
	}
	if v < minv || (width != 64 && incr < minIncr) || (v < 0 && incr < 0 && incr < minIncr) {
		if policy == overflowSat {
			return true, minv
		}
		return true, wrap()
	}
	return false, 0
}

type bitfieldOp struct {
	off      uint64
	arg      int64
	op       byte // 'g', 's', 'i'
	policy   int
	width    int
	isSigned bool
}

func bitfieldType(arg []byte) (signed bool, width int, ok bool) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, false
	}
	signed = arg[0] == 'i'
	n, ok := parseInt(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

func bitfieldGeneric(c *Ctx, readOnly bool) {
	args := c.Args
	var ops []bitfieldOp
	policy := overflowWrap
	writes := false
	var highest uint64
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var op byte
		switch sub := lower(args[j]); {
		case sub == "get" && rem >= 2:
			op = 'g'
		case sub == "set" && rem >= 3:
			op = 's'
		case sub == "incrby" && rem >= 3:
			op = 'i'
		case sub == "overflow" && rem >= 1:
			j++
			switch lower(args[j]) {
			case "wrap":
				policy = overflowWrap
			case "sat":
				policy = overflowSat
			case "fail":
				policy = overflowFail
			default:
				c.Err("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.Err(ErrSyntax)
			return
		}
		signed, width, ok := bitfieldType(args[j+1])
		if !ok {
			c.Err(errBitfieldTyp)
			return
		}
		off, ok := c.bitOffsetArg(args[j+2], true, width)
		if !ok {
			return
		}
		var v int64
		if op != 'g' {
			writes = true
			highest = max(highest, off+uint64(width)-1)
			if v, ok = c.intArg(j + 3); !ok {
				return
			}
			j++
		}
		ops = append(ops, bitfieldOp{off: off, arg: v, op: op, policy: policy, width: width, isSigned: signed})
		j += 2
	}
	var buf []byte
	grown := false
	if !writes {
		v, _, ok := c.getString(args[1])
		if !ok {
			return
		}
		buf = v
	} else {
		if readOnly {
			c.Err("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		var ok bool
		if buf, grown, ok = c.bitString(args[1], highest); !ok {
			return
		}
	}
	changes := 0
	c.W.Array(len(ops))
	for _, o := range ops {
		if o.op == 'g' {
			if o.isSigned {
				c.W.Int(getSignedBitfield(buf, o.off, o.width))
			} else {
				c.W.Int(int64(getBitfield(buf, o.off, o.width)))
			}
			continue
		}
		if o.isSigned {
			old := getSignedBitfield(buf, o.off, o.width)
			var nv, ret int64
			var over bool
			if o.op == 'i' {
				var lim int64
				over, lim = signedOverflow(old, o.arg, o.width, o.policy)
				nv = old + o.arg
				if over {
					nv = lim
				}
				ret = nv
			} else {
				nv = o.arg
				if over2, lim := signedOverflow(nv, 0, o.width, o.policy); over2 {
					over, nv = true, lim
				}
				ret = old
			}
			if over && o.policy == overflowFail {
				c.W.Null()
				continue
			}
			c.W.Int(ret)
			setBitfield(buf, o.off, o.width, uint64(nv))
			if grown || old != nv {
				changes++
			}
			continue
		}
		old := getBitfield(buf, o.off, o.width)
		var nv, ret uint64
		var over bool
		if o.op == 'i' {
			nv = old + uint64(o.arg)
			if over2, lim := unsignedOverflow(old, o.arg, o.width, o.policy); over2 {
				over, nv = true, lim
			}
			ret = nv
		} else {
			nv = uint64(o.arg)
			if over2, lim := unsignedOverflow(nv, 0, o.width, o.policy); over2 {
				over, nv = true, lim
			}
			ret = old
		}
		if over && o.policy == overflowFail {
			c.W.Null()
			continue
		}
		c.W.Int(int64(ret))
		setBitfield(buf, o.off, o.width, nv)
		if grown || old != nv {
			changes++
		}
	}
	if changes > 0 {
		c.Notify(config.EventString, "setbit", args[1])
	}
	c.Changed(int64(changes))
}
