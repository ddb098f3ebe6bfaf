package snapshot

import (
	"errors"
	"math"

	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/rdb"
	"github.com/damselfly-db/damselfly/internal/value"
)

// The bridge between Damselfly's values and the RDB codec: EncodeEntry and
// EncodeValue stream a value's content into an rdb.Encoder in the encoding
// Redis 7.0 would use for it; Build turns a decoded rdb.Value back into a
// value object, choosing compact encodings by the limits in force, as
// Redis's loader does.

// Limits are the encoding thresholds in force when values are built.
type Limits struct {
	Hash      value.HashLimits
	ZSet      value.ZLimits
	Stream    value.StreamLimits
	MaxIntset int
	ListFill  int // list-max-listpack-size
}

// DefaultLimits are Redis's defaults.
var DefaultLimits = Limits{
	Hash:      value.HashLimits{MaxEntries: 128, MaxValue: 64},
	ZSet:      value.ZLimits{Entries: 128, Value: 64},
	Stream:    value.DefaultStreamLimits,
	MaxIntset: 512,
	ListFill:  -2,
}

// ErrBadValue reports a decoded value Damselfly cannot hold (duplicate
// members, an unavailable type).
var ErrBadValue = errors.New("snapshot: bad value")

// EncodeEntry appends entry r of db as a file record: its expiry, type,
// key and value. It reports false (appending nothing) for an empty
// collection, which Redis refuses to load.
func EncodeEntry(e *rdb.Encoder, db *keyspace.DB, r keyspace.Ref) bool {
	kind := db.Kind(r)
	var obj value.Object
	if kind != value.String {
		obj = db.Obj(r)
		if empty(obj) {
			return false
		}
	}
	if at := db.ExpireAt(r); at != 0 {
		e.Expire(at)
	}
	key := db.Key(r)
	if kind == value.String {
		e.Type(rdb.TypeString)
		e.String(bytesOf(key))
		e.String(db.Str(r))
		return true
	}
	t := objectType(obj)
	e.Type(t)
	e.String(bytesOf(key))
	encodePayload(e, t, obj)
	return true
}

// EncodeValue appends a value's type byte and payload (DUMP's body).
func EncodeValue(e *rdb.Encoder, kind value.Kind, str []byte, obj value.Object) {
	if kind == value.String {
		e.Type(rdb.TypeString)
		e.String(str)
		return
	}
	t := objectType(obj)
	e.Type(t)
	encodePayload(e, t, obj)
}

func empty(obj value.Object) bool {
	switch o := obj.(type) {
	case *value.HashValue:
		return o.Len() == 0
	case *value.SetValue:
		return o.Len() == 0
	case *value.SortedSet:
		return o.Len() == 0
	case *value.Quicklist:
		return o.Len() == 0
	}
	return false // streams may be empty
}

// objectType picks the RDB type Redis 7.0 writes for obj's encoding.
func objectType(obj value.Object) byte {
	switch o := obj.(type) {
	case *value.HashValue:
		if o.HasFieldTTLs() {
			return rdb.TypeDFHashWithExpiry
		}
		if o.IsCompact() {
			return rdb.TypeHashListpack
		}
		return rdb.TypeHash
	case *value.SetValue:
		if o.IsIntset() {
			return rdb.TypeSetIntset
		}
		return rdb.TypeSet
	case *value.SortedSet:
		if o.IsCompact() {
			return rdb.TypeZSetListpack
		}
		return rdb.TypeZSet2
	case *value.StreamValue:
		return rdb.TypeStreamListpacks2
	}
	return rdb.TypeListQuicklist2
}

func encodePayload(e *rdb.Encoder, t byte, obj value.Object) {
	switch o := obj.(type) {
	case *value.HashValue:
		pairs := func(yield func([]byte, []byte) bool) {
			o.Each(func(f, v []byte) bool { return yield(f, v) })
		}
		switch t {
		case rdb.TypeHashListpack:
			e.PairsListpack(pairs)
		case rdb.TypeHash:
			e.Pairs(o.Len(), pairs)
		default:
			ttls := map[string]int64{}
			o.EachFieldTTL(func(f string, at int64) { ttls[f] = at })
			e.HashWithExpiry(o.Len(), func(yield func([2][]byte, int64) bool) {
				o.Each(func(f, v []byte) bool { return yield([2][]byte{f, v}, ttls[string(f)]) })
			})
		}
	case *value.SetValue:
		if t == rdb.TypeSetIntset {
			ints := make([]int64, 0, o.Len())
			o.Each(func(m []byte) bool {
				v, _ := value.ParseInt64(m)
				ints = append(ints, v)
				return true
			})
			e.Intset(ints)
			return
		}
		e.Strings(o.Len(), func(yield func([]byte) bool) { o.Each(yield) })
	case *value.SortedSet:
		members := func(yield func([]byte, float64) bool) { o.Each(yield) }
		if t == rdb.TypeZSetListpack {
			e.ZSetListpack(members)
		} else {
			// From the highest score down, as Redis writes them.
			e.ZSet2(o.Len(), func(yield func([]byte, float64) bool) {
				if n := o.Len(); n > 0 {
					o.Range(0, n-1, true, yield)
				}
			})
		}
	case *value.StreamValue:
		e.Stream(streamOf(o))
	case *value.Quicklist:
		e.List(func(yield func([]byte) bool) {
			if n := o.Len(); n > 0 {
				o.Range(0, n-1, yield)
			}
		})
	}
}

func rid(id value.StreamID) rdb.StreamID { return rdb.StreamID{Ms: id.Ms, Seq: id.Seq} }
func vid(id rdb.StreamID) value.StreamID { return value.StreamID{Ms: id.Ms, Seq: id.Seq} }

// streamOf copies a stream into the codec's form.
func streamOf(s *value.StreamValue) *rdb.Stream {
	st := &rdb.Stream{
		Length: s.Len(), LastID: rid(s.LastID()), FirstID: rid(s.FirstID()),
		MaxDeletedID: rid(s.MaxDeletedID()), EntriesAdded: s.EntriesAdded(),
	}
	s.Range(value.StreamID{}, value.MaxStreamID, false, func(en value.StreamEntry) bool {
		fv := en.Fields(nil)
		st.Entries = append(st.Entries, rdb.StreamEntry{ID: rid(en.ID()), Fields: fv})
		return true
	})
	if len(st.Entries) > 0 {
		st.FirstID = st.Entries[0].ID
	}
	for _, g := range s.Groups() {
		rg := rdb.StreamGroup{Name: []byte(g.Name()), LastID: rid(g.LastID), EntriesRead: g.EntriesRead}
		g.PEL().Ascend(value.StreamID{}, func(id value.StreamID, pe *value.PendingEntry) bool {
			rg.PEL = append(rg.PEL, rdb.StreamPending{ID: rid(id), DeliveryTime: pe.DeliveryTime, DeliveryCount: pe.DeliveryCount})
			return true
		})
		for _, c := range g.Consumers() {
			rc := rdb.StreamConsumer{Name: []byte(c.Name()), SeenTime: c.SeenTime, ActiveTime: -1}
			c.PEL().Ascend(value.StreamID{}, func(id value.StreamID, _ *value.PendingEntry) bool {
				rc.PEL = append(rc.PEL, rid(id))
				return true
			})
			rg.Consumers = append(rg.Consumers, rc)
		}
		st.Groups = append(st.Groups, rg)
	}
	return st
}

// Build turns a decoded value into Damselfly's form. now drops hash fields
// whose TTL has passed; a value left empty that way is reported by ok
// false (the key is skipped, as expired).
func Build(v *rdb.Value, lim Limits, now int64) (kind value.Kind, str []byte, obj value.Object, ok bool, err error) {
	switch v.Kind {
	case rdb.KindString:
		return value.String, v.Str, nil, true, nil
	case rdb.KindList:
		l := value.NewQuicklist(lim.ListFill)
		for _, el := range v.Elems {
			l.PushBack(el)
		}
		return value.List, nil, l, true, nil
	case rdb.KindSet:
		s := value.NewSetSized(v.Elems[0], len(v.Elems))
		for _, m := range v.Elems {
			if !s.Add(m, lim.MaxIntset) {
				return 0, nil, nil, false, ErrBadValue // duplicate member
			}
		}
		return value.Set, nil, s, true, nil
	case rdb.KindZSet:
		maxLen := 0
		for _, m := range v.Elems {
			maxLen = max(maxLen, len(m))
		}
		z := value.NewZSetFor(len(v.Elems), maxLen, lim.ZSet)
		for i, m := range v.Elems {
			if math.IsNaN(v.Scores[i]) || !z.Set(m, v.Scores[i], lim.ZSet) {
				return 0, nil, nil, false, ErrBadValue
			}
		}
		return value.ZSet, nil, z, true, nil
	case rdb.KindHash:
		h := value.NewHash()
		for i := 0; i+1 < len(v.Elems); i += 2 {
			if v.FieldTTLs != nil {
				if at := v.FieldTTLs[i/2]; at != 0 && at <= now {
					continue
				}
			}
			if !h.Set(v.Elems[i], v.Elems[i+1], lim.Hash) {
				return 0, nil, nil, false, ErrBadValue // duplicate field
			}
			if v.FieldTTLs != nil && v.FieldTTLs[i/2] != 0 {
				h.SetFieldTTL(v.Elems[i], v.FieldTTLs[i/2])
			}
		}
		if h.Len() == 0 {
			return value.Hash, nil, nil, false, nil
		}
		return value.Hash, nil, h, true, nil
	case rdb.KindStream:
		s, err := buildStream(v.Stream, lim)
		if err != nil {
			return 0, nil, nil, false, err
		}
		return value.Stream, nil, s, true, nil
	}
	return 0, nil, nil, false, ErrBadValue
}

func buildStream(st *rdb.Stream, lim Limits) (*value.StreamValue, error) {
	s := value.NewStream()
	for _, en := range st.Entries {
		s.Append(vid(en.ID), en.Fields, lim.Stream)
	}
	s.SetMeta(vid(st.LastID), st.EntriesAdded, vid(st.MaxDeletedID))
	for _, g := range st.Groups {
		cg := s.CreateGroup(g.Name, vid(g.LastID), g.EntriesRead)
		if cg == nil {
			return nil, ErrBadValue // duplicate group
		}
		for _, p := range g.PEL {
			pe := cg.AddPending(vid(p.ID), p.DeliveryTime)
			pe.DeliveryCount = p.DeliveryCount
		}
		for _, c := range g.Consumers {
			cons := cg.CreateConsumer(c.Name, c.SeenTime)
			if cons == nil {
				return nil, ErrBadValue // duplicate consumer
			}
			for _, id := range c.PEL {
				pe := cg.PEL().Get(vid(id))
				if pe == nil {
					return nil, ErrBadValue // consumer entry not in the group's PEL
				}
				cg.Transfer(vid(id), pe, cons)
			}
		}
	}
	return s, nil
}
