// Package shard partitions the keyspace. Each shard owns the keys that hash
// to it, in every logical database, behind one mutex; commands run on the
// connection's goroutine while holding the locks of the shards their keys
// live in, taken in ascending shard order so that multi-key commands are
// atomic and cannot deadlock (see LOCKORDER.md at the repository root).
package shard

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/evict"
	"github.com/damselfly-db/damselfly/internal/keyspace"
)

// MaxShards bounds the shard count so a shard set fits in a small bitmap.
const MaxShards = 128

// Shard is one partition of the keyspace.
type Shard struct {
	mu sync.Mutex
	// owner is the client id of a MULTI/EXEC or script that holds the
	// shard for several commands; the commands it runs find the shard
	// already theirs (see Acquire). 0 when none.
	owner atomic.Int64
	ID    int
	clock keyspace.Clock
	dbs   []*keyspace.DB

	// Clients blocked on keys of this shard, and keys that became ready
	// for them during the current command.
	waiters    map[BlockKey][]*Waiter
	blockedDBs []int
	ready      []ReadyKey
	// readySeq is the store's count of keys marked ready (ReadyKey.Seq).
	readySeq *atomic.Uint64

	// Dirty counts the changes made by write commands in this shard
	// (Redis's server.dirty, summed across shards for
	// rdb_changes_since_last_save and the save rules). Written under mu,
	// read without it.
	Dirty atomic.Int64
	// dirty is changes counted under mu (NoteDirty), added to Dirty
	// when the lock is released: one atomic add per lock hold, not one
	// per command of a squashed pipeline.
	dirty int64

	// used is the shard's dataset bytes (the sum of its databases'
	// keyspace.DB.Bytes), refreshed on Unlock after writes and by the
	// heartbeat, so that admission checks can sum the shards without
	// locking them.
	used atomic.Int64
	// usedVer is the clock version used was last published at.
	usedVer uint64
	// debt is the arena bytes per database the heartbeat's compaction
	// left to the writers, owed their sum (see payDebt).
	debt []int
	owed int
	// pool holds the shard's eviction candidates between evictions.
	pool *evict.Pool
	// sketch counts key accesses for cache_mode's eviction (nil under
	// other policies); see memory.go.
	sketch *evict.Sketch

	// Stats, guarded by mu and summed across shards when read.
	Hits, Misses  int64
	EvictedKeys   int64
	ExpireCycleMs int64 // time spent in active expiry
}

// NoteEvicted counts one key evicted from database db, for INFO and the
// per-db metrics. The shard must be locked.
func (s *Shard) NoteEvicted(db int) {
	s.EvictedKeys++
	s.dbs[db].EvictedKeys++
}

// Lock acquires the shard and sets its clock to now (unix ms).
func (s *Shard) Lock(now int64) {
	s.mu.Lock()
	s.clock.Ms = now
}

// SetClock sets the shard's clock to now (unix ms) for a command that
// runs under a lock its connection already holds (pipeline squashing).
func (s *Shard) SetClock(now int64) { s.clock.Ms = now }

// Unlock publishes the shard's dataset size if a write changed an entry
// since the last time, and releases the shard. Reads skip the sum; pure
// deletions (which give no new version) leave the figure high until the
// next write or heartbeat, which errs on the side of evicting early.
// After a write it also pays a share of the compaction the heartbeat left
// undone (payDebt), between commands.
func (s *Shard) Unlock() {
	if s.clock.Ver != s.usedVer {
		if s.owed > 0 {
			s.payDebt(s.clock.Ver - s.usedVer)
		}
		s.usedVer = s.clock.Ver
		s.publishUsed()
	}
	if s.dirty != 0 {
		s.Dirty.Add(s.dirty)
		s.dirty = 0
	}
	s.clock.Holds++ // pages dropped in this hold may be reused after it
	s.mu.Unlock()
}

// NoteDirty counts one change (see Dirty). The shard must be locked, and
// released with Unlock, which publishes the count.
func (s *Shard) NoteDirty() { s.dirty++ }

// publishUsed sums the databases' accounts into used. The shard must be
// locked.
func (s *Shard) publishUsed() {
	var n int64
	for _, d := range s.dbs {
		n += d.LiveBytesCached()
	}
	s.used.Store(n)
}

// Acquire locks the shard for owner (a client id) unless owner already
// holds it through LockSetOwned. It reports whether it took the lock, to
// pass to Release. Commands that lock shards themselves use it, so they
// also work inside MULTI/EXEC and scripts.
func (s *Shard) Acquire(owner, now int64) bool {
	if owner != 0 && s.owner.Load() == owner {
		s.clock.Ms = now
		return false
	}
	s.Lock(now)
	return true
}

// OwnedBy reports whether owner holds the shard through LockSetOwned
// (a MULTI/EXEC or script in progress).
func (s *Shard) OwnedBy(owner int64) bool { return owner != 0 && s.owner.Load() == owner }

// Release undoes Acquire.
func (s *Shard) Release(took bool) {
	if took {
		s.Unlock()
	}
}

// Prefetch asks database db for the cache lines lookups of hs will read
// (keyspace.DB.Prefetch), if the shard is free: a prefetch only warms
// the cache, so it never waits for a lock.
func (s *Shard) Prefetch(db int, hs []uint64) {
	if db < 0 || db >= len(s.dbs) || !s.mu.TryLock() {
		return
	}
	s.dbs[db].Prefetch(hs)
	s.mu.Unlock()
}

// DB returns logical database i. The shard must be locked.
func (s *Shard) DB(i int) *keyspace.DB { return s.dbs[i] }

// NumDBs is the number of logical databases.
func (s *Shard) NumDBs() int { return len(s.dbs) }

// SwapDB exchanges two logical databases. The shard must be locked.
func (s *Shard) SwapDB(a, b int) {
	s.dbs[a], s.dbs[b] = s.dbs[b], s.dbs[a]
	// Blocked clients belong to a database index, not to a table: rebind
	// the wake-up hooks to the indexes' own waiters.
	for _, i := range []int{a, b} {
		s.dbs[i].Index = i
		s.dbs[i].OnAdd = nil
		if s.blockedDBs[i] > 0 {
			s.dbs[i].OnAdd = s.markReady(i)
			s.markExisting(i)
		}
	}
}

// Store is the set of shards.
type Store struct {
	shards []*Shard
	seed   maphash.Seed
	policy *keyspace.Policy
	saving atomic.Int32
	mem    memState
	// readySeq orders keys marked ready across shards (ReadyKey).
	readySeq atomic.Uint64
	// pages is the arenas' source of full-size pages outside the Go heap
	// (nil where the system has none).
	pages *keyspace.PagePool
}

// OffHeapBytes is the memory of the arena pages held outside the Go heap:
// RSS the Go runtime does not see.
func (st *Store) OffHeapBytes() int64 { return st.pages.Resident() }

// AccessPolicy is the access-tracking policy (LRU or LFU) every shard's
// entries follow; the server sets it from maxmemory-policy and the lfu-*
// settings.
func (st *Store) AccessPolicy() *keyspace.Policy { return st.policy }

// Saving reports whether a snapshot is running: write commands then hand
// the keys they are about to change to it first (keyspace.DB.BeforeWrite).
func (st *Store) Saving() bool { return st.saving.Load() != 0 }

// SetSaving records that a snapshot starts (true) or ends (false).
func (st *Store) SetSaving(on bool) {
	if on {
		st.saving.Add(1)
	} else {
		st.saving.Add(-1)
	}
}

// Dirty is the number of changes since the start, summed over shards.
func (st *Store) Dirty() int64 {
	var n int64
	for _, sh := range st.shards {
		n += sh.Dirty.Load()
	}
	return n
}

// NewStore creates n shards of dbs databases each.
func NewStore(n, dbs int) *Store {
	if n < 1 {
		n = 1
	}
	if n > MaxShards {
		n = MaxShards
	}
	st := &Store{seed: maphash.MakeSeed(), policy: keyspace.NewPolicy(), pages: keyspace.NewPagePool()}
	for i := 0; i < n; i++ {
		sh := &Shard{ID: i, blockedDBs: make([]int, dbs), pool: evict.NewPool(uint64(i)*0x9E3779B97F4A7C15 + 1), readySeq: &st.readySeq}
		sh.clock.Policy = st.policy
		sh.clock.Pages = st.pages
		for j := 0; j < dbs; j++ {
			db := keyspace.New(st.seed, &sh.clock)
			db.Index = j
			sh.dbs = append(sh.dbs, db)
		}
		st.shards = append(st.shards, sh)
	}
	return st
}

// SetEvents makes every database report keyspace events to ev.
func (st *Store) SetEvents(ev keyspace.Events) {
	for _, sh := range st.shards {
		sh.mu.Lock()
		for _, d := range sh.dbs {
			d.Events = ev
		}
		sh.mu.Unlock()
	}
}

// N is the number of shards.
func (st *Store) N() int { return len(st.shards) }

// Shard returns shard i.
func (st *Store) Shard(i int) *Shard { return st.shards[i] }

// Of returns the index of the shard that owns key. It uses the high half of
// the hash; the tables inside a shard index buckets with the low half, so the
// two choices are independent.
func (st *Store) Of(key []byte) int {
	if len(st.shards) == 1 {
		return 0
	}
	return st.OfHash(st.Hash(key))
}

// Hash is key's hash under the store's seed, the seed every keyspace.DB
// of the store shares: its high half picks the shard (OfHash) and its low
// half is what keyspace.DB.Hash gives the table for the bucket, so one
// hash computed while routing can serve the lookup too.
func (st *Store) Hash(key []byte) uint64 { return maphash.Bytes(st.seed, key) }

// OfHash is Of for a key whose Hash is h.
func (st *Store) OfHash(h uint64) int {
	if len(st.shards) == 1 {
		return 0
	}
	return int((h >> 32) % uint64(len(st.shards)))
}

// Set is a set of shard indexes.
type Set [MaxShards / 64]uint64

// Add puts shard i in the set.
func (s *Set) Add(i int) { s[i>>6] |= 1 << (uint(i) & 63) }

// Has reports whether shard i is in the set.
func (s *Set) Has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }

// Empty reports whether the set has no shard.
func (s *Set) Empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// All returns the set of every shard of st.
func (st *Store) All() Set {
	var s Set
	for i := range st.shards {
		s.Add(i)
	}
	return s
}

// LockSet locks the shards of s in ascending order.
func (st *Store) LockSet(s *Set, now int64) {
	for i, sh := range st.shards {
		if s.Has(i) {
			sh.Lock(now)
		}
	}
}

// LockSetOwned locks the shards of s for owner, which then holds them for
// several commands (MULTI/EXEC, scripts).
func (st *Store) LockSetOwned(s *Set, owner, now int64) {
	for i, sh := range st.shards {
		if s.Has(i) {
			sh.Lock(now)
			sh.owner.Store(owner)
		}
	}
}

// AcquireSetOwned is LockSetOwned for an owner that may already hold some
// of the shards (a script run inside MULTI/EXEC): it locks the others, in
// ascending order, and returns them for UnlockSetOwned.
func (st *Store) AcquireSetOwned(s *Set, owner, now int64) Set {
	var took Set
	for i, sh := range st.shards {
		if !s.Has(i) {
			continue
		}
		if owner != 0 && sh.owner.Load() == owner {
			sh.clock.Ms = now
			continue
		}
		sh.Lock(now)
		sh.owner.Store(owner)
		took.Add(i)
	}
	return took
}

// Intersects reports whether s and o share a shard.
func (s *Set) Intersects(o *Set) bool {
	for i := range s {
		if s[i]&o[i] != 0 {
			return true
		}
	}
	return false
}

// UnlockSetOwned releases what LockSetOwned took.
func (st *Store) UnlockSetOwned(s *Set) {
	for i, sh := range st.shards {
		if s.Has(i) {
			sh.owner.Store(0)
			sh.Unlock()
		}
	}
}

// UnlockSet unlocks the shards of s.
func (st *Store) UnlockSet(s *Set) {
	for i, sh := range st.shards {
		if s.Has(i) {
			sh.Unlock()
		}
	}
}

// NowMs is the clock commands use.
func NowMs() int64 { return time.Now().UnixMilli() }
