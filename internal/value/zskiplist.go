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
// when it holds more members than buckets and shrinks below 1/8 full,
// incrementally as in Redis; it is scanned with Redis's reverse-binary
// cursor (dictScan), which guarantees that a ZSCAN sees every member
// present for the whole iteration at least once even when the table is
// resized between calls.

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
	head      *zsNode
	tail      *zsNode
	length    int
	level     int
	ht        [2][]*zsNode // member index; ht[1] is the target of a resize
	rehashIdx int          // next ht[0] bucket to move; -1: not resizing
	bytes     int
}

var zsSeed = maphash.MakeSeed()

func newSkiplist(hint int) *zskiplist {
	h := &zsNode{lv: make([]zsLevel, zsMaxLevel)}
	n := zsMinHash
	for n < hint {
		n *= 2
	}
	return &zskiplist{head: h, level: 1, ht: [2][]*zsNode{make([]*zsNode, n)}, rehashIdx: -1, bytes: n * 8}
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

// The hash index: chained, with Redis's incremental resizing. A resize
// allocates the new bucket array (ht[1]) and every later lookup, insert or
// delete moves one bucket of ht[0] there, so no command pays for
// rehashing a big set at once.

const zsEmptyVisits = 10 // empty buckets one rehash step may skip

func zsHash(member []byte) uint64 { return maphash.Bytes(zsSeed, member) }

func (s *zskiplist) rehashing() bool { return s.rehashIdx >= 0 }

func (s *zskiplist) find(member []byte) *zsNode {
	s.rehashStep()
	h := zsHash(member)
	for t := 0; t < 2; t++ {
		tb := s.ht[t]
		if len(tb) == 0 {
			break
		}
		for x := tb[h&uint64(len(tb)-1)]; x != nil; x = x.hnext {
			if x.member == bstr(member) {
				return x
			}
		}
		if !s.rehashing() {
			break
		}
	}
	return nil
}

func (s *zskiplist) hashAdd(x *zsNode) {
	s.rehashStep()
	if !s.rehashing() && s.length > len(s.ht[0]) {
		s.startRehash(len(s.ht[0]) * 2)
	}
	t := 0
	if s.rehashing() {
		t = 1 // new members go to the new table
	}
	tb := s.ht[t]
	b := zsHash(sbytes(x.member)) & uint64(len(tb)-1)
	x.hnext = tb[b]
	tb[b] = x
}

func (s *zskiplist) hashRemove(x *zsNode) {
	h := zsHash(sbytes(x.member))
	for t := 0; t < 2; t++ {
		tb := s.ht[t]
		if len(tb) == 0 {
			break
		}
		for pp := &tb[h&uint64(len(tb)-1)]; *pp != nil; pp = &(*pp).hnext {
			if *pp == x {
				*pp = x.hnext
				x.hnext = nil
				return
			}
		}
	}
	panic("zset: member missing from its hash index")
}

// shrinkHash starts shrinking the table to the smallest power of two that
// holds the members when it is less than 1/8 full.
func (s *zskiplist) shrinkHash() {
	if s.rehashing() || len(s.ht[0]) <= zsMinHash || s.length*8 >= len(s.ht[0]) {
		return
	}
	n := zsMinHash
	for n < s.length {
		n *= 2
	}
	s.startRehash(n)
}

func (s *zskiplist) startRehash(n int) {
	s.ht[1] = make([]*zsNode, n)
	s.bytes += n * 8
	s.rehashIdx = 0
}

// rehashStep moves one bucket of ht[0] (skipping a bounded run of empty
// ones) to ht[1], and ends the resize when ht[0] is empty.
func (s *zskiplist) rehashStep() {
	if !s.rehashing() {
		return
	}
	old, nt := s.ht[0], s.ht[1]
	mask := uint64(len(nt) - 1)
	for empty := zsEmptyVisits; s.rehashIdx < len(old) && old[s.rehashIdx] == nil; s.rehashIdx++ {
		if empty--; empty == 0 {
			return
		}
	}
	if s.rehashIdx < len(old) {
		for x := old[s.rehashIdx]; x != nil; {
			next := x.hnext
			b := zsHash(sbytes(x.member)) & mask
			x.hnext = nt[b]
			nt[b] = x
			x = next
		}
		old[s.rehashIdx] = nil
		s.rehashIdx++
	}
	if s.rehashIdx >= len(old) {
		s.bytes -= len(old) * 8
		s.ht[0], s.ht[1] = nt, nil
		s.rehashIdx = -1
	}
}

// scan visits buckets from cursor in reverse-binary order (Redis's
// dictScan), over both tables while a resize is under way.
func (s *zskiplist) scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	seen := 0
	emit := func(tb []*zsNode, i uint64) {
		for x := tb[i]; x != nil; x = x.hnext {
			fn(sbytes(x.member), x.score)
			seen++
		}
	}
	next := func(v, mask uint64) uint64 {
		v |= ^mask
		v = bits.Reverse64(v)
		v++
		return bits.Reverse64(v)
	}
	for budget := count * 10; ; {
		if !s.rehashing() {
			m0 := uint64(len(s.ht[0]) - 1)
			emit(s.ht[0], cursor&m0)
			cursor = next(cursor, m0)
		} else {
			t0, t1 := s.ht[0], s.ht[1]
			if len(t0) > len(t1) {
				t0, t1 = t1, t0
			}
			m0, m1 := uint64(len(t0)-1), uint64(len(t1)-1)
			emit(t0, cursor&m0)
			for {
				emit(t1, cursor&m1)
				cursor = next(cursor, m1)
				if cursor&(m0^m1) == 0 {
					break
				}
			}
		}
		budget--
		if cursor == 0 || budget <= 0 || seen >= count {
			return cursor
		}
	}
}
