package command

import (
	"github.com/damselfly-db/damselfly/internal/acl"
	"github.com/damselfly-db/damselfly/internal/pubsub"
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/shard"
)

// Client is the state of one connection that commands read and change.
// Fields without a lock are touched only by the connection's own goroutine;
// the ones other clients read (CLIENT LIST, CLIENT KILL) are behind infoMu or
// atomic.
type Client struct {
	ID       int64
	Addr     string // peer "ip:port"
	LAddr    string // local "ip:port"
	FD       int
	Created  time.Time
	Listener string // "main" or "admin", for metrics
	// Thread is the event loop serving the connection (DFLY THREAD); 0
	// for connections served on goroutines of their own.
	Thread int

	DB     int
	Proto  int
	Authed bool
	User   string
	// acl is the user the client runs as (AUTH, HELLO AUTH); nil for
	// the admin console's own client, which may run anything. Atomic:
	// DELUSER and CLIENT KILL USER read it from other connections.
	acl atomic.Pointer[acl.Handle]

	// ReplyMode: 0 on, 1 off, 2 skip the next reply (CLIENT REPLY).
	ReplyMode int
	// ReplyOn: the command that just ran was CLIENT REPLY ON, whose own
	// reply is sent even when it was the command a SKIP applied to.
	ReplyOn bool
	NoEvict bool
	NoTouch bool

	infoMu  sync.Mutex
	name    string
	libName string
	libVer  string

	lastCmd    atomic.Pointer[string]
	lastActive atomic.Int64 // unix ns
	dbShared   atomic.Int32 // copy of DB for other goroutines
	flags      atomic.Uint32
	// Close asks the connection to close after the current batch (QUIT,
	// CLIENT KILL, protocol errors). The server watches it.
	closeReq atomic.Bool
	// Kill is called by CLIENT KILL from another goroutine to interrupt the
	// connection's blocking read. The server sets it.
	Kill func()
	// PeerGone reports, without blocking, whether the peer has closed or
	// reset the connection; commands that wait without a socket watcher
	// (WAIT) poll it so a vanished client does not keep its goroutine.
	// Nil: never known to be gone. The server sets it.
	PeerGone func() bool

	// Stats for CLIENT LIST / INFO, owned by the connection goroutine but
	// read racily-safe through atomics.
	QueryBufLen atomic.Int64
	OutBufLen   atomic.Int64
	TotNetIn    atomic.Int64
	TotNetOut   atomic.Int64
	Cmds        atomic.Int64
	// Conn are the connection's counters for /metrics.
	Conn ConnStats
	// registered is set by Registry.Add: the client then keeps its own
	// command statistics (cmdStats), summed when read.
	registered bool
	cmdStats   statTable

	// Pub/sub: Push queues bytes on the connection outside the reply flow
	// and Flush writes the replies buffered so far; the server sets both.
	Push  func(b []byte)
	Flush func()
	// PushQueue and PushWake split Push for publishers that batch their
	// wake-ups (pubsub.Batch); PubBatch is this client's batch, used only
	// by its connection's goroutine, which flushes it. All optional.
	PushQueue func(b []byte) (wake bool)
	PushWake  func()
	PubBatch  *pubsub.Batch
	ps        *subState
	// subscriber is ps.sub for other goroutines (ACL SETUSER checks the
	// subscriptions of a user's clients).
	subscriber atomic.Pointer[pubsub.Subscriber]
	subCounts  [3]atomic.Int64

	// Client-side caching: tracking is the connection's own view;
	// trackingShared and trackingOn are what other clients read.
	tracking       *trackingState
	trackingShared atomic.Pointer[trackingState]
	trackingOn     atomic.Bool
	// trackingBroken: an invalidation found the redirect target gone
	// (CLIENT TRACKINGINFO's broken_redirect).
	trackingBroken atomic.Bool
	// scriptRead: the running script called a read-only command, so its
	// declared keys are tracked when it ends (Redis's rule).
	scriptRead bool
	// Messages for this client held while it runs a command, written after
	// its reply (tracking_push.go).
	pushMu   sync.Mutex
	pushHeld bool
	held     [][]byte

	// Transaction state, owned by the connection goroutine.
	multi   *multiState
	watched []watchedKey

	// waiter is set while the client is blocked (CLIENT UNBLOCK).
	waiter atomic.Pointer[shard.Waiter]
}

// Client flag bits visible to CLIENT LIST.
const (
	ClientMonitor uint32 = 1 << iota
	ClientPubSub
	ClientMulti
	ClientBlocked
)

// SetACL sets the ACL user the client runs as.
func (c *Client) SetACL(h *acl.Handle) { c.acl.Store(h) }

// ACL returns the ACL user the client runs as, nil if unrestricted.
func (c *Client) ACL() *acl.Handle { return c.acl.Load() }

// SetName changes the connection name (CLIENT SETNAME, HELLO SETNAME).
func (c *Client) SetName(n string) {
	c.infoMu.Lock()
	c.name = n
	c.infoMu.Unlock()
}

// Name returns the connection name.
func (c *Client) Name() string {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	return c.name
}

// SetLib records CLIENT SETINFO LIB-NAME/LIB-VER.
func (c *Client) SetLib(name, ver *string) {
	c.infoMu.Lock()
	if name != nil {
		c.libName = *name
	}
	if ver != nil {
		c.libVer = *ver
	}
	c.infoMu.Unlock()
}

// Lib returns the library name and version.
func (c *Client) Lib() (string, string) {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	return c.libName, c.libVer
}

// Select changes the current database.
func (c *Client) Select(db int) {
	c.DB = db
	c.dbShared.Store(int32(db))
}

// SharedDB is the current database as seen from other goroutines.
func (c *Client) SharedDB() int { return int(c.dbShared.Load()) }

// Touch records a command for idle time and CLIENT LIST's cmd field.
//
// An atomic store is a full barrier on amd64 (XCHG), which waits for the
// command's earlier writes to reach the cache: so a pipeline of one
// command stores the name once, and the time only when it moved by a
// millisecond (CLIENT LIST shows idle= in seconds).
func (c *Client) Touch(cmd *string, now time.Time) {
	if c.lastCmd.Load() != cmd {
		c.lastCmd.Store(cmd)
	}
	ns := now.UnixNano()
	if d := ns - c.lastActive.Load(); d >= int64(time.Millisecond) || d < 0 {
		c.lastActive.Store(ns)
	}
}

// LastCmd is the last command's name.
func (c *Client) LastCmd() string {
	if p := c.lastCmd.Load(); p != nil {
		return *p
	}
	return "NULL"
}

// LastActive is when the last command arrived.
func (c *Client) LastActive() time.Time { return time.Unix(0, c.lastActive.Load()) }

// SetFlag sets or clears a flag bit.
func (c *Client) SetFlag(f uint32, on bool) {
	for {
		old := c.flags.Load()
		nw := old &^ f
		if on {
			nw |= f
		}
		if c.flags.CompareAndSwap(old, nw) {
			return
		}
	}
}

// HasFlag reports a flag bit.
func (c *Client) HasFlag(f uint32) bool { return c.flags.Load()&f != 0 }

// Tracking reports whether client-side caching is on (CLIENT TRACKING):
// invalidations are then pushed to the connection by other goroutines.
func (c *Client) Tracking() bool { return c.trackingOn.Load() }

// RequestClose asks the server to close the connection after this batch.
func (c *Client) RequestClose() { c.closeReq.Store(true) }

// CloseRequested reports whether the connection must close.
func (c *Client) CloseRequested() bool { return c.closeReq.Load() }
