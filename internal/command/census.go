package command

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/value"
)

// census counts memory by value type (dragonfly_type_used_memory) without
// per-write bookkeeping: the sampler walks every database with a SCAN
// cursor, a few hundred entries per lock, and publishes a database's
// totals each time its pass completes. The figures are therefore those of
// the last complete pass, at most a few seconds old for a million keys;
// keys and per-entry overhead are reported under Dragonfly's pseudo-type
// "key".
//
// The walk runs at full speed only while someone reads the figures (INFO
// memory, /metrics; within censusWatched of the last read): measured
// under redis-benchmark SET with 100k keys, a walk at full speed took 8 %
// of the server's CPU and held the shard for its chunks. Unwatched it
// creeps at a sixteenth of that, so a first read still finds figures.
type census struct {
	lastRead atomic.Int64 // unix nanoseconds of the last typeMemory
	mu       sync.Mutex
	shards   int
	dbs      int
	cursor   []uint64
	db       []int // database each shard's walk is in
	part     [][censusKinds]int64
	done     [][censusKinds]int64 // per shard*dbs+db, last complete pass
}

// censusKinds: the value kinds, then "key".
const censusKinds = 8

var censusNames = func() (n [censusKinds]string) {
	for i := 0; i < censusKinds-1; i++ {
		n[i] = value.Kind(i).String()
	}
	n[censusKinds-1] = "key"
	return n
}()

const (
	censusChunk       = 128  // entries per lock hold
	censusPerTick     = 4096 // entries per shard per sampler tick, watched
	censusIdlePerTick = 256  // the same, unwatched
	censusWatched     = time.Minute
)

// censusStep advances the walk; the sampler calls it every tick.
func (e *Env) censusStep() {
	c := &e.census
	st := e.Store
	c.mu.Lock()
	if c.shards != st.N() {
		c.shards = st.N()
		c.dbs = 0
		if st.N() > 0 {
			c.dbs = st.Shard(0).NumDBs()
		}
		c.cursor = make([]uint64, c.shards)
		c.db = make([]int, c.shards)
		c.part = make([][censusKinds]int64, c.shards)
		c.done = make([][censusKinds]int64, c.shards*c.dbs)
	}
	c.mu.Unlock()
	if c.dbs == 0 {
		return
	}
	perTick := censusPerTick
	if time.Since(time.Unix(0, c.lastRead.Load())) > censusWatched {
		perTick = censusIdlePerTick
	}
	for i := 0; i < c.shards; i++ {
		sh := st.Shard(i)
		visited, dbsDone := 0, 0
		for visited < perTick && dbsDone <= c.dbs {
			sh.Lock(time.Now().UnixMilli())
			db := sh.DB(c.db[i])
			n := 0
			cur := c.cursor[i]
			part := &c.part[i]
			for n < censusChunk {
				cur = db.Scan(cur, func(r keyspace.Ref) {
					k, v := db.EntryBytes(r)
					part[censusKinds-1] += k
					if kind := int(db.Kind(r)); kind < censusKinds-1 {
						part[kind] += v
					}
					n++
				})
				if cur == 0 {
					break
				}
			}
			sh.Unlock()
			visited += n
			c.cursor[i] = cur
			if cur == 0 {
				c.mu.Lock()
				c.done[i*c.dbs+c.db[i]] = *part
				c.mu.Unlock()
				*part = [censusKinds]int64{}
				c.db[i] = (c.db[i] + 1) % c.dbs
				dbsDone++
			}
		}
	}
}

// typeMemory returns the census's totals by type name; watched says a
// person or a scraper asked (which keeps the census at full pace).
func (e *Env) typeMemory(watched bool) map[string]int64 {
	c := &e.census
	if watched {
		c.lastRead.Store(time.Now().UnixNano())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int64{}
	for _, d := range c.done {
		for k, v := range d {
			if v > 0 {
				out[censusNames[k]] += v
			}
		}
	}
	return out
}
