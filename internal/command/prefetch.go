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
