package command

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// Client-side caching (CLIENT TRACKING). In the default mode the server
// remembers which clients read which keys; in BCAST mode clients subscribe
// to key prefixes. A change to a key (any write command on it, expiry,
// FLUSHALL) sends an "invalidate" push to the interested clients: a RESP3
// push, or with REDIRECT a __redis__:invalidate pub/sub message to another
// connection. The dispatcher records reads and invalidates writes for
// every command, so families need no code of their own.

type trackingState struct {
	bcast, optin, optout, noloop bool
	redirect                     int64
	prefixes                     []string
	caching                      int8 // CLIENT CACHING: 1 yes, -1 no, 0 unset
}

// Tracking is the server's invalidation table. Its lock is a leaf.
type Tracking struct {
	active atomic.Int64 // clients with tracking on: the hot path checks it
	mu     sync.Mutex
	keys   map[string]map[int64]struct{}
	bcast  map[string]map[int64]struct{} // prefix -> clients
}

func (t *Tracking) enable(id int64, st *trackingState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st.bcast {
		if t.bcast == nil {
			t.bcast = map[string]map[int64]struct{}{}
		}
		prefixes := st.prefixes
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			if t.bcast[p] == nil {
				t.bcast[p] = map[int64]struct{}{}
			}
			t.bcast[p][id] = struct{}{}
		}
	}
}

func (t *Tracking) disable(id int64, st *trackingState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, ids := range t.bcast {
		delete(ids, id)
		if len(ids) == 0 {
			delete(t.bcast, p)
		}
	}
	_ = st
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
	ids[id] = struct{}{}
	t.mu.Unlock()
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
// and the one-command life of CLIENT CACHING.
func (e *Env) afterCommand(c *Ctx, spec *Spec) {
	if spec.Flags&Write != 0 {
		e.keysChanged(c, spec)
	}
	st := c.Client.tracking
	if st == nil {
		return
	}
	if spec.Flags&ReadOnly != 0 {
		e.trackRead(c, spec)
	}
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
// the client that changed it (for NOLOOP), or 0.
func (e *Env) invalidate(key []byte, from int64) {
	if e.Tracking.active.Load() == 0 {
		return
	}
	t := &e.Tracking
	t.mu.Lock()
	var targets []int64
	for id := range t.keys[string(key)] {
		targets = append(targets, id)
	}
	delete(t.keys, string(key))
	for p, ids := range t.bcast {
		if strings.HasPrefix(string(key), p) {
			for id := range ids {
				targets = append(targets, id)
			}
		}
	}
	t.mu.Unlock()
	for _, id := range targets {
		e.sendInvalidation(id, from, [][]byte{key})
	}
}

// invalidateAll is FLUSHALL/FLUSHDB's invalidation: a null key list to
// every tracking client.
func (e *Env) invalidateAll() {
	if e.Tracking.active.Load() == 0 {
		return
	}
	t := &e.Tracking
	t.mu.Lock()
	t.keys = nil
	t.mu.Unlock()
	for _, cl := range e.Clients.List() {
		if cl.trackingOn.Load() {
			e.sendInvalidation(cl.ID, 0, nil)
		}
	}
}

func (e *Env) sendInvalidation(id, from int64, keys [][]byte) {
	cl := e.Clients.Get(id)
	if cl == nil {
		return
	}
	st := cl.trackingShared.Load()
	if st == nil {
		return
	}
	if st.noloop && id == from {
		return
	}
	target := cl
	if st.redirect != 0 {
		target = e.Clients.Get(st.redirect)
		if target == nil {
			return
		}
	}
	if target.Push == nil {
		return
	}
	w := resp.Writer{Proto: target.Proto}
	if target.Proto >= 3 {
		w.Push(2)
		w.BulkString("invalidate")
	} else {
		if !target.HasFlag(ClientPubSub) {
			return // RESP2 redirect target must be subscribed, as in Redis
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
	target.Push(w.Buf)
}

// keysChanged runs after a write command: WATCH versions and client-side
// caching invalidations for the command's keys. The keys' shards are held.
func (e *Env) keysChanged(c *Ctx, spec *Spec) {
	e.countChanges(c, spec)
	watching := e.Watching.n.Load() != 0
	tracking := e.Tracking.active.Load() != 0
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
			e.invalidate(key, c.Client.ID)
		}
	}
	if tracking && (spec.Name == "flushall" || spec.Name == "flushdb") {
		e.invalidateAll()
	}
}

func clientTracking(c *Ctx) {
	on := false
	switch lower(c.Args[2]) {
	case "on":
		on = true
	case "off":
	default:
		c.Err(ErrSyntax)
		return
	}
	st := &trackingState{}
	for i := 3; i < len(c.Args); i++ {
		switch opt := lower(c.Args[i]); {
		case opt == "redirect" && i+1 < len(c.Args):
			id, ok := parseInt(c.Args[i+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if id != c.Client.ID && c.Env.Clients.Get(id) == nil {
				c.Err("ERR The client ID you want redirect to does not exist")
				return
			}
			st.redirect = id
			i++
		case opt == "bcast":
			st.bcast = true
		case opt == "optin":
			st.optin = true
		case opt == "optout":
			st.optout = true
		case opt == "noloop":
			st.noloop = true
		case opt == "prefix" && i+1 < len(c.Args):
			st.prefixes = append(st.prefixes, string(c.Args[i+1]))
			i++
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	cl := c.Client
	if !on {
		if cl.tracking != nil {
			c.Env.Tracking.disable(cl.ID, cl.tracking)
			c.Env.Tracking.active.Add(-1)
		}
		cl.tracking = nil
		cl.trackingShared.Store(nil)
		cl.trackingOn.Store(false)
		c.W.OK()
		return
	}
	if len(st.prefixes) > 0 && !st.bcast {
		c.Err("ERR PREFIX option requires BCAST mode to be enabled")
		return
	}
	if st.optin && st.optout {
		c.Err("ERR You can't specify both OPTIN mode and OPTOUT mode")
		return
	}
	if st.bcast && (st.optin || st.optout) {
		c.Err("ERR OPTIN and OPTOUT are not compatible with BCAST")
		return
	}
	if cl.tracking != nil {
		c.Env.Tracking.disable(cl.ID, cl.tracking)
	} else {
		c.Env.Tracking.active.Add(1)
	}
	cl.tracking = st
	cl.trackingShared.Store(st)
	cl.trackingOn.Store(true)
	c.Env.Tracking.enable(cl.ID, st)
	c.W.OK()
}

func clientCaching(c *Ctx) {
	st := c.Client.tracking
	if st == nil || (!st.optin && !st.optout) {
		c.Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch lower(c.Args[2]) {
	case "yes":
		if !st.optin {
			c.Err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
		st.caching = 2 // survives this command; the next read consumes it
	case "no":
		if !st.optout {
			c.Err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
		st.caching = -2
	default:
		c.Err(ErrSyntax)
		return
	}
	c.W.OK()
}

func clientGetRedir(c *Ctx) {
	st := c.Client.tracking
	switch {
	case st == nil:
		c.W.Int(-1)
	default:
		c.W.Int(st.redirect)
	}
}

func clientTrackingInfo(c *Ctx) {
	st := c.Client.tracking
	var flags []string
	redirect := int64(-1)
	var prefixes []string
	if st == nil {
		flags = []string{"off"}
	} else {
		flags = []string{"on"}
		if st.bcast {
			flags = append(flags, "bcast")
		}
		if st.optin {
			flags = append(flags, "optin")
			if st.caching > 0 {
				flags = append(flags, "caching-yes")
			}
		}
		if st.optout {
			flags = append(flags, "optout")
			if st.caching < 0 {
				flags = append(flags, "caching-no")
			}
		}
		if st.noloop {
			flags = append(flags, "noloop")
		}
		if st.redirect != 0 {
			redirect = st.redirect
			if c.Env.Clients.Get(st.redirect) == nil {
				flags = append(flags, "broken_redirect")
			}
		} else {
			redirect = 0
		}
		prefixes = st.prefixes
	}
	w := c.W
	w.Map(3)
	w.BulkString("flags")
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	w.Int(redirect)
	w.BulkString("prefixes")
	w.Array(len(prefixes))
	for _, p := range prefixes {
		w.BulkString(p)
	}
}

// dropTracking turns tracking off for a client that leaves.
func (e *Env) dropTracking(cl *Client) {
	if cl.tracking != nil {
		e.Tracking.disable(cl.ID, cl.tracking)
		e.Tracking.active.Add(-1)
		cl.tracking = nil
		cl.trackingShared.Store(nil)
		cl.trackingOn.Store(false)
	}
}
