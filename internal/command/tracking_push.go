package command

import (
	"runtime"
	"time"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// Invalidation messages never land in the middle of a client's reply.
// Redis 7.0 sends the ones a client's own command causes right after that
// command's reply (HDEL of a key the client read: the :1 first, then the
// push); a connection's replies and its pushes go out through different
// queues here, so a message meant for a client that is running a command
// is held and appended to its reply buffer once the reply is written.
// Messages caused before the command runs (eviction to make room for it)
// are appended before the reply, as in Redis.

// holdPushes starts holding messages for cl.
func (cl *Client) holdPushes() {
	cl.pushMu.Lock()
	cl.pushHeld = true
	cl.pushMu.Unlock()
}

// writeHeld appends the messages held so far to w; with release it also
// stops holding. With w nil (the reply is being dropped, CLIENT REPLY
// OFF) they are pushed instead: pushes ignore CLIENT REPLY, as in Redis.
func (cl *Client) writeHeld(w *resp.Writer, release bool) {
	cl.pushMu.Lock()
	held := cl.held
	cl.held = nil
	if release {
		cl.pushHeld = false
	}
	cl.pushMu.Unlock()
	for _, b := range held {
		if w != nil {
			w.Raw(b)
		} else if cl.Push != nil {
			cl.Push(b)
		}
	}
}

// deliver sends b to cl now, or holds it while cl runs a command.
func (cl *Client) deliver(b []byte) {
	cl.pushMu.Lock()
	if cl.pushHeld {
		cl.held = append(cl.held, b)
		cl.pushMu.Unlock()
		return
	}
	cl.pushMu.Unlock()
	if cl.Push != nil {
		cl.Push(b)
	}
}

// replyWriter is where held messages go after c's reply: its reply
// buffer, or nil when CLIENT REPLY OFF drops the reply.
func (c *Ctx) replyWriter() *resp.Writer {
	if c.Client.ReplyMode == 1 {
		return nil
	}
	return c.W
}

// execTracked is Exec while some client tracks keys: the table is kept
// under tracking-table-max-keys, the client's own messages are held
// around its command, and the BCAST keys the command changed are sent
// when it ends.
func (e *Env) execTracked(c *Ctx) {
	cl := c.Client
	if e.Tracking.maxKeys.Load() > 0 && e.Tracking.nkeys.Load() > e.Tracking.maxKeys.Load() {
		e.limitTrackingTable()
	}
	hold := cl.trackingOn.Load()
	if hold {
		awaitQueuedPushes(cl)
		cl.holdPushes()
	}
	c.pushesHeld = hold
	e.exec(c)
	c.pushesHeld = false
	e.flushBcast()
	if hold {
		cl.writeHeld(c.replyWriter(), true)
	}
}

// WatchTrackingConfig applies tracking-table-max-keys now and whenever
// CONFIG SET changes it (shrinking it evicts keys from the table at once).
func (e *Env) WatchTrackingConfig() {
	apply := func() {
		if v := e.Config.Get("tracking-table-max-keys"); len(v) == 1 {
			n, _ := parseInt([]byte(v[0][1]))
			e.Tracking.maxKeys.Store(n)
		}
		e.limitTrackingTable()
	}
	apply()
	e.Config.OnChange("tracking-table-max-keys", apply)
}

// awaitQueuedPushes lets the connection's writer send the messages queued
// for cl (an invalidation from another client's write) before cl's next
// reply, which goes out by another path and could overtake them: Redis
// sends them first, and clients read them as the reply to a PING that
// followed. The wait is bounded, so a client that does not read cannot
// stall its own commands for long.
func awaitQueuedPushes(cl *Client) {
	if cl.OutBufLen.Load() == 0 {
		return
	}
	// Sleeping, not yielding: the writer, made runnable by another
	// client's goroutine, may wait behind a yielding goroutine for long.
	deadline := time.Now().Add(2 * time.Millisecond)
	for i := 0; cl.OutBufLen.Load() > 0 && time.Now().Before(deadline); i++ {
		if i < 3 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
}
