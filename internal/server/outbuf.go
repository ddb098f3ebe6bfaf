package server

import (
	"time"

	"github.com/damselfly-db/damselfly/internal/command"
	"github.com/damselfly-db/damselfly/internal/config"
)

// The "normal" class of client-output-buffer-limit. By default (0 0 0,
// Redis's default) replies are written synchronously: a client that does
// not read stalls only its own connection, whose goroutine waits in the
// write with at most one batch (flushAt plus one reply) buffered, so the
// server's memory is bounded without any limit.
//
// With a normal limit set, replies take Redis's path instead: they are
// queued to the connection's writer (the one pub/sub and MONITOR use) and
// the connection goes on reading and running commands, so a client that
// pipelines and never reads builds up an output buffer, and is closed the
// moment it passes the hard limit, or once it has stayed above the soft
// limit for the soft seconds (checked as more output arrives). A single
// reply bigger than the hard limit closes the client too, as in Redis.

// normalLimit returns the normal class's limit when one is set and this
// client belongs to the class (pub/sub clients have their own).
func (c *conn) normalLimit() (config.BufferLimit, bool) {
	l := c.s.cfg.ClientOutputBufferLimit.Get().Normal
	if l.Hard == 0 && l.Soft == 0 || c.cl.HasFlag(command.ClientPubSub) {
		return l, false
	}
	return l, true
}

// flushQueued hands the batch to the connection's writer under lim; it
// reports false once the client is over its limit and being closed.
func (c *conn) flushQueued(lim config.BufferLimit) bool {
	// The writer is another goroutine, which must not share a raw
	// socket with the event loop.
	c.detach(false)
	c.cl.Conn.Replies.Add(1)
	buf := c.w.Buf
	// The queue owns buf now; the next batch gets a fresh buffer.
	c.w.Buf = make([]byte, 0, initialReadBuf)
	c.push(buf, lim, true)
	c.amu.Lock()
	dead := c.dead
	c.amu.Unlock()
	return !dead
}

// drainQueued waits, up to d, for queued output to reach the socket: a
// client closing on purpose (QUIT) still gets its last replies.
func (c *conn) drainQueued(d time.Duration) {
	deadline := time.Now().Add(d)
	for {
		c.amu.Lock()
		busy := c.asyncOn && !c.dead && (c.pendingBytes > 0 || c.inflight > 0)
		c.amu.Unlock()
		if !busy || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
