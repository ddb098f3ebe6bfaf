package value

import (
	"bytes"

	"github.com/damselfly-db/damselfly/internal/digest"
)

// Quicklist is a Redis list, laid out like Redis's quicklist: a deque of nodes,
// each holding a run of elements packed into one byte slice. Pushing and
// popping at either end is O(1) amortised; reaching element i walks the
// node counts from the nearer end, then the entries of one node, so
// LINDEX/LSET cost O(n / node size + node size).
//
// An entry is packed as
//
//	uvarint(len) | bytes | reversed uvarint(len)
//
// The trailing length, stored with its bytes in reverse order, reads
// backwards exactly like a uvarint reads forwards, so a node can be walked
// (and popped) from either end, as a listpack can. A node's entries live in
// buf[lo:hi], with free room on both sides so that a push at the head does
// not move the others.
//
// Node size follows list-max-listpack-size (the "fill"): a negative fill
// -1..-5 caps a node at 4, 8, 16, 32 or 64 KB, a positive one at that many
// entries (and 8 KB). A node always takes at least one entry, so a big
// element gets a node of its own.
//
// The node slice is pointer-light (one slice header per node), which keeps
// the garbage collector's work proportional to the number of nodes rather
// than of elements.
type Quicklist struct {
	nodes      []lnode // live nodes are nodes[head:tail]
	head, tail int
	count      int
	bufBytes   int // sum of cap(node.buf)
	fill       int
}

type lnode struct {
	buf    []byte
	lo, hi int32
	n      int32
}

const (
	// sizeSafetyLimit caps a node's bytes when the fill counts entries.
	sizeSafetyLimit = 8192
	// fillMax is the largest entries-per-node fill, as in Redis.
	fillMax = 1<<15 - 1
	// Bytes accounted for the List header and for each node slot.
	listOverhead = 64
	nodeOverhead = 40
)

// NewQuicklist returns an empty list whose nodes follow fill
// (list-max-listpack-size).
func NewQuicklist(fill int) *Quicklist {
	if fill > fillMax {
		fill = fillMax
	} else if fill < -5 {
		fill = -5
	}
	return &Quicklist{fill: fill}
}

// Kind is List.
func (l *Quicklist) Kind() Kind { return List }

// Encoding is "quicklist": Redis 7.0 reports it for every list.
func (l *Quicklist) Encoding() string { return "quicklist" }

// Size estimates the bytes held.
func (l *Quicklist) Size() int { return listOverhead + cap(l.nodes)*nodeOverhead + l.bufBytes }

// Len is the number of elements.
func (l *Quicklist) Len() int { return l.count }

// Fill is the list-max-listpack-size the list was created with.
func (l *Quicklist) Fill() int { return l.fill }

// Clone returns a deep copy.
func (l *Quicklist) Clone() Object {
	c := &Quicklist{fill: l.fill, count: l.count}
	c.nodes = make([]lnode, l.tail-l.head)
	c.tail = len(c.nodes)
	for i := range c.nodes {
		src := &l.nodes[l.head+i]
		b := append([]byte(nil), src.buf[src.lo:src.hi]...)
		c.nodes[i] = lnode{buf: b, lo: 0, hi: int32(len(b)), n: src.n}
		c.bufBytes += cap(b)
	}
	return c
}

// Digest mixes every element in order, as Redis's DEBUG DIGEST does for
// lists.
func (l *Quicklist) Digest(d *digest.Sum) {
	it := l.Iter(0, false)
	for v, ok := it.Next(); ok; v, ok = it.Next() {
		d.Mix(v)
	}
}

// --- entry encoding ---

func uvarintLen(x int) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func entryLen(l int) int { return 2*uvarintLen(l) + l }

// putEntry writes v's entry at b[0:entryLen(len(v))].
func putEntry(b []byte, v []byte) {
	x := len(v)
	k := uvarintLen(x)
	i := 0
	for y := x; y >= 0x80; y >>= 7 {
		b[i] = byte(y) | 0x80
		i++
	}
	b[i] = byte(x >> (7 * uint(k-1)))
	copy(b[k:], v)
	// The same bytes, reversed, after the data.
	end := k + len(v) + k
	for j := 0; j < k; j++ {
		b[end-1-j] = b[j]
	}
}

// readFwd decodes the entry starting at b[p]: its data and the offset just
// past it.
func readFwd(b []byte, p int32) (data []byte, next int32) {
	var x, s uint
	k := int32(0)
	for {
		c := b[p+k]
		k++
		x |= uint(c&0x7f) << s
		if c < 0x80 {
			break
		}
		s += 7
	}
	start := p + k
	end := start + int32(x)
	return b[start:end], end + k
}

// readBack decodes the entry ending at b[e]: its data and its start offset.
func readBack(b []byte, e int32) (data []byte, start int32) {
	var x, s uint
	k := int32(0)
	for {
		k++
		c := b[e-k]
		x |= uint(c&0x7f) << s
		if c < 0x80 {
			break
		}
		s += 7
	}
	end := e - k
	begin := end - int32(x)
	return b[begin:end], begin - k
}

// --- node buffers ---

func (nd *lnode) used() int { return int(nd.hi - nd.lo) }

// allows reports whether a node with this fill can take one more entry of
// el bytes.
func (l *Quicklist) allows(nd *lnode, el int) bool {
	if nd.n == 0 {
		return true
	}
	sz := nd.used() + el
	if l.fill < 0 {
		return sz <= 4096<<uint(-l.fill-1)
	}
	return int(nd.n) < l.fill && sz <= sizeSafetyLimit
}

// full reports whether a node exceeds its limits (after an insertion in
// the middle) and holds more than one entry, so it should be split.
func (l *Quicklist) full(nd *lnode) bool {
	if nd.n <= 1 {
		return false
	}
	if l.fill < 0 {
		return nd.used() > 4096<<uint(-l.fill-1)
	}
	return int(nd.n) > l.fill || nd.used() > sizeSafetyLimit
}

// spare is the free room given to a node buffer that must grow.
func spare(used int) int {
	s := used / 2
	if s < 16 {
		s = 16
	}
	return s
}

// reserveBack makes room for need bytes after nd.hi.
func (l *Quicklist) reserveBack(nd *lnode, need int) {
	if int(nd.hi)+need <= len(nd.buf) {
		return
	}
	used := nd.used()
	if nd.lo > 0 && int(nd.lo) >= used && used+need <= len(nd.buf) {
		// Mostly free at the front (pops at the head): slide down.
		copy(nd.buf, nd.buf[nd.lo:nd.hi])
		nd.lo, nd.hi = 0, int32(used)
		return
	}
	nb := make([]byte, used+need+spare(used+need))
	copy(nb, nd.buf[nd.lo:nd.hi])
	l.bufBytes += cap(nb) - cap(nd.buf)
	nd.buf, nd.lo, nd.hi = nb, 0, int32(used)
}

// reserveFront makes room for need bytes before nd.lo.
func (l *Quicklist) reserveFront(nd *lnode, need int) {
	if int(nd.lo) >= need {
		return
	}
	used := nd.used()
	room := len(nd.buf) - int(nd.hi)
	if room >= used && used+need <= len(nd.buf) {
		// Mostly free at the back: slide up.
		nlo := len(nd.buf) - used
		copy(nd.buf[nlo:], nd.buf[nd.lo:nd.hi])
		nd.lo, nd.hi = int32(nlo), int32(len(nd.buf))
		return
	}
	front := need + spare(used+need)
	nb := make([]byte, front+used)
	copy(nb[front:], nd.buf[nd.lo:nd.hi])
	l.bufBytes += cap(nb) - cap(nd.buf)
	nd.buf, nd.lo, nd.hi = nb, int32(front), int32(front+used)
}

// compact gives back a node buffer's room when most of it is unused.
func (l *Quicklist) compact(nd *lnode) {
	used := nd.used()
	if cap(nd.buf) <= 64 || used*2 >= cap(nd.buf) {
		return
	}
	nb := make([]byte, used)
	copy(nb, nd.buf[nd.lo:nd.hi])
	l.bufBytes += cap(nb) - cap(nd.buf)
	nd.buf, nd.lo, nd.hi = nb, 0, int32(used)
}

// seal trims the spare room of a node that pushes have moved past: it
// will not grow at that end again, so a full node costs what it holds.
func (l *Quicklist) seal(nd *lnode) {
	used := nd.used()
	if cap(nd.buf)-used <= used/8 {
		return
	}
	nb := make([]byte, used)
	copy(nb, nd.buf[nd.lo:nd.hi])
	l.bufBytes += cap(nb) - cap(nd.buf)
	nd.buf, nd.lo, nd.hi = nb, 0, int32(used)
}

// --- the node deque ---

// nodeAt returns the i-th live node.
func (l *Quicklist) nodeAt(i int) *lnode { return &l.nodes[l.head+i] }

func (l *Quicklist) numNodes() int { return l.tail - l.head }

// NumNodes is the number of nodes (the cost Redis weighs before freeing a
// list in the background).
func (l *Quicklist) NumNodes() int { return l.numNodes() }

// regrow re-centres the live nodes in a slice with room for more on both
// sides.
func (l *Quicklist) regrow(front bool) {
	n := l.numNodes()
	size := 2*n + 2
	start := (size - n) / 2
	if n == 0 {
		// Most lists fit one node: give the first exactly one slot.
		size = 1
		start = 1
		if !front {
			start = 0
		}
	}
	ns := make([]lnode, size)
	copy(ns[start:], l.nodes[l.head:l.tail])
	l.nodes, l.head, l.tail = ns, start, start+n
}

// insertNode adds an empty node before live node i (i == numNodes()
// appends) and returns it.
func (l *Quicklist) insertNode(i int) *lnode {
	n := l.numNodes()
	switch {
	case i == 0:
		if l.head == 0 {
			l.regrow(true)
		}
		l.head--
	case i == n:
		if l.tail == len(l.nodes) {
			l.regrow(false)
		}
		l.tail++
	default:
		if l.tail == len(l.nodes) {
			l.regrow(false)
		}
		copy(l.nodes[l.head+i+1:l.tail+1], l.nodes[l.head+i:l.tail])
		l.tail++
	}
	nd := l.nodeAt(i)
	*nd = lnode{}
	return nd
}

// removeNode drops live node i.
func (l *Quicklist) removeNode(i int) {
	nd := l.nodeAt(i)
	l.bufBytes -= cap(nd.buf)
	switch {
	case i == 0:
		*nd = lnode{}
		l.head++
	case i == l.numNodes()-1:
		*nd = lnode{}
		l.tail--
	default:
		copy(l.nodes[l.head+i:], l.nodes[l.head+i+1:l.tail])
		l.tail--
		l.nodes[l.tail] = lnode{}
	}
	if l.head == l.tail {
		l.nodes, l.head, l.tail = nil, 0, 0
	} else if cap(l.nodes) > 16 && l.numNodes()*4 < cap(l.nodes) {
		l.regrow(false)
	}
}

// --- pushes and pops ---

// PushBack appends v (copied).
func (l *Quicklist) PushBack(v []byte) {
	el := entryLen(len(v))
	n := l.numNodes()
	var nd *lnode
	if n > 0 && l.allows(l.nodeAt(n-1), el) {
		nd = l.nodeAt(n - 1)
	} else {
		if n > 0 {
			l.seal(l.nodeAt(n - 1))
		}
		nd = l.insertNode(n)
	}
	l.reserveBack(nd, el)
	putEntry(nd.buf[nd.hi:], v)
	nd.hi += int32(el)
	nd.n++
	l.count++
}

// PushFront prepends v (copied).
func (l *Quicklist) PushFront(v []byte) {
	el := entryLen(len(v))
	var nd *lnode
	if l.numNodes() > 0 && l.allows(l.nodeAt(0), el) {
		nd = l.nodeAt(0)
	} else {
		if l.numNodes() > 0 {
			l.seal(l.nodeAt(0))
		}
		nd = l.insertNode(0)
	}
	l.reserveFront(nd, el)
	nd.lo -= int32(el)
	putEntry(nd.buf[nd.lo:], v)
	nd.n++
	l.count++
}

// Front returns the first element. The slice is the list's own memory:
// valid until the list changes, not to be modified. The list must not be
// empty.
func (l *Quicklist) Front() []byte {
	nd := l.nodeAt(0)
	v, _ := readFwd(nd.buf, nd.lo)
	return v
}

// Back returns the last element, like Front.
func (l *Quicklist) Back() []byte {
	nd := l.nodeAt(l.numNodes() - 1)
	v, _ := readBack(nd.buf, nd.hi)
	return v
}

// DropFront removes the first element.
func (l *Quicklist) DropFront() {
	nd := l.nodeAt(0)
	_, next := readFwd(nd.buf, nd.lo)
	nd.lo = next
	nd.n--
	l.count--
	if nd.n == 0 {
		l.removeNode(0)
	}
}

// DropBack removes the last element.
func (l *Quicklist) DropBack() {
	i := l.numNodes() - 1
	nd := l.nodeAt(i)
	_, start := readBack(nd.buf, nd.hi)
	nd.hi = start
	nd.n--
	l.count--
	if nd.n == 0 {
		l.removeNode(i)
	}
}

// PopFront removes and returns (a copy of) the first element.
func (l *Quicklist) PopFront() []byte {
	v := bytes.Clone(l.Front())
	l.DropFront()
	return v
}

// PopBack removes and returns (a copy of) the last element.
func (l *Quicklist) PopBack() []byte {
	v := bytes.Clone(l.Back())
	l.DropBack()
	return v
}

// --- positions ---

// locate finds element i (0 <= i < Len): its node and the byte offset of
// its entry.
func (l *Quicklist) locate(i int) (ni int, pos int32) {
	n := l.numNodes()
	if i < l.count/2 {
		for ni = 0; ni < n; ni++ {
			c := int(l.nodeAt(ni).n)
			if i < c {
				break
			}
			i -= c
		}
	} else {
		j := l.count - 1 - i // index from the end
		for ni = n - 1; ni >= 0; ni-- {
			c := int(l.nodeAt(ni).n)
			if j < c {
				break
			}
			j -= c
		}
		i = int(l.nodeAt(ni).n) - 1 - j
	}
	nd := l.nodeAt(ni)
	if i <= int(nd.n)/2 {
		pos = nd.lo
		for ; i > 0; i-- {
			_, pos = readFwd(nd.buf, pos)
		}
		return ni, pos
	}
	e := nd.hi
	for k := int(nd.n) - 1; k >= i; k-- {
		_, e = readBack(nd.buf, e)
	}
	return ni, e
}

// Index returns element i (0-based, not negative), aliasing the list's
// memory like Front, and false when out of range.
func (l *Quicklist) Index(i int) ([]byte, bool) {
	if i < 0 || i >= l.count {
		return nil, false
	}
	ni, pos := l.locate(i)
	v, _ := readFwd(l.nodeAt(ni).buf, pos)
	return v, true
}

// Set replaces element i (in range) with v.
func (l *Quicklist) Set(i int, v []byte) {
	ni, pos := l.locate(i)
	nd := l.nodeAt(ni)
	_, end := readFwd(nd.buf, pos)
	el := entryLen(len(v))
	if int(end-pos) == el {
		putEntry(nd.buf[pos:end], v)
		return
	}
	l.splice(ni, pos, end, v)
}

// splice replaces the bytes [pos:end) of node ni with v's entry (pos ==
// end inserts), splitting the node if it grew past its limit.
func (l *Quicklist) splice(ni int, pos, end int32, v []byte) {
	nd := l.nodeAt(ni)
	el := entryLen(len(v))
	used := nd.used() - int(end-pos) + el
	nb := make([]byte, used+spare(used)/4)
	k := copy(nb, nd.buf[nd.lo:pos])
	putEntry(nb[k:], v)
	k += el
	copy(nb[k:], nd.buf[end:nd.hi])
	l.bufBytes += cap(nb) - cap(nd.buf)
	nd.buf, nd.lo, nd.hi = nb, 0, int32(used)
	if pos == end {
		nd.n++
		l.count++
	}
	if l.full(nd) {
		l.split(ni)
	}
}

// split cuts node ni in two halves.
func (l *Quicklist) split(ni int) {
	nd := l.nodeAt(ni)
	half := nd.n / 2
	p := nd.lo
	for k := int32(0); k < half; k++ {
		_, p = readFwd(nd.buf, p)
	}
	left := append([]byte(nil), nd.buf[nd.lo:p]...)
	right := append([]byte(nil), nd.buf[p:nd.hi]...)
	n := nd.n
	l.bufBytes -= cap(nd.buf)
	*nd = lnode{buf: left, lo: 0, hi: int32(len(left)), n: half}
	nr := l.insertNode(ni + 1)
	*nr = lnode{buf: right, lo: 0, hi: int32(len(right)), n: n - half}
	l.bufBytes += cap(left) + cap(right)
}

// Insert puts v before (or, with after, after) the first element equal to
// pivot, and reports whether pivot was found.
func (l *Quicklist) Insert(pivot, v []byte, after bool) bool {
	for ni := 0; ni < l.numNodes(); ni++ {
		nd := l.nodeAt(ni)
		for p := nd.lo; p < nd.hi; {
			e, next := readFwd(nd.buf, p)
			if bytes.Equal(e, pivot) {
				at := p
				if after {
					at = next
				}
				l.insertAt(ni, at, v)
				return true
			}
			p = next
		}
	}
	return false
}

// insertAt inserts v at byte offset pos of node ni. At a node's edge, when
// the node is full, the neighbour or a new node takes it, as Redis does.
func (l *Quicklist) insertAt(ni int, pos int32, v []byte) {
	nd := l.nodeAt(ni)
	el := entryLen(len(v))
	if !l.allows(nd, el) {
		switch {
		case pos == nd.hi:
			if ni+1 < l.numNodes() && l.allows(l.nodeAt(ni+1), el) {
				nx := l.nodeAt(ni + 1)
				l.reserveFront(nx, el)
				nx.lo -= int32(el)
				putEntry(nx.buf[nx.lo:], v)
				nx.n++
				l.count++
				return
			}
			nn := l.insertNode(ni + 1)
			l.reserveBack(nn, el)
			putEntry(nn.buf[nn.hi:], v)
			nn.hi += int32(el)
			nn.n++
			l.count++
			return
		case pos == nd.lo:
			if ni > 0 && l.allows(l.nodeAt(ni-1), el) {
				pv := l.nodeAt(ni - 1)
				l.reserveBack(pv, el)
				putEntry(pv.buf[pv.hi:], v)
				pv.hi += int32(el)
				pv.n++
				l.count++
				return
			}
			nn := l.insertNode(ni)
			l.reserveBack(nn, el)
			putEntry(nn.buf[nn.hi:], v)
			nn.hi += int32(el)
			nn.n++
			l.count++
			return
		}
	}
	l.splice(ni, pos, pos, v)
}

// --- ranges ---

// ListIter walks a list from a position, forwards or backwards. The list
// must not change during the walk.
type ListIter struct {
	l   *Quicklist
	ni  int
	pos int32 // forwards: start of the next entry; backwards: its end
	rev bool
}

// Iter returns an iterator at element start (0 <= start < Len, or any
// value for an empty list), moving towards the tail, or the head with rev.
func (l *Quicklist) Iter(start int, rev bool) ListIter {
	it := ListIter{l: l, rev: rev, ni: -1}
	if start < 0 || start >= l.count {
		return it
	}
	ni, pos := l.locate(start)
	it.ni = ni
	it.pos = pos
	if rev {
		_, it.pos = readFwd(l.nodeAt(ni).buf, pos)
	}
	return it
}

// Next returns the next element (aliasing the list's memory) or false at
// the end.
func (it *ListIter) Next() ([]byte, bool) {
	l := it.l
	if it.ni < 0 || it.ni >= l.numNodes() {
		return nil, false
	}
	nd := l.nodeAt(it.ni)
	if !it.rev {
		if it.pos >= nd.hi {
			it.ni++
			if it.ni >= l.numNodes() {
				return nil, false
			}
			nd = l.nodeAt(it.ni)
			it.pos = nd.lo
		}
		v, next := readFwd(nd.buf, it.pos)
		it.pos = next
		return v, true
	}
	if it.pos <= nd.lo {
		it.ni--
		if it.ni < 0 {
			return nil, false
		}
		nd = l.nodeAt(it.ni)
		it.pos = nd.hi
	}
	v, start := readBack(nd.buf, it.pos)
	it.pos = start
	return v, true
}

// Range calls fn for elements start..stop (inclusive, in range, start <=
// stop) in order, until fn returns false.
func (l *Quicklist) Range(start, stop int, fn func(v []byte) bool) {
	it := l.Iter(start, false)
	for i := start; i <= stop; i++ {
		v, ok := it.Next()
		if !ok || !fn(v) {
			return
		}
	}
}

// DropFrontN removes the first n elements (n <= Len).
func (l *Quicklist) DropFrontN(n int) {
	for n > 0 {
		nd := l.nodeAt(0)
		if int(nd.n) <= n {
			n -= int(nd.n)
			l.count -= int(nd.n)
			l.removeNode(0)
			continue
		}
		p := nd.lo
		for k := 0; k < n; k++ {
			_, p = readFwd(nd.buf, p)
		}
		nd.lo = p
		nd.n -= int32(n)
		l.count -= n
		l.compact(nd)
		return
	}
}

// DropBackN removes the last n elements (n <= Len).
func (l *Quicklist) DropBackN(n int) {
	for n > 0 {
		last := l.numNodes() - 1
		nd := l.nodeAt(last)
		if int(nd.n) <= n {
			n -= int(nd.n)
			l.count -= int(nd.n)
			l.removeNode(last)
			continue
		}
		e := nd.hi
		for k := 0; k < n; k++ {
			_, e = readBack(nd.buf, e)
		}
		nd.hi = e
		nd.n -= int32(n)
		l.count -= n
		l.compact(nd)
		return
	}
}

// Trim keeps only elements start..stop (inclusive, 0 <= start <= stop <
// Len).
func (l *Quicklist) Trim(start, stop int) {
	l.DropBackN(l.count - 1 - stop)
	l.DropFrontN(start)
}

// Remove deletes elements equal to v: the first count of them from the
// head (count > 0), the last -count from the tail (count < 0), or all
// (count == 0). It returns how many it removed.
func (l *Quicklist) Remove(v []byte, count int) int {
	limit := count
	if limit < 0 {
		limit = -limit
	}
	removed := 0
	step, ni := 1, 0
	if count < 0 {
		step, ni = -1, l.numNodes()-1
	}
	for ni >= 0 && ni < l.numNodes() && (limit == 0 || removed < limit) {
		want := 0
		if limit > 0 {
			want = limit - removed
		}
		k := l.filterNode(ni, v, want, count < 0)
		removed += k
		if l.nodeAt(ni).n == 0 {
			l.removeNode(ni)
			if step > 0 {
				continue
			}
		}
		ni += step
	}
	l.count -= removed
	return removed
}

// filterNode drops from node ni up to want (0: all) entries equal to v,
// scanning from the tail end when rev. It returns how many it dropped.
func (l *Quicklist) filterNode(ni int, v []byte, want int, rev bool) int {
	nd := l.nodeAt(ni)
	// Find the matching entries' extents first: most nodes have none.
	type span struct{ s, e int32 }
	var spans []span
	if !rev {
		for p := nd.lo; p < nd.hi && (want == 0 || len(spans) < want); {
			e, next := readFwd(nd.buf, p)
			if bytes.Equal(e, v) {
				spans = append(spans, span{p, next})
			}
			p = next
		}
	} else {
		for p := nd.hi; p > nd.lo && (want == 0 || len(spans) < want); {
			e, start := readBack(nd.buf, p)
			if bytes.Equal(e, v) {
				spans = append(spans, span{start, p})
			}
			p = start
		}
		for i, j := 0, len(spans)-1; i < j; i, j = i+1, j-1 {
			spans[i], spans[j] = spans[j], spans[i]
		}
	}
	if len(spans) == 0 {
		return 0
	}
	w := nd.lo
	r := nd.lo
	for _, sp := range spans {
		w += int32(copy(nd.buf[w:], nd.buf[r:sp.s]))
		r = sp.e
	}
	w += int32(copy(nd.buf[w:], nd.buf[r:nd.hi]))
	nd.hi = w
	nd.n -= int32(len(spans))
	l.compact(nd)
	return len(spans)
}
