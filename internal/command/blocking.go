package command

import (
	"cmp"
	"math"
	"math/big"
	"slices"
	"sync/atomic"
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
//     hold (BLMOVE to a key of another shard) needs those shards too. The
//     pusher tries to take them without waiting (TryLock: never blocking,
//     so the lock order cannot deadlock); when one is busy the waiter is
//     woken instead, and retries through the normal dispatcher from its own
//     goroutine.
//
// A handler that, in retry mode, serves only from the key that became
// ready (c.ReadyKeys narrows its scan to that key) blocks with BlockPerKey:
// then the pusher needs only that key's shard, plus the shards of the
// command's keys it does not wait on (BLMOVE's destination). Redis serves
// blocked clients that way: BLPOP a b, when b gets data, pops from b even
// if a was created meanwhile with another type. Block (all the command's
// shards) suits handlers that always look at every key.
//
// A waiter's state moves Waiting -> Serving -> Waiting/Served under the
// pusher, and Waiting -> TimedOut/Cancelled under its own goroutine or
// CLIENT UNBLOCK; every transition out of Serving signals the waiter, so a
// timeout that passed while it was being served is not lost.

// blockedCmd is a waiter's command, kept for retries.
type blockedCmd struct {
	client *Client
	args   [][]byte
	spec   *Spec
	shards shard.Set // the shards of every key of the command
	// perKey: the handler serves from the ready key alone, and needs only
	// its shard plus extra (the shards of the keys it does not wait on).
	perKey bool
	extra  shard.Set
	reply  []byte
	// failed: the reply is an error (failed_calls counts it when the
	// client resumes); unblockErr: CLIENT UNBLOCK ... ERROR ended the wait.
	failed, unblockErr bool
	// heldPushes: the client's invalidation messages are held until its
	// reply is written (tracking_push.go).
	heldPushes bool
	retry      atomic.Bool // woken to retry from its own goroutine
}

// maxBlockTimeout is the longest timeout (ms) a time.Duration holds; a
// longer one (Redis accepts anything up to LLONG_MAX ms) never expires in
// practice, so it is treated as no timeout.
const maxBlockTimeout = math.MaxInt64 / int64(time.Millisecond)

var (
	thousand = big.NewFloat(1000)
	twoTo63  = new(big.Float).SetMantExp(big.NewFloat(1), 63)
)

// parseBlockTimeout reads a blocking command's timeout in seconds (a long
// double for BLPOP & co.), or in milliseconds when ms is set (XREAD
// BLOCK), as Redis 7.0's getTimeoutFromObjectOrReply does: seconds are
// multiplied by 1000 in long double and rounded up (0.0001 is 1 ms, -0.0001
// is 0: no timeout), and a value that does not fit a long long (inf, 1e20)
// wraps to LLONG_MIN and is reported as negative. 0 means no timeout.
func (c *Ctx) parseBlockTimeout(arg []byte, ms bool) (time.Duration, bool) {
	var tval int64
	if ms {
		n, ok := parseInt(arg)
		if !ok {
			c.Err("ERR timeout is not an integer or out of range")
			return 0, false
		}
		tval = n
	} else {
		f, ok := parseLongDouble(arg)
		if !ok {
			c.Err("ERR timeout is not a float or out of range")
			return 0, false
		}
		tval = ceilMsToInt64(f)
	}
	if tval < 0 {
		c.Err(ErrTimeoutNeg)
		return 0, false
	}
	if tval > maxBlockTimeout {
		tval = 0
	}
	return time.Duration(tval) * time.Millisecond, true
}

// ceilMsToInt64 is (long long)ceill(secs * 1000.0) on x86-64: an
// out-of-range result is LLONG_MIN.
func ceilMsToInt64(secs *big.Float) int64 {
	if secs.IsInf() {
		return math.MinInt64
	}
	x := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Mul(secs, thousand)
	if a := new(big.Float).Abs(x); a.Cmp(twoTo63) >= 0 {
		return math.MinInt64
	}
	i, acc := x.Int64()
	if acc == big.Below { // truncated a positive fraction: round up
		if i == math.MaxInt64 {
			return math.MinInt64
		}
		i++
	}
	return i
}

// CanBlock reports whether the command may block: not inside MULTI/EXEC or
// a script, where Redis answers as if the timeout had expired.
func (c *Ctx) CanBlock() bool { return !c.noBlock }

// Block registers the client as waiting for keys, for at most timeout (0:
// for ever). The handler writes nothing more; the reply comes when the
// waiter ends. In retry mode it only notes that the command must keep
// waiting. A pusher serves the client holding every shard of the
// command's keys.
func (c *Ctx) Block(keys [][]byte, timeout time.Duration) { c.block(keys, timeout, false) }

// BlockPerKey is Block for handlers that, in retry mode, look only at the
// keys c.ReadyKeys returns (see the package comment above).
func (c *Ctx) BlockPerKey(keys [][]byte, timeout time.Duration) { c.block(keys, timeout, true) }

func (c *Ctx) block(keys [][]byte, timeout time.Duration, perKey bool) {
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
	var extra shard.Set
	for _, p := range c.Spec.KeyPositions(c.Args) {
		i := c.Env.Store.Of(c.Args[p])
		set.Add(i)
		if !containsKey(keys, c.Args[p]) {
			extra.Add(i)
		}
	}
	args := make([][]byte, len(c.Args))
	for i, a := range c.Args {
		args[i] = append([]byte(nil), a...)
	}
	bc := &blockedCmd{client: c.Client, args: args, spec: c.Spec, shards: set, perKey: perKey, extra: extra}
	w := shard.NewWaiter(bk, bc)
	for i, k := range keys {
		c.ShardOf(k).AddWaiter(bk[i], w)
	}
	c.blocked = w
	c.blockTimeout = timeout
	// The client counts as blocked from here, as in Redis once the
	// command returns: CLIENT LIST already shows cmd=blpop, and CLIENT
	// UNBLOCK must find the waiter even before the connection starts
	// waiting (AwaitBlocked, after a hand-off off its event loop); an
	// early Unblock leaves its signal in w.Wake.
	c.Client.SetFlag(ClientBlocked, true)
	c.Client.waiter.Store(w)
	c.Env.Stats.BlockedClients.Add(1)
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

func containsKey(keys [][]byte, k []byte) bool {
	for _, x := range keys {
		if string(x) == string(k) {
			return true
		}
	}
	return false
}

// ReadyKeys returns the keys a blocking handler should look at: in retry
// mode under a pusher, for a BlockPerKey waiter, just the key that became
// ready (if it is one of keys); otherwise keys.
func (c *Ctx) ReadyKeys(keys [][]byte) [][]byte {
	if !c.retrying || c.readyKey == nil {
		return keys
	}
	for i, k := range keys {
		if string(k) == string(c.readyKey) {
			return keys[i : i+1]
		}
	}
	return nil
}

// CancelBlocked gives up a wait the caller will not await (a command run
// by the admin console, the fuzzer): the waiter ends and the client no
// longer counts as blocked.
func (e *Env) CancelBlocked(c *Ctx, w *shard.Waiter) {
	if w.State.CompareAndSwap(shard.Waiting, shard.Cancelled) {
		e.dropWaiter(w)
	}
	c.Client.waiter.Store(nil)
	c.Client.SetFlag(ClientBlocked, false)
	e.Stats.BlockedClients.Add(-1)
}

// TakeBlocked returns the waiter the last command registered, if any.
func (c *Ctx) TakeBlocked() (*shard.Waiter, time.Duration) {
	w, t := c.blocked, c.blockTimeout
	c.blocked = nil
	return w, t
}

// serveReady serves clients blocked on keys that became ready in the held
// shards, before the command that fed them releases its locks, in the
// order the keys were fed whatever their shards (a MULTI/EXEC that pushes
// to a list of one shard, then to one of another, serves the first list's
// waiters first). Shards it has to take to serve a waiter (TryLock) are
// released before it returns.
func (e *Env) serveReady(held *shard.Set, now int64) {
	h := *held
	var extra shard.Set
	type pending struct {
		sh *shard.Shard
		k  shard.ReadyKey
	}
	var ready []pending
	for {
		ready = ready[:0]
		for i := 0; i < e.Store.N(); i++ {
			if !h.Has(i) {
				continue
			}
			if sh := e.Store.Shard(i); sh.HasReady() {
				for _, k := range sh.TakeReady() {
					ready = append(ready, pending{sh, k})
				}
			}
		}
		if len(ready) == 0 {
			break
		}
		slices.SortFunc(ready, func(a, b pending) int { return cmp.Compare(a.k.Seq, b.k.Seq) })
		for _, p := range ready {
			e.serveKey(p.sh, p.k.BlockKey, &h, &extra, now)
		}
	}
	if !extra.Empty() {
		e.Store.UnlockSet(&extra)
	}
}

// serveKey hands key k's data to its waiters in arrival order. A waiter
// that cannot be served (nothing left for it) keeps waiting, and the
// following ones are tried all the same.
func (e *Env) serveKey(sh *shard.Shard, k shard.BlockKey, held, extra *shard.Set, now int64) {
	// Every blocking list command is served exactly when the key holds a
	// list (possibly with an error, BLMOVE to a wrong-type destination):
	// once one finds none, the other list waiters need not be re-run. Other
	// waiters always are: an XREAD may wait on where an XREADGROUP is
	// answered (a deleted key), or two XREADs on different IDs.
	listDrained := false
	for _, w := range append([]*shard.Waiter(nil), sh.Waiters(k)...) {
		bc := w.Data.(*blockedCmd)
		if listDrained && bc.spec.Group == "list" {
			continue
		}
		if st := w.State.Load(); st != shard.Waiting {
			if st == shard.Serving {
				bc.lookAgain(w)
			}
			continue
		}
		need := bc.shards
		if bc.perKey {
			need = bc.extra
			need.Add(sh.ID)
		}
		if !e.tryHold(&need, held, extra, now) {
			// A shard it needs is busy: let it retry from its own
			// goroutine through the dispatcher, in order of arrival.
			bc.retry.Store(true)
			w.Signal()
			continue
		}
		if !w.State.CompareAndSwap(shard.Waiting, shard.Serving) {
			bc.lookAgain(w)
			continue
		}
		var out resp.Writer
		out.Proto = bc.client.Proto
		c := Ctx{Env: e, Client: bc.client, W: &out, Args: bc.args, Spec: bc.spec, Now: now, retrying: true}
		c.wokeKey, c.hasWokeKey = k.Key, true
		if bc.perKey {
			c.readyKey = []byte(k.Key)
		}
		e.beforeWrite(&c, bc.spec)
		bc.spec.Handler(&c)
		if c.wouldBlock {
			w.State.Store(shard.Waiting)
			w.Signal() // it may have timed out meanwhile
			if bc.spec.Group == "list" {
				listDrained = true
			}
			continue
		}
		if bc.client.trackingOn.Load() {
			bc.client.holdPushes()
			bc.heldPushes = true
		}
		e.afterServe(&c, w, k)
		bc.reply, bc.failed = out.Buf, c.failed
		w.State.Store(shard.Served)
		w.Signal()
	}
}

// lookAgain is for a waiter that another goroutine is serving from
// another key right now: that attempt may fail (its key emptied meanwhile)
// while this key has data, so the waiter retries through the dispatcher
// once it is back to waiting. If it was served, the flag is moot.
func (bc *blockedCmd) lookAgain(w *shard.Waiter) {
	bc.retry.Store(true)
	w.Signal()
}

// afterServe is afterCommand for a command served under a pusher's locks
// (WATCH versions, tracking invalidations). A per-key waiter may only have
// changed the ready key and the keys it does not wait on (BLMOVE's
// destination): the only ones whose shards are surely held.
func (e *Env) afterServe(c *Ctx, w *shard.Waiter, k shard.BlockKey) {
	bc := w.Data.(*blockedCmd)
	if !bc.perKey {
		e.afterCommand(c, bc.spec)
		return
	}
	keys := [][]byte{[]byte(k.Key)}
	for _, p := range bc.spec.KeyPositions(bc.args) {
		key := bc.args[p]
		waited := false
		for _, bk := range w.Keys {
			if bk.Key == string(key) {
				waited = true
				break
			}
		}
		if !waited {
			keys = append(keys, key)
		}
	}
	watching := e.Watching.n.Load() != 0
	tracking := e.Tracking.active.Load() != 0
	for _, key := range keys {
		if watching {
			db := c.DB(key)
			if r, ok := db.Peek(key); ok {
				db.Touch(r)
			}
		}
		if tracking {
			e.invalidate(c, key, c.Client.ID)
		}
	}
}

// tryHold makes sure every shard of need is held. Those not held yet are
// taken with TryLock, which never waits (so taking them out of order
// cannot deadlock), and are added to held and to extra (released by
// serveReady). It reports false, holding nothing new, when one is busy.
func (e *Env) tryHold(need, held, extra *shard.Set, now int64) bool {
	if subset(need, held) {
		return true
	}
	var got shard.Set
	for i := 0; i < e.Store.N(); i++ {
		if !need.Has(i) || held.Has(i) {
			continue
		}
		if !e.Store.Shard(i).TryLock(now) {
			e.Store.UnlockSet(&got)
			return false
		}
		got.Add(i)
	}
	for i := range got {
		held[i] |= got[i]
		extra[i] |= got[i]
	}
	return true
}

// AwaitBlocked parks the client until its waiter ends and writes the reply
// to c.W. gone is closed when the client disconnects.
func (e *Env) AwaitBlocked(c *Ctx, w *shard.Waiter, timeout time.Duration, gone <-chan struct{}) {
	bc := w.Data.(*blockedCmd)
	// Marked blocked when the command registered w (block).
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
	expired := false
	for {
		select {
		case <-w.Wake:
		case <-deadline:
			deadline = nil
			expired = true
		case <-gone:
			gone = nil
			if w.State.CompareAndSwap(shard.Waiting, shard.Cancelled) {
				e.dropWaiter(w)
				return
			}
		}
		if expired {
			// If a pusher is serving it right now, this fails and the
			// pusher's signal brings us back here.
			w.State.CompareAndSwap(shard.Waiting, shard.TimedOut)
		}
		switch w.State.Load() {
		case shard.Served:
			e.dropWaiter(w)
			// Logged now that it ended, with its running time only.
			e.logSlow(bc.spec, bc.args, c.Client, c.Started, c.Took)
			// The command's call was counted when it blocked; like
			// Redis, an error that ends the wait counts it as failed.
			if bc.unblockErr {
				c.Err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
				e.noteFailedAfterBlock(c.Client, bc.spec)
				return
			}
			c.W.Raw(bc.reply)
			if bc.heldPushes {
				bc.heldPushes = false
				c.Client.writeHeld(c.replyWriter(), true)
			}
			if bc.failed {
				e.noteFailedAfterBlock(c.Client, bc.spec)
			}
			return
		case shard.TimedOut:
			e.dropWaiter(w)
			e.logSlow(bc.spec, bc.args, c.Client, c.Started, c.Took)
			c.W.NullArray()
			return
		case shard.Cancelled:
			e.dropWaiter(w)
			return
		case shard.Waiting:
			if bc.retry.Swap(false) {
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
	hold := bc.client.trackingOn.Load()
	if hold {
		bc.client.holdPushes()
	}
	e.run(&rc, bc.spec)
	e.flushBcast()
	if hold && rc.wouldBlock {
		bc.client.writeHeld(nil, true)
	} else if hold {
		bc.heldPushes = true
	}
	if rc.wouldBlock {
		w.State.Store(shard.Waiting)
		w.Signal() // look at the timeout again
		return
	}
	bc.reply, bc.failed = out.Buf, rc.failed
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
		// Claim it like a pusher, so the reply is in place before the
		// waiter can see the final state.
		if !w.State.CompareAndSwap(shard.Waiting, shard.Serving) {
			return false
		}
		bc.unblockErr = true
		w.State.Store(shard.Served)
	} else if !w.State.CompareAndSwap(shard.Waiting, shard.TimedOut) {
		return false
	}
	w.Signal()
	return true
}

func subset(a, b *shard.Set) bool {
	for i := range a {
		if a[i]&^b[i] != 0 {
			return false
		}
	}
	return true
}
