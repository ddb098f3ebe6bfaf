package keyspace

import (
	"hash/maphash"
	"math/bits"

	"github.com/damselfly-db/damselfly/internal/value"
)

// Ref names an entry of a DB. It is valid until that entry is deleted.
type Ref int32

const noRef Ref = -1

// Clock is the shard's notion of "now", set once per command under the
// shard lock so that every key touched by one command (or one MULTI/EXEC,
// or one script) sees the same time, as in Redis.
type Clock struct {
	Ms int64 // unix milliseconds
	// Ver is the shard's last entry version. Every change to an entry
	// gives it a new version from this counter, shared by all databases of
	// the shard, so a version names one state of one key (WATCH compares
	// them; snapshots will too).
	Ver uint64
}

// entry flags.
const (
	flagRaw       uint8 = 1 << iota // string modified in place: OBJECT ENCODING "raw"
	flagProbation                   // written but not read since it was created (2Q's probation queue)
)

type entry struct {
	key      string
	str      []byte
	obj      value.Object
	hash     uint64
	expireAt int64 // unix ms; 0 = no expiry
	next     Ref   // bucket chain, or free list when the slot is free
	expIdx   int32 // index in DB.exp, or -1
	atime    int64 // last access, unix ms (LRU, OBJECT IDLETIME)
	version  uint64
	kind     value.Kind
	flags    uint8
	freq     uint8 // LFU counter (OBJECT FREQ)
	live     bool
}

type table struct {
	buckets []Ref
	used    int
}

func (t *table) mask() uint64 { return uint64(len(t.buckets) - 1) }

// DB is one logical database within one shard.
type DB struct {
	ents      []entry
	free      Ref // head of the free-slot list
	ht        [2]table
	rehashIdx int // next bucket of ht[0] to move; -1 when not rehashing
	count     int
	exp       []Ref // entries with an expiry, for active expiry sampling
	seed      maphash.Seed
	clock     *Clock
	rnd       uint64
	bytes     int64 // approximate memory held by keys and values

	// Counters the shard reads for INFO; bumped here because only the table
	// knows when a key expired lazily.
	ExpiredKeys int64
	// Per-database counters for /metrics (dragonfly_keyspace_hits_total
	// {db=...} and friends), bumped by the command layer under the shard
	// lock: reads that found or missed a key, keys evicted.
	Hits, Misses, EvictedKeys int64

	// OnAdd, when set, is told about every complex-typed key created, so
	// clients blocked on a missing list, zset or stream can be woken. The
	// shard sets it only while such clients exist.
	// It is also told when a stream is deleted or overwritten: Redis 7.0
	// then unblocks the clients waiting on it in XREADGROUP.
	OnAdd func(key string)

	// Index is the database number (kept right across SWAPDB), and
	// Events, when set, is told of keys expiring and created, for keyspace
	// notifications.
	Index  int
	Events Events

	// snap is the running snapshot that still needs some entries (see
	// snapshot.go); nil when none.
	snap *snapState
}

// Events receives keyspace events from a DB. Its methods run with the
// shard locked and must not block.
type Events interface {
	Expired(db int, key string)
	Created(db int, key string)
}

// streamGone tells OnAdd that e's stream value is going away.
func (d *DB) streamGone(e *entry) {
	if e.kind == value.Stream && d.OnAdd != nil {
		d.OnAdd(e.key)
	}
}

const initialBuckets = 4

// New returns an empty DB that hashes with seed and reads time from clock.
func New(seed maphash.Seed, clock *Clock) *DB {
	d := &DB{seed: seed, clock: clock, free: noRef, rehashIdx: -1, rnd: 0x9E3779B97F4A7C15}
	return d
}

// Len is the number of keys, including expired ones not yet reclaimed.
func (d *DB) Len() int { return d.count }

// ExpiresLen is the number of keys with an expiry.
func (d *DB) ExpiresLen() int { return len(d.exp) }

// Capacity is the number of slots of the hash index (both tables while
// rehashing), Dragonfly's db_capacity.
func (d *DB) Capacity() int { return len(d.ht[0].buckets) + len(d.ht[1].buckets) }

// EntryBytes splits r's share of Bytes into the key's part (the key and
// the per-entry overhead) and the value's.
func (d *DB) EntryBytes(r Ref) (key, val int64) {
	e := &d.ents[r]
	return int64(len(e.key)) + entryOverhead, valueBytes(e)
}

// Bytes approximates the memory held by the DB's keys and values.
func (d *DB) Bytes() int64 { return d.bytes }

// Now is the clock of the current command.
func (d *DB) Now() int64 { return d.clock.Ms }

// Hash is the table's hash of key; the shard router uses other bits of it.
func (d *DB) Hash(key []byte) uint64 { return maphash.Bytes(d.seed, key) }

func (d *DB) rehashing() bool { return d.rehashIdx >= 0 }

// lookup finds key without expiry checks.
func (d *DB) lookup(key []byte, h uint64) Ref {
	if d.count == 0 {
		return noRef
	}
	d.rehashStep()
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if len(tb.buckets) == 0 {
			break
		}
		for r := tb.buckets[h&tb.mask()]; r != noRef; r = d.ents[r].next {
			e := &d.ents[r]
			if e.hash == h && e.key == string(key) {
				return r
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return noRef
}

// expired reports whether r's expiry has passed, deleting it if so.
func (d *DB) expired(r Ref) bool {
	e := &d.ents[r]
	if e.expireAt != 0 && e.expireAt <= d.clock.Ms {
		key := e.key
		d.DeleteRef(r)
		d.ExpiredKeys++
		if d.Events != nil {
			d.Events.Expired(d.Index, key)
		}
		return true
	}
	return false
}

// Find looks key up for a command, expiring it lazily and recording the
// access for LRU/LFU.
func (d *DB) Find(key []byte) (Ref, bool) {
	r := d.lookup(key, d.Hash(key))
	if r == noRef || d.expired(r) {
		return noRef, false
	}
	e := &d.ents[r]
	e.atime = d.clock.Ms
	e.flags &^= flagProbation
	if e.freq < 255 {
		e.freq++
	}
	return r, true
}

// Peek is Find without touching the access time (OBJECT, TYPE-free paths
// such as SCAN's TYPE filter and DEBUG).
func (d *DB) Peek(key []byte) (Ref, bool) {
	r := d.lookup(key, d.Hash(key))
	if r == noRef || d.expired(r) {
		return noRef, false
	}
	return r, true
}

// Key returns r's key.
func (d *DB) Key(r Ref) string { return d.ents[r].key }

// Kind returns r's type.
func (d *DB) Kind(r Ref) value.Kind { return d.ents[r].kind }

// Str returns r's string value. The slice is owned by the DB: valid until the
// next change of that entry, and not to be modified.
func (d *DB) Str(r Ref) []byte { return d.ents[r].str }

// Obj returns r's complex value.
func (d *DB) Obj(r Ref) value.Object { return d.ents[r].obj }

// ExpireAt returns r's expiry in unix ms, 0 if none.
func (d *DB) ExpireAt(r Ref) int64 { return d.ents[r].expireAt }

// AccessTime returns the unix ms of r's last access.
func (d *DB) AccessTime(r Ref) int64 { return d.ents[r].atime }

// Freq returns r's LFU counter.
func (d *DB) Freq(r Ref) uint8 { return d.ents[r].freq }

// IsRaw reports whether r's string was modified in place.
func (d *DB) IsRaw(r Ref) bool { return d.ents[r].flags&flagRaw != 0 }

// Version is r's current version (see Clock.Ver).
func (d *DB) Version(r Ref) uint64 { return d.ents[r].version }

// Touch records that r's value was changed in place (a complex value
// mutated by its command), giving it a new version.
func (d *DB) Touch(r Ref) {
	if d.snap != nil {
		d.preserve(r)
	}
	d.clock.Ver++
	d.ents[r].version = d.clock.Ver
}

// SetExpireAt sets r's expiry (unix ms); 0 removes it.
func (d *DB) SetExpireAt(r Ref, at int64) {
	if d.snap != nil {
		d.preserve(r)
	}
	e := &d.ents[r]
	d.clock.Ver++
	e.version = d.clock.Ver
	switch {
	case at != 0 && e.expIdx < 0:
		e.expIdx = int32(len(d.exp))
		d.exp = append(d.exp, r)
	case at == 0 && e.expIdx >= 0:
		d.removeExp(r)
	}
	e.expireAt = at
}

func (d *DB) removeExp(r Ref) {
	e := &d.ents[r]
	i := e.expIdx
	last := d.exp[len(d.exp)-1]
	d.exp[i] = last
	d.ents[last].expIdx = i
	d.exp = d.exp[:len(d.exp)-1]
	e.expIdx = -1
}

// SetString stores val under key, replacing any value of any type. With
// keepTTL the existing expiry is kept; otherwise expireAt (0 = none) is set.
// key and val are copied.
func (d *DB) SetString(key, val []byte, expireAt int64, keepTTL bool) Ref {
	h := d.Hash(key)
	r := d.lookup(key, h)
	if r == noRef {
		r = d.insert(key, h)
	} else {
		if d.snap != nil {
			d.preserve(r)
		}
		e := &d.ents[r]
		if e.expireAt != 0 && e.expireAt <= d.clock.Ms {
			keepTTL = false // an expired key's TTL is not kept
		}
		d.bytes -= valueBytes(e)
		e.obj = nil
		d.streamGone(e)
	}
	e := &d.ents[r]
	d.clock.Ver++
	e.version = d.clock.Ver
	e.kind = value.String
	e.flags &= flagProbation
	e.str = cloneValue(val)
	d.bytes += valueBytes(e)
	e.atime = d.clock.Ms
	if !keepTTL {
		d.SetExpireAt(r, expireAt)
	}
	return r
}

// ReplaceString changes r's string value (INCR, SET-like rewrites of an
// existing key), keeping its expiry. val is copied.
func (d *DB) ReplaceString(r Ref, val []byte) {
	if d.snap != nil {
		d.preserve(r)
	}
	e := &d.ents[r]
	d.clock.Ver++
	e.version = d.clock.Ver
	d.bytes -= valueBytes(e)
	e.str = cloneValue(val)
	e.flags &^= flagRaw
	d.bytes += valueBytes(e)
}

// AppendString appends to r's string in place with amortised growth, so a
// value built by repeated APPENDs costs linear time overall.
func (d *DB) AppendString(r Ref, suffix []byte) {
	if d.snap != nil {
		d.preserve(r)
	}
	e := &d.ents[r]
	d.clock.Ver++
	e.version = d.clock.Ver
	d.bytes -= valueBytes(e)
	e.str = append(e.str, suffix...)
	e.flags |= flagRaw
	d.bytes += valueBytes(e)
}

// MutableString returns r's string grown (zero-filled) to at least n bytes,
// for the caller to modify in place (SETRANGE, SETBIT). It marks the value
// "raw" like Redis.
func (d *DB) MutableString(r Ref, n int) []byte {
	if d.snap != nil {
		d.preserve(r)
	}
	e := &d.ents[r]
	d.clock.Ver++
	e.version = d.clock.Ver
	d.bytes -= valueBytes(e)
	if len(e.str) < n {
		e.str = append(e.str, make([]byte, n-len(e.str))...)
	}
	e.flags |= flagRaw
	d.bytes += valueBytes(e)
	return e.str
}

// SetObject stores a complex value under key, replacing any existing value
// and, unless keepTTL, its expiry.
func (d *DB) SetObject(key []byte, obj value.Object, keepTTL bool) Ref {
	h := d.Hash(key)
	r := d.lookup(key, h)
	added := r == noRef
	if added {
		r = d.insert(key, h)
	} else {
		if d.snap != nil {
			d.preserve(r)
		}
		d.bytes -= valueBytes(&d.ents[r])
	}
	e := &d.ents[r]
	if added && d.OnAdd != nil {
		defer d.OnAdd(e.key)
	} else if !added {
		d.streamGone(e)
	}
	d.clock.Ver++
	e.version = d.clock.Ver
	e.kind = obj.Kind()
	e.str = nil
	e.obj = obj
	e.flags &= flagProbation
	e.atime = d.clock.Ms
	d.bytes += valueBytes(e)
	if !keepTTL {
		d.SetExpireAt(r, 0)
	}
	return r
}

// Resized tells the DB that r's complex value changed size by delta bytes.
func (d *DB) Resized(delta int) { d.bytes += int64(delta) }

func valueBytes(e *entry) int64 {
	if e.obj != nil {
		return int64(e.obj.Size())
	}
	return int64(cap(e.str))
}

// entryOverhead approximates the per-key cost of the slab slot and bucket.
const entryOverhead = 96

func (d *DB) insert(key []byte, h uint64) Ref {
	d.growIfNeeded()
	var r Ref
	if d.free != noRef {
		r = d.free
		d.free = d.ents[r].next
	} else {
		d.ents = append(d.ents, entry{})
		r = Ref(len(d.ents) - 1)
	}
	t := 0
	if d.rehashing() {
		t = 1 // new keys go to the new table while rehashing
	}
	tb := &d.ht[t]
	b := h & tb.mask()
	d.ents[r] = entry{key: string(key), hash: h, next: tb.buckets[b], expIdx: -1, live: true, flags: flagProbation}
	tb.buckets[b] = r
	tb.used++
	d.count++
	if d.Events != nil {
		d.Events.Created(d.Index, d.ents[r].key)
	}
	d.bytes += int64(len(key)) + entryOverhead
	return r
}

// Delete removes key. It reports whether the key existed (expired keys
// count as absent, as in Redis).
func (d *DB) Delete(key []byte) bool {
	r, ok := d.Peek(key)
	if !ok {
		return false
	}
	d.DeleteRef(r)
	return true
}

// DeleteRef removes the entry r.
func (d *DB) DeleteRef(r Ref) {
	if d.snap != nil {
		d.preserve(r)
	}
	e := &d.ents[r]
	h := e.hash
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if len(tb.buckets) == 0 {
			break
		}
		b := h & tb.mask()
		prev := noRef
		for c := tb.buckets[b]; c != noRef; c = d.ents[c].next {
			if c == r {
				if prev == noRef {
					tb.buckets[b] = e.next
				} else {
					d.ents[prev].next = e.next
				}
				tb.used--
				goto found
			}
			prev = c
		}
	}
	panic("keyspace: deleting an entry that is not in the table")
found:
	d.streamGone(e)
	if e.expIdx >= 0 {
		d.removeExp(r)
	}
	d.bytes -= int64(len(e.key)) + entryOverhead + valueBytes(e)
	*e = entry{next: d.free, expIdx: -1}
	d.free = r
	d.count--
	d.shrinkIfNeeded()
}

// Clear empties the DB (FLUSHDB). The old slab is dropped for the GC.
func (d *DB) Clear() {
	if d.OnAdd != nil {
		for i := range d.ents {
			if e := &d.ents[i]; e.live {
				d.streamGone(e)
			}
		}
	}
	if s := d.snap; s != nil {
		// A running snapshot keeps walking the old entries, which
		// nothing else references from now on.
		old := new(DB)
		*old = *d
		old.Events, old.OnAdd = nil, nil
		d.snap = nil
		s.saver.Cleared(d, old)
	}
	*d = DB{seed: d.seed, clock: d.clock, free: noRef, rehashIdx: -1, rnd: d.rnd, ExpiredKeys: d.ExpiredKeys, OnAdd: d.OnAdd, Index: d.Index, Events: d.Events}
}

func (d *DB) growIfNeeded() {
	if len(d.ht[0].buckets) == 0 {
		d.ht[0].buckets = newBuckets(initialBuckets)
		return
	}
	if d.rehashing() {
		return
	}
	if d.count >= len(d.ht[0].buckets) {
		d.startRehash(len(d.ht[0].buckets) * 2)
	}
}

func (d *DB) shrinkIfNeeded() {
	if d.rehashing() || len(d.ht[0].buckets) <= initialBuckets {
		return
	}
	if d.count*8 < len(d.ht[0].buckets) {
		size := initialBuckets
		for size < d.count*2 {
			size *= 2
		}
		d.startRehash(size)
	}
}

func newBuckets(n int) []Ref {
	b := make([]Ref, n)
	for i := range b {
		b[i] = noRef
	}
	return b
}

func (d *DB) startRehash(size int) {
	d.ht[1] = table{buckets: newBuckets(size)}
	d.rehashIdx = 0
}

// rehashStep moves one bucket (and skips a bounded run of empty ones) from
// the old table to the new.
func (d *DB) rehashStep() {
	if !d.rehashing() {
		return
	}
	old, nt := &d.ht[0], &d.ht[1]
	empty := 10
	for d.rehashIdx < len(old.buckets) && old.buckets[d.rehashIdx] == noRef {
		d.rehashIdx++
		if empty--; empty == 0 {
			return
		}
	}
	if d.rehashIdx < len(old.buckets) {
		for r := old.buckets[d.rehashIdx]; r != noRef; {
			e := &d.ents[r]
			next := e.next
			b := e.hash & nt.mask()
			e.next = nt.buckets[b]
			nt.buckets[b] = r
			old.used--
			nt.used++
			r = next
		}
		old.buckets[d.rehashIdx] = noRef
		d.rehashIdx++
	}
	if d.rehashIdx >= len(old.buckets) {
		d.ht[0] = d.ht[1]
		d.ht[1] = table{}
		d.rehashIdx = -1
	}
}

// RehashSome moves up to n buckets; the shard's heartbeat calls it so idle
// tables finish resizing.
func (d *DB) RehashSome(n int) {
	for ; n > 0 && d.rehashing(); n-- {
		d.rehashStep()
	}
}

func (d *DB) random() uint64 {
	// xorshift64*: cheap and good enough for sampling.
	d.rnd ^= d.rnd >> 12
	d.rnd ^= d.rnd << 25
	d.rnd ^= d.rnd >> 27
	return d.rnd * 2685821657736338717
}

// Scan calls fn for the entries of the bucket(s) at cursor and returns the
// next cursor; 0 means the scan is complete. Expired entries are skipped.
func (d *DB) Scan(cursor uint64, fn func(r Ref)) uint64 {
	if d.count == 0 {
		return 0
	}
	emit := func(t *table, i uint64) {
		for r := t.buckets[i]; r != noRef; {
			next := d.ents[r].next
			e := &d.ents[r]
			if e.expireAt == 0 || e.expireAt > d.clock.Ms {
				fn(r)
			}
			r = next
		}
	}
	v := cursor
	if !d.rehashing() {
		t0 := &d.ht[0]
		m0 := t0.mask()
		emit(t0, v&m0)
		v |= ^m0
		v = bits.Reverse64(v)
		v++
		v = bits.Reverse64(v)
		return v
	}
	t0, t1 := &d.ht[0], &d.ht[1]
	if len(t0.buckets) > len(t1.buckets) {
		t0, t1 = t1, t0
	}
	m0, m1 := t0.mask(), t1.mask()
	emit(t0, v&m0)
	for {
		emit(t1, v&m1)
		v |= ^m1
		v = bits.Reverse64(v)
		v++
		v = bits.Reverse64(v)
		if v&(m0^m1) == 0 {
			break
		}
	}
	return v
}

// RandomRef returns a random live entry (expired ones are reclaimed on the
// way), or false when the DB is empty.
func (d *DB) RandomRef() (Ref, bool) {
	for tries := 0; d.count > 0 && tries < 100; tries++ {
		r := d.randomEntry()
		if r == noRef {
			continue
		}
		if d.expired(r) {
			continue
		}
		return r, true
	}
	return noRef, false
}

// randomEntry picks a random non-empty bucket, then a random chain element.
func (d *DB) randomEntry() Ref {
	d.rehashStep()
	for i := 0; i < 1000 && d.count > 0; i++ {
		var b Ref
		if d.rehashing() {
			// Pick over both tables as if they were one range.
			n0 := uint64(len(d.ht[0].buckets) - d.rehashIdx)
			n1 := uint64(len(d.ht[1].buckets))
			x := d.random() % (n0 + n1)
			if x < n0 {
				b = d.ht[0].buckets[uint64(d.rehashIdx)+x]
			} else {
				b = d.ht[1].buckets[x-n0]
			}
		} else {
			b = d.ht[0].buckets[d.random()&d.ht[0].mask()]
		}
		if b == noRef {
			continue
		}
		n := 0
		for r := b; r != noRef; r = d.ents[r].next {
			n++
		}
		k := int(d.random() % uint64(n))
		r := b
		for ; k > 0; k-- {
			r = d.ents[r].next
		}
		return r
	}
	return noRef
}

// ActiveExpire samples up to n keys that have an expiry and deletes the
// expired ones; it returns how many it sampled and how many it deleted, so
// the caller can repeat while the expired share stays high (Redis's rule).
func (d *DB) ActiveExpire(n int) (sampled, deleted int) {
	now := d.clock.Ms
	for ; n > 0 && len(d.exp) > 0; n-- {
		r := d.exp[d.random()%uint64(len(d.exp))]
		sampled++
		if d.ents[r].expireAt <= now {
			key := d.ents[r].key
			d.DeleteRef(r)
			d.ExpiredKeys++
			deleted++
			if d.Events != nil {
				d.Events.Expired(d.Index, key)
			}
		}
	}
	return sampled, deleted
}

// Each calls fn for every live entry until fn returns false. The DB must not
// be modified during the walk.
func (d *DB) Each(fn func(r Ref) bool) {
	now := d.clock.Ms
	for i := range d.ents {
		e := &d.ents[i]
		if !e.live || (e.expireAt != 0 && e.expireAt <= now) {
			continue
		}
		if !fn(Ref(i)) {
			return
		}
	}
}

// Probation reports whether r has not been read since it was created:
// scan-resistant eviction (2Q) takes such keys first, and a read promotes.
func (d *DB) Probation(r Ref) bool { return d.ents[r].flags&flagProbation != 0 }

// Sample calls fn for up to n random live entries (an entry may come more
// than once), for eviction. Expired entries met on the way are reclaimed.
func (d *DB) Sample(n int, fn func(r Ref)) {
	for ; n > 0 && d.count > 0; n-- {
		r, ok := d.RandomRef()
		if !ok {
			return
		}
		fn(r)
	}
}

// SampleVolatile calls fn for up to n random entries that have an expiry
// (volatile-* eviction policies).
func (d *DB) SampleVolatile(n int, fn func(r Ref)) {
	for ; n > 0 && len(d.exp) > 0; n-- {
		fn(d.exp[d.random()%uint64(len(d.exp))])
	}
}
