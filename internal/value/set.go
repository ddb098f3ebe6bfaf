package value

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/damselfly-db/damselfly/internal/digest"
)

// SetValue is a Redis set. While every member is an integer (in the
// canonical form Redis's string2ll accepts) and there are at most
// set-max-intset-entries of them, it is a sorted []int64, Redis's "intset":
// membership is a binary search and the members come out in ascending
// order. The first other member, or one member too many, converts it to a
// Dict ("hashtable") for good: like Redis 7.0, it never converts back.
type SetValue struct {
	ints []int64
	dict *Dict[struct{}]
}

const setOverhead = 48

// NewSet returns an empty set in the intset encoding.
func NewSet() *SetValue { return &SetValue{} }

// NewSetSized returns an empty set that will hold about n members, in the
// intset encoding unless the first member is not an integer (Redis's
// setTypeCreate).
func NewSetSized(first []byte, n int) *SetValue {
	if _, ok := ParseInt64(first); ok {
		return &SetValue{}
	}
	return &SetValue{dict: NewDict[struct{}](n)}
}

// Kind implements Object.
func (s *SetValue) Kind() Kind { return Set }

// Encoding implements Object.
func (s *SetValue) Encoding() string {
	if s.dict != nil {
		return "hashtable"
	}
	return "intset"
}

// Size implements Object.
func (s *SetValue) Size() int {
	if s.dict != nil {
		return setOverhead + s.dict.Size()
	}
	return setOverhead + 8*cap(s.ints)
}

// Clone implements Object.
func (s *SetValue) Clone() Object {
	if s.dict != nil {
		return &SetValue{dict: s.dict.Clone()}
	}
	return &SetValue{ints: slices.Clone(s.ints)}
}

// IsIntset reports whether the set still uses the intset encoding.
func (s *SetValue) IsIntset() bool { return s.dict == nil }

// Len is the number of members.
func (s *SetValue) Len() int {
	if s.dict != nil {
		return s.dict.Len()
	}
	return len(s.ints)
}

// ParseInt64 parses b with Redis's string2ll rules (an optional '-', no
// '+', no leading zeros, no blanks): the strings an intset can hold.
func ParseInt64(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	neg := b[0] == '-'
	if neg {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' || v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// Has reports whether member is in the set.
func (s *SetValue) Has(member []byte) bool {
	if s.dict != nil {
		return s.dict.Find(member) >= 0
	}
	v, ok := ParseInt64(member)
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(s.ints, v)
	return found
}

// Add inserts member and reports whether it is new. A non-integer member,
// or more than maxIntset members, converts an intset to a hashtable.
func (s *SetValue) Add(member []byte, maxIntset int) bool {
	if s.dict == nil {
		v, ok := ParseInt64(member)
		if ok {
			i, found := slices.BinarySearch(s.ints, v)
			if found {
				return false
			}
			s.ints = slices.Insert(s.ints, i, v)
			if len(s.ints) > maxIntset {
				s.convert(0)
			}
			return true
		}
		s.convert(1)
	}
	_, added := s.dict.Add(member, struct{}{})
	return added
}

// convert moves the members into a Dict with room for extra more.
func (s *SetValue) convert(extra int) {
	d := NewDict[struct{}](len(s.ints) + extra)
	var buf [24]byte
	for _, v := range s.ints {
		d.AddString(string(strconv.AppendInt(buf[:0], v, 10)), struct{}{})
	}
	s.dict, s.ints = d, nil
}

// Remove deletes member and reports whether it was there.
func (s *SetValue) Remove(member []byte) bool {
	if s.dict != nil {
		return s.dict.Delete(member)
	}
	v, ok := ParseInt64(member)
	if !ok {
		return false
	}
	i, found := slices.BinarySearch(s.ints, v)
	if !found {
		return false
	}
	s.ints = slices.Delete(s.ints, i, i+1)
	if cap(s.ints) > 64 && cap(s.ints) > 4*len(s.ints) {
		s.ints = slices.Clip(slices.Clone(s.ints))
	}
	return true
}

// memberAt returns member i (a slab index for a hashtable, a rank for an
// intset), formatting integers into buf.
func (s *SetValue) memberAt(i int, buf []byte) []byte {
	if s.dict != nil {
		k, _ := s.dict.At(i)
		return bytesOf(k)
	}
	return strconv.AppendInt(buf[:0], s.ints[i], 10)
}

// Each calls fn for every member until it returns false: ascending for an
// intset. The slice is valid only during the call, and the set must not
// be modified meanwhile.
func (s *SetValue) Each(fn func(member []byte) bool) {
	var buf [24]byte
	for i, n := 0, s.Len(); i < n; i++ {
		if !fn(s.memberAt(i, buf[:])) {
			return
		}
	}
}

// Members returns a copy of every member, in Each's order.
func (s *SetValue) Members() [][]byte {
	out := make([][]byte, 0, s.Len())
	s.Each(func(m []byte) bool {
		out = append(out, append([]byte(nil), m...))
		return true
	})
	return out
}

// Scan is SSCAN's walk: an intset returns everything at once with cursor
// 0, as Redis does; a hashtable returns the members of the bucket(s) at
// cursor (see Dict.Scan).
func (s *SetValue) Scan(cursor uint64, fn func(member []byte)) uint64 {
	if s.dict == nil {
		s.Each(func(m []byte) bool { fn(m); return true })
		return 0
	}
	return s.dict.Scan(cursor, func(i int) {
		k, _ := s.dict.At(i)
		fn(bytesOf(k))
	})
}

// Random returns one member chosen uniformly, formatted into buf for an
// intset. The set must not be empty.
func (s *SetValue) Random(buf []byte) []byte {
	return s.memberAt(rand.IntN(s.Len()), buf)
}

// Pop removes a uniformly chosen member and returns it: an intset member is
// formatted into buf (nil: a new slice), a hashtable member stays valid
// after the call. The set must not be empty.
func (s *SetValue) Pop(buf []byte) []byte {
	i := rand.IntN(s.Len())
	m := s.memberAt(i, buf)
	if s.dict != nil {
		s.dict.DeleteAt(i) // the key string stays valid: m still reads it
	} else {
		s.ints = slices.Delete(s.ints, i, i+1)
	}
	return m
}

// RandomMembers is SRANDMEMBER with a count: n > 0 calls fn for
// min(n, Len()) distinct members (every member, in Each's order, when
// n >= Len()); n < 0 calls it -n times with independently chosen members.
func (s *SetValue) RandomMembers(n int64, fn func(member []byte)) {
	size := s.Len()
	if size == 0 || n == 0 {
		return
	}
	var buf [24]byte
	if n < 0 {
		for ; n < 0; n++ {
			fn(s.memberAt(rand.IntN(size), buf[:]))
		}
		return
	}
	if n >= int64(size) {
		s.Each(func(m []byte) bool { fn(m); return true })
		return
	}
	sampleIndexes(size, int(n), func(i int) { fn(s.memberAt(i, buf[:])) })
}

// PopMembers removes min(n, Len()) distinct random members (n > 0) and
// calls fn with each; the slices stay valid after the call.
func (s *SetValue) PopMembers(n int, fn func(member []byte)) {
	if n >= s.Len() {
		if s.dict != nil {
			for i := 0; i < s.dict.Len(); i++ {
				k, _ := s.dict.At(i)
				fn(bytesOf(k))
			}
		} else {
			for _, v := range s.ints {
				fn(strconv.AppendInt(nil, v, 10))
			}
		}
		s.ints, s.dict = nil, nil
		return
	}
	for ; n > 0; n-- {
		fn(s.Pop(nil))
	}
}

// Digest implements digest.Digester with Redis's rule for sets: the XOR of
// SHA1 of every member.
func (s *SetValue) Digest(d *digest.Sum) {
	s.Each(func(m []byte) bool {
		d.Xor(m)
		return true
	})
}
