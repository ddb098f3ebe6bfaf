package command

import (
	"math"
	"math/big"
	"time"

	"github.com/damselfly-db/damselfly/internal/resp"
	"github.com/damselfly-db/damselfly/internal/shard"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...) follow one
// protocol:
//
//  1. The handler runs like any command. If it can serve the client now it
//     replies. Otherwise it calls c.Block(keys, timeout), which registers a
//     shard.Waiter on every key (their shards are locked by the dispatcher).
//  2. The connection goroutine then parks in Env.AwaitBlocked, holding no
//     lock, until the waiter ends: served, timed out, unblocked, or the
//     client went away.
//  3. A command that creates or feeds a key that has waiters marks it ready
//     in its shard (DB.OnAdd for new keys, Shard.MarkReady for XADD). Before
//     that command releases its locks, the dispatcher serves the waiters of
//     ready keys in arrival order, by re-running each blocked command in
//     retry mode under those same locks. So, as in Redis, data pushed for a
//     blocked client reaches it before any other client can take it, and a
//     MULTI/EXEC or a script wakes waiters only once it has finished.
//  4. A blocked command whose other keys live in shards the pusher does not
//     hold (BLMOVE to a key of another shard) is woken instead, and retries
//     through the normal dispatcher from its own goroutine.

// blockedCmd is a waiter's command, kept for retries.
type blockedCmd struct {
	client *Client
	args   [][]byte
	spec   *Spec
	shards shard.Set
	reply  []byte
	retry  bool // woken to retry from its own goroutine
}

// MaxBlockTimeout is the longest timeout accepted, as in Redis (which
// rejects timeouts that overflow its millisecond clock).
const maxBlockTimeout = math.MaxInt64 / int64(time.Millisecond)

// ParseBlockTimeout reads a blocking command's timeout in seconds (a float
// for BLPOP & co.), or in milliseconds when ms is set (XREAD BLOCK).
func (c *Ctx) parseBlockTimeout(arg []byte, ms bool) (time.Duration, bool) {
	if ms {
		n, ok := parseInt(arg)
		if !ok {
			c.Err("ERR timeout is not an integer or out of range")
			return 0, false
		}
		if n < 0 {
			c.Err(ErrTimeoutNeg)
			return 0, false
		}
		if n > maxBlockTimeout {
			c.Err("ERR timeout is out of range")
			return 0, false
		}
		return time.Duration(n) * time.Millisecond, true
	}
	// Redis 7.0 reads seconds as a long double, scales to milliseconds and
	// converts with a C cast: a value beyond the long long range (or inf)
	// becomes LLONG_MIN on x86-64, hence "negative".
	f, ok := parseLongDouble(arg)
	if !ok {
		c.Err("ERR timeout is not a float or out of range")
		return 0, false
	}
	millis, _ := new(big.Float).Mul(f, big.NewFloat(1000)).Float64()
	if math.IsInf(millis, 0) || millis >= math.MaxInt64 || millis < 0 {
		c.Err(ErrTimeoutNeg)
		return 0, false
	}
	millis = math.Ceil(millis)
	if millis > float64(maxBlockTimeout) {
		c.Err("ERR timeout is out of range")
		return 0, false
	}
	return time.Duration(millis) * time.Millisecond, true
}

// CanBlock reports whether the command may block: not inside MULTI/EXEC or
// a script, where Redis answers as if the timeout had expired.
func (c *Ctx) CanBlock() bool { return !c.noBlock }

// Block registers the client as waiting for keys, for at most timeout (0:
// for ever). The handler writes nothing more; the reply comes when the
// waiter ends. In retry mode it only notes that the command must keep
// waiting.
func (c *Ctx) Block(keys [][]byte, timeout time.Duration) {
	c.wouldBlock = true
	if c.retrying {
		return
	}
	bk := make([]shard.BlockKey, len(keys))
	var set shard.Set
	for i, k := range keys {
		bk[i] = shard.BlockKey{DB: c.Client.DB, Key: string(k)}
		set.Add(c.Env.Store.Of(k))
	}
	for _, p := range c.Spec.KeyPositions(c.Args) {
		set.Add(c.Env.Store.Of(c.Args[p]))
	}
	args := make([][]byte, len(c.Args))
	for i, a := range c.Args {
		args[i] = append([]byte(nil), a...)
	}
	w := shard.NewWaiter(bk, &blockedCmd{client: c.Client, args: args, spec: c.Spec, shards: set})
	for i, k := range keys {
		c.ShardOf(k).AddWaiter(bk[i], w)
	}
	c.blocked = w
	c.blockTimeout = timeout
}

// SetBlockedArg replaces argument i of the command the handler has just
// blocked with c.Block, for its retries: XREAD stores the IDs "$" stood for
// when it blocked.
func (c *Ctx) SetBlockedArg(i int, v []byte) {
	if c.blocked == nil {
		return
	}
	c.blocked.Data.(*blockedCmd).args[i] = append([]byte(nil), v...)
}

// TakeBlocked returns the waiter the last command registered, if any.
func (c *Ctx) TakeBlocked() (*shard.Waiter, time.Duration) {
	w, t := c.blocked, c.blockTimeout
	c.blocked = nil
	return w, t
}

// serveReady serves clients blocked on keys that became ready in the held
// shards, before the command that fed them releases its locks.
func (e *Env) serveReady(held *shard.Set, now int64) {
	for progress := true; progress; {
		progress = false
		for i := 0; i < e.Store.N(); i++ {
			if !held.Has(i) {
				continue
			}
			sh := e.Store.Shard(i)
			if !sh.HasReady() {
				continue
			}
			progress = true
			for _, k := range sh.TakeReady() {
				e.serveKey(sh, k, held, now)
			}
		}
	}
}

// serveKey hands key k's data to its waiters in arrival order until one of
// them cannot be served (the key ran out).
func (e *Env) serveKey(sh *shard.Shard, k shard.BlockKey, held *shard.Set, now int64) {
	for _, w := range append([]*shard.Waiter(nil), sh.Waiters(k)...) {
		bc := w.Data.(*blockedCmd)
		if !subset(&bc.shards, held) {
			// Its other keys are in shards we do not hold: let it retry
			// from its own goroutine, in order of arrival.
			bc.retry = true
			w.Signal()
			continue
		}
		if !w.State.CompareAndSwap(shard.Waiting, shard.Serving) {
			continue
		}
		var out resp.Writer
		out.Proto = bc.client.Proto
		c := Ctx{Env: e, Client: bc.client, W: &out, Args: bc.args, Spec: bc.spec, Now: now, retrying: true,
			readyKey: k.Key, hasReadyKey: true}
		bc.spec.Handler(&c)
		if c.wouldBlock {
			w.State.Store(shard.Waiting)
			if c.blockPassOn {
				continue
			}
			return // the key has nothing left for the others either
		}
		bc.reply = out.Buf
		w.State.Store(shard.Served)
		w.Signal()
	}
}

func subset(a, b *shard.Set) bool {
	for i := range a {
		if a[i]&^b[i] != 0 {
			return false
		}
	}
	return true
}

// AwaitBlocked parks the client until its waiter ends and writes the reply
// to c.W. gone is closed when the client disconnects.
func (e *Env) AwaitBlocked(c *Ctx, w *shard.Waiter, timeout time.Duration, gone <-chan struct{}) {
	bc := w.Data.(*blockedCmd)
	c.Client.SetFlag(ClientBlocked, true)
	c.Client.waiter.Store(w)
	e.Stats.BlockedClients.Add(1)
	defer func() {
		c.Client.waiter.Store(nil)
		c.Client.SetFlag(ClientBlocked, false)
		e.Stats.BlockedClients.Add(-1)
	}()
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	for {
		select {
		case <-w.Wake:
		case <-deadline:
			deadline = nil
			w.State.CompareAndSwap(shard.Waiting, shard.TimedOut)
		case <-gone:
			gone = nil
			if w.State.CompareAndSwap(shard.Waiting, shard.Cancelled) {
				e.dropWaiter(w)
				return
			}
		}
		switch w.State.Load() {
		case shard.Served:
			e.dropWaiter(w)
			c.W.Raw(bc.reply)
			return
		case shard.TimedOut:
			e.dropWaiter(w)
			c.W.NullArray()
			return
		case shard.Cancelled:
			e.dropWaiter(w)
			if bc.reply != nil {
				c.W.Raw(bc.reply) // CLIENT UNBLOCK ... ERROR
			}
			return
		case shard.Waiting:
			if bc.retry {
				bc.retry = false
				e.retryBlocked(c, w)
			}
		}
	}
}

// retryBlocked re-runs a blocked command through the dispatcher (its keys
// span shards the pusher did not hold).
func (e *Env) retryBlocked(c *Ctx, w *shard.Waiter) {
	if !w.State.CompareAndSwap(shard.Waiting, shard.Serving) {
		return
	}
	bc := w.Data.(*blockedCmd)
	var out resp.Writer
	out.Proto = bc.client.Proto
	rc := Ctx{Env: e, Client: bc.client, W: &out, Args: bc.args, Spec: bc.spec, retrying: true}
	rc.Now = time.Now().UnixMilli()
	e.run(&rc, bc.spec)
	if rc.wouldBlock {
		w.State.Store(shard.Waiting)
		return
	}
	bc.reply = out.Buf
	w.State.Store(shard.Served)
	w.Signal()
}

// dropWaiter removes an ended waiter's registrations.
func (e *Env) dropWaiter(w *shard.Waiter) {
	bc := w.Data.(*blockedCmd)
	now := time.Now().UnixMilli()
	e.Store.LockSet(&bc.shards, now)
	for _, k := range w.Keys {
		e.Store.Shard(e.Store.Of([]byte(k.Key))).RemoveWaiter(k, w)
	}
	e.Store.UnlockSet(&bc.shards)
}

// Unblock ends a client's wait as CLIENT UNBLOCK does: as a timeout, or
// with an -UNBLOCKED error. It reports whether the client was blocked.
func (cl *Client) Unblock(withError bool) bool {
	w := cl.waiter.Load()
	if w == nil {
		return false
	}
	bc := w.Data.(*blockedCmd)
	if withError {
		if !w.State.CompareAndSwap(shard.Waiting, shard.Cancelled) {
			return false
		}
		var out resp.Writer
		out.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		bc.reply = out.Buf
	} else if !w.State.CompareAndSwap(shard.Waiting, shard.TimedOut) {
		return false
	}
	w.Signal()
	return true
}
