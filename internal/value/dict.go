package value

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// Dict is the hash table behind the large encodings of hashes and sets
// (Redis's "hashtable"): a map from string keys to values of type V with
// the extra operations those types need and Go's map lacks.
//
//   - Uniform random access in O(1): entries are kept dense in a slab
//     (deleting moves the last entry into the hole), so a random entry is
//     ents[rand(n)] (SPOP, SRANDMEMBER, HRANDFIELD).
//   - A resumable cursor with Redis's guarantee (dictScan, reverse-binary
//     bucket cursor): every key present for a whole HSCAN/SSCAN is returned
//     at least once, even when the table grows or shrinks between calls.
//   - Incremental resizing: a resize allocates the new bucket array and
//     every later operation moves one bucket, so no single command pays for
//     rehashing a big table.
//
// Buckets and chains are int32 indexes into the slab, not pointers. A Dict
// is not safe for concurrent use.
type Dict[V any] struct {
	ents      []dictEntry[V]
	ht        [2][]int32 // bucket heads; ht[1] is the target while rehashing
	rehashIdx int        // next ht[0] bucket to move; -1 when not rehashing
	strBytes  int        // bytes of keys (and, for hashes, values) held
}

type dictEntry[V any] struct {
	key  string
	val  V
	hash uint64
	next int32
}

const (
	dictNone        = -1
	dictMinBuckets  = 4
	dictEmptyVisits = 10 // empty buckets one rehash step may skip
)

var dictSeed = maphash.MakeSeed()

func dictHash(key []byte) uint64 { return maphash.Bytes(dictSeed, key) }

// bytesOf views s as a byte slice without copying. The result must not be
// modified.
func bytesOf(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// NewDict returns an empty table sized for about n keys.
func NewDict[V any](n int) *Dict[V] {
	d := &Dict[V]{rehashIdx: -1}
	size := dictMinBuckets
	for size < n {
		size *= 2
	}
	d.ht[0] = newDictBuckets(size)
	d.ents = make([]dictEntry[V], 0, n)
	return d
}

func newDictBuckets(n int) []int32 {
	b := make([]int32, n)
	for i := range b {
		b[i] = dictNone
	}
	return b
}

// Len is the number of keys.
func (d *Dict[V]) Len() int { return len(d.ents) }

// StrBytes is the total length of the keys; values count too when the
// caller reports them with AddStrBytes.
func (d *Dict[V]) StrBytes() int { return d.strBytes }

// AddStrBytes adjusts the byte count for value changes the Dict cannot see.
func (d *Dict[V]) AddStrBytes(n int) { d.strBytes += n }

// Size estimates the memory the table itself occupies (slab, buckets and
// the counted string bytes).
func (d *Dict[V]) Size() int {
	var e dictEntry[V]
	return cap(d.ents)*int(unsafe.Sizeof(e)) + 4*(len(d.ht[0])+len(d.ht[1])) + d.strBytes
}

func (d *Dict[V]) rehashing() bool { return d.rehashIdx >= 0 }

// bucketOf returns the bucket array and the index where a key with hash h
// lives: ht[0], unless that bucket was already moved to ht[1].
func (d *Dict[V]) bucketOf(h uint64) (*[]int32, uint64) {
	b := h & uint64(len(d.ht[0])-1)
	if d.rehashing() && b < uint64(d.rehashIdx) {
		return &d.ht[1], h & uint64(len(d.ht[1])-1)
	}
	return &d.ht[0], b
}

// Find returns the slab index of key, or -1.
func (d *Dict[V]) Find(key []byte) int {
	d.rehashStep()
	h := dictHash(key)
	t, b := d.bucketOf(h)
	for i := (*t)[b]; i != dictNone; i = d.ents[i].next {
		e := &d.ents[i]
		if e.hash == h && e.key == string(key) {
			return int(i)
		}
	}
	return -1
}

// Get returns key's value.
func (d *Dict[V]) Get(key []byte) (V, bool) {
	if i := d.Find(key); i >= 0 {
		return d.ents[i].val, true
	}
	var zero V
	return zero, false
}

// At returns the key and value at slab index i (0 <= i < Len()).
func (d *Dict[V]) At(i int) (string, V) { e := &d.ents[i]; return e.key, e.val }

// SetAt replaces the value at slab index i.
func (d *Dict[V]) SetAt(i int, v V) { d.ents[i].val = v }

// Random returns a uniformly chosen slab index; the Dict must not be empty.
func (d *Dict[V]) Random() int { return rand.IntN(len(d.ents)) }

// Add inserts key with value v if it is absent, and returns its slab index
// and whether it was added. key is copied.
func (d *Dict[V]) Add(key []byte, v V) (int, bool) {
	if i := d.Find(key); i >= 0 {
		return i, false
	}
	return d.insert(string(key), dictHash(key), v), true
}

// AddString is Add for a key the caller already holds as a string (no
// copy is made). The key must be absent.
func (d *Dict[V]) AddString(key string, v V) int {
	d.rehashStep()
	return d.insert(key, maphash.String(dictSeed, key), v)
}

func (d *Dict[V]) insert(key string, h uint64, v V) int {
	d.growIfNeeded()
	i := int32(len(d.ents))
	// While rehashing, a key whose old bucket has not moved yet joins that
	// bucket and moves with it, so a lookup only ever reads one chain.
	t, b := d.bucketOf(h)
	d.ents = append(d.ents, dictEntry[V]{key: key, val: v, hash: h, next: (*t)[b]})
	(*t)[b] = i
	d.strBytes += len(key)
	return int(i)
}

// Delete removes key and reports whether it was there.
func (d *Dict[V]) Delete(key []byte) bool {
	i := d.Find(key)
	if i < 0 {
		return false
	}
	d.DeleteAt(i)
	return true
}

// DeleteAt removes the entry at slab index i. The last entry moves into
// slot i, so indexes above i are not stable across a delete.
func (d *Dict[V]) DeleteAt(i int) {
	d.unlink(int32(i))
	d.strBytes -= len(d.ents[i].key)
	last := int32(len(d.ents) - 1)
	if int32(i) != last {
		// Re-point the chain link that names last to i, then move it.
		t, b := d.bucketOf(d.ents[last].hash)
		p := &(*t)[b]
		for *p != last {
			p = &d.ents[*p].next
		}
		*p = int32(i)
		d.ents[i] = d.ents[last]
	}
	d.ents[last] = dictEntry[V]{}
	d.ents = d.ents[:last]
	d.shrinkIfNeeded()
}

func (d *Dict[V]) unlink(i int32) {
	t, b := d.bucketOf(d.ents[i].hash)
	p := &(*t)[b]
	for *p != i {
		p = &d.ents[*p].next
	}
	*p = d.ents[i].next
}

func (d *Dict[V]) growIfNeeded() {
	if d.rehashing() {
		return
	}
	if len(d.ents) >= len(d.ht[0]) {
		d.startRehash(len(d.ht[0]) * 2)
	}
}

func (d *Dict[V]) shrinkIfNeeded() {
	if d.rehashing() || len(d.ht[0]) <= dictMinBuckets {
		return
	}
	// Like Redis, shrink when under 10% full, to a power of two at least
	// the key count.
	if len(d.ents)*10 < len(d.ht[0]) {
		size := dictMinBuckets
		for size < len(d.ents) {
			size *= 2
		}
		d.startRehash(size)
		if cap(d.ents) > 4*len(d.ents) && cap(d.ents) > 64 {
			d.ents = append(make([]dictEntry[V], 0, 2*len(d.ents)), d.ents...)
		}
	}
}

func (d *Dict[V]) startRehash(size int) {
	d.ht[1] = newDictBuckets(size)
	d.rehashIdx = 0
	if len(d.ents) == 0 {
		d.finishRehash()
	}
}

func (d *Dict[V]) finishRehash() {
	d.ht[0] = d.ht[1]
	d.ht[1] = nil
	d.rehashIdx = -1
}

// rehashStep moves one bucket of ht[0] to ht[1], skipping at most a few
// empty ones.
func (d *Dict[V]) rehashStep() {
	if !d.rehashing() {
		return
	}
	old, nt := d.ht[0], d.ht[1]
	nmask := uint64(len(nt) - 1)
	for empty := dictEmptyVisits; d.rehashIdx < len(old) && old[d.rehashIdx] == dictNone; {
		d.rehashIdx++
		if empty--; empty == 0 {
			break
		}
	}
	if d.rehashIdx < len(old) && old[d.rehashIdx] != dictNone {
		for i := old[d.rehashIdx]; i != dictNone; {
			e := &d.ents[i]
			next := e.next
			b := e.hash & nmask
			e.next = nt[b]
			nt[b] = i
			i = next
		}
		old[d.rehashIdx] = dictNone
		d.rehashIdx++
	}
	if d.rehashIdx >= len(old) {
		d.finishRehash()
		// Deletes during a shrink may call for a smaller table still.
		d.shrinkIfNeeded()
	}
}

// Scan calls fn with the slab index of every entry in the bucket(s) at
// cursor and returns the next cursor; 0 means the walk is complete. This is
// Redis's dictScan: the cursor counts in reverse binary, so buckets split
// or merged by a resize between two calls are neither skipped nor (when
// growing) repeated. fn must not modify the Dict.
func (d *Dict[V]) Scan(cursor uint64, fn func(i int)) uint64 {
	if len(d.ents) == 0 {
		return 0
	}
	emit := func(t []int32, b uint64) {
		for i := t[b]; i != dictNone; i = d.ents[i].next {
			fn(int(i))
		}
	}
	v := cursor
	if !d.rehashing() {
		m0 := uint64(len(d.ht[0]) - 1)
		emit(d.ht[0], v&m0)
		v |= ^m0
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		return v
	}
	small, big := d.ht[0], d.ht[1]
	if len(small) > len(big) {
		small, big = big, small
	}
	m0, m1 := uint64(len(small)-1), uint64(len(big)-1)
	emit(small, v&m0)
	// Then every bucket of the big table that expands the small one.
	for {
		emit(big, v&m1)
		v |= ^m1
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		if v&(m0^m1) == 0 {
			break
		}
	}
	return v
}

// Clone returns a deep copy (strings are immutable and shared).
func (d *Dict[V]) Clone() *Dict[V] {
	n := &Dict[V]{rehashIdx: d.rehashIdx, strBytes: d.strBytes}
	n.ents = append(make([]dictEntry[V], 0, len(d.ents)), d.ents...)
	for t := range d.ht {
		if d.ht[t] != nil {
			n.ht[t] = append([]int32(nil), d.ht[t]...)
		}
	}
	return n
}
