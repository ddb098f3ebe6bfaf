package command

import (
	"github.com/damselfly-db/damselfly/internal/acl"
	"time"

	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/resp"
	"github.com/damselfly-db/damselfly/internal/shard"
)

// Ctx is what a handler gets: the command's arguments, the client, where
// to write the reply, and the server's state.
type Ctx struct {
	// pend holds statistics not yet added to the client's counters
	// (pendingstats.go).
	pend pendingCalls

	Env    *Env
	Client *Client
	W      *resp.Writer
	Args   [][]byte
	Spec   *Spec
	Now    int64 // unix ms, fixed for the whole command

	// Started and Took time the handler of the last command Exec ran
	// (Started is zero when it was refused before running); the server
	// reads them for the pipeline metrics without another clock read.
	Started time.Time
	Took    time.Duration
	// Next, when set, is when the next command starts: the connection
	// sets it to the clock it read once for the whole batch, and Exec
	// moves it to the end of each command it runs, so a pipelined
	// command costs one monotonic clock read instead of two wall-clock
	// reads. Zero makes Exec read the clock itself.
	Next time.Time

	// routedKey and routedShard remember the key the dispatcher routed
	// last and the shard it hashed to, so the handler's DB(key) for the
	// same key does not hash it again.
	routedKey   []byte
	routedShard int
	// routedHash is routedKey's Store.Hash when hashed is set (the store
	// has several shards, so routing computed it).
	routedHash uint64
	hashed     bool

	// Squash lets the dispatcher keep a single-key command's shard
	// locked for the next command of the batch (squash.go); the
	// connection sets it for long pipelines.
	Squash bool
	squash squashState
	// Ahead, when the connection sets it, is the commands of the batch
	// after the current one: a squashed run prefetches their keys
	// (prefetch.go). The connection clears it when the batch ends, since
	// the arguments live in its buffers.
	Ahead [][][]byte
	// prefetched is how many commands of Ahead were prefetched under
	// the held shard and not run yet.
	prefetched int

	// Lent, when the connection sets it, is a big argument of the command
	// about to run whose memory the connection gives up if the command
	// keeps it: a 512 MB SET stores the query buffer's bytes as the value
	// instead of copying them, as Redis keeps its query buffer as the
	// string. Kept reports that the command kept it (see keep).
	Lent []byte
	Kept bool

	failed bool
	// changesKnown: the write handler counted its own changes (SETBIT,
	// BITFIELD), which replace the one per key keysChanged assumes; with
	// none, the key was not modified (no dirty, WATCH or invalidation).
	changesKnown bool
	changes      int64
	// pushesHeld: the client's invalidation messages are held while this
	// command runs (tracking_push.go).
	pushesHeld bool

	// aclReq is reused by the ACL check of restricted users.
	aclReq acl.Request

	// inScript: the command was called by a script (redis.call), where
	// Redis makes some replies deterministic (SORT sorts an unordered set).
	inScript bool

	// Blocking state (see blocking.go).
	noBlock      bool   // inside MULTI/EXEC or a script: never block
	retrying     bool   // re-run for a blocked client: do not register again
	readyKey     []byte // in retry mode under a pusher: the key that became ready
	wouldBlock   bool
	blocked      *shard.Waiter
	blockTimeout time.Duration
	// wokeKey is, in retry mode under a pusher, the key whose data woke
	// the waiter (hasWokeKey is false when the retry comes from the
	// client's own goroutine and any key may be the one).
	wokeKey    string
	hasWokeKey bool
}

// DB returns the current database's table in the shard that owns key. The
// dispatcher has locked that shard.
func (c *Ctx) DB(key []byte) *keyspace.DB {
	return c.Env.Store.Shard(c.shardIndex(key)).DB(c.Client.DB)
}

// ShardOf returns the shard that owns key.
func (c *Ctx) ShardOf(key []byte) *shard.Shard {
	return c.Env.Store.Shard(c.shardIndex(key))
}

// shardIndex is Store.Of, reusing the dispatcher's hash when key is the
// very argument it routed (same bytes in memory, not just equal ones).
func (c *Ctx) shardIndex(key []byte) int {
	if len(key) > 0 && len(key) == len(c.routedKey) && &key[0] == &c.routedKey[0] {
		return c.routedShard
	}
	return c.Env.Store.Of(key)
}

// keyHash returns key's Store.Hash if routing already computed it. It is
// the hook for the keyspace's hashed lookups (DB.FindHashed and friends),
// so a single-key command hashes its key once for both the shard and the
// bucket.
func (c *Ctx) keyHash(key []byte) (uint64, bool) {
	if c.hashed && len(key) > 0 && len(key) == len(c.routedKey) && &key[0] == &c.routedKey[0] {
		return c.routedHash, true
	}
	return 0, false
}

// hashOf is key's Store.Hash (the hash every keyspace.DB of the store
// uses too): the one routing computed when key is the routed argument,
// else computed now and, for the routed key, kept for the rest of the
// command. With one shard routing hashes nothing, so this is the first.
func (c *Ctx) hashOf(key []byte) uint64 {
	if h, ok := c.keyHash(key); ok {
		return h
	}
	h := c.Env.Store.Hash(key)
	if len(key) > 0 && len(key) == len(c.routedKey) && &key[0] == &c.routedKey[0] {
		c.routedHash, c.hashed = h, true
	}
	return h
}

// Err writes an error reply and counts it.
func (c *Ctx) Err(msg string) {
	c.failed = true
	c.Env.Errors.Add(msg)
	c.W.Error(msg)
}

// WrongArgs replies with the arity error for the current command.
func (c *Ctx) WrongArgs() { c.Err(errWrongArgs(c.Spec.Name)) }

// EachShard runs fn on every shard in turn, each under its own lock. It is
// for NoLock commands that visit the whole keyspace without stopping it.
func (c *Ctx) EachShard(fn func(sh *shard.Shard)) {
	for i := 0; i < c.Env.Store.N(); i++ {
		sh := c.Env.Store.Shard(i)
		took := c.lock(sh)
		fn(sh)
		sh.Release(took)
	}
}

// lock takes sh for a command that locks shards itself, unless the client
// already holds it (inside EXEC or a script). Pass the result to
// sh.Release.
func (c *Ctx) lock(sh *shard.Shard) bool { return sh.Acquire(c.Client.ID, c.Now) }

// Lookup finds key in the client's database and counts a keyspace hit or
// miss, like Redis's lookupKeyRead.
func (c *Ctx) Lookup(key []byte) (*keyspace.DB, keyspace.Ref, bool) {
	sh := c.ShardOf(key)
	db := sh.DB(c.Client.DB)
	var r keyspace.Ref
	var ok bool
	h := c.hashOf(key)
	switch {
	case c.Env.Pause.Active():
		r, ok = db.PeekHeld(key, h)
	case c.Client.NoTouch:
		r, ok = db.PeekHashed(key, h)
	default:
		r, ok = db.FindHashed(key, h)
	}
	if ok {
		sh.Hits++
		db.Hits++
	} else {
		sh.Misses++
		db.Misses++
	}
	return db, r, ok
}

// LookupWrite finds key for a write, without touching hit/miss counters.
func (c *Ctx) LookupWrite(key []byte) (*keyspace.DB, keyspace.Ref, bool) {
	db := c.DB(key)
	r, ok := db.FindHashed(key, c.hashOf(key))
	return db, r, ok
}

// Changed reports how many changes a write handler made (Redis's dirty
// increments): 0 means the key was left as it was, so it is not counted
// for snapshots, WATCH or client-side caching.
func (c *Ctx) Changed(n int64) {
	c.changesKnown, c.changes = true, n
}

// keep reports whether v is the argument the connection lent (the same
// bytes, not equal ones: an argument queued by MULTI or passed by a script
// is a copy), and takes it when so.
func (c *Ctx) keep(v []byte) bool {
	if len(c.Lent) == 0 || len(v) != len(c.Lent) || &v[0] != &c.Lent[0] {
		return false
	}
	c.Kept = true
	return true
}
