package command

// Prefetching a pipeline's keys. A GET or SET spends most of its keyspace
// time waiting for memory: the bucket, the entry and the arena record are
// three dependent cache misses. A squashed run (squash.go) holds its
// shard for the next commands of the batch, so while it holds it the
// dispatcher can ask the keyspace to load what those commands will look
// up, all at once, and the misses overlap instead of following one
// another (keyspace.DB.Prefetch).

// prefetchWindow is how many commands ahead one round prefetches: enough
// to keep the memory system busy, few enough that the lines are still in
// cache when their commands run.
const prefetchWindow = 16

// prefetchAhead runs, under shard i's lock, before each single-key command
// of a squashing batch: when the current command is the last of those
// prefetched last time (or none were), it prefetches the keys of the next ones that live in shard i (up to the
// first that does not: the run ends there). A command's key is taken to be
// its first argument, true of the commands pipelines are made of (GET,
// SET, INCR, HGET, LPUSH...); for any other it is a wasted prefetch.
func (e *Env) prefetchAhead(c *Ctx, i int) {
	if c.prefetched > 0 {
		// This command was one of them.
		if c.prefetched--; c.prefetched > 0 {
			return
		}
	}
	if len(c.Ahead) == 0 {
		return
	}
	st := e.Store
	var hs [prefetchWindow]uint64
	n := 0
	for _, args := range c.Ahead {
		if n == len(hs) || len(args) < 2 {
			break
		}
		h := st.Hash(args[1])
		if st.OfHash(h) != i {
			break
		}
		hs[n] = h
		n++
	}
	st.Shard(i).DB(c.Client.DB).Prefetch(hs[:n])
	c.prefetched = n
}

// KeyPeek is the first command of a connection's unread batch, as the
// event loop saw it before serving the batch: its database, name and
// first argument.
type KeyPeek struct {
	DB        int
	Name, Key []byte
	// Last is the connection's previous command (Ctx.Spec), most often
	// the same one again: compared first, as the dispatcher does.
	Last *Spec
}

// PrefetchPeeked prefetches the keys of the first commands of several
// connections about to be served one after the other (the event loop's
// ready list): at one command per connection, a pipeline's prefetch has
// nothing to work with, and each lookup would wait for its own cache
// misses. Only commands whose (first) key is their first argument count.
// A shard that is busy is skipped: this only warms the cache.
func (e *Env) PrefetchPeeked(peeks []KeyPeek) {
	st := e.Store
	var hs [prefetchWindow]uint64
	var shards, dbs [prefetchWindow]int
	n := 0
	for _, p := range peeks {
		spec := p.Last
		if spec == nil || !sameCommand(p.Name, spec.Name) {
			spec = e.Table.Lookup(p.Name)
		}
		if spec == nil || spec.First != 1 || spec.KeysFn != nil {
			continue
		}
		h := st.Hash(p.Key)
		hs[n], shards[n], dbs[n] = h, st.OfHash(h), p.DB
		if n++; n == len(hs) {
			e.prefetchGroups(hs[:n], shards[:n], dbs[:n])
			n = 0
		}
	}
	e.prefetchGroups(hs[:n], shards[:n], dbs[:n])
}

// prefetchGroups prefetches hs, grouped by shard and database.
func (e *Env) prefetchGroups(hs []uint64, shards, dbs []int) {
	var group [prefetchWindow]uint64
	done := 0
	for i := range hs {
		if done&(1<<i) != 0 {
			continue
		}
		g := 0
		for j := i; j < len(hs); j++ {
			if done&(1<<j) == 0 && shards[j] == shards[i] && dbs[j] == dbs[i] {
				group[g] = hs[j]
				g++
				done |= 1 << j
			}
		}
		e.Store.Shard(shards[i]).Prefetch(dbs[i], group[:g])
	}
}
