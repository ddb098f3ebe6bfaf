package command

import (
	"strings"
	"time"

	"github.com/damselfly-db/damselfly/internal/shard"
)

// Exec runs one command (c.Args) for c.Client and writes its reply to c.W.
func (e *Env) Exec(c *Ctx) {
	if e.Tracking.active.Load() != 0 {
		e.execTracked(c)
		return
	}
	e.exec(c)
}

func (e *Env) exec(c *Ctx) {
	args := c.Args
	c.Started = time.Time{}
	if c.squash.held != nil && (!c.Squash || c.Client.multi != nil || e.Pause.Active() || e.Scripting.running.Load() != 0) {
		// Anything that may wait must not wait holding a shard.
		c.EndSquash()
	}
	// A connection mostly repeats its last command: compare with it
	// before the table's map (a cold map lookup measured ~120 ns).
	spec := c.Spec
	if spec == nil || !sameCommand(args[0], spec.Name) {
		spec = e.Table.Lookup(args[0])
	}
	if spec == nil {
		c.Spec = nil
		c.flagTransaction()
		e.unknownCommand(c)
		return
	}
	c.Spec = spec
	if !spec.Has(Fast) {
		c.pend.flush() // it may read the counters (INFO, CONFIG RESETSTAT...)
	}
	if !arityOK(spec.Arity, len(args)) {
		e.reject(c, spec, errWrongArgs(spec.Name))
		return
	}
	if (spec.Name == "debug" || spec.Name == "module") && e.refuseProtected(c, spec) {
		return
	}
	if spec.restricted && c.Client.Listener != "admin" {
		e.reject(c, spec, errRestricted)
		return
	}
	if !c.Client.Authed && !spec.Has(NoAuth) && e.ACL.AuthRequired() {
		e.reject(c, spec, ErrNoAuth)
		return
	}
	if u := c.Client.aclUser(); u != nil {
		if msg := e.aclDenyTop(c, u, spec); msg != "" {
			e.reject(c, spec, msg)
			return
		}
	}
	if (e.Store.OverLimit() || e.Store.RSSDeny()) && !e.checkMemory(c, spec) {
		return
	}
	if e.Loading.Load() && !spec.Has(Loading) {
		e.reject(c, spec, LoadingError)
		return
	}
	if c.Client.HasFlag(ClientPubSub) && c.Client.Proto < 3 && !allowedInPubSub(spec.Name) {
		e.noteRejected(c.Client, spec)
		c.Err("ERR Can't execute '" + spec.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return
	}
	// While a script runs, a command that needs its shards waits for it,
	// or gets -BUSY once the script passed busy-reply-threshold.
	if e.Scripting.running.Load() != 0 {
		c.Next = time.Time{} // it may wait for the script: read the clock after
		if e.scriptBusy(c, spec, c.Client.multi != nil && queuesInMulti(spec)) {
			return
		}
	}
	if c.Client.multi != nil && queuesInMulti(spec) {
		if spec.Has(NoMulti) {
			e.reject(c, spec, "ERR Command not allowed inside a transaction")
			return
		}
		if spec.Subcommands != nil && len(args) > 1 {
			if sub := spec.Sub(args[1]); sub == nil || !arityOK(sub.Arity, len(args)) {
				c.flagTransaction()
				if sub == nil {
					c.Err("ERR unknown subcommand '" + truncate(string(args[1]), 128) + "'. Try " + strings.ToUpper(spec.Name) + " HELP.")
				} else {
					c.Err("ERR wrong number of arguments for '" + spec.Name + "|" + sub.Name + "' command")
				}
				return
			}
		}
		c.queue(spec)
		return
	}
	if e.Pause.Active() && spec.Name != "client" {
		e.pauseWait(c, spec)
		c.Next = time.Time{}
	}
	// Statistics, MONITOR and the slow log see the subcommand of a
	// container command (CONFIG GET is "config|get"), as in Redis.
	target := spec
	if spec.Subcommands != nil && len(args) > 1 {
		// Like Redis, an unknown subcommand or a subcommand's wrong arity
		// is rejected before the command runs.
		sub := spec.Sub(args[1])
		if sub == nil {
			c.Err("ERR unknown subcommand '" + truncate(string(args[1]), 128) + "'. Try " + strings.ToUpper(spec.Name) + " HELP.")
			return
		}
		if !arityOK(sub.Arity, len(args)) {
			e.noteRejected(c.Client, sub)
			c.Err("ERR wrong number of arguments for '" + spec.Name + "|" + sub.Name + "' command")
			return
		}
		target = sub
	}
	start := c.Next
	if start.IsZero() {
		start = time.Now()
	}
	c.Now = start.UnixMilli()
	// CLIENT LIST's cmd= names a blocking command only once it has run
	// (and, if it waits, registered its wait), as single-threaded Redis
	// shows it: clients poll for cmd=blpop and then CLIENT UNBLOCK it.
	// Other commands show from the start (CLIENT LIST lists its own).
	blocking := target.Has(Blocking)
	if !blocking {
		c.Client.Touch(&target.fullName, start)
	}
	c.failed = false
	if c.pushesHeld {
		c.Client.writeHeld(c.W, false) // caused before it ran: before its reply
	}
	e.run(c, spec)
	if blocking {
		c.Client.Touch(&target.fullName, start)
	}
	// Like Redis, MONITOR sees a command after it ran (SELECT shows the
	// database it selected).
	if e.Monitor.Active() && !target.Has(SkipMonitor) && !target.Has(Admin) {
		e.Monitor.Feed(c.Client, args, start)
	}
	// time.Since on a time with a monotonic reading reads only the
	// monotonic clock; the end of this command starts the next one.
	dur := time.Since(start)
	c.Started, c.Took = start, dur
	c.Next = start.Add(dur)
	if target.Has(Fast) {
		c.pend.add(e.statsFor(c.Client).at(target.idx), dur, c.failed, e.histBucket(int64(dur)))
	} else {
		e.noteCall(c.Client, target, dur, c.failed)
	}
	if c.blocked == nil {
		// A command that blocked is logged when its wait ends, as Redis
		// does (AwaitBlocked).
		e.logSlow(target, args, c.Client, start, dur)
	}
	if th := e.Config.LatencyMonitorThreshold.Get(); th > 0 {
		if ms := dur.Milliseconds(); ms >= th {
			event := "command"
			if target.Has(Fast) {
				event = "fast-command"
			}
			e.Latency.Add(event, start.Unix(), ms)
		}
	}
}

// run locks what the command touches, calls its handler, and serves
// clients blocked on keys the command fed before releasing the locks.
func (e *Env) run(c *Ctx, spec *Spec) {
	st := e.Store
	if spec.Flags&(NoLock|AllShards) != 0 {
		c.EndSquash() // only single-key commands join a squashed run
	}
	switch {
	case spec.Has(NoLock):
		spec.Handler(c)
		if c.Client.tracking != nil {
			e.afterCommand(c, spec)
		}
		return
	case spec.Has(AllShards):
		all := st.All()
		st.LockSet(&all, c.Now)
		e.beforeWrite(c, spec)
		spec.Handler(c)
		e.afterCommand(c, spec)
		e.serveReady(&all, c.Now)
		st.UnlockSet(&all)
		return
	}
	var posBuf [8]int
	pos := spec.keyPositionsInto(c.Args, posBuf[:0])
	if len(pos) == 0 {
		c.EndSquash()
		spec.Handler(c)
		if c.Client.tracking != nil {
			e.afterCommand(c, spec)
		}
		return
	}
	if len(pos) == 1 || st.N() == 1 {
		key := c.Args[pos[0]]
		i := 0
		if st.N() > 1 {
			h := st.Hash(key)
			i = st.OfHash(h)
			c.routedHash, c.hashed = h, true
		}
		c.routedKey, c.routedShard = key, i
		sh := st.Shard(i)
		if c.squashHolds(i) {
			sh.SetClock(c.Now)
			c.Client.Conn.Squashed.Add(1)
		} else {
			c.EndSquash()
			sh.Lock(c.Now)
		}
		if c.Squash {
			e.prefetchAhead(c, i)
		}
		e.beforeWrite(c, spec)
		spec.Handler(c)
		e.afterCommand(c, spec)
		// The argument buffer is reused by the next batch: a key at the
		// same address may then be another key.
		c.routedKey, c.hashed = nil, false
		if sh.HasReady() {
			var set shard.Set
			set.Add(i)
			e.serveReady(&set, c.Now)
		}
		if !c.squashKeep(sh, i, spec) {
			c.squash = squashState{}
			c.prefetched = 0
			sh.Unlock()
		}
		return
	}
	c.EndSquash()
	var set shard.Set
	for _, p := range pos {
		set.Add(st.Of(c.Args[p]))
	}
	st.LockSet(&set, c.Now)
	e.beforeWrite(c, spec)
	spec.Handler(c)
	e.afterCommand(c, spec)
	e.serveReady(&set, c.Now)
	st.UnlockSet(&set)
}

// beforeWrite runs, under the command's locks, before a write command's
// handler while a snapshot is being saved: each key the command names
// that the snapshot has not written yet is serialized first, so the
// command may change it in place (keyspace.DB.BeforeWrite). Without a
// save running it costs one atomic load. Scripts and MULTI/EXEC call it
// for each command they run; blocked clients served by a push too.
func (e *Env) beforeWrite(c *Ctx, spec *Spec) {
	if !e.Store.Saving() {
		return
	}
	target := spec
	if spec.Subcommands != nil && len(c.Args) > 1 {
		if sub := spec.Sub(c.Args[1]); sub != nil {
			target = sub
		}
	}
	if (spec.Flags|target.Flags)&Write == 0 {
		return
	}
	pos := target.KeyPositions(c.Args)
	if len(pos) == 0 && target != spec {
		pos = spec.KeyPositions(c.Args)
	}
	for _, p := range pos {
		c.DB(c.Args[p]).BeforeWrite(c.Args[p])
	}
}

func arityOK(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}

func allowedInPubSub(name string) bool {
	switch name {
	case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

// unknownCommand writes Redis 7's text: the name (at most 128 bytes) and
// the first arguments, each quoted and followed by a space, cut once the
// argument list reaches 128 bytes.
func (e *Env) unknownCommand(c *Ctx) {
	var args strings.Builder
	for _, a := range c.Args[1:] {
		if args.Len() >= 128 {
			break
		}
		n := 128 - args.Len()
		args.WriteByte('\'')
		args.WriteString(truncate(cString(a), n))
		args.WriteString("' ")
	}
	c.Err("ERR unknown command '" + truncate(cString(c.Args[0]), 128) + "', with args beginning with: " + args.String())
}

func truncate(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}

// reject refuses a command before it runs, as Redis's rejectCommand: the
// rejection is counted, an open transaction is flagged, and a refused
// EXEC itself ends the transaction with -EXECABORT naming the reason
// (Redis's execCommandAbort, which drops the "ERR " of formatted errors).
func (e *Env) reject(c *Ctx, spec *Spec, msg string) {
	e.noteRejected(c.Client, spec)
	if spec.Name == "exec" && spec.Handler != nil {
		c.discardMulti()
		e.unwatch(c.Client)
		c.Err("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
		return
	}
	c.flagTransaction()
	c.Err(msg)
}

// logSlow adds a command that took dur to the slow log if it qualifies.
func (e *Env) logSlow(target *Spec, args [][]byte, cl *Client, start time.Time, dur time.Duration) {
	if target.Has(SkipSlowlog) {
		return
	}
	us := dur.Microseconds()
	if th := e.Config.SlowlogSlowerThan.Get(); th >= 0 && us >= th {
		e.Slowlog.Add(args, us, cl, start, int(e.Config.SlowlogMaxLen.Get()))
	}
}
