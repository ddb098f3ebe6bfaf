package keyspace

import (
	"encoding/binary"
	"github.com/damselfly-db/damselfly/internal/bigcopy"
	"hash/maphash"
	"math/bits"
	"runtime"
	"unsafe"

	"github.com/damselfly-db/damselfly/internal/value"
)

// Ref names an entry of a DB. It is valid until that entry is deleted.
type Ref int32

// NoRef is the Ref of no entry: what Find returns for a missing key, and
// what SetStringAt takes to create one.
const NoRef Ref = -1

const noRef = NoRef

// Clock is the shard's notion of "now", set once per command under the
// shard lock so that every key touched by one command (or one MULTI/EXEC,
// or one script) sees the same time, as in Redis.
type Clock struct {
	Ms int64 // unix milliseconds
	// Ver is the shard's last entry version. Every change to an entry
	// gives it a new version from this counter, shared by all databases of
	// the shard, so a version names one state of one key (WATCH compares
	// them; snapshots too). Entries keep its low 32 bits (see doc.go).
	Ver uint64
	// Policy says how entries keep their access data (LRU or LFU); nil
	// means LRU.
	Policy *Policy
	// Freq, when set, is told the hash of every key Find looks up, found
	// or not (cache_mode's frequency sketch, evict.Sketch).
	Freq interface{ Add(h uint64) }
	// Holds counts the shard's lock holds (the shard bumps it as it
	// releases the lock): an arena page dropped in one hold is reused
	// only in a later one (arena.go).
	Holds uint64
	// Pages, when set, gives the arenas their full-size pages from
	// outside the Go heap (pages.go); it must be set before New.
	Pages *PagePool
}

// Values past these sizes live out of line, in DB.bigs: a SET of a big
// value, and a string grown by APPEND (which then grows in place with
// amortised doubling, so building a value by APPENDs stays linear).
// Strings changed in place (MutableString: SETRANGE, SETBIT, PFADD) go
// out of line whatever their size, since the caller writes into them.
const (
	inlineMax       = 16 << 10
	appendInlineMax = 4 << 10
)

type table struct {
	buckets []Ref
	used    int
}

func (t *table) mask() uint64 { return uint64(len(t.buckets) - 1) }

// DB is one logical database within one shard.
type DB struct {
	chunks    [][]entry // the slab (entry.go)
	nslots    int
	free      Ref // head of the free-slot list
	ht        [2]table
	rehashIdx int // next bucket of ht[0] to move; -1 when not rehashing
	count     int
	nexp      int     // live entries with an expiry
	exp       refList // slots that had an expiry (flagInExp), for active expiry
	arena     arena
	bigs      side[[]byte]       // out-of-line strings
	objs      side[value.Object] // complex values
	seed      maphash.Seed
	clock     *Clock
	rnd       uint64

	// Accounting (Bytes, BytesOf): out-of-line string capacity, complex
	// values' Size, and value bytes per kind.
	bigBytes int64
	objBytes int64
	valBytes [8]int64
	lastKind value.Kind // kind of the entry last found, for Resized

	maint maintState // heartbeat work: compaction, version clamping

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

	// live caches LiveBytes while liveFresh (LiveBytesCached); every
	// change clears liveFresh.
	live      int64
	liveFresh bool
	// tightCompact: see SetCompactTight.
	tightCompact bool
}

// Events receives keyspace events from a DB. Its methods run with the
// shard locked and must not block. The key strings are views of the arena
// (see doc.go): unchanged until the shard is released, so whatever keeps
// one longer must copy it.
type Events interface {
	Expired(db int, key string)
	Created(db int, key string)
}

// streamGone tells OnAdd that e's stream value is going away.
func (d *DB) streamGone(e *entry) {
	if e.kind() == value.Stream && d.OnAdd != nil {
		d.OnAdd(d.keyString(e))
	}
}

const initialBuckets = 4

// New returns an empty DB that hashes with seed and reads time from clock.
func New(seed maphash.Seed, clock *Clock) *DB {
	d := &DB{seed: seed, clock: clock, free: noRef, rehashIdx: -1, rnd: 0x9E3779B97F4A7C15}
	d.arena.init(&clock.Holds, clock.Pages)
	return d
}

// Len is the number of keys, including expired ones not yet reclaimed.
func (d *DB) Len() int { return d.count }

// ExpiresLen is the number of keys with an expiry.
func (d *DB) ExpiresLen() int { return d.nexp }

// Capacity is the number of slots of the hash index (both tables while
// rehashing), Dragonfly's db_capacity.
func (d *DB) Capacity() int { return len(d.ht[0].buckets) + len(d.ht[1].buckets) }

// EntryOverhead is the per-key cost of the index and the slab: an entry
// and, at the usual load, one bucket.
const EntryOverhead = entryBytes + 4

// EntryBytes splits r's share of Bytes into the key's part (the key, its
// record header and the per-entry overhead) and the value's.
func (d *DB) EntryBytes(r Ref) (key, val int64) {
	e := d.ent(r)
	rc := d.rec(e)
	v := d.valueBytes(e, &rc)
	return int64(rc.size-len(rc.val)) + EntryOverhead, v
}

// Bytes is what the DB's data costs: the index, the slab, the arena
// (dead bytes not yet compacted included, and the file of its holes),
// out-of-line strings and complex values.
func (d *DB) Bytes() int64 {
	return int64(d.Capacity())*4 + d.slabBytes() + d.arena.bytes + int64(cap(d.arena.pages))*32 + d.arena.holeBytes +
		d.exp.bytes() + d.bigs.slotBytes(24) + d.objs.slotBytes(16) + d.bigBytes + d.objBytes
}

// DeadBytes is the part of Bytes held by dead arena records (deleted or
// overwritten, not yet compacted away) and by the unfilled rest of the
// pages: memory the next compaction gives back, not data. Eviction counts
// LiveBytes: a deletion frees its record's bytes only once compaction
// moves its page's survivors, so counting dead bytes would make eviction
// go on deleting keys that free nothing yet (see shard/memory.go).
func (d *DB) DeadBytes() int64 { return d.arena.bytes - d.arena.live }

// LiveBytes is Bytes without DeadBytes: what the data costs once
// compacted, the figure used_memory and maxmemory count.
func (d *DB) LiveBytes() int64 { return d.Bytes() - d.DeadBytes() }

// LiveBytesCached is LiveBytes, recomputed only when the DB changed since
// the last call (a new version or a deletion) or Maintain ran: the shard
// publishes its databases' sum after every write, and summing sixteen
// databases' accounts there cost more than a SET's own table work.
func (d *DB) LiveBytesCached() int64 {
	if !d.liveFresh {
		d.live = d.LiveBytes()
		d.liveFresh = true
	}
	return d.live
}

// BytesOf is the value bytes of the keys of kind k (strings: their bytes;
// complex values: their Size, attributing in-place changes by Resized to
// the kind of the entry last found, which is the one the command changed).
func (d *DB) BytesOf(k value.Kind) int64 { return max(d.valBytes[k&7], 0) }

// Now is the clock of the current command.
func (d *DB) Now() int64 { return d.clock.Ms }

// Hash is the table's hash of key; the shard router uses other bits of it.
func (d *DB) Hash(key []byte) uint64 { return maphash.Bytes(d.seed, key) }

func (d *DB) rehashing() bool { return d.rehashIdx >= 0 }

func (d *DB) keyOf(e *entry) []byte { return d.arena.keyAt(e.loc, e.hasExp(), e.hasHandle()) }

func (d *DB) keyString(e *entry) string { return viewString(d.keyOf(e)) }

func (d *DB) rec(e *entry) rec { return d.arena.decode(e.loc, e.hasExp(), e.hasHandle()) }

func (d *DB) hashOf(e *entry) uint64 { return maphash.Bytes(d.seed, d.keyOf(e)) }

// expOf is e's expiry in unix ms, 0 if none.
func (d *DB) expOf(e *entry) int64 {
	if !e.hasExp() {
		return 0
	}
	b := d.arena.at(e.loc)
	i := 0
	for b[i] >= 0x80 {
		i++
	}
	i++
	for b[i] >= 0x80 {
		i++
	}
	i++
	return int64(binary.LittleEndian.Uint64(b[i:]))
}

// lookup finds key without expiry checks.
func (d *DB) lookup(key []byte, h uint64) Ref {
	if d.count == 0 {
		return noRef
	}
	d.rehashStep()
	tag := tagOf(h)
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if len(tb.buckets) == 0 {
			break
		}
		for r := tb.buckets[h&tb.mask()]; r != noRef; {
			e := d.ent(r)
			if e.tag() == tag && string(d.keyOf(e)) == string(key) {
				return r
			}
			r = e.next()
		}
		if !d.rehashing() {
			break
		}
	}
	return noRef
}

// expired reports whether r's expiry has passed, deleting it if so.
func (d *DB) expired(r Ref) bool {
	e := d.ent(r)
	if e.hasExp() {
		if at := d.expOf(e); at <= d.clock.Ms {
			key := d.keyString(e)
			d.DeleteRef(r)
			d.ExpiredKeys++
			if d.Events != nil {
				d.Events.Expired(d.Index, key)
			}
			return true
		}
	}
	return false
}

// Find looks key up for a command, expiring it lazily and recording the
// access for LRU/LFU.
func (d *DB) Find(key []byte) (Ref, bool) { return d.FindHashed(key, d.Hash(key)) }

// FindHashed is Find for a key whose Hash is h: the shard router computes
// that hash anyway, so a command hashes its key once for both.
func (d *DB) FindHashed(key []byte, h uint64) (Ref, bool) {
	if d.clock.Freq != nil {
		d.clock.Freq.Add(h)
	}
	r := d.lookup(key, h)
	if r == noRef || d.expired(r) {
		return noRef, false
	}
	e := d.ent(r)
	e.meta = e.meta&^(accessMask|flagProbation) | d.accessed(e.meta&accessMask)
	d.lastKind = e.kind()
	return r, true
}

// Peek is Find without touching the access time (OBJECT, TYPE-free paths
// such as SCAN's TYPE filter and DEBUG).
func (d *DB) Peek(key []byte) (Ref, bool) { return d.PeekHashed(key, d.Hash(key)) }

// PeekHashed is Peek for a key whose Hash is h.
func (d *DB) PeekHashed(key []byte, h uint64) (Ref, bool) {
	r := d.lookup(key, h)
	if r == noRef || d.expired(r) {
		return noRef, false
	}
	d.lastKind = d.ent(r).kind()
	return r, true
}

// PeekHeld is a read's lookup while expiry is held (CLIENT PAUSE: Redis 7
// keeps the dataset unchanged during a pause, answering as if expired
// keys were gone without deleting them, so they expire, and count, once
// the pause ends). Unlike Find it records no access.
func (d *DB) PeekHeld(key []byte, h uint64) (Ref, bool) {
	r := d.lookup(key, h)
	if r == noRef {
		return noRef, false
	}
	if e := d.ent(r); e.hasExp() && d.expOf(e) <= d.clock.Ms {
		return noRef, false
	}
	d.lastKind = d.ent(r).kind()
	return r, true
}

// Key returns r's key: a view of the arena, see doc.go.
func (d *DB) Key(r Ref) string { return d.keyString(d.ent(r)) }

// Kind returns r's type.
func (d *DB) Kind(r Ref) value.Kind { return d.ent(r).kind() }

// Str returns r's string value. The slice is owned by the DB and not to be
// modified, and is only r's value until r is next written: a SET of a
// value of the same length overwrites it in place (overwriteInPlace), as
// do SETRANGE and SETBIT on a big string. Use it before writing r, within
// the shard lock hold it was taken in.
func (d *DB) Str(r Ref) []byte {
	e := d.ent(r)
	if e.kind() != value.String {
		return nil
	}
	if e.isBig() {
		return *d.bigs.get(d.rec(e).handle)
	}
	return d.rec(e).val
}

// Obj returns r's complex value.
func (d *DB) Obj(r Ref) value.Object {
	e := d.ent(r)
	if e.kind() == value.String {
		return nil
	}
	if e.packed() {
		return d.unpack(r, e)
	}
	return *d.objs.get(d.rec(e).handle)
}

// ExpireAt returns r's expiry in unix ms, 0 if none.
func (d *DB) ExpireAt(r Ref) int64 { return d.expOf(d.ent(r)) }

// AccessTime returns the unix ms of r's last access, to the LRU clock's
// tick (62.5 ms, access.go). Under an LFU policy it is the counter's last
// decrement time, to the minute.
func (d *DB) AccessTime(r Ref) int64 {
	a := d.ent(r).meta & accessMask
	if d.clock.Policy.LFU() {
		now := lfuMinutes(d.clock.Ms)
		ldt := a >> 8
		el := (now - ldt) & 0xffff
		return (d.clock.Ms/minuteMs - int64(el)) * minuteMs
	}
	return lruTickStart(d.clock.Ms) - lruIdleMs(a, d.clock.Ms)
}

// Freq returns r's LFU counter, decayed to now as OBJECT FREQ reports it;
// 0 under an LRU policy.
func (d *DB) Freq(r Ref) uint8 {
	if !d.clock.Policy.LFU() {
		return 0
	}
	return uint8(d.lfuDecr(d.ent(r).meta & accessMask))
}

// IsRaw reports whether r's string was modified in place.
func (d *DB) IsRaw(r Ref) bool { return d.ent(r).meta&flagRaw != 0 }

// Version is r's current version (see Clock.Ver and doc.go). Only equality
// is meaningful.
func (d *DB) Version(r Ref) uint64 { return uint64(d.ent(r).ver) }

// newVersion takes the next version; 0 is reserved for "ancient".
func (d *DB) newVersion() uint32 {
	d.clock.Ver++
	if uint32(d.clock.Ver) == 0 {
		d.clock.Ver++
	}
	d.liveFresh = false
	return uint32(d.clock.Ver)
}

// Touch records that r's value was changed in place (a complex value
// mutated by its command), giving it a new version.
func (d *DB) Touch(r Ref) {
	if d.snap != nil {
		d.preserve(r)
	}
	d.ent(r).ver = d.newVersion()
}

// noteExp keeps the expiry count and list right when e goes from had to
// has an expiry.
func (d *DB) noteExp(r Ref, e *entry, had, has bool) {
	switch {
	case had && !has:
		d.nexp--
	case !had && has:
		d.nexp++
		if e.meta&flagInExp == 0 {
			e.meta |= flagInExp
			d.exp.push(r)
		}
	}
}

// rewrite replaces e's record by one with key, value (v1+v2, or the
// handle when the entry's flags say so) and expiry at. The old record may
// be the source of key and value: it is freed only after the copy.
// oldSize is the old record's size, 0 for a new entry.
func (d *DB) rewrite(r Ref, e *entry, key, v1, v2 []byte, handle int32, at int64, oldSize int) {
	old := e.loc
	had := e.hasExp()
	if at != 0 {
		e.meta |= flagExp
	} else {
		e.meta &^= flagExp
	}
	d.noteExp(r, e, had, at != 0)
	l, _ := d.arena.put(key, v1, v2, at, at != 0, handle, e.hasHandle())
	e.loc = l
	if oldSize > 0 {
		d.arena.free(old, oldSize)
	}
}

// dropValue releases e's value (side tables, accounting); the record stays.
func (d *DB) dropValue(e *entry, rc *rec) {
	k := e.kind()
	v := d.valueBytes(e, rc)
	d.valBytes[k] -= v
	switch {
	case e.packed():
	case k != value.String:
		d.objBytes -= v
		d.objs.release(rc.handle)
	case e.meta&flagOOL != 0:
		d.bigBytes -= v
		d.bigs.release(rc.handle)
	}
	e.meta &^= flagOOL | flagRaw
}

func (d *DB) valueBytes(e *entry, rc *rec) int64 {
	switch {
	case e.packed():
		return int64(len(rc.val))
	case e.kind() != value.String:
		return int64((*d.objs.get(rc.handle)).Size())
	case e.meta&flagOOL != 0:
		return int64(cap(*d.bigs.get(rc.handle)))
	}
	return int64(len(rc.val))
}

// storeString writes val as e's (string) value with expiry at: inline in
// the record, or out of line when big.
// With own the DB may keep val itself rather than a copy.
func (d *DB) storeString(r Ref, e *entry, key, val []byte, at int64, oldSize int, own bool) {
	e.setKind(value.String)
	if len(val) > inlineMax {
		b := val
		if !own {
			b = bigcopy.Clone(val)
		}
		d.storeBig(r, e, key, b, at, oldSize)
		return
	}
	d.rewrite(r, e, key, val, nil, 0, at, oldSize)
	d.valBytes[value.String] += int64(len(val))
}

// storeBig makes b (owned by the DB from now on) e's out-of-line value.
func (d *DB) storeBig(r Ref, e *entry, key, b []byte, at int64, oldSize int) {
	e.setKind(value.String)
	e.meta |= flagOOL
	h := d.bigs.alloc(b)
	d.rewrite(r, e, key, nil, nil, h, at, oldSize)
	d.bigBytes += int64(cap(b))
	d.valBytes[value.String] += int64(cap(b))
}

// SetString stores val under key, replacing any value of any type. With
// keepTTL the existing expiry is kept; otherwise expireAt (0 = none) is set.
// key and val are copied.
func (d *DB) SetString(key, val []byte, expireAt int64, keepTTL bool) Ref {
	h := d.Hash(key)
	return d.SetStringAt(d.lookup(key, h), key, h, val, expireAt, keepTTL)
}

// SetStringAt is SetString for a key the caller has just looked up in this
// command (Find, FindHashed, Peek...): r is what the lookup returned (NoRef
// when missing) and h the key's Hash, so a SET walks the bucket chain once
// instead of twice. Nothing may have changed the DB since the lookup.
func (d *DB) SetStringAt(r Ref, key []byte, h uint64, val []byte, expireAt int64, keepTTL bool) Ref {
	return d.setStringAt(r, key, h, val, expireAt, keepTTL, false)
}

// AdoptStringAt is SetStringAt for a val the caller gives up: a value
// stored out of line (over 16 KiB) is val itself, not a copy, and the
// caller must neither change nor reuse its memory afterwards.
func (d *DB) AdoptStringAt(r Ref, key []byte, h uint64, val []byte, expireAt int64, keepTTL bool) Ref {
	return d.setStringAt(r, key, h, val, expireAt, keepTTL, true)
}

func (d *DB) setStringAt(r Ref, key []byte, h uint64, val []byte, expireAt int64, keepTTL, own bool) Ref {
	if r == noRef {
		r = d.insert(h)
		e := d.ent(r)
		d.storeString(r, e, key, val, expireAt, 0, own)
		d.created(e)
		return r
	}
	if d.snap != nil {
		d.preserve(r)
	}
	e := d.ent(r)
	rc := d.rec(e)
	at := expireAt
	if keepTTL && (rc.exp == 0 || rc.exp > d.clock.Ms) {
		at = rc.exp // an expired key's TTL is not kept
	}
	if d.overwriteInPlace(e, &rc, val, at) {
		e.ver = d.newVersion()
		d.refreshAccess(e)
		return r
	}
	d.streamGone(e)
	d.dropValue(e, &rc)
	e.ver = d.newVersion()
	d.refreshAccess(e)
	d.storeString(r, e, rc.key, val, at, rc.size, own)
	return r
}

// overwriteInPlace writes val (and expiry at) over e's inline string
// value when the record's layout stays the same: same value length, and
// an expiry field only if it had one. A cache's SETs mostly rewrite a key
// with a value of the size it had, and writing a new record instead left
// the old one dead, to be copied out of its page by compaction and its
// page collected by the Go runtime: 11 % of the CPU of redis-benchmark's
// pipelined SET. Only value and expiry bytes change, never the key's, so
// key views (Key, keyString) stay valid; a view of the old value does
// not, which is why callers that still use one after the write (SET ...
// GET, GETSET) read it into their reply first (see DB.Str).
func (d *DB) overwriteInPlace(e *entry, rc *rec, val []byte, at int64) bool {
	if e.kind() != value.String || e.meta&(flagOOL|flagPacked) != 0 || e.hasHandle() ||
		len(val) != len(rc.val) || e.hasExp() != (at != 0) {
		return false
	}
	copy(rc.val, val)
	if at != 0 {
		d.arena.setExp(e.loc, at)
	}
	e.meta &^= flagRaw
	return true
}

// refreshAccess is the access data of an overwritten value: Redis keeps
// the LFU counter across overwrites and restarts the LRU clock.
func (d *DB) refreshAccess(e *entry) {
	if !d.clock.Policy.LFU() {
		e.meta = e.meta&^accessMask | lruClock(d.clock.Ms)
	}
}

// ReplaceString changes r's string value (INCR, SET-like rewrites of an
// existing key), keeping its expiry. val is copied.
func (d *DB) ReplaceString(r Ref, val []byte) {
	if d.snap != nil {
		d.preserve(r)
	}
	e := d.ent(r)
	rc := d.rec(e)
	if d.overwriteInPlace(e, &rc, val, rc.exp) {
		e.ver = d.newVersion()
		return
	}
	d.dropValue(e, &rc)
	e.ver = d.newVersion()
	d.storeString(r, e, rc.key, val, rc.exp, rc.size, false)
}

// AppendString appends to r's string with amortised growth, so a value
// built by repeated APPENDs costs linear time overall.
func (d *DB) AppendString(r Ref, suffix []byte) {
	if d.snap != nil {
		d.preserve(r)
	}
	e := d.ent(r)
	e.ver = d.newVersion()
	rc := d.rec(e)
	if e.meta&flagOOL != 0 {
		d.growBig(e, &rc, func(b []byte) []byte { return bigcopy.Extend(b, suffix) })
		e.meta |= flagRaw
		return
	}
	n := len(rc.val) + len(suffix)
	d.valBytes[value.String] -= int64(len(rc.val))
	if n > appendInlineMax {
		b := bigcopy.Extend(make([]byte, 0, n*2), rc.val)
		b = bigcopy.Extend(b, suffix)
		d.storeBig(r, e, rc.key, b, rc.exp, rc.size)
	} else {
		d.rewrite(r, e, rc.key, rc.val, suffix, 0, rc.exp, rc.size)
		d.valBytes[value.String] += int64(n)
	}
	e.meta |= flagRaw
}

// growBig applies f to e's out-of-line string, keeping the accounting.
func (d *DB) growBig(e *entry, rc *rec, f func([]byte) []byte) []byte {
	p := d.bigs.get(rc.handle)
	before := int64(cap(*p))
	*p = f(*p)
	delta := int64(cap(*p)) - before
	d.bigBytes += delta
	d.valBytes[value.String] += delta
	return *p
}

// MutableString returns r's string grown (zero-filled) to at least n bytes,
// for the caller to modify in place (SETRANGE, SETBIT). It marks the value
// "raw" like Redis. The value moves out of line if it was not already.
func (d *DB) MutableString(r Ref, n int) []byte {
	if d.snap != nil {
		d.preserve(r)
	}
	e := d.ent(r)
	e.ver = d.newVersion()
	rc := d.rec(e)
	if e.meta&flagOOL == 0 {
		b := make([]byte, len(rc.val), max(len(rc.val), n))
		bigcopy.Copy(b, rc.val)
		d.valBytes[value.String] -= int64(len(rc.val))
		d.storeBig(r, e, rc.key, b, rc.exp, rc.size)
		rc = d.rec(e)
	}
	e.meta |= flagRaw
	return d.growBig(e, &rc, func(b []byte) []byte { return bigcopy.ZeroExtend(b, n) })
}

// SetObject stores a complex value under key, replacing any existing value
// and, unless keepTTL, its expiry.
func (d *DB) SetObject(key []byte, obj value.Object, keepTTL bool) Ref {
	h := d.Hash(key)
	r := d.lookup(key, h)
	var e *entry
	at := int64(0)
	if r == noRef {
		r = d.insert(h)
		e = d.ent(r)
		d.storeObject(r, e, key, obj, 0, 0)
		d.created(e)
		if d.OnAdd != nil {
			d.OnAdd(d.keyString(e))
		}
		return r
	}
	if d.snap != nil {
		d.preserve(r)
	}
	e = d.ent(r)
	rc := d.rec(e)
	if keepTTL {
		at = rc.exp
	}
	d.streamGone(e)
	d.dropValue(e, &rc)
	e.ver = d.newVersion()
	d.refreshAccess(e)
	d.storeObject(r, e, rc.key, obj, at, rc.size)
	return r
}

func (d *DB) storeObject(r Ref, e *entry, key []byte, obj value.Object, at int64, oldSize int) {
	k := obj.Kind()
	e.setKind(k)
	e.meta &^= flagPacked
	h := d.objs.alloc(obj)
	d.rewrite(r, e, key, nil, nil, h, at, oldSize)
	sz := int64(obj.Size())
	d.objBytes += sz
	d.valBytes[k] += sz
	d.lastKind = k
}

// Resized tells the DB that r's complex value changed size by delta bytes.
func (d *DB) Resized(delta int) {
	d.objBytes += int64(delta)
	d.valBytes[d.lastKind] += int64(delta)
}

// SetExpireAt sets r's expiry (unix ms); 0 removes it.
func (d *DB) SetExpireAt(r Ref, at int64) {
	if d.snap != nil {
		d.preserve(r)
	}
	e := d.ent(r)
	e.ver = d.newVersion()
	rc := d.rec(e)
	if rc.exp == at {
		return
	}
	d.rewrite(r, e, rc.key, rc.val, nil, rc.handle, at, rc.size)
}

// insert takes a slot for a new key of hash h and links it into the index;
// the caller writes its record.
func (d *DB) insert(h uint64) Ref {
	d.growIfNeeded()
	r := d.newSlot()
	t := 0
	if d.rehashing() {
		t = 1 // new keys go to the new table while rehashing
	}
	tb := &d.ht[t]
	b := h & tb.mask()
	e := d.ent(r)
	*e = entry{link: tagOf(h) | refLink(tb.buckets[b]), ver: d.newVersion(), meta: e.meta&flagInExp | flagProbation | d.fresh()}
	tb.buckets[b] = r
	tb.used++
	d.count++
	return r
}

func (d *DB) created(e *entry) {
	if d.Events != nil {
		d.Events.Created(d.Index, d.keyString(e))
	}
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
	d.liveFresh = false
	e := d.ent(r)
	h := d.hashOf(e)
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if len(tb.buckets) == 0 {
			break
		}
		b := h & tb.mask()
		prev := noRef
		for c := tb.buckets[b]; c != noRef; c = d.ent(c).next() {
			if c == r {
				if prev == noRef {
					tb.buckets[b] = e.next()
				} else {
					d.ent(prev).setNext(e.next())
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
	rc := d.rec(e)
	d.dropValue(e, &rc)
	if e.hasExp() {
		d.nexp--
	}
	d.arena.free(e.loc, rc.size)
	*e = entry{link: refLink(d.free), meta: e.meta&flagInExp | kindFree<<kindShift}
	d.free = r
	d.count--
	d.shrinkIfNeeded()
}

// Clear empties the DB (FLUSHDB). The old slab is dropped for the GC.
func (d *DB) Clear() {
	if d.OnAdd != nil {
		for i := 0; i < d.nslots; i++ {
			if e := d.ent(Ref(i)); e.live() {
				d.streamGone(e)
			}
		}
	}
	var pooled [][]byte
	if d.arena.pool != nil {
		pooled = d.arena.pooledPages()
	}
	if s := d.snap; s != nil {
		// A running snapshot keeps walking the old entries, which
		// nothing else references from now on.
		old := new(DB)
		*old = *d
		old.Events, old.OnAdd = nil, nil
		d.snap = nil
		s.saver.Cleared(d, old)
		if pool := d.arena.pool; pool != nil {
			// Its pages go back to the pool once the snapshot has let
			// go of it.
			runtime.AddCleanup(old, func(bufs [][]byte) {
				for _, b := range bufs {
					pool.put(b)
				}
			}, pooled)
			pooled = nil
		}
	}
	*d = DB{seed: d.seed, clock: d.clock, free: noRef, rehashIdx: -1, rnd: d.rnd, ExpiredKeys: d.ExpiredKeys, OnAdd: d.OnAdd, Index: d.Index, Events: d.Events}
	// A fresh arena. Without a snapshot, the old one's pages become its
	// spares, dropped in this hold: views taken in it stay readable, and
	// trim returns them to the pool after it. With one, they stay with
	// the old arena, readable by the snapshot (Saver.Cleared), never
	// reused.
	d.arena.init(&d.clock.Holds, d.clock.Pages)
	for _, b := range pooled {
		d.arena.spare = append(d.arena.spare, sparePage{buf: b, hold: d.clock.Holds})
	}
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
			e := d.ent(r)
			next := e.next()
			b := d.hashOf(e) & nt.mask()
			e.setNext(nt.buckets[b])
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
			e := d.ent(r)
			next := e.next()
			if !e.hasExp() || d.expOf(e) > d.clock.Ms {
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
		return d.chainPick(b)
	}
	return noRef
}

// chainPick returns a random entry of the chain that starts at b.
func (d *DB) chainPick(b Ref) Ref {
	n := 0
	for r := b; r != noRef; r = d.ent(r).next() {
		n++
	}
	r := b
	for k := d.random() % uint64(n); k > 0; k-- {
		r = d.ent(r).next()
	}
	return r
}

// randomVolatile picks a random entry with an expiry, dropping from the
// list the slots that lost theirs (the list is cleaned lazily, so the
// entry needs no index into it).
func (d *DB) randomVolatile() Ref {
	for d.nexp > 0 {
		i := int(d.random() % uint64(d.exp.len()))
		r := d.exp.at(i)
		e := d.ent(r)
		if e.live() && e.hasExp() {
			return r
		}
		d.exp.remove(i)
		e.meta &^= flagInExp
	}
	return noRef
}

// ActiveExpire samples up to n keys that have an expiry and deletes the
// expired ones; it returns how many it sampled and how many it deleted, so
// the caller can repeat while the expired share stays high (Redis's rule).
func (d *DB) ActiveExpire(n int) (sampled, deleted int) {
	now := d.clock.Ms
	for ; n > 0 && d.nexp > 0; n-- {
		r := d.randomVolatile()
		sampled++
		e := d.ent(r)
		if d.expOf(e) <= now {
			key := d.keyString(e)
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

// ExpireAll deletes every expired key now (DFLY EXPIRE), as active expiry
// would over time, and returns how many went.
func (d *DB) ExpireAll() int {
	now, n := d.clock.Ms, 0
	for i := 0; i < d.nslots && d.nexp > 0; i++ {
		e := d.ent(Ref(i))
		if !e.live() || !e.hasExp() || d.expOf(e) > now {
			continue
		}
		key := d.keyString(e)
		d.DeleteRef(Ref(i))
		d.ExpiredKeys++
		n++
		if d.Events != nil {
			d.Events.Expired(d.Index, key)
		}
	}
	return n
}

// Each calls fn for every live entry until fn returns false. The DB must not
// be modified during the walk.
func (d *DB) Each(fn func(r Ref) bool) {
	now := d.clock.Ms
	for i := 0; i < d.nslots; i++ {
		e := d.ent(Ref(i))
		if !e.live() || (e.hasExp() && d.expOf(e) <= now) {
			continue
		}
		if !fn(Ref(i)) {
			return
		}
	}
}

// Probation reports whether r has not been read since it was created:
// scan-resistant eviction (2Q) takes such keys first, and a read promotes.
func (d *DB) Probation(r Ref) bool { return d.ent(r).meta&flagProbation != 0 }

// Sample calls fn for up to n random live entries (an entry may come more
// than once), for eviction. Expired entries met on the way are reclaimed.
//
// The entries are drawn first, a batch at a time, with the cache line of
// each one's record (header and key) prefetched, then fn runs over them:
// an evicting cache samples on most writes, and fn reads each sample's
// key, one cache miss after the other when taken in turn (eviction
// sampling was a tenth of the CPU of bench/hitratio.sh's load). Drawing
// later samples reclaims only expired entries, never an earlier sample.
func (d *DB) Sample(n int, fn func(r Ref)) {
	var batch [16]Ref
	for n > 0 && d.count > 0 {
		k := d.sampleRun(batch[:min(n, len(batch))])
		if k == 0 {
			return
		}
		for _, r := range batch[:k] {
			l := d.ent(r).loc
			if p := &d.arena.pages[l.page()]; int(l.off()) < len(p.buf) {
				prefetch(uintptr(unsafe.Pointer(&p.buf[l.off()])))
			}
		}
		for _, r := range batch[:k] {
			fn(r)
		}
		n -= k
	}
}

// sampleRun fills out with live entries of consecutive buckets from a
// random one, as Redis's dictGetSomeKeys does for eviction: one random
// bucket read instead of one per sample (a cache and TLB miss each in a
// big table), and keys hash to buckets at random, so a run of buckets is
// as random a sample as scattered ones. Expired entries met are
// reclaimed and left out. While the table is rehashing, or when a sparse
// run finds nothing, it draws with RandomRef.
func (d *DB) sampleRun(out []Ref) int {
	k := 0
	if !d.rehashing() && len(d.ht[0].buckets) > 0 {
		t := &d.ht[0]
		mask := t.mask()
		i := d.random() & mask
		for steps := uint64(0); k < len(out) && steps <= mask && steps < uint64(8*len(out)+16); steps++ {
			r := t.buckets[i]
			if steps == 0 && r != noRef {
				// Start the run anywhere in the first chain, or a key
				// deep in a long chain would never be reached.
				r = d.chainPick(r)
			}
			for ; r != noRef && k < len(out); r = d.ent(r).next() {
				out[k] = r
				k++
			}
			i = (i + 1) & mask
		}
		j := 0
		for _, r := range out[:k] {
			if !d.expired(r) {
				out[j] = r
				j++
			}
		}
		if k = j; k > 0 {
			return k
		}
	}
	for ; k < len(out); k++ {
		r, ok := d.RandomRef()
		if !ok {
			break
		}
		out[k] = r
	}
	return k
}

// SampleVolatile calls fn for up to n random entries that have an expiry
// (volatile-* eviction policies).
func (d *DB) SampleVolatile(n int, fn func(r Ref)) {
	for ; n > 0 && d.nexp > 0; n-- {
		fn(d.randomVolatile())
	}
}
