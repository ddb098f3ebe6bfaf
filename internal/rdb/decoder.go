package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Errors the reader reports.
var (
	ErrSignature = errors.New("rdb: wrong signature trying to load DB from file")
	ErrChecksum  = errors.New("rdb: wrong RDB checksum")
	ErrCorrupt   = errors.New("rdb: corrupt or truncated data")
	// ErrEmptyKey is returned for an empty collection: Redis skips such
	// keys when loading a file and refuses them in RESTORE.
	ErrEmptyKey = errors.New("rdb: empty key")
)

// UnsupportedError reports a type or opcode that Damselfly cannot load
// (module values, Dragonfly's JSON and probabilistic types).
type UnsupportedError struct {
	What string
	Code byte
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("rdb: unsupported %s %d", e.What, e.Code)
}

// src is a buffered reader that folds every byte it hands out into the
// running CRC64 and refuses lengths beyond what is left of the input.
type src struct {
	r      io.Reader
	buf    []byte
	pos    int // next byte to hand out
	crcPos int // bytes [crcPos, pos) not yet in crc
	crc    uint64
	off    int64 // offset of buf[0] in the input
	left   int64 // input bytes not yet buffered (-1 unknown)
	err    error
}

func (s *src) init(r io.Reader, size int64) {
	s.r = r
	s.left = size
	s.buf = make([]byte, 0, 64<<10)
}

// foldCRC brings the checksum up to the read position.
func (s *src) foldCRC() {
	if s.pos > s.crcPos {
		s.crc = CRC64(s.crc, s.buf[s.crcPos:s.pos])
		s.crcPos = s.pos
	}
}

// fill makes at least n bytes available after pos.
func (s *src) fill(n int) error {
	if len(s.buf)-s.pos >= n {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	s.foldCRC()
	// Compact.
	rest := copy(s.buf, s.buf[s.pos:])
	s.off += int64(s.pos)
	s.buf = s.buf[:rest]
	s.pos, s.crcPos = 0, 0
	if cap(s.buf) < n {
		nb := make([]byte, rest, n+(64<<10))
		copy(nb, s.buf)
		s.buf = nb
	}
	for len(s.buf) < n {
		m, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+m]
		if s.left >= 0 {
			s.left -= int64(m)
		}
		if err != nil {
			if len(s.buf) >= n {
				break
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			s.err = err
			return err
		}
	}
	return nil
}

// available is how many input bytes remain (buffered or not), or -1.
func (s *src) available() int64 {
	if s.left < 0 {
		return -1
	}
	return s.left + int64(len(s.buf)-s.pos)
}

// next returns the next n bytes; valid until the next call.
func (s *src) next(n int) ([]byte, error) {
	if err := s.fill(n); err != nil {
		return nil, err
	}
	b := s.buf[s.pos : s.pos+n]
	s.pos += n
	return b, nil
}

func (s *src) byte() (byte, error) {
	if s.pos < len(s.buf) {
		c := s.buf[s.pos]
		s.pos++
		return c, nil
	}
	b, err := s.next(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// readInto fills dst.
func (s *src) readInto(dst []byte) error {
	const chunk = 1 << 20
	for len(dst) > 0 {
		n := len(dst)
		if n > chunk {
			n = chunk
		}
		b, err := s.next(n)
		if err != nil {
			return err
		}
		copy(dst, b)
		dst = dst[n:]
	}
	return nil
}

// offset is the input offset of the next byte.
func (s *src) offset() int64 { return s.off + int64(s.pos) }

// decoder holds what both file and DUMP decoding need.
type decoder struct {
	s   src
	ver int
	tmp []byte
}

func (d *decoder) corrupt(what string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrCorrupt, what, d.s.offset())
}

// readLen reads a length; enc reports a special string encoding (the
// returned value is then the encoding type).
func (d *decoder) readLen() (n uint64, enc bool, err error) {
	c, err := d.s.byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case len6Bit:
		return uint64(c & 0x3F), false, nil
	case len14Bit:
		c2, err := d.s.byte()
		if err != nil {
			return 0, false, err
		}
		return uint64(c&0x3F)<<8 | uint64(c2), false, nil
	case lenEncVal:
		return uint64(c & 0x3F), true, nil
	}
	switch c {
	case len32Bit:
		b, err := d.s.next(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(b)), false, nil
	case len64Bit:
		b, err := d.s.next(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(b), false, nil
	}
	return 0, false, d.corrupt("unknown length encoding")
}

func (d *decoder) length() (uint64, error) {
	n, enc, err := d.readLen()
	if err == nil && enc {
		err = d.corrupt("encoded value where a length was expected")
	}
	return n, err
}

// count reads a collection length and checks it against the input left
// (every element takes at least one byte), so a hostile length cannot
// make us allocate.
func (d *decoder) count(perElem int64) (int, error) {
	n, err := d.length()
	if err != nil {
		return 0, err
	}
	if a := d.s.available(); a >= 0 && n > uint64(a)/uint64(perElem) {
		return 0, d.corrupt("length beyond end of input")
	}
	if n > math.MaxInt32 {
		return 0, d.corrupt("length too large")
	}
	return int(n), nil
}

// appendString reads an RDB string and appends it to dst.
func (d *decoder) appendString(dst []byte) ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if enc {
		switch n {
		case rdbEncInt8:
			c, err := d.s.byte()
			if err != nil {
				return nil, err
			}
			return strconv.AppendInt(dst, int64(int8(c)), 10), nil
		case rdbEncInt16:
			b, err := d.s.next(2)
			if err != nil {
				return nil, err
			}
			return strconv.AppendInt(dst, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
		case rdbEncInt32:
			b, err := d.s.next(4)
			if err != nil {
				return nil, err
			}
			return strconv.AppendInt(dst, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
		case rdbEncLZF:
			clen, err := d.length()
			if err != nil {
				return nil, err
			}
			ulen, err := d.length()
			if err != nil {
				return nil, err
			}
			if a := d.s.available(); a >= 0 && clen > uint64(a) {
				return nil, d.corrupt("compressed string beyond end of input")
			}
			// LZF expands at most ~ 264/3 per 3 input bytes.
			if clen > math.MaxInt32 || ulen > math.MaxInt32 || ulen > clen*100+64 {
				return nil, d.corrupt("bad LZF lengths")
			}
			if cap(d.tmp) < int(clen) {
				d.tmp = make([]byte, clen)
			}
			c := d.tmp[:clen]
			if err := d.s.readInto(c); err != nil {
				return nil, err
			}
			out, ok := LZFDecompress(dst, c, int(ulen))
			if !ok {
				return nil, d.corrupt("invalid LZF compressed string")
			}
			return out, nil
		}
		return nil, d.corrupt("unknown string encoding")
	}
	if a := d.s.available(); a >= 0 && n > uint64(a) {
		return nil, d.corrupt("string beyond end of input")
	}
	if n > math.MaxInt32 {
		return nil, d.corrupt("string too large")
	}
	start := len(dst)
	if cap(dst)-start < int(n) {
		nd := make([]byte, start, start+int(n))
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:start+int(n)]
	if err := d.s.readInto(dst[start:]); err != nil {
		return nil, err
	}
	return dst, nil
}

// str reads a string into a fresh slice.
func (d *decoder) str() ([]byte, error) {
	b, err := d.appendString(nil)
	if b == nil && err == nil {
		b = []byte{}
	}
	return b, err
}

func (d *decoder) millis() (int64, error) {
	b, err := d.s.next(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

// oldDouble reads the decimal double of the original ZSET type.
func (d *decoder) oldDouble() (float64, error) {
	c, err := d.s.byte()
	if err != nil {
		return 0, err
	}
	switch c {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := d.s.next(int(c))
	if err != nil {
		return 0, err
	}
	f, ok := ParseScore(b)
	if !ok {
		return 0, d.corrupt("bad double value")
	}
	return f, nil
}

// ParseScore parses a score as Redis's strtod-based readers accept it
// ("inf", "-inf", decimal or exponent forms).
func ParseScore(b []byte) (float64, bool) {
	s := string(b)
	switch s {
	case "inf", "+inf", "Inf", "+Inf", "INF":
		return math.Inf(1), true
	case "-inf", "-Inf", "-INF":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

func (d *decoder) streamID() (StreamID, error) {
	ms, err := d.length()
	if err != nil {
		return StreamID{}, err
	}
	seq, err := d.length()
	return StreamID{ms, seq}, err
}

func (d *decoder) rawID() (StreamID, error) {
	b, err := d.s.next(16)
	if err != nil {
		return StreamID{}, err
	}
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, nil
}

// copyElem copies a listpack/ziplist element out of its (reused) buffer
// when it is an integer rendered in scratch; strings alias the blob, which
// is freshly allocated per value.
func copyElem(s []byte, isInt bool) []byte {
	if isInt {
		return append([]byte(nil), s...)
	}
	return s
}

// value reads a value of RDB type t.
func (d *decoder) value(t byte) (*Value, error) {
	v := &Value{Encoding: t}
	var err error
	switch t {
	case TypeString:
		v.Kind = KindString
		v.Str, err = d.str()
		return v, err
	case TypeList, TypeSet:
		v.Kind = KindList
		if t == TypeSet {
			v.Kind = KindSet
		}
		n, err := d.count(1)
		if err != nil {
			return nil, err
		}
		v.Elems = make([][]byte, 0, n)
		for i := 0; i < n; i++ {
			s, err := d.str()
			if err != nil {
				return nil, err
			}
			v.Elems = append(v.Elems, s)
		}
	case TypeZSet, TypeZSet2:
		v.Kind = KindZSet
		n, err := d.count(2)
		if err != nil {
			return nil, err
		}
		v.Elems = make([][]byte, 0, n)
		v.Scores = make([]float64, 0, n)
		for i := 0; i < n; i++ {
			s, err := d.str()
			if err != nil {
				return nil, err
			}
			var f float64
			if t == TypeZSet2 {
				b, err := d.s.next(8)
				if err != nil {
					return nil, err
				}
				f = math.Float64frombits(binary.LittleEndian.Uint64(b))
			} else if f, err = d.oldDouble(); err != nil {
				return nil, err
			}
			if math.IsNaN(f) {
				return nil, d.corrupt("zset score is NaN")
			}
			v.Elems = append(v.Elems, s)
			v.Scores = append(v.Scores, f)
		}
	case TypeHash, TypeDFHashWithExpiry:
		v.Kind = KindHash
		n, err := d.count(2)
		if err != nil {
			return nil, err
		}
		v.Elems = make([][]byte, 0, 2*n)
		if t == TypeDFHashWithExpiry {
			v.FieldTTLs = make([]int64, 0, n)
		}
		for i := 0; i < n; i++ {
			f, err := d.str()
			if err != nil {
				return nil, err
			}
			val, err := d.str()
			if err != nil {
				return nil, err
			}
			v.Elems = append(v.Elems, f, val)
			if t == TypeDFHashWithExpiry {
				ttl, err := d.dfExpiry()
				if err != nil {
					return nil, err
				}
				v.FieldTTLs = append(v.FieldTTLs, ttl)
			}
		}
	case TypeDFSetWithExpiry:
		// Damselfly has no member TTLs: members that have not expired
		// are kept, without their TTL.
		v.Kind = KindSet
		n, err := d.count(2)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			m, err := d.str()
			if err != nil {
				return nil, err
			}
			ttl, err := d.dfExpiry()
			if err != nil {
				return nil, err
			}
			if ttl != 0 && ttl <= nowMs() {
				continue
			}
			v.Elems = append(v.Elems, m)
		}
	case TypeHashZipmap:
		v.Kind = KindHash
		blob, err := d.str()
		if err != nil {
			return nil, err
		}
		err = ZipmapEach(blob, func(f, val []byte) error {
			v.Elems = append(v.Elems, f, val)
			return nil
		})
		if err != nil {
			return nil, err
		}
	case TypeListZiplist, TypeSetIntset, TypeZSetZiplist, TypeHashZiplist, TypeHashListpack, TypeZSetListpack, TypeSetListpack:
		blob, err := d.str()
		if err != nil {
			return nil, err
		}
		each := func(fn func(s []byte, isInt bool) error) error {
			return ListpackEach(blob, func(s []byte, _ int64, isInt bool) error { return fn(s, isInt) })
		}
		if t == TypeListZiplist || t == TypeZSetZiplist || t == TypeHashZiplist {
			each = func(fn func(s []byte, isInt bool) error) error {
				return ZiplistEach(blob, func(s []byte) error { return fn(append([]byte(nil), s...), false) })
			}
		}
		switch t {
		case TypeListZiplist:
			v.Kind = KindList
		case TypeSetIntset, TypeSetListpack:
			v.Kind = KindSet
		case TypeZSetZiplist, TypeZSetListpack:
			v.Kind = KindZSet
		default:
			v.Kind = KindHash
		}
		if t == TypeSetIntset {
			err = IntsetEach(blob, func(x int64) error {
				v.Elems = append(v.Elems, strconv.AppendInt(nil, x, 10))
				return nil
			})
		} else {
			err = each(func(s []byte, isInt bool) error {
				v.Elems = append(v.Elems, copyElem(s, isInt))
				return nil
			})
		}
		if err != nil {
			return nil, err
		}
		if v.Kind == KindHash && len(v.Elems)%2 != 0 {
			return nil, d.corrupt("odd number of hash listpack entries")
		}
		if v.Kind == KindZSet {
			if len(v.Elems)%2 != 0 {
				return nil, d.corrupt("odd number of zset listpack entries")
			}
			members := make([][]byte, 0, len(v.Elems)/2)
			for i := 0; i < len(v.Elems); i += 2 {
				f, ok := ParseScore(v.Elems[i+1])
				if !ok || math.IsNaN(f) {
					return nil, d.corrupt("bad zset score")
				}
				members = append(members, v.Elems[i])
				v.Scores = append(v.Scores, f)
			}
			v.Elems = members
		}
	case TypeListQuicklist, TypeListQuicklist2:
		v.Kind = KindList
		n, err := d.count(2)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			container := uint64(quicklistNodePacked)
			if t == TypeListQuicklist2 {
				if container, err = d.length(); err != nil {
					return nil, err
				}
				if container != quicklistNodePacked && container != quicklistNodePlain {
					return nil, d.corrupt("quicklist integrity check failed")
				}
			}
			blob, err := d.str()
			if err != nil {
				return nil, err
			}
			if len(blob) == 0 {
				return nil, d.corrupt("empty quicklist node")
			}
			switch {
			case container == quicklistNodePlain:
				v.Elems = append(v.Elems, blob)
			case t == TypeListQuicklist2:
				err = ListpackEach(blob, func(s []byte, _ int64, isInt bool) error {
					v.Elems = append(v.Elems, copyElem(s, isInt))
					return nil
				})
			default:
				err = ZiplistEach(blob, func(s []byte) error {
					v.Elems = append(v.Elems, append([]byte(nil), s...))
					return nil
				})
			}
			if err != nil {
				return nil, err
			}
		}
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		v.Kind = KindStream
		v.Stream, err = d.stream(t)
		if err != nil {
			return nil, err
		}
		return v, nil
	case TypeModule, TypeModule2:
		return nil, &UnsupportedError{"module value type", t}
	default:
		return nil, &UnsupportedError{"object type", t}
	}
	if len(v.Elems) == 0 {
		return nil, ErrEmptyKey
	}
	return v, nil
}

// dfExpiry reads Dragonfly's member expiry: an integer string of unix
// seconds, -1 for none. It returns unix ms, 0 for none.
func (d *decoder) dfExpiry() (int64, error) {
	b, err := d.appendString(d.tmp[:0])
	if err != nil {
		return 0, err
	}
	n, err2 := strconv.ParseInt(string(b), 10, 64)
	if err2 != nil {
		return 0, d.corrupt("bad member expiry")
	}
	if n < 0 {
		return 0, nil
	}
	return n * 1000, nil
}

// stream reads STREAM_LISTPACKS, _2 and _3.
func (d *decoder) stream(t byte) (*Stream, error) {
	st := &Stream{}
	nodes, err := d.count(2)
	if err != nil {
		return nil, err
	}
	var last StreamID
	for i := 0; i < nodes; i++ {
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, d.corrupt("stream node key entry is not the size of a stream ID")
		}
		master := StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
		lp, err := d.str()
		if err != nil {
			return nil, err
		}
		if i > 0 && !last.Less(master) {
			return nil, d.corrupt("stream nodes out of order")
		}
		last = master
		if err := parseStreamListpack(lp, master, st); err != nil {
			return nil, d.corrupt(err.Error())
		}
	}
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	st.Length = n
	if st.LastID, err = d.streamID(); err != nil {
		return nil, err
	}
	if t >= TypeStreamListpacks2 {
		if st.FirstID, err = d.streamID(); err != nil {
			return nil, err
		}
		if st.MaxDeletedID, err = d.streamID(); err != nil {
			return nil, err
		}
		if st.EntriesAdded, err = d.length(); err != nil {
			return nil, err
		}
	} else {
		st.EntriesAdded = st.Length
		if len(st.Entries) > 0 {
			st.FirstID = st.Entries[0].ID
		}
	}
	if st.Length != uint64(len(st.Entries)) {
		return nil, d.corrupt("stream length inconsistent with its entries")
	}
	ngroups, err := d.count(4)
	if err != nil {
		return nil, err
	}
	for i := 0; i < ngroups; i++ {
		g := StreamGroup{EntriesRead: -1}
		if g.Name, err = d.str(); err != nil {
			return nil, err
		}
		if g.LastID, err = d.streamID(); err != nil {
			return nil, err
		}
		if t >= TypeStreamListpacks2 {
			er, err := d.length()
			if err != nil {
				return nil, err
			}
			g.EntriesRead = int64(er)
		}
		npel, err := d.count(17)
		if err != nil {
			return nil, err
		}
		for j := 0; j < npel; j++ {
			var p StreamPending
			if p.ID, err = d.rawID(); err != nil {
				return nil, err
			}
			if p.DeliveryTime, err = d.millis(); err != nil {
				return nil, err
			}
			if p.DeliveryCount, err = d.length(); err != nil {
				return nil, err
			}
			if j > 0 && !g.PEL[j-1].ID.Less(p.ID) {
				return nil, d.corrupt("stream PEL out of order")
			}
			g.PEL = append(g.PEL, p)
		}
		ncons, err := d.count(9)
		if err != nil {
			return nil, err
		}
		for j := 0; j < ncons; j++ {
			c := StreamConsumer{ActiveTime: -1}
			if c.Name, err = d.str(); err != nil {
				return nil, err
			}
			if c.SeenTime, err = d.millis(); err != nil {
				return nil, err
			}
			if t >= TypeStreamListpacks3 {
				if c.ActiveTime, err = d.millis(); err != nil {
					return nil, err
				}
			}
			np, err := d.count(16)
			if err != nil {
				return nil, err
			}
			for k := 0; k < np; k++ {
				id, err := d.rawID()
				if err != nil {
					return nil, err
				}
				c.PEL = append(c.PEL, id)
			}
			g.Consumers = append(g.Consumers, c)
		}
		st.Groups = append(st.Groups, g)
	}
	return st, nil
}

type lpItem struct {
	s     []byte
	v     int64
	isInt bool
}

// parseStreamListpack reads one stream node: the master entry (count,
// deleted, master fields, a zero), then entries (flags, ms and seq deltas
// from the master ID, the fields unless they are the master's, the
// values, and an element count), appending the live ones to st.
func parseStreamListpack(lp []byte, master StreamID, st *Stream) error {
	var items []lpItem
	err := ListpackEach(lp, func(s []byte, v int64, isInt bool) error {
		items = append(items, lpItem{copyElem(s, isInt), v, isInt})
		return nil
	})
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return errors.New("empty listpack inside stream")
	}
	p := 0
	num := func() (int64, bool) {
		if p >= len(items) || !items[p].isInt {
			return 0, false
		}
		p++
		return items[p-1].v, true
	}
	bad := errors.New("stream listpack integrity check failed")
	count, ok1 := num()
	deleted, ok2 := num()
	nmaster, ok3 := num()
	if !ok1 || !ok2 || !ok3 || count < 0 || deleted < 0 || nmaster < 0 || p+int(nmaster) > len(items) {
		return bad
	}
	mfields := items[p : p+int(nmaster)]
	p += int(nmaster)
	if z, ok := num(); !ok || z != 0 {
		return bad
	}
	live, dead := int64(0), int64(0)
	for p < len(items) {
		flags, ok1 := num()
		msd, ok2 := num()
		seqd, ok3 := num()
		if !ok1 || !ok2 || !ok3 {
			return bad
		}
		id := StreamID{master.Ms + uint64(msd), master.Seq + uint64(seqd)}
		var fv [][]byte
		var nf int64
		if flags&streamItemFlagSame != 0 {
			nf = nmaster
			if p+int(nf) > len(items) {
				return bad
			}
			for k := int64(0); k < nf; k++ {
				fv = append(fv, mfields[k].s, items[p].s)
				p++
			}
		} else {
			var ok bool
			if nf, ok = num(); !ok || nf < 0 || p+2*int(nf) > len(items) {
				return bad
			}
			for k := int64(0); k < nf; k++ {
				fv = append(fv, items[p].s, items[p+1].s)
				p += 2
			}
		}
		if _, ok := num(); !ok { // lp-count
			return bad
		}
		if flags&streamItemFlagDeleted != 0 {
			dead++
			continue
		}
		live++
		if n := len(st.Entries); n > 0 && !st.Entries[n-1].ID.Less(id) {
			return bad
		}
		st.Entries = append(st.Entries, StreamEntry{ID: id, Fields: fv})
	}
	if live != count || dead != deleted {
		return bad
	}
	return nil
}
