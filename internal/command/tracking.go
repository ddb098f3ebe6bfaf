package command

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// Client-side caching (CLIENT TRACKING). In the default mode the server
// remembers which clients read which keys; in BCAST mode clients subscribe
// to key prefixes. A change to a key (any write command on it, expiry,
// eviction, FLUSHALL) sends an "invalidate" message to the interested
// clients: a RESP3 push, or with REDIRECT a __redis__:invalidate pub/sub
// message to another connection. The dispatcher records reads and
// invalidates writes for every command, so families need no code of their
// own.
//
// Two details follow Redis 7.0 because clients and its test suite rely on
// them:
//   - BCAST messages carry every key a command changed under a prefix in
//     one message (Redis collects them for a whole event-loop pass), so
//     keys changed by a command are queued and sent when it ends; keys
//     that expire or are evicted outside a command go at once.
//   - A client never sees an invalidation in the middle of a reply: what
//     is meant for a client while it runs a command (or is being served
//     after blocking) is held and written right after its reply
//     (tracking_push.go).

type trackingState struct {
	bcast, optin, optout, noloop bool
	redirect                     int64
	prefixes                     []string
	caching                      int8 // CLIENT CACHING: 1 yes, -1 no, 0 unset
}

// Tracking is the server's invalidation table. Its lock is a leaf: no
// client is called while it is held.
type Tracking struct {
	active atomic.Int64 // clients with tracking on: the hot path checks it
	// maxKeys is tracking-table-max-keys (0: no limit).
	maxKeys atomic.Int64
	// queued counts BCAST keys waiting for the end of their command.
	queued atomic.Int64
	// nkeys is len(keys), for the per-command limit check.
	nkeys atomic.Int64

	mu    sync.Mutex
	keys  map[string]map[int64]struct{} // key -> clients that read it
	items int                           // sum of the sets' sizes
	bcast map[string]*bcastPrefix
}

// bcastPrefix is one BCAST prefix: its subscribers and the keys under it
// changed since the last flush, with the client that changed each (0 for
// the server), which NOLOOP subscribers skip.
type bcastPrefix struct {
	clients map[int64]struct{}
	changed map[string]int64
	order   []string
}

func (t *Tracking) enable(id int64, st *trackingState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !st.bcast {
		return
	}
	if t.bcast == nil {
		t.bcast = map[string]*bcastPrefix{}
	}
	for _, p := range st.prefixes {
		bp := t.bcast[p]
		if bp == nil {
			bp = &bcastPrefix{clients: map[int64]struct{}{}}
			t.bcast[p] = bp
		}
		bp.clients[id] = struct{}{}
	}
}

// disable removes a client's BCAST prefixes. Like Redis, the keys it read
// stay in the table until they change or are evicted from it.
func (t *Tracking) disable(id int64, st *trackingState) {
	if !st.bcast {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range st.prefixes {
		bp := t.bcast[p]
		if bp == nil {
			continue
		}
		delete(bp.clients, id)
		if len(bp.clients) == 0 {
			delete(t.bcast, p)
		}
	}
}

// remember records that client id read key.
func (t *Tracking) remember(id int64, key []byte) {
	t.mu.Lock()
	if t.keys == nil {
		t.keys = map[string]map[int64]struct{}{}
	}
	ids := t.keys[string(key)]
	if ids == nil {
		ids = map[int64]struct{}{}
		t.keys[string(key)] = ids
	}
	if _, ok := ids[id]; !ok {
		ids[id] = struct{}{}
		t.items++
	}
	t.nkeys.Store(int64(len(t.keys)))
	t.mu.Unlock()
}

// Counts returns INFO's tracking_total_keys, _items and _prefixes.
func (t *Tracking) Counts() (keys, items, prefixes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int64(len(t.keys)), int64(t.items), int64(len(t.bcast))
}

// trackRead records the keys a tracking client read.
func (e *Env) trackRead(c *Ctx, spec *Spec) {
	st := c.Client.tracking
	if st == nil || st.bcast {
		return
	}
	if (st.optin && st.caching != 1) || (st.optout && st.caching == -1) {
		return
	}
	for _, p := range spec.KeyPositions(c.Args) {
		e.Tracking.remember(c.Client.ID, c.Args[p])
	}
}

// afterCommand runs, under the command's locks, after every command that
// touched keys: versions and invalidations for writes, tracking for reads,
// and the one-command life of CLIENT CACHING. Inside a script a read only
// marks the script: Redis then tracks the keys the script declared.
func (e *Env) afterCommand(c *Ctx, spec *Spec) {
	if c.blocked != nil || c.retrying && c.wouldBlock {
		return // it blocked: nothing changed yet
	}
	if spec.Flags&Write != 0 {
		e.keysChanged(c, spec)
	}
	st := c.Client.tracking
	if st == nil {
		return
	}
	if c.inScript {
		if spec.Flags&ReadOnly != 0 {
			c.Client.scriptRead = true
		}
		return
	}
	if spec.Flags&ReadOnly != 0 && !runsScript(spec) || c.Client.scriptRead {
		e.trackRead(c, spec)
	}
	c.Client.scriptRead = false
	switch st.caching {
	case 2:
		st.caching = 1
	case -2:
		st.caching = -1
	default:
		st.caching = 0
	}
}

// invalidate tells the clients interested in key that it changed; from is
// the client that changed it (for NOLOOP), or 0. c is the command that
// changed it, nil for expiry and eviction outside a command.
func (e *Env) invalidate(c *Ctx, key []byte, from int64) {
	// Keys read by clients that have since turned tracking off stay in
	// the table (Redis does not purge them either) until they change.
	if e.Tracking.active.Load() == 0 && e.Tracking.nkeys.Load() == 0 {
		return
	}
	t := &e.Tracking
	t.mu.Lock()
	var targets []int64
	if ids, ok := t.keys[string(key)]; ok {
		for id := range ids {
			targets = append(targets, id)
		}
		t.items -= len(ids)
		delete(t.keys, string(key))
		t.nkeys.Store(int64(len(t.keys)))
	}
	queued := false
	for p, bp := range t.bcast {
		if !strings.HasPrefix(string(key), p) {
			continue
		}
		if bp.changed == nil {
			bp.changed = map[string]int64{}
		}
		if _, ok := bp.changed[string(key)]; !ok {
			bp.order = append(bp.order, string(key))
		}
		bp.changed[string(key)] = from
		queued = true
	}
	t.mu.Unlock()
	for _, id := range targets {
		e.sendInvalidation(id, from, [][]byte{key}, true)
	}
	if queued {
		t.queued.Add(1)
		if c == nil {
			e.flushBcast()
		}
	}
}

// flushBcast sends the BCAST keys queued so far: per prefix and
// subscriber one message, without the keys a NOLOOP subscriber changed
// itself.
func (e *Env) flushBcast() {
	t := &e.Tracking
	if t.queued.Load() == 0 {
		return
	}
	type msg struct {
		id   int64
		keys [][]byte
	}
	var out []msg
	t.mu.Lock()
	t.queued.Store(0)
	// Redis keeps prefixes and keys in radix trees: both go out sorted.
	prefixes := make([]string, 0, len(t.bcast))
	for p, bp := range t.bcast {
		if len(bp.order) > 0 {
			prefixes = append(prefixes, p)
		}
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		bp := t.bcast[p]
		sort.Strings(bp.order)
		for id := range bp.clients {
			cl := e.Clients.Get(id)
			var st *trackingState
			if cl != nil {
				st = cl.trackingShared.Load()
			}
			if st == nil {
				continue
			}
			var keys [][]byte
			for _, k := range bp.order {
				if st.noloop && bp.changed[k] == id {
					continue
				}
				keys = append(keys, []byte(k))
			}
			if len(keys) > 0 {
				out = append(out, msg{id, keys})
			}
		}
		bp.changed, bp.order = nil, nil
	}
	t.mu.Unlock()
	for _, m := range out {
		e.sendInvalidation(m.id, 0, m.keys, false)
	}
}

// invalidateAll is FLUSHALL/FLUSHDB's invalidation: a null key list to
// every tracking client, and an empty table.
func (e *Env) invalidateAll() {
	t := &e.Tracking
	if t.nkeys.Load() != 0 {
		t.mu.Lock()
		t.keys, t.items = nil, 0
		t.nkeys.Store(0)
		t.mu.Unlock()
	}
	if t.active.Load() == 0 {
		return
	}
	for _, cl := range e.Clients.List() {
		if cl.trackingOn.Load() {
			e.sendInvalidation(cl.ID, 0, nil, false)
		}
	}
}

// limitTrackingTable evicts keys from the table while it holds more than
// tracking-table-max-keys, telling their readers the keys changed (they
// can no longer be told when they do), as Redis does.
func (e *Env) limitTrackingTable() {
	t := &e.Tracking
	max := t.maxKeys.Load()
	if max <= 0 {
		return
	}
	type evicted struct {
		key string
		ids []int64
	}
	var out []evicted
	t.mu.Lock()
	for k, ids := range t.keys {
		if int64(len(t.keys)) <= max {
			break
		}
		ev := evicted{key: k}
		for id := range ids {
			ev.ids = append(ev.ids, id)
		}
		t.items -= len(ids)
		delete(t.keys, k)
		out = append(out, ev)
	}
	t.nkeys.Store(int64(len(t.keys)))
	t.mu.Unlock()
	for _, ev := range out {
		for _, id := range ev.ids {
			e.sendInvalidation(id, 0, [][]byte{[]byte(ev.key)}, true)
		}
	}
}

// sendInvalidation sends keys (nil: everything) to client id, or where it
// redirects its messages; from is the client whose write caused it.
// Keys from the table (read in the default mode) are not sent to a
// client that has since switched to BCAST.
func (e *Env) sendInvalidation(id, from int64, keys [][]byte, fromTable bool) {
	cl := e.Clients.Get(id)
	if cl == nil {
		return
	}
	st := cl.trackingShared.Load()
	if st == nil {
		return
	}
	if st.noloop && id == from || fromTable && st.bcast {
		return
	}
	target := cl
	if st.redirect != 0 && st.redirect != id {
		target = e.Clients.Get(st.redirect)
		// A target that asked to close (QUIT, its reply already on the
		// way) is gone for this purpose: Redis frees it before it runs
		// another client's command, so the SET a client sends once it has
		// read QUIT's OK finds the redirect broken.
		if target == nil || target.closeReq.Load() {
			// Redis tells the tracking client, if it can hear pushes,
			// each time a message is lost this way.
			cl.trackingBroken.Store(true)
			if cl.Proto >= 3 {
				w := resp.Writer{Proto: cl.Proto}
				w.Push(2)
				w.BulkString("tracking-redir-broken")
				w.Int(st.redirect)
				cl.deliver(w.Buf)
			}
			return
		}
	}
	w := resp.Writer{Proto: target.Proto}
	if target.Proto >= 3 {
		w.Push(2)
		w.BulkString("invalidate")
	} else {
		// A RESP2 connection hears them only as the redirect target of
		// some client, and only while in pub/sub mode, as in Redis.
		if st.redirect == 0 || !target.HasFlag(ClientPubSub) {
			return
		}
		w.Array(3)
		w.BulkString("message")
		w.BulkString("__redis__:invalidate")
	}
	if keys == nil {
		w.NullArray()
	} else {
		w.Array(len(keys))
		for _, k := range keys {
			w.Bulk(k)
		}
	}
	target.deliver(w.Buf)
}

// keysChanged runs after a write command: WATCH versions and client-side
// caching invalidations for the command's keys. The keys' shards are held.
func (e *Env) keysChanged(c *Ctx, spec *Spec) {
	if c.changesKnown {
		n := c.changes
		c.changesKnown, c.changes = false, 0
		if n == 0 || c.failed {
			return
		}
		if pos := spec.KeyPositions(c.Args); len(pos) > 0 {
			e.Store.Shard(c.shardIndex(c.Args[pos[0]])).Dirty.Add(n)
		}
	} else {
		e.countChanges(c, spec)
	}
	watching := e.Watching.n.Load() != 0
	tracking := e.Tracking.active.Load() != 0 || e.Tracking.nkeys.Load() != 0
	if !watching && !tracking {
		return
	}
	for _, p := range spec.KeyPositions(c.Args) {
		key := c.Args[p]
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
	if tracking && (spec.Name == "flushall" || spec.Name == "flushdb") {
		e.invalidateAll()
	}
}

// runsScript: the read-only script commands track only through what their
// script reads, like the others.
func runsScript(spec *Spec) bool {
	switch spec.Name {
	case "eval_ro", "evalsha_ro", "fcall_ro":
		return true
	}
	return false
}
