package rdb

import (
	"encoding/binary"
	"iter"
	"math"
	"strconv"
)

// Object payload writers. Each appends a value's payload in one encoding;
// the caller writes the type byte (and the key) before it. They take
// iterators so a saver can stream its own structures without copying
// them into a Value first.

// Redis 7.0's defaults for the compact encodings, used to pick one when
// writing a Value.
const (
	listNodeMaxBytes      = 8 << 10 // list-max-listpack-size -2
	compactMaxEntries     = 128     // hash/zset-max-listpack-entries
	compactMaxValue       = 64      // hash/zset-max-listpack-value
	intsetMaxEntries      = 512     // set-max-intset-entries
	streamNodeMaxBytes    = 4096
	streamNodeMaxEntries  = 100
	streamListpackMaxSize = 1 << 30
)

// List appends a QUICKLIST_2 payload: listpack nodes of at most 8 KiB
// (Redis's list-max-listpack-size -2), an element that alone exceeds it
// getting a node of its own. elems is ranged twice.
func (e *Encoder) List(elems iter.Seq[[]byte]) {
	nodes, size := 0, 0
	for s := range elems {
		es := EntrySize(s)
		if size == 0 || size+es > listNodeMaxBytes {
			nodes++
			size = lpHeaderSize + 1
		}
		size += es
	}
	e.Len(uint64(nodes))
	lp := &e.lp
	lp.Reset()
	size = 0
	flush := func() {
		e.Len(quicklistNodePacked)
		e.String(lp.Finish())
		lp.Reset()
	}
	for s := range elems {
		es := EntrySize(s)
		if size != 0 && size+es > listNodeMaxBytes {
			flush()
			size = 0
		}
		if size == 0 {
			size = lpHeaderSize + 1
		}
		lp.Append(s)
		size += es
	}
	if lp.Count() > 0 {
		flush()
	}
}

// Intset appends a SET_INTSET payload.
func (e *Encoder) Intset(members []int64) {
	e.String(AppendIntset(nil, members))
}

// Strings appends a plain SET payload (or LIST type 1): a count and the
// strings.
func (e *Encoder) Strings(n int, elems iter.Seq[[]byte]) {
	e.Len(uint64(n))
	for s := range elems {
		e.String(s)
	}
}

// PairsListpack appends a listpack of alternating pairs (HASH_LISTPACK).
func (e *Encoder) PairsListpack(pairs iter.Seq2[[]byte, []byte]) {
	lp := &e.lp
	lp.Reset()
	for a, b := range pairs {
		lp.Append(a)
		lp.Append(b)
	}
	e.String(lp.Finish())
}

// Pairs appends a plain HASH payload: a count and the fields and values.
func (e *Encoder) Pairs(n int, pairs iter.Seq2[[]byte, []byte]) {
	e.Len(uint64(n))
	for a, b := range pairs {
		e.String(a)
		e.String(b)
	}
}

// HashWithExpiry appends Dragonfly's HASH_WITH_EXPIRY payload: a count and
// field, value, expiry triples, the expiry in unix seconds (rounded up) or
// -1.
func (e *Encoder) HashWithExpiry(n int, fields iter.Seq2[[2][]byte, int64]) {
	e.Len(uint64(n))
	for fv, at := range fields {
		e.String(fv[0])
		e.String(fv[1])
		if at <= 0 {
			e.Int(-1)
		} else {
			e.Int((at + 999) / 1000)
		}
	}
}

// AppendScore formats a score for a listpack as Redis's d2string does in
// substance: integers as integers, otherwise the shortest decimal that
// reads back exactly.
func AppendScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f == 0 && math.Signbit(f):
		return append(b, "-0"...)
	case f == math.Trunc(f) && math.Abs(f) < 1<<53:
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// ZSetListpack appends a ZSET_LISTPACK payload: members and scores
// alternating, in score order.
func (e *Encoder) ZSetListpack(members iter.Seq2[[]byte, float64]) {
	lp := &e.lp
	lp.Reset()
	var sb [32]byte
	for m, f := range members {
		lp.Append(m)
		lp.Append(AppendScore(sb[:0], f))
	}
	e.String(lp.Finish())
}

// ZSet2 appends a ZSET_2 payload: a count and members with binary
// doubles. Redis writes them from the highest score down so that loading
// inserts at the head; any order loads.
func (e *Encoder) ZSet2(n int, members iter.Seq2[[]byte, float64]) {
	e.Len(uint64(n))
	for m, f := range members {
		e.String(m)
		e.BinaryDouble(f)
	}
}

func appendRawID(b []byte, id StreamID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

func sameFields(master, fv [][]byte) bool {
	if len(fv)/2 != len(master) {
		return false
	}
	for i, f := range master {
		if string(f) != string(fv[2*i]) {
			return false
		}
	}
	return true
}

// Stream appends a STREAM_LISTPACKS_2 payload. Entries are packed into
// nodes the way Redis's XADD packs them with the default limits (a node
// takes entries until it holds 100 or would reach 4096 bytes), each a
// listpack that starts with a master entry holding the first entry's
// field names.
func (e *Encoder) Stream(st *Stream) {
	// Split into nodes first: the node count comes first in the payload.
	var bounds []int
	size, count := 0, 0
	for i, en := range st.Entries {
		tot := 0
		for _, f := range en.Fields {
			tot += len(f)
		}
		if i == 0 || size+tot >= streamNodeMaxBytes || count >= streamNodeMaxEntries {
			bounds = append(bounds, i)
			size, count = streamMasterSize(en), 0
		}
		size += streamEntrySize(st.Entries[bounds[len(bounds)-1]], en)
		count++
	}
	bounds = append(bounds, len(st.Entries))
	nodes := len(bounds) - 1
	e.Len(uint64(nodes))
	lp := &e.lp
	var key [16]byte
	for k := 0; k < nodes; k++ {
		ents := st.Entries[bounds[k]:bounds[k+1]]
		first := ents[0]
		master := make([][]byte, 0, len(first.Fields)/2)
		for i := 0; i < len(first.Fields); i += 2 {
			master = append(master, first.Fields[i])
		}
		lp.Reset()
		lp.AppendInt(int64(len(ents)))
		lp.AppendInt(0)
		lp.AppendInt(int64(len(master)))
		for _, f := range master {
			lp.Append(f)
		}
		lp.AppendInt(0)
		for _, en := range ents {
			nf := len(en.Fields) / 2
			same := sameFields(master, en.Fields)
			flags := int64(0)
			if same {
				flags = streamItemFlagSame
			}
			lp.AppendInt(flags)
			lp.AppendInt(int64(en.ID.Ms - first.ID.Ms))
			lp.AppendInt(int64(en.ID.Seq - first.ID.Seq))
			if same {
				for i := 1; i < len(en.Fields); i += 2 {
					lp.Append(en.Fields[i])
				}
				lp.AppendInt(int64(nf + 3))
			} else {
				lp.AppendInt(int64(nf))
				for _, f := range en.Fields {
					lp.Append(f)
				}
				lp.AppendInt(int64(2*nf + 4))
			}
		}
		e.String(appendRawID(key[:0], first.ID))
		e.String(lp.Finish())
	}
	e.Len(st.Length)
	e.Len(st.LastID.Ms)
	e.Len(st.LastID.Seq)
	e.Len(st.FirstID.Ms)
	e.Len(st.FirstID.Seq)
	e.Len(st.MaxDeletedID.Ms)
	e.Len(st.MaxDeletedID.Seq)
	e.Len(st.EntriesAdded)
	e.Len(uint64(len(st.Groups)))
	var raw [16]byte
	for _, g := range st.Groups {
		e.String(g.Name)
		e.Len(g.LastID.Ms)
		e.Len(g.LastID.Seq)
		e.Len(uint64(g.EntriesRead))
		e.Len(uint64(len(g.PEL)))
		for _, p := range g.PEL {
			e.Buf = append(e.Buf, appendRawID(raw[:0], p.ID)...)
			e.Millis(p.DeliveryTime)
			e.Len(p.DeliveryCount)
		}
		e.Len(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			e.String(c.Name)
			e.Millis(c.SeenTime)
			e.Len(uint64(len(c.PEL)))
			for _, id := range c.PEL {
				e.Buf = append(e.Buf, appendRawID(raw[:0], id)...)
			}
		}
	}
}

// streamMasterSize is the listpack size of a new node holding en's
// master entry (header and terminator included).
func streamMasterSize(en StreamEntry) int {
	n := lpHeaderSize + 1 + 2 + 2 + EntrySize([]byte(strconv.Itoa(len(en.Fields)/2))) + 2
	for i := 0; i < len(en.Fields); i += 2 {
		n += EntrySize(en.Fields[i])
	}
	return n
}

// streamEntrySize is the listpack size of en in a node whose first entry
// is first.
func streamEntrySize(first, en StreamEntry) int {
	var tmp [24]byte
	num := func(v int64) int { return EntrySize(strconv.AppendInt(tmp[:0], v, 10)) }
	master := make([][]byte, 0, len(first.Fields)/2)
	for i := 0; i < len(first.Fields); i += 2 {
		master = append(master, first.Fields[i])
	}
	nf := len(en.Fields) / 2
	n := num(0) + num(int64(en.ID.Ms-first.ID.Ms)) + num(int64(en.ID.Seq-first.ID.Seq))
	if sameFields(master, en.Fields) {
		for i := 1; i < len(en.Fields); i += 2 {
			n += EntrySize(en.Fields[i])
		}
		return n + num(int64(nf+3))
	}
	n += num(int64(nf))
	for _, f := range en.Fields {
		n += EntrySize(f)
	}
	return n + num(int64(2*nf+4))
}

// TypeOf is the RDB type Value writes v as.
func TypeOf(v *Value) byte {
	switch v.Kind {
	case KindString:
		return TypeString
	case KindList:
		return TypeListQuicklist2
	case KindSet:
		if len(v.Elems) <= intsetMaxEntries {
			for _, m := range v.Elems {
				if _, ok := parseStrictInt(m); !ok {
					return TypeSet
				}
			}
			return TypeSetIntset
		}
		return TypeSet
	case KindZSet:
		if compact(v.Elems, len(v.Elems)) {
			return TypeZSetListpack
		}
		return TypeZSet2
	case KindHash:
		for _, t := range v.FieldTTLs {
			if t != 0 {
				return TypeDFHashWithExpiry
			}
		}
		if compact(v.Elems, len(v.Elems)/2) {
			return TypeHashListpack
		}
		return TypeHash
	}
	return TypeStreamListpacks2
}

func compact(elems [][]byte, n int) bool {
	if n > compactMaxEntries {
		return false
	}
	for _, s := range elems {
		if len(s) > compactMaxValue {
			return false
		}
	}
	return true
}

func seq(s [][]byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for _, b := range s {
			if !yield(b) {
				return
			}
		}
	}
}

func pairs(s [][]byte) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		for i := 0; i+1 < len(s); i += 2 {
			if !yield(s[i], s[i+1]) {
				return
			}
		}
	}
}

func scored(m [][]byte, sc []float64) iter.Seq2[[]byte, float64] {
	return func(yield func([]byte, float64) bool) {
		for i := range m {
			if !yield(m[i], sc[i]) {
				return
			}
		}
	}
}

// Value appends v's type byte and payload, in the encoding TypeOf picks.
// A sorted set's members must be in score order for the listpack form.
func (e *Encoder) Value(v *Value) {
	t := TypeOf(v)
	e.Type(t)
	e.payload(t, v)
}

// KeyValue appends v under key (type byte, key, payload).
func (e *Encoder) KeyValue(key []byte, v *Value) {
	t := TypeOf(v)
	e.Type(t)
	e.String(key)
	e.payload(t, v)
}

func (e *Encoder) payload(t byte, v *Value) {
	switch t {
	case TypeString:
		e.String(v.Str)
	case TypeListQuicklist2:
		e.List(seq(v.Elems))
	case TypeSetIntset:
		ints := make([]int64, len(v.Elems))
		for i, m := range v.Elems {
			ints[i], _ = parseStrictInt(m)
		}
		e.Intset(ints)
	case TypeSet:
		e.Strings(len(v.Elems), seq(v.Elems))
	case TypeZSetListpack:
		e.ZSetListpack(scored(v.Elems, v.Scores))
	case TypeZSet2:
		e.ZSet2(len(v.Elems), scored(v.Elems, v.Scores))
	case TypeHashListpack:
		e.PairsListpack(pairs(v.Elems))
	case TypeHash:
		e.Pairs(len(v.Elems)/2, pairs(v.Elems))
	case TypeDFHashWithExpiry:
		e.HashWithExpiry(len(v.Elems)/2, func(yield func([2][]byte, int64) bool) {
			for i := 0; i+1 < len(v.Elems); i += 2 {
				if !yield([2][]byte{v.Elems[i], v.Elems[i+1]}, v.FieldTTLs[i/2]) {
					return
				}
			}
		})
	case TypeStreamListpacks2:
		e.Stream(v.Stream)
	}
}
