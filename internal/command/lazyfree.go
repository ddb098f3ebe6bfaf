package command

import (
	"strings"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/value"
)

// Lazy freeing. Redis frees a big value deleted by UNLINK (or by DEL with
// lazyfree-lazy-user-del), and whole databases emptied by FLUSHALL/FLUSHDB
// ASYNC, on a background thread, and counts them in INFO's
// lazyfreed_objects. Here every value is reclaimed by the garbage
// collector, never by the command, so deletion is always "lazy"; the
// counter follows Redis's rule for which deletions it counts, so tools and
// tests that watch it see the same numbers. lazyfree_pending_objects stays
// 0: nothing waits on a queue.

// lazyfreeThreshold is Redis's LAZYFREE_THRESHOLD: values whose freeing
// costs more steps than this go to the background.
const lazyfreeThreshold = 64

// freeEffort is Redis's estimate of the steps freeing a value takes: one
// per list node, per element of a hash table or skip list, per stream
// node and consumer group and pending entry; 1 for compact encodings.
func freeEffort(obj value.Object) int {
	switch v := obj.(type) {
	case *value.Quicklist:
		return v.NumNodes()
	case *value.StreamValue:
		n := v.NumNodes()
		for _, g := range v.Groups() {
			n += 1 + g.PEL().Len()
		}
		return n
	case interface{ Len() int }:
		switch obj.Encoding() {
		case "hashtable", "skiplist":
			return v.Len()
		}
	}
	return 1
}

func cmdUnlink(c *Ctx) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		db := c.DB(k)
		if r, ok := db.Peek(k); ok && db.Kind(r) != value.String && freeEffort(db.Obj(r)) > lazyfreeThreshold {
			c.Env.Stats.LazyfreedObjects.Add(1)
		}
		if db.Delete(k) {
			c.Notify(config.EventGeneric, "del", k)
			n++
		}
	}
	c.W.Int(n)
}

// flushAsync reports whether a FLUSHALL/FLUSHDB frees in the background
// on Redis: ASYNC, or no option with lazyfree-lazy-user-flush yes.
func (e *Env) flushAsync(c *Ctx) bool {
	if len(c.Args) == 2 {
		return strings.EqualFold(string(c.Args[1]), "async")
	}
	v := e.Config.Get("lazyfree-lazy-user-flush")
	return len(v) == 1 && v[0][1] == "yes"
}
