package shard

import (
	"slices"
	"strings"
	"sync/atomic"
)

// BlockKey names a key of one logical database, for clients blocked on it.
type BlockKey struct {
	DB  int
	Key string
}

// ReadyKey is a key marked ready, with the order it was marked in across
// shards: a command (a MULTI/EXEC, a script) that feeds keys of several
// shards serves their waiters in the order it fed the keys, as Redis does.
type ReadyKey struct {
	BlockKey
	Seq uint64
}

// Waiter states. A waiter is claimed (Serving) by whoever tries to serve it
// and ends exactly once: Served, TimedOut, or Cancelled (disconnect,
// CLIENT UNBLOCK ... ERROR).
const (
	Waiting int32 = iota
	Serving
	Served
	TimedOut
	Cancelled
)

// Waiter is a client blocked on some keys (BLPOP, BZPOPMIN, XREAD BLOCK...).
// It is registered in the shards of its keys; the registrations are removed
// lazily once it has ended.
type Waiter struct {
	Keys  []BlockKey
	State atomic.Int32
	// Wake is signalled when the waiter ends or should retry.
	Wake chan struct{}
	// Data is the command layer's state (the blocked command).
	Data any
}

// NewWaiter returns a waiter for keys.
func NewWaiter(keys []BlockKey, data any) *Waiter {
	return &Waiter{Keys: keys, Wake: make(chan struct{}, 1), Data: data}
}

// Signal wakes the waiter's goroutine without blocking.
func (w *Waiter) Signal() {
	select {
	case w.Wake <- struct{}{}:
	default:
	}
}

// Ended reports whether the waiter is no longer waiting for data.
func (w *Waiter) Ended() bool { s := w.State.Load(); return s >= Served }

// TryLock acquires the shard only if it is free, and sets its clock like
// Lock. It never waits, so a goroutine holding other shards may call it
// whatever their indexes (see LOCKORDER.md): serving a blocked BLMOVE
// whose destination lives in a shard the pusher does not hold.
func (s *Shard) TryLock(now int64) bool {
	if !s.mu.TryLock() {
		return false
	}
	s.clock.Ms = now
	return true
}

// AddWaiter registers w on key k of this shard. The shard must be locked.
func (s *Shard) AddWaiter(k BlockKey, w *Waiter) {
	if s.waiters == nil {
		s.waiters = map[BlockKey][]*Waiter{}
	}
	s.waiters[k] = append(s.waiters[k], w)
	s.blockedDBs[k.DB]++
	s.dbs[k.DB].OnAdd = s.markReady(k.DB)
}

// RemoveWaiter drops w's registration on k. The shard must be locked.
func (s *Shard) RemoveWaiter(k BlockKey, w *Waiter) {
	ws := s.waiters[k]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i:i], ws[i+1:]...)
			s.blockedDBs[k.DB]--
			if s.blockedDBs[k.DB] == 0 {
				s.dbs[k.DB].OnAdd = nil
			}
			break
		}
	}
	if len(ws) == 0 {
		delete(s.waiters, k)
	} else {
		s.waiters[k] = ws
	}
}

// Waiters returns the live waiters on k in arrival order, dropping ended
// ones. The shard must be locked; the slice must not be kept.
func (s *Shard) Waiters(k BlockKey) []*Waiter {
	ws := s.waiters[k]
	live := ws[:0]
	for _, w := range ws {
		if w.Ended() {
			s.blockedDBs[k.DB]--
			continue
		}
		live = append(live, w)
	}
	for i := len(live); i < len(ws); i++ {
		ws[i] = nil
	}
	if len(live) == 0 {
		delete(s.waiters, k)
		if s.blockedDBs[k.DB] <= 0 {
			s.blockedDBs[k.DB] = 0
			s.dbs[k.DB].OnAdd = nil
		}
		return nil
	}
	s.waiters[k] = live
	return live
}

// MarkReady records that key k may now serve blocked clients (a push to
// an existing stream, for instance). The shard must be locked.
func (s *Shard) MarkReady(db int, key string) {
	if _, ok := s.waiters[BlockKey{db, key}]; !ok {
		return
	}
	k := BlockKey{db, key}
	for _, r := range s.ready {
		if r.BlockKey == k {
			return
		}
	}
	// key may be a view of a keyspace arena page: keep a copy, not the page.
	k.Key = strings.Clone(key)
	s.ready = append(s.ready, ReadyKey{k, s.readySeq.Add(1)})
}

// markExisting marks ready the keys of database db that clients wait for
// and that exist: after SWAPDB brought another table under them, as
// Redis's swapdb does.
func (s *Shard) markExisting(db int) {
	for k := range s.waiters {
		if k.DB != db {
			continue
		}
		if _, ok := s.dbs[db].Peek([]byte(k.Key)); ok {
			s.MarkReady(db, k.Key)
		}
	}
}

func (s *Shard) markReady(db int) func(key string) {
	return func(key string) { s.MarkReady(db, key) }
}

// TakeReady returns and clears the keys marked ready. The shard must be
// locked.
func (s *Shard) TakeReady() []ReadyKey {
	r := s.ready
	s.ready = nil
	return r
}

// HasReady reports whether keys were marked ready: one length check, so the
// dispatcher can afford it after every command.
func (s *Shard) HasReady() bool { return len(s.ready) > 0 }

// WatchedKeys returns the keys of database db that live waiters are
// blocked on (DEBUG WATCHED), sorted. The shard must be locked.
func (s *Shard) WatchedKeys(db int) []string {
	var keys []string
	for k, ws := range s.waiters {
		if k.DB != db {
			continue
		}
		for _, w := range ws {
			if !w.Ended() {
				keys = append(keys, k.Key)
				break
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// PendingReady returns the keys marked ready and not taken yet, without
// clearing them. The shard must be locked; the slice must not be kept.
func (s *Shard) PendingReady() []ReadyKey { return s.ready }
