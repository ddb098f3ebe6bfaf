package value

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/damselfly-db/damselfly/internal/digest"
)

// SortedSet is a sorted set: unique members (binary strings), each with a
// float64 score, ordered by score and then by member bytes (memcmp order),
// as in Redis.
//
// Two representations, chosen like Redis 7.0 does:
//
//   - compact ("listpack"), while the set has at most
//     zset-max-listpack-entries members of at most zset-max-listpack-value
//     bytes: the entries in order, in three pointer-free arrays (scores,
//     member end offsets, member bytes). Lookups by member are linear, as in
//     a listpack; rank and score access are direct, score ranges are
//     binary searches. Small sets cost a few bytes per member and nothing
//     to the garbage collector.
//   - "skiplist": an indexable skip list (Pugh's skip list with Redis's
//     per-link spans, so rank queries are O(log n)) plus a hash index of
//     member -> node (zskiplist.go). The hash table is scanned with a
//     reverse-binary cursor, so ZSCAN keeps SCAN's guarantees.
//
// A set converts to skiplist when an insertion would break either limit,
// and never back (Redis only builds compact sets for fresh destinations,
// which callers get by filling a new ZSet).
//
// Member slices handed to callbacks are read-only views, valid until the
// next change of the set.
type SortedSet struct {
	lp zlistpack
	sl *zskiplist // non-nil: skiplist encoding
}

// ZLimits are the compact-form thresholds: zset-max-listpack-entries and
// zset-max-listpack-value.
type ZLimits struct {
	Entries int
	Value   int
}

// ZAddFlags select ZADD's conditional behaviours (see Add).
type ZAddFlags uint8

// ZADD input flags.
const (
	ZAddNX   ZAddFlags = 1 << iota // only add new members
	ZAddXX                         // only update existing members
	ZAddGT                         // only update when the new score is greater
	ZAddLT                         // only update when the new score is less
	ZAddIncr                       // score is an increment
)

// ZAddResult says what Add did.
type ZAddResult uint8

// ZADD outcomes.
const (
	ZAdded   ZAddResult = 1 << iota // a new member was added
	ZUpdated                        // an existing member's score changed
	ZNop                            // nothing done because of NX/XX/GT/LT
	ZNaN                            // the increment gave NaN: nothing done
)

// NewZSet returns an empty sorted set in the compact encoding.
func NewZSet() *SortedSet { return &SortedSet{} }

// NewZSetFor returns an empty sorted set in the encoding that n members of
// at most maxLen bytes need under lim. Redis picks the encoding up front
// this way for ZUNIONSTORE & co. (whose result is built as a skiplist, then
// converted when small), for ZRANGESTORE by rank (n is the result's
// length, maxLen 0) and for a new ZADD key (n = 1, maxLen = the first
// member's length). It matters beyond OBJECT ENCODING: a compact set keeps
// scores as Redis's listpack does, where -0 becomes 0.
func NewZSetFor(n, maxLen int, lim ZLimits) *SortedSet {
	if n <= lim.Entries && maxLen <= lim.Value {
		return &SortedSet{}
	}
	return &SortedSet{sl: newSkiplist(n)}
}

// Kind is ZSet.
func (z *SortedSet) Kind() Kind { return ZSet }

// Encoding is "listpack" or "skiplist", as OBJECT ENCODING reports.
func (z *SortedSet) Encoding() string {
	if z.sl != nil {
		return "skiplist"
	}
	return "listpack"
}

// IsCompact reports whether the set uses the listpack-like encoding.
func (z *SortedSet) IsCompact() bool { return z.sl == nil }

// zsetHeader approximates the ZSet struct and the object's bookkeeping.
const zsetHeader = 96

// Size estimates the memory the set holds. It is O(1).
func (z *SortedSet) Size() int {
	if z.sl != nil {
		return zsetHeader + z.sl.bytes
	}
	return zsetHeader + z.lp.size()
}

// Len is the number of members.
func (z *SortedSet) Len() int {
	if z.sl != nil {
		return z.sl.length
	}
	return z.lp.len()
}

// Clone returns a deep copy in the same encoding.
func (z *SortedSet) Clone() Object {
	c := &SortedSet{}
	if z.sl == nil {
		c.lp = zlistpack{
			scores: append([]float64(nil), z.lp.scores...),
			ends:   append([]uint32(nil), z.lp.ends...),
			data:   append([]byte(nil), z.lp.data...),
		}
		return c
	}
	c.sl = newSkiplist(z.sl.length)
	for x := z.sl.head.lv[0].fwd; x != nil; x = x.lv[0].fwd {
		c.sl.insert(x.score, x.member)
	}
	return c
}

// Digest folds the set into d as Redis's DEBUG DIGEST does: the XOR, over
// members, of the mix of the member and its score printed with %.17g.
func (z *SortedSet) Digest(d *digest.Sum) {
	var buf [32]byte
	z.Each(func(m []byte, s float64) bool {
		var e digest.Sum
		e.Mix(m)
		e.Mix(AppendScore(buf[:0], s))
		d.XorSum(&e)
		return true
	})
}

// AppendScore formats a score as Redis 7.0 does in replies and digests:
// %.17g, with "inf" and "-inf".
func AppendScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// Score returns member's score.
func (z *SortedSet) Score(member []byte) (float64, bool) {
	if z.sl != nil {
		if x := z.sl.find(member); x != nil {
			return x.score, true
		}
		return 0, false
	}
	if i := z.lp.find(member); i >= 0 {
		return z.lp.scores[i], true
	}
	return 0, false
}

// Add is ZADD's core (Redis's zsetAdd): it adds member with score, or
// updates its score, following flags. With ZAddIncr, score is added to
// the current score (or is the score of a new member). It returns what
// happened and the member's resulting score. A NaN result (inf + -inf)
// changes nothing and reports ZNaN.
func (z *SortedSet) Add(member []byte, score float64, flags ZAddFlags, lim ZLimits) (ZAddResult, float64) {
	if z.sl != nil {
		return z.sl.add(member, score, flags)
	}
	if i := z.lp.find(member); i >= 0 {
		cur := z.lp.scores[i]
		if flags&ZAddNX != 0 {
			return ZNop, cur
		}
		if flags&ZAddIncr != 0 {
			score += cur
			if math.IsNaN(score) {
				return ZNaN, cur
			}
		}
		if (flags&ZAddGT != 0 && score <= cur) || (flags&ZAddLT != 0 && score >= cur) {
			return ZNop, cur
		}
		if score == cur {
			return 0, score
		}
		z.lpUpdate(i, member, score)
		return ZUpdated, score
	}
	if flags&ZAddXX != 0 {
		return ZNop, 0
	}
	z.insert(member, score, lim)
	return ZAdded, score
}

// Set adds member with score or changes its score (no conditions). It
// reports whether the member is new.
func (z *SortedSet) Set(member []byte, score float64, lim ZLimits) bool {
	if z.sl != nil {
		if x := z.sl.find(member); x != nil {
			if x.score != score {
				z.sl.updateScore(x, score)
			}
			return false
		}
	} else if i := z.lp.find(member); i >= 0 {
		if z.lp.scores[i] != score {
			z.lpUpdate(i, member, score)
		}
		return false
	}
	z.insert(member, score, lim)
	return true
}

// insert adds a member known to be absent, converting to a skiplist first
// when the compact form would exceed lim.
func (z *SortedSet) insert(member []byte, score float64, lim ZLimits) {
	if z.sl == nil && (z.lp.len()+1 > lim.Entries || len(member) > lim.Value) {
		z.convert()
	}
	if z.sl != nil {
		z.sl.insert(score, string(member))
		return
	}
	z.lp.insertAt(z.lp.searchPos(score, member), score, member)
}

// lpUpdate changes the score of the compact entry i, member.
func (z *SortedSet) lpUpdate(i int, member []byte, score float64) {
	// Keep the entry in place when its neighbours still bracket it.
	if (i == 0 || zless(z.lp.scores[i-1], z.lp.member(i-1), score, member)) &&
		(i == z.lp.len()-1 || zless(score, member, z.lp.scores[i+1], z.lp.member(i+1))) {
		z.lp.scores[i] = lpScore(score)
		return
	}
	// member may be a view of the entry itself: copy it first.
	var buf [64]byte
	m := append(buf[:0], member...)
	z.lp.removeRange(i, i)
	z.lp.insertAt(z.lp.searchPos(score, m), score, m)
}

// ToSkiplist switches a compact set to the skiplist encoding for good
// (SORT does this to the sorted sets it reads, as Redis does).
func (z *SortedSet) ToSkiplist() {
	if z.sl == nil {
		z.convert()
	}
}

// convert switches to the skiplist encoding.
func (z *SortedSet) convert() {
	n := z.lp.len()
	sl := newSkiplist(n + 1)
	for i := 0; i < n; i++ {
		sl.insert(z.lp.scores[i], string(z.lp.member(i)))
	}
	z.sl = sl
	z.lp = zlistpack{}
}

// Remove deletes member and reports whether it was there.
func (z *SortedSet) Remove(member []byte) bool {
	if z.sl != nil {
		return z.sl.remove(member)
	}
	i := z.lp.find(member)
	if i < 0 {
		return false
	}
	z.lp.removeRange(i, i)
	return true
}

// Rank returns member's 0-based rank in ascending order and its score.
func (z *SortedSet) Rank(member []byte) (int, float64, bool) {
	if z.sl != nil {
		x := z.sl.find(member)
		if x == nil {
			return 0, 0, false
		}
		return z.sl.rank(x.score, x.member) - 1, x.score, true
	}
	i := z.lp.find(member)
	if i < 0 {
		return 0, 0, false
	}
	return i, z.lp.scores[i], true
}

// At returns the member at 0-based ascending rank i (0 <= i < Len()).
func (z *SortedSet) At(i int) ([]byte, float64) {
	if z.sl != nil {
		x := z.sl.byRank(i + 1)
		return sbytes(x.member), x.score
	}
	return z.lp.member(i), z.lp.scores[i]
}

// Range calls fn for the members of ascending ranks lo..hi (inclusive,
// 0 <= lo, hi < Len()): in ascending order, or from hi down to lo when
// rev. It stops when fn returns false.
func (z *SortedSet) Range(lo, hi int, rev bool, fn func(member []byte, score float64) bool) {
	if lo > hi {
		return
	}
	if z.sl != nil {
		if rev {
			x := z.sl.byRank(hi + 1)
			for n := hi - lo + 1; n > 0 && x != nil; n-- {
				if !fn(sbytes(x.member), x.score) {
					return
				}
				x = x.back
			}
			return
		}
		x := z.sl.byRank(lo + 1)
		for n := hi - lo + 1; n > 0 && x != nil; n-- {
			if !fn(sbytes(x.member), x.score) {
				return
			}
			x = x.lv[0].fwd
		}
		return
	}
	if rev {
		for i := hi; i >= lo; i-- {
			if !fn(z.lp.member(i), z.lp.scores[i]) {
				return
			}
		}
		return
	}
	for i := lo; i <= hi; i++ {
		if !fn(z.lp.member(i), z.lp.scores[i]) {
			return
		}
	}
}

// Each calls fn for every member in ascending order until it returns false.
func (z *SortedSet) Each(fn func(member []byte, score float64) bool) {
	if n := z.Len(); n > 0 {
		z.Range(0, n-1, false, fn)
	}
}

// RemoveRange deletes the members of ascending ranks lo..hi (inclusive,
// within bounds) and returns how many it removed.
func (z *SortedSet) RemoveRange(lo, hi int) int {
	if lo > hi {
		return 0
	}
	if z.sl != nil {
		return z.sl.removeRankRange(lo+1, hi+1)
	}
	z.lp.removeRange(lo, hi)
	return hi - lo + 1
}

// Pop removes up to count members from the low end (or the high end when
// max), calling fn for each, lowest (highest) first, before removing them.
// It returns how many it removed.
func (z *SortedSet) Pop(count int, max bool, fn func(member []byte, score float64)) int {
	n := z.Len()
	if count > n {
		count = n
	}
	if count <= 0 {
		return 0
	}
	lo, hi := 0, count-1
	if max {
		lo, hi = n-count, n-1
	}
	z.Range(lo, hi, max, func(m []byte, s float64) bool { fn(m, s); return true })
	return z.RemoveRange(lo, hi)
}

// ZScoreRange is a score interval, as ZRANGEBYSCORE's min and max: a bound
// is exclusive when MinEx/MaxEx is set.
type ZScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// GteMin reports whether v is above the lower bound.
func (r *ZScoreRange) GteMin(v float64) bool {
	if r.MinEx {
		return v > r.Min
	}
	return v >= r.Min
}

// LteMax reports whether v is below the upper bound.
func (r *ZScoreRange) LteMax(v float64) bool {
	if r.MaxEx {
		return v < r.Max
	}
	return v <= r.Max
}

// Empty reports whether no score can be in the range.
func (r *ZScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// ZLexBound is one end of a lexicographic range: "-" (Inf < 0), "+"
// (Inf > 0), or a member, inclusive ("[") or exclusive ("(").
type ZLexBound struct {
	Val  []byte
	Excl bool
	Inf  int8
}

// ZLexRange is a ZRANGEBYLEX interval.
type ZLexRange struct {
	Min, Max ZLexBound
}

// GteMin reports whether m is above the lower bound.
func (r *ZLexRange) GteMin(m []byte) bool {
	switch {
	case r.Min.Inf < 0:
		return true
	case r.Min.Inf > 0:
		return false
	}
	c := compareBytes(m, r.Min.Val)
	if r.Min.Excl {
		return c > 0
	}
	return c >= 0
}

// LteMax reports whether m is below the upper bound.
func (r *ZLexRange) LteMax(m []byte) bool {
	switch {
	case r.Max.Inf > 0:
		return true
	case r.Max.Inf < 0:
		return false
	}
	c := compareBytes(m, r.Max.Val)
	if r.Max.Excl {
		return c < 0
	}
	return c <= 0
}

// Empty reports whether no member can be in the range.
func (r *ZLexRange) Empty() bool {
	if r.Min.Inf > 0 || r.Max.Inf < 0 {
		return true
	}
	if r.Min.Inf < 0 || r.Max.Inf > 0 {
		return false
	}
	c := compareBytes(r.Min.Val, r.Max.Val)
	return c > 0 || (c == 0 && (r.Min.Excl || r.Max.Excl))
}

// ScoreBounds returns the ascending ranks of the first and last members
// whose scores are in r; hi < lo when there are none. O(log n).
func (z *SortedSet) ScoreBounds(r *ZScoreRange) (lo, hi int) {
	n := z.Len()
	if r.Empty() || n == 0 {
		return 0, -1
	}
	if z.sl != nil {
		return z.sl.scoreBounds(r)
	}
	s := z.lp.scores
	lo = searchFloats(s, func(v float64) bool { return r.GteMin(v) })
	hi = searchFloats(s, func(v float64) bool { return !r.LteMax(v) }) - 1
	return lo, hi
}

// searchFloats is sort.Search over s for a monotone predicate.
func searchFloats(s []float64, f func(float64) bool) int {
	i, j := 0, len(s)
	for i < j {
		h := int(uint(i+j) >> 1)
		if !f(s[h]) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

// LexBounds returns the ascending ranks of the first and last members in
// the lexicographic range r; hi < lo when there are none. Like Redis, it
// assumes the members of equal scores it works on are in lexicographic
// order (all scores equal); for other sets the result follows Redis's walk:
// forward from the first member >= min while members are <= max, or (rev)
// backward from the last member <= max while they are >= min.
func (z *SortedSet) LexBounds(r *ZLexRange, rev bool) (lo, hi int) {
	n := z.Len()
	if r.Empty() || n == 0 {
		return 0, -1
	}
	if z.sl != nil {
		return z.sl.lexBounds(r)
	}
	// Redis's zzlIsInLexRange: the last member must be >= min and the
	// first <= max.
	if !r.GteMin(z.lp.member(n-1)) || !r.LteMax(z.lp.member(0)) {
		return 0, -1
	}
	if rev {
		hi = n - 1
		for hi >= 0 && !r.LteMax(z.lp.member(hi)) {
			hi--
		}
		if hi < 0 || !r.GteMin(z.lp.member(hi)) {
			return 0, -1
		}
		lo = hi
		for lo > 0 && r.GteMin(z.lp.member(lo-1)) {
			lo--
		}
		return lo, hi
	}
	lo = 0
	for lo < n && !r.GteMin(z.lp.member(lo)) {
		lo++
	}
	if lo == n || !r.LteMax(z.lp.member(lo)) {
		return 0, -1
	}
	hi = lo
	for hi+1 < n && r.LteMax(z.lp.member(hi+1)) {
		hi++
	}
	return lo, hi
}

// LexWalk returns the ascending ranks lo..hi of what ZRANGEBYLEX with
// LIMIT offset count selects, walking as Redis does: from the first member
// in r (the last, when rev), skip offset members without testing them,
// then take members while they are in range, at most count (count < 0:
// no limit; offset < 0: nothing). With one score, as lexicographic ranges
// expect, this is LexBounds narrowed by the limit.
func (z *SortedSet) LexWalk(r *ZLexRange, rev bool, offset, count int) (lo, hi int) {
	lo, hi = z.LexBounds(r, rev)
	if hi < lo || offset < 0 || count == 0 {
		return 0, -1
	}
	n := z.Len()
	if !rev {
		p := lo + offset
		if offset >= n || p >= n {
			return 0, -1
		}
		q := p - 1
		z.Range(p, n-1, false, func(m []byte, _ float64) bool {
			if (count > 0 && q-p+1 >= count) || !r.LteMax(m) {
				return false
			}
			q++
			return true
		})
		return p, q
	}
	p := hi - offset
	if offset >= n || p < 0 {
		return 0, -1
	}
	q := p + 1
	z.Range(0, p, true, func(m []byte, _ float64) bool {
		if (count > 0 && p-q+1 >= count) || !r.GteMin(m) {
			return false
		}
		q--
		return true
	})
	return q, p
}

// Scan is ZSCAN's step: from cursor, it visits about count hash buckets
// (at most 10*count, stopping once count members were seen) and calls fn
// for their members, returning the next cursor (0: done). A compact set
// is returned whole with cursor 0, as Redis does for a listpack.
func (z *SortedSet) Scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	if z.sl == nil {
		z.Each(func(m []byte, s float64) bool { fn(m, s); return true })
		return 0
	}
	return z.sl.scan(cursor, count, fn)
}

// zless orders (score, member) pairs: by score, then member bytes.
func zless(as float64, am []byte, bs float64, bm []byte) bool {
	if as != bs {
		return as < bs
	}
	return compareBytes(am, bm) < 0
}

func compareBytes(a, b []byte) int {
	sa, sb := bstr(a), bstr(b)
	switch {
	case sa < sb:
		return -1
	case sa > sb:
		return 1
	}
	return 0
}

// bstr views b as a string without copying; b must not change while the
// string is in use.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// sbytes views s as a read-only byte slice without copying.
func sbytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// zlistpack is the compact encoding: entries sorted by (score, member),
// member i being data[ends[i-1]:ends[i]].
type zlistpack struct {
	scores []float64
	ends   []uint32
	data   []byte
}

func (l *zlistpack) len() int { return len(l.scores) }

func (l *zlistpack) size() int {
	return cap(l.scores)*8 + cap(l.ends)*4 + cap(l.data)
}

func (l *zlistpack) start(i int) uint32 {
	if i == 0 {
		return 0
	}
	return l.ends[i-1]
}

func (l *zlistpack) member(i int) []byte { return l.data[l.start(i):l.ends[i]:l.ends[i]] }

// find returns member's index, or -1: a linear walk, as in a listpack.
func (l *zlistpack) find(m []byte) int {
	var s uint32
	for i, e := range l.ends {
		if int(e-s) == len(m) && bstr(l.data[s:e]) == bstr(m) {
			return i
		}
		s = e
	}
	return -1
}

// searchPos is the index at which (score, m) keeps the order.
func (l *zlistpack) searchPos(score float64, m []byte) int {
	i, j := 0, len(l.scores)
	for i < j {
		h := int(uint(i+j) >> 1)
		if zless(l.scores[h], l.member(h), score, m) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

func (l *zlistpack) insertAt(i int, score float64, m []byte) {
	score = lpScore(score)
	off := l.start(i)
	l.scores = append(l.scores, 0)
	copy(l.scores[i+1:], l.scores[i:])
	l.scores[i] = score
	l.ends = append(l.ends, 0)
	copy(l.ends[i+1:], l.ends[i:])
	for k := i + 1; k < len(l.ends); k++ {
		l.ends[k] += uint32(len(m))
	}
	l.ends[i] = off + uint32(len(m))
	l.data = append(l.data, m...) // grow by len(m)
	copy(l.data[int(off)+len(m):], l.data[off:len(l.data)-len(m)])
	copy(l.data[off:], m)
}

// lpScore is a score as a listpack keeps it: Redis stores the score as
// text, integral values as integers, so -0 reads back as 0.
func lpScore(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

// removeRange deletes entries lo..hi inclusive.
func (l *zlistpack) removeRange(lo, hi int) {
	s, e := l.start(lo), l.ends[hi]
	gap := e - s
	l.data = append(l.data[:s], l.data[e:]...)
	l.scores = append(l.scores[:lo], l.scores[hi+1:]...)
	l.ends = append(l.ends[:lo], l.ends[hi+1:]...)
	for k := lo; k < len(l.ends); k++ {
		l.ends[k] -= gap
	}
	if len(l.scores) == 0 {
		*l = zlistpack{}
	}
}
