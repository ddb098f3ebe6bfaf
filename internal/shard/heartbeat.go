package shard

import (
	"context"
	"sync/atomic"
	"time"
)

// Active expiry follows Redis's "slow cycle": sample keys with a TTL, delete
// the expired ones, and go on while more than a quarter of a sample was
// expired, within a time budget of a quarter of the tick.
const (
	expireSample  = 20
	expireRepeat  = expireSample / 4
	rehashPerTick = 100
	// Per database and tick: slab slots the keyspace's maintenance looks at
	// and arena bytes its compaction may copy (keyspace.DB.Maintain).
	maintSlots = 16 << 10
	maintBytes = 256 << 10
	// When dead arena bytes pile up faster than that (a cache evicting
	// under a fast writer, TTL churn), a tick may copy an eighth of the
	// backlog, up to maintBytesMax, and scan maintSlotsMax slots: a few
	// hundred microseconds under the lock, so that compaction keeps pace
	// with the writes and dead pages do not push RSS over maxmemory.
	maintBytesMax = 4 << 20
	maintSlotsMax = 128 << 10
	// One hold of the shard's lock does at most this much of a tick's
	// maintenance (about 30 µs), see maintain.
	maintSliceSlots = 4 << 10
	maintSliceBytes = 16 << 10
	// The pause between two slices, in which the clients queued on the
	// shard run (see maintain).
	maintSliceGap = 20 * time.Microsecond
	// What a write pays of the heartbeat's unfinished compaction
	// (payDebt), in arena bytes copied, and the most one lock hold pays:
	// a few microseconds, about what a SET costs. At 3 bytes copied per
	// byte reclaimed (compact.go) it outpaces the dead bytes writes make.
	debtPerWrite = 512
	debtPerHold  = 16 << 10
)

// maintBudget is a database's maintenance budget for one tick.
func maintBudget(dead int64) (slots, bytes int) {
	if dead <= 8*maintBytes {
		return maintSlots, maintBytes
	}
	return maintSlotsMax, int(min(dead/8, maintBytesMax))
}

// Heartbeat runs the background work of every shard every 1000/hz ms until
// ctx ends. hz is read each tick, so CONFIG SET hz takes effect.
// activeExpire says whether active expiry may run now (DEBUG
// SET-ACTIVE-EXPIRE, and not during CLIENT PAUSE, which keeps the dataset
// as it is, as Redis 7 does); nil means always.
func (st *Store) Heartbeat(ctx context.Context, hz func() int64, activeExpire func() bool, expired *atomic.Int64) {
	go st.WatchRSS(ctx)
	// A ticker, not a sleep after the work: the work's own time must not
	// stretch the period, or under load (a TTL churn, eviction) the
	// heartbeat would run a fraction of hz times a second and active
	// expiry would fall behind the writers.
	period := time.Duration(0)
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		h := max(hz(), 1)
		if p := time.Second / time.Duration(h); p != period {
			period = p
			t.Reset(period)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		budget := period / 4
		tight := st.nearLimit()
		for _, sh := range st.shards {
			if activeExpire == nil || activeExpire() {
				n := sh.expireCycle(budget / time.Duration(len(st.shards)))
				if expired != nil {
					expired.Add(int64(n))
				}
			}
			// Maintenance slices sleep between holds; half a period
			// leaves the rest of the tick to expiry and eviction.
			sh.rehash(time.Now().Add(period/time.Duration(2*len(st.shards))), tight)
		}
		st.evictCycle(budget)
	}
}

// expireCycle reclaims expired keys of every database of the shard. It
// releases the lock between rounds so writers are never held up for more
// than one sample's worth of work.
func (sh *Shard) expireCycle(budget time.Duration) int {
	start := time.Now()
	deadline := start.Add(budget)
	total := 0
	for db := 0; db < len(sh.dbs); db++ {
		for {
			sh.Lock(time.Now().UnixMilli())
			d := sh.dbs[db]
			if d.ExpiresLen() == 0 {
				sh.Unlock()
				break
			}
			_, deleted := d.ActiveExpire(expireSample)
			sh.Unlock()
			total += deleted
			if deleted <= expireRepeat || time.Now().After(deadline) {
				break
			}
		}
		if time.Now().After(deadline) {
			break
		}
	}
	return total
}

// rehash steps the shard's incremental rehashing and runs its keyspace
// maintenance until deadline. It also republishes the shard's dataset
// size, which deletions alone do not refresh (see Unlock).
func (sh *Shard) rehash(deadline time.Time, tight bool) {
	sh.Lock(time.Now().UnixMilli())
	for _, d := range sh.dbs {
		d.RehashSome(rehashPerTick)
		d.SetCompactTight(tight)
	}
	if sh.sketch != nil {
		sh.sketch.Fit(sh.keys())
	}
	sh.publishUsed()
	sh.Unlock()
	for db := range sh.dbs {
		sh.maintain(db, deadline)
	}
}

// maintain runs one tick's keyspace maintenance of database db in slices
// of at most maintSliceSlots slots and maintSliceBytes copied bytes, and
// sleeps between slices; what is left at deadline becomes the writers'
// debt. Under a SET load a tick's compaction copies a few hundred KB,
// about a millisecond: in one hold, with one shard, every client waited
// for it, which made SET's p99 at pipeline 1 1.6x Redis's (bench/
// README.md, "SET tail latency"). Releasing the lock between slices is not
// enough: the event loops park in Go's poller, which the scheduler polls
// only when nothing else is runnable, so a heartbeat that merely yields
// runs its next slice before any woken client. Sleeping lets them in.
func (sh *Shard) maintain(db int, deadline time.Time) {
	sh.Lock(time.Now().UnixMilli())
	d := sh.dbs[db]
	if d.Slots() == 0 {
		d.TrimPages()
		sh.Unlock()
		return
	}
	slots, bytes := maintBudget(d.DeadBytes())
	n := max((slots+maintSliceSlots-1)/maintSliceSlots, (bytes+maintSliceBytes-1)/maintSliceBytes, 1)
	for i := 0; ; i++ {
		d = sh.dbs[db] // FLUSHDB or SWAPDB may have replaced it meanwhile
		d.Maintain(slots/n, bytes/n)
		if i == n-1 {
			sh.setDebt(db, 0)
			sh.Unlock()
			return
		}
		if !time.Now().Before(deadline) {
			// The clients kept the CPU through the sleeps (a busy
			// loop parks seldom and runs until it is preempted). The
			// rest is left to the writers (payDebt): a little after
			// each write keeps compaction abreast of them without a
			// long hold.
			sh.setDebt(db, bytes/n*(n-1-i))
			sh.Unlock()
			return
		}
		sh.Unlock()
		time.Sleep(maintSliceGap)
		sh.Lock(time.Now().UnixMilli())
	}
}

// setDebt records that the heartbeat left bytes of database db's
// compaction undone. The shard must be locked.
func (sh *Shard) setDebt(db, bytes int) {
	if len(sh.debt) != len(sh.dbs) {
		sh.debt = make([]int, len(sh.dbs))
	}
	sh.owed += bytes - sh.debt[db]
	sh.debt[db] = bytes
}

// payDebt does a share of the compaction the heartbeat left undone, for
// writes new versions: called by Unlock after a write, so between
// commands, never inside one. The shard must be locked.
func (sh *Shard) payDebt(writes uint64) {
	pay := int(min(writes*debtPerWrite, debtPerHold))
	for db, owed := range sh.debt {
		if owed <= 0 || pay <= 0 {
			continue
		}
		n := min(owed, pay)
		st := sh.dbs[db].Compact(n, n)
		done := max(st.MovedBytes, n/4) // a slice of dead records moves nothing
		if !st.Compacting {
			done = owed // the pass is over: nothing left to owe
		}
		sh.setDebt(db, max(owed-done, 0))
		pay -= n
	}
}
