package value

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// The skiplist encoding of a sorted set.
//
// The list is William Pugh's skip list ("Skip Lists: A Probabilistic
// Alternative to Balanced Trees", 1990) with the two changes Redis makes
// (t_zset.c): equal scores are ordered by member, and every forward link
// carries its span (how many level-0 steps it jumps), so the rank of a node
// is the sum of the spans followed to reach it and the node of a rank is
// found by the same descent: both O(log n). Level-0 links also have a
// backward pointer for reverse walks. Levels are drawn with p = 1/4, at
// most 32.
//
// Members are also indexed by an intrusive chained hash table (the
// nodes carry the chain link), for O(1) score lookups. The table doubles
// when it holds more members than buckets and halves below 1/8 full; it
// is scanned with Redis's reverse-binary cursor (dictScan), which
// guarantees that a ZSCAN sees every member present for the whole
// iteration at least once even when the table is resized between calls.

const (
	zsMaxLevel = 32
	zsMinHash  = 4
	// zsNodeBytes approximates a node: the struct, its member's string
	// data header, and the hash bucket it occupies.
	zsNodeBytes = int(unsafe.Sizeof(zsNode{})) + 8
)

type zsLevel struct {
	fwd  *zsNode
	span int
}

type zsNode struct {
	score  float64
	back   *zsNode
	hnext  *zsNode // hash chain
	member string
	lv     []zsLevel // in the same allocation, right after the node, up to 4 levels
}

// Nodes of up to 4 levels (all but 1 in 256) are allocated with their
// levels, so a step of a search touches one object, as in Redis's node
// with its flexible level array.
type (
	zsNode1 struct {
		n zsNode
		l [1]zsLevel
	}
	zsNode2 struct {
		n zsNode
		l [2]zsLevel
	}
	zsNode3 struct {
		n zsNode
		l [3]zsLevel
	}
	zsNode4 struct {
		n zsNode
		l [4]zsLevel
	}
)

type zskiplist struct {
	head    *zsNode
	tail    *zsNode
	length  int
	level   int
	buckets []*zsNode
	bytes   int
}

var zsSeed = maphash.MakeSeed()

func newSkiplist(hint int) *zskiplist {
	h := &zsNode{lv: make([]zsLevel, zsMaxLevel)}
	n := zsMinHash
	for n < hint {
		n *= 2
	}
	return &zskiplist{head: h, level: 1, buckets: make([]*zsNode, n), bytes: n * 8}
}

func zsRandomLevel() int {
	// Each extra level with probability 1/4: two random bits per level.
	l := 1 + bits.TrailingZeros64(rand.Uint64()|1<<62)/2
	if l > zsMaxLevel {
		l = zsMaxLevel
	}
	return l
}

func newNode(level int, score float64, member string) *zsNode {
	var x *zsNode
	switch level {
	case 1:
		w := &zsNode1{}
		x = &w.n
		x.lv = w.l[:]
	case 2:
		w := &zsNode2{}
		x = &w.n
		x.lv = w.l[:]
	case 3:
		w := &zsNode3{}
		x = &w.n
		x.lv = w.l[:]
	case 4:
		w := &zsNode4{}
		x = &w.n
		x.lv = w.l[:]
	default:
		x = &zsNode{lv: make([]zsLevel, level)}
	}
	x.member, x.score = member, score
	return x
}

func nodeBytes(x *zsNode) int {
	return zsNodeBytes + len(x.member) + len(x.lv)*int(unsafe.Sizeof(zsLevel{}))
}

// before reports whether node x sorts before (score, member).
func (x *zsNode) before(score float64, member string) bool {
	return x.score < score || (x.score == score && x.member < member)
}

// insert adds a member known to be absent.
func (s *zskiplist) insert(score float64, member string) *zsNode {
	x := newNode(zsRandomLevel(), score, member)
	s.link(x)
	s.hashAdd(x)
	s.bytes += nodeBytes(x)
	return x
}

// add is SortedSet.Add for the skiplist encoding, with one lookup.
func (s *zskiplist) add(member []byte, score float64, flags ZAddFlags) (ZAddResult, float64) {
	x := s.find(member)
	if x == nil {
		if flags&ZAddXX != 0 {
			return ZNop, 0
		}
		s.insert(score, string(member))
		return ZAdded, score
	}
	cur := x.score
	if flags&ZAddNX != 0 {
		return ZNop, cur
	}
	if flags&ZAddIncr != 0 {
		score += cur
		if score != score { // NaN
			return ZNaN, cur
		}
	}
	if (flags&ZAddGT != 0 && score <= cur) || (flags&ZAddLT != 0 && score >= cur) {
		return ZNop, cur
	}
	if score == cur {
		return 0, score
	}
	s.updateScore(x, score)
	return ZUpdated, score
}

// link puts node x (its level count already set) into the list.
func (s *zskiplist) link(x *zsNode) {
	var update [zsMaxLevel]*zsNode
	var rank [zsMaxLevel]int
	p := s.head
	for i := s.level - 1; i >= 0; i-- {
		if i < s.level-1 {
			rank[i] = rank[i+1]
		}
		for p.lv[i].fwd != nil && p.lv[i].fwd.before(x.score, x.member) {
			rank[i] += p.lv[i].span
			p = p.lv[i].fwd
		}
		update[i] = p
	}
	level := len(x.lv)
	if level > s.level {
		for i := s.level; i < level; i++ {
			rank[i] = 0
			update[i] = s.head
			update[i].lv[i].span = s.length
		}
		s.level = level
	}
	for i := 0; i < level; i++ {
		x.lv[i].fwd = update[i].lv[i].fwd
		update[i].lv[i].fwd = x
		x.lv[i].span = update[i].lv[i].span - (rank[0] - rank[i])
		update[i].lv[i].span = rank[0] - rank[i] + 1
	}
	for i := level; i < s.level; i++ {
		update[i].lv[i].span++
	}
	if update[0] == s.head {
		x.back = nil
	} else {
		x.back = update[0]
	}
	if x.lv[0].fwd != nil {
		x.lv[0].fwd.back = x
	} else {
		s.tail = x
	}
	s.length++
}

// unlink removes x from the list; update[i] is its predecessor at level i
// (or the last node before it at levels it does not have).
func (s *zskiplist) unlink(x *zsNode, update *[zsMaxLevel]*zsNode) {
	for i := 0; i < s.level; i++ {
		if update[i].lv[i].fwd == x {
			update[i].lv[i].span += x.lv[i].span - 1
			update[i].lv[i].fwd = x.lv[i].fwd
		} else {
			update[i].lv[i].span--
		}
	}
	if x.lv[0].fwd != nil {
		x.lv[0].fwd.back = x.back
	} else {
		s.tail = x.back
	}
	for s.level > 1 && s.head.lv[s.level-1].fwd == nil {
		s.level--
	}
	s.length--
}

// predecessors fills update with the last node before (score, member) at
// every level and returns the node that follows at level 0.
func (s *zskiplist) predecessors(score float64, member string, update *[zsMaxLevel]*zsNode) *zsNode {
	p := s.head
	for i := s.level - 1; i >= 0; i-- {
		for p.lv[i].fwd != nil && p.lv[i].fwd.before(score, member) {
			p = p.lv[i].fwd
		}
		update[i] = p
	}
	return p.lv[0].fwd
}

// updateScore moves node x to score, in place when its neighbours still
// bracket it (Redis's zslUpdateScore).
func (s *zskiplist) updateScore(x *zsNode, score float64) {
	if (x.back == nil || x.back.score < score) && (x.lv[0].fwd == nil || x.lv[0].fwd.score > score) {
		x.score = score
		return
	}
	var update [zsMaxLevel]*zsNode
	s.predecessors(x.score, x.member, &update)
	s.unlink(x, &update)
	x.score = score
	for i := range x.lv {
		x.lv[i] = zsLevel{}
	}
	s.link(x)
}

// remove deletes member, reporting whether it was there.
func (s *zskiplist) remove(member []byte) bool {
	x := s.find(member)
	if x == nil {
		return false
	}
	var update [zsMaxLevel]*zsNode
	s.predecessors(x.score, x.member, &update)
	s.unlink(x, &update)
	s.hashRemove(x)
	s.bytes -= nodeBytes(x)
	s.shrinkHash()
	return true
}

// rank is the 1-based rank of the node (score, member), which must exist.
func (s *zskiplist) rank(score float64, member string) int {
	r := 0
	p := s.head
	for i := s.level - 1; i >= 0; i-- {
		for p.lv[i].fwd != nil && (p.lv[i].fwd.before(score, member) || p.lv[i].fwd.member == member && p.lv[i].fwd.score == score) {
			r += p.lv[i].span
			p = p.lv[i].fwd
		}
		if p != s.head && p.member == member {
			return r
		}
	}
	return r
}

// byRank returns the node of 1-based rank r, or nil.
func (s *zskiplist) byRank(r int) *zsNode {
	traversed := 0
	p := s.head
	for i := s.level - 1; i >= 0; i-- {
		for p.lv[i].fwd != nil && traversed+p.lv[i].span <= r {
			traversed += p.lv[i].span
			p = p.lv[i].fwd
		}
		if traversed == r {
			if p == s.head {
				return nil
			}
			return p
		}
	}
	return nil
}

// removeRankRange deletes the nodes of 1-based ranks start..end.
func (s *zskiplist) removeRankRange(start, end int) int {
	var update [zsMaxLevel]*zsNode
	traversed := 0
	p := s.head
	for i := s.level - 1; i >= 0; i-- {
		for p.lv[i].fwd != nil && traversed+p.lv[i].span < start {
			traversed += p.lv[i].span
			p = p.lv[i].fwd
		}
		update[i] = p
	}
	traversed++
	x := p.lv[0].fwd
	removed := 0
	for x != nil && traversed <= end {
		next := x.lv[0].fwd
		s.unlink(x, &update)
		s.hashRemove(x)
		s.bytes -= nodeBytes(x)
		removed++
		traversed++
		x = next
	}
	s.shrinkHash()
	return removed
}

// scoreBounds returns the 0-based ranks of the first and last nodes in r
// (hi < lo: none). r is not empty.
func (s *zskiplist) scoreBounds(r *ZScoreRange) (lo, hi int) {
	if s.length == 0 || !r.GteMin(s.tail.score) || !r.LteMax(s.head.lv[0].fwd.score) {
		return 0, -1
	}
	// First node >= min.
	rk := 0
	p := s.head
	for i := s.level - 1; i >= 0; i-- {
		for p.lv[i].fwd != nil && !r.GteMin(p.lv[i].fwd.score) {
			rk += p.lv[i].span
			p = p.lv[i].fwd
		}
	}
	first := p.lv[0].fwd
	if first == nil || !r.LteMax(first.score) {
		return 0, -1
	}
	lo = rk // rank of first (1-based) is rk+1
	// Last node <= max.
	rk = 0
	p = s.head
	for i := s.level - 1; i >= 0; i-- {
		for p.lv[i].fwd != nil && r.LteMax(p.lv[i].fwd.score) {
			rk += p.lv[i].span
			p = p.lv[i].fwd
		}
	}
	return lo, rk - 1
}

// lexBounds is scoreBounds for a lexicographic range (Redis's
// zslFirstInLexRange / zslLastInLexRange descents).
func (s *zskiplist) lexBounds(r *ZLexRange) (lo, hi int) {
	if s.length == 0 || !r.GteMin(sbytes(s.tail.member)) || !r.LteMax(sbytes(s.head.lv[0].fwd.member)) {
		return 0, -1
	}
	rk := 0
	p := s.head
	for i := s.level - 1; i >= 0; i-- {
		for p.lv[i].fwd != nil && !r.GteMin(sbytes(p.lv[i].fwd.member)) {
			rk += p.lv[i].span
			p = p.lv[i].fwd
		}
	}
	first := p.lv[0].fwd
	if first == nil || !r.LteMax(sbytes(first.member)) {
		return 0, -1
	}
	lo = rk
	rk = 0
	p = s.head
	for i := s.level - 1; i >= 0; i-- {
		for p.lv[i].fwd != nil && r.LteMax(sbytes(p.lv[i].fwd.member)) {
			rk += p.lv[i].span
			p = p.lv[i].fwd
		}
	}
	if rk-1 < lo {
		return 0, -1
	}
	return lo, rk - 1
}

// The hash index.

func (s *zskiplist) bucket(member []byte) int {
	return int(maphash.Bytes(zsSeed, member) & uint64(len(s.buckets)-1))
}

func (s *zskiplist) find(member []byte) *zsNode {
	for x := s.buckets[s.bucket(member)]; x != nil; x = x.hnext {
		if x.member == bstr(member) {
			return x
		}
	}
	return nil
}

func (s *zskiplist) hashAdd(x *zsNode) {
	if s.length > len(s.buckets) {
		s.rehash(len(s.buckets) * 2)
	}
	b := s.bucket(sbytes(x.member))
	x.hnext = s.buckets[b]
	s.buckets[b] = x
}

func (s *zskiplist) hashRemove(x *zsNode) {
	b := s.bucket(sbytes(x.member))
	pp := &s.buckets[b]
	for *pp != x {
		pp = &(*pp).hnext
	}
	*pp = x.hnext
	x.hnext = nil
}

// shrinkHash halves the table while it is less than 1/8 full.
func (s *zskiplist) shrinkHash() {
	n := len(s.buckets)
	for n > zsMinHash && s.length*8 < n {
		n /= 2
	}
	if n != len(s.buckets) {
		s.rehash(n)
	}
}

func (s *zskiplist) rehash(n int) {
	old := s.buckets
	s.buckets = make([]*zsNode, n)
	s.bytes += (n - len(old)) * 8
	for _, x := range old {
		for x != nil {
			next := x.hnext
			b := s.bucket(sbytes(x.member))
			x.hnext = s.buckets[b]
			s.buckets[b] = x
			x = next
		}
	}
}

// scan visits buckets from cursor in reverse-binary order (Redis's
// dictScan over a single table).
func (s *zskiplist) scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	mask := uint64(len(s.buckets) - 1)
	seen := 0
	for budget := count * 10; ; {
		for x := s.buckets[cursor&mask]; x != nil; x = x.hnext {
			fn(sbytes(x.member), x.score)
			seen++
		}
		cursor |= ^mask
		cursor = bits.Reverse64(cursor)
		cursor++
		cursor = bits.Reverse64(cursor)
		budget--
		if cursor == 0 || budget <= 0 || seen >= count {
			return cursor
		}
	}
}
