package command

import (
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/shard"
)

// Transactions: MULTI queues commands on the connection, EXEC runs them
// with every shard they touch locked (all shards when one of them is not
// key-based), so no other client sees part of a transaction. WATCH records
// each key's version (keyspace.Clock.Ver) or its absence; EXEC compares
// them under the same locks it executes under, so the check and the
// execution are one atomic step.

type queuedCmd struct {
	spec *Spec
	args [][]byte
}

type multiState struct {
	dirty bool // a command was rejected while queueing: EXECABORT
	cmds  []queuedCmd
}

type watchedKey struct {
	db      int
	key     string
	exists  bool
	version uint64
}

// Watching counts clients with watched keys. While it is zero, write
// commands skip the version bump that keeps WATCH exact for values changed
// in place.
type Watching struct{ n atomic.Int64 }

func registerMulti(t *Table) {
	txn := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags | NoScript | Loading | Stale | Fast | AllowBusy, Group: "transactions", Since: since, Summary: summary, Handler: h}
	}
	t.add(
		txn("multi", 1, NoLock, cmdMulti, "1.2.0", "Starts a transaction."),
		// Unlike the others, EXEC is not fast (Redis: @slow).
		&Spec{Name: "exec", Arity: 1, Flags: NoLock | SkipSlowlog | NoScript | Loading | Stale, Group: "transactions", Since: "1.2.0", Summary: "Executes all commands in a transaction.", Handler: cmdExec},
		txn("discard", 1, NoLock, cmdDiscard, "2.0.0", "Discards a transaction."),
		&Spec{Name: "watch", Arity: -2, Flags: NoScript | Loading | Stale | Fast | AllowBusy, First: 1, Last: -1, Step: 1, Group: "transactions", Since: "2.2.0", Summary: "Monitors changes to keys to determine the execution of a transaction.", Handler: cmdWatch},
		txn("unwatch", 1, NoLock, cmdUnwatch, "2.2.0", "Forgets about watched keys of a transaction."),
	)
}

// queuesInMulti reports whether spec is queued inside MULTI rather than run
// at once (Redis runs these five immediately).
func queuesInMulti(spec *Spec) bool {
	switch spec.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return false
	}
	return true
}

// queue adds the command to the transaction and replies +QUEUED.
func (c *Ctx) queue(spec *Spec) {
	args := make([][]byte, len(c.Args))
	for i, a := range c.Args {
		args[i] = append([]byte(nil), a...)
	}
	c.Client.multi.cmds = append(c.Client.multi.cmds, queuedCmd{spec: spec, args: args})
	c.W.Simple("QUEUED")
}

// flagTransaction marks the open transaction as failed after a command was
// rejected while queueing.
func (c *Ctx) flagTransaction() {
	if c.Client.multi != nil {
		c.Client.multi.dirty = true
	}
}

func cmdMulti(c *Ctx) {
	if c.Client.multi != nil {
		c.Err("ERR MULTI calls can not be nested")
		return
	}
	c.Client.multi = &multiState{}
	c.Client.SetFlag(ClientMulti, true)
	c.W.OK()
}

func cmdDiscard(c *Ctx) {
	if c.Client.multi == nil {
		c.Err("ERR DISCARD without MULTI")
		return
	}
	c.discardMulti()
	c.Env.unwatch(c.Client)
	c.W.OK()
}

func (c *Ctx) discardMulti() {
	c.Client.multi = nil
	c.Client.SetFlag(ClientMulti, false)
}

func cmdWatch(c *Ctx) {
	if c.Client.multi != nil {
		c.Err("ERR WATCH inside MULTI is not allowed")
		return
	}
	cl := c.Client
	for _, k := range c.Args[1:] {
		dup := false
		for _, w := range cl.watched {
			if w.db == cl.DB && w.key == string(k) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		db := c.DB(k)
		wk := watchedKey{db: cl.DB, key: string(k)}
		if r, ok := db.Peek(k); ok {
			wk.exists, wk.version = true, db.Version(r)
		}
		if len(cl.watched) == 0 {
			c.Env.Watching.n.Add(1)
		}
		cl.watched = append(cl.watched, wk)
	}
	c.W.OK()
}

func cmdUnwatch(c *Ctx) {
	c.Env.unwatch(c.Client)
	c.W.OK()
}

// unwatch forgets the client's watched keys.
func (e *Env) unwatch(cl *Client) {
	if len(cl.watched) > 0 {
		e.Watching.n.Add(-1)
	}
	cl.watched = nil
}

// ClientGone releases what a disconnected client held (watched keys, an
// open transaction).
func (e *Env) ClientGone(cl *Client) {
	e.unwatch(cl)
	cl.multi = nil
	e.dropSubscriptions(cl)
	e.dropTracking(cl)
}

// watchedChanged reports whether any watched key changed since WATCH. The
// shards of the watched keys must be held.
func (c *Ctx) watchedChanged() bool {
	st := c.Env.Store
	for _, w := range c.Client.watched {
		db := st.Shard(st.Of([]byte(w.key))).DB(w.db)
		r, ok := db.Peek([]byte(w.key))
		if ok != w.exists || (ok && db.Version(r) != w.version) {
			return true
		}
	}
	return false
}

func cmdExec(c *Ctx) {
	cl := c.Client
	m := cl.multi
	if m == nil {
		c.Err("ERR EXEC without MULTI")
		return
	}
	c.discardMulti()
	if m.dirty {
		c.Env.unwatch(cl)
		c.Err("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	st := c.Env.Store
	var set shard.Set
	all := false
	for _, q := range m.cmds {
		if q.spec.Has(NoLock) || q.spec.Has(AllShards) {
			all = true
			break
		}
		for _, p := range q.spec.KeyPositions(q.args) {
			set.Add(st.Of(q.args[p]))
		}
	}
	for _, w := range cl.watched {
		set.Add(st.Of([]byte(w.key)))
	}
	if all {
		set = st.All()
	}
	st.LockSetOwned(&set, cl.ID, c.Now)
	if c.watchedChanged() {
		st.UnlockSetOwned(&set)
		c.Env.unwatch(cl)
		c.W.NullArray()
		return
	}
	c.W.Array(len(m.cmds))
	for _, q := range m.cmds {
		start := time.Now()
		inner := Ctx{Env: c.Env, Client: cl, W: c.W, Args: q.args, Spec: q.spec, Now: c.Now, noBlock: true}
		target := q.spec
		if q.spec.Subcommands != nil && len(q.args) > 1 {
			if sub := q.spec.Sub(q.args[1]); sub != nil {
				target = sub
			}
		}
		if msg := c.Env.execDenied(&inner, q.spec, q.args); msg != "" {
			inner.Err(msg)
			continue
		}
		c.Env.beforeWrite(&inner, q.spec)
		q.spec.Handler(&inner)
		c.Env.afterCommand(&inner, q.spec)
		if c.Env.Monitor.Active() && !target.Has(SkipMonitor) && !target.Has(Admin) {
			c.Env.Monitor.Feed(cl, q.args, start)
		}
		dur := time.Since(start)
		c.Env.noteCall(cl, target, dur, inner.failed)
		// EXEC itself is not logged, the commands it ran are (Redis).
		c.Env.logSlow(target, q.args, cl, start, dur)
	}
	c.Env.serveReady(&set, c.Now)
	st.UnlockSetOwned(&set)
	c.Env.unwatch(cl)
}
