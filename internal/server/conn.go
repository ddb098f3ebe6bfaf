package server

import (
	"errors"
	"github.com/damselfly-db/damselfly/internal/bigcopy"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/damselfly-db/damselfly/internal/command"
	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/pubsub"
	"github.com/damselfly-db/damselfly/internal/resp"
	"github.com/damselfly-db/damselfly/internal/shard"
)

const (
	initialReadBuf = 16 * 1024
	// flushAt bounds the reply bytes buffered within one batch, so a long
	// pipeline of big replies streams instead of piling up in memory.
	flushAt = 64 * 1024
)

type conn struct {
	s  *Server
	nc net.Conn
	// raw is the TCP connection under nc (nc itself without TLS). Kills
	// close it: closing a TLS connection first sends an alert, which can
	// block on a peer that does not read.
	raw net.Conn
	cl  *command.Client
	buf []byte
	end int
	// bufKept: a command of the batch kept part of buf (Ctx.Lent).
	bufKept bool
	w       resp.Writer
	ctx     command.Ctx
	// anchor is a wall-clock reading (with its monotonic part) that each
	// batch's start time is derived from with one monotonic read, since
	// a wall-clock read costs two; it is refreshed every anchorEvery so
	// that a step of the system clock shows within a second (clock.go).
	anchor time.Time
	// lastFlush is how long the last flush's write took.
	lastFlush time.Duration
	// uncounted is how many commands ran since the client's Cmds counter
	// was last advanced; flush advances it before writing, so a peer that
	// has a reply and then scrapes /metrics sees its command counted.
	uncounted int64
	// arena and spans hold the batch's parsed commands (runBatch).
	arena [][]byte
	spans []cmdSpan
	// ahead holds the batch's commands for command.Ctx.Ahead, so a
	// squashed run can prefetch the keys of the commands after it.
	ahead [][][]byte
	args  [][]byte // the parser's scratch

	// Event-loop connections (eventloop.go): lp is the loop, ls the
	// socket (also raw and, until handed off, nc) and fd its descriptor.
	// stepSeq is the loop's step counter of the step serving c;
	// detached is set once c left the loop for a goroutine of its own;
	// lastRead feeds the loop's idle-timeout sweep.
	lp       *loop
	ls       *loopSock
	fd       int
	stepSeq  uint64
	detached bool
	// pre is a read the loop made ahead of c's step (loop.readAhead).
	pre      preRead
	lastRead time.Time

	// rc reads a plain TCP connection's descriptor (bufpool.go; nil under
	// TLS, whose bytes must go through nc); readFn is its callback, made
	// once, and rn/rerr its results. rbox and wbox are the heap boxes that
	// carry buffers to the pools.
	rc         syscall.RawConn
	readFn     func(fd uintptr) bool
	rn         int
	rerr       error
	rbox, wbox *[]byte
	// pb holds the wake-ups of subscribers this connection published to
	// in its current batch; flush and the end of a batch make them.
	pb pubsub.Batch

	// wmu serialises writes to nc between the reply path and asynchronous
	// pushes (MONITOR lines, pub/sub messages).
	wmu sync.Mutex

	amu          sync.Mutex
	pending      [][]byte
	pendingBytes int
	// tailOwned: pending's last buffer is the connection's own, and small
	// pushes are copied onto its end (coalesce); spare is that buffer
	// back from the writer, and spareList pending's backing array, so a
	// steady stream of messages allocates nothing per message.
	tailOwned bool
	spare     []byte
	spareList [][]byte
	notify    chan struct{}
	asyncOn   bool
	// queued: the writer has been started (asyncOn, readable without
	// amu); from then on replies queue behind what it carries (flush).
	queued     atomic.Bool
	closed     chan struct{}
	monitoring bool
	softSince  time.Time // when the async queue went over its soft limit
	dead       bool      // disconnected for its output buffer
	inflight   int       // async bytes handed to the socket, not yet written
	skipNext   bool

	// sniffing is true until the first bytes tell HTTP from RESP;
	// handedOff once the connection belongs to the HTTP server.
	sniffing  bool
	handedOff bool
	other     bool // not the main listener: commands count as "other"
}

func (s *Server) newConn(nc, raw net.Conn, listener string) *conn {
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		if ka := s.cfg.TCPKeepalive.Get(); ka > 0 {
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Duration(ka) * time.Second, Interval: time.Duration(ka) * time.Second / 3, Count: 3})
		}
	}
	cl := &command.Client{
		ID:       s.env.Clients.NextID(),
		Addr:     nc.RemoteAddr().String(),
		LAddr:    nc.LocalAddr().String(),
		Created:  time.Now(),
		Listener: listener,
		Proto:    2,
		User:     "default",
	}
	cl.Authed = !s.env.ACL.AuthRequired() || listener == "admin" && s.cfg.AdminNoPass
	cl.SetACL(s.env.ACL.Default())
	cl.FD = fdOf(raw)
	c := &conn{s: s, nc: nc, raw: raw, cl: cl, closed: make(chan struct{}),
		sniffing: true, other: listener != "main", anchor: time.Now()}
	if tc, ok := nc.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			c.rc = rc
			c.readFn = c.rawRead
		}
	}
	c.w.Proto = 2
	c.ctx = command.Ctx{Env: s.env, Client: cl, W: &c.w}
	cl.Kill = func() { raw.Close() }
	cl.PeerGone = c.peerGone
	cl.Push = c.pushPubSub
	cl.PushQueue = c.queuePubSub
	cl.PushWake = c.wake
	cl.PubBatch = &c.pb
	cl.Flush = func() { c.flush() }
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.nconns.Add(1)
	s.env.Clients.Add(cl)
	return c
}

// peerGone peeks at the socket without waiting: end of input (the
// client closed, or the read side was shut for shutdown) or an error
// such as a reset means nobody is there to read a reply.
func (c *conn) peerGone() bool {
	// c.raw: under TLS the socket under the TLS layer.
	sc, ok := c.raw.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	gone := false
	rerr := raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		gone = (n == 0 && err == nil) || (err != nil && err != syscall.EAGAIN && err != syscall.EINTR)
		return true
	})
	return gone || rerr != nil
}

func fdOf(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

func (c *conn) serve() {
	defer c.cleanup()
	if !c.handshake() {
		return
	}
	if c.refused() {
		return
	}
	c.serveLoop()
}

// refused turns away, with Redis's message, a client that protected mode
// does not serve.
func (c *conn) refused() bool {
	if !c.s.protectedRefuses(c.cl.Addr) {
		return false
	}
	c.s.env.Stats.ConnectionsReceived.Add(1)
	c.s.env.Stats.RejectedConnections.Add(1)
	refuse(c.nc, errProtectedMode)
	return true
}

// serveLoop is the goroutine-per-connection loop: read, run, reply, until
// the connection closes. Event-loop connections run it once handed off.
func (c *conn) serveLoop() {
	for {
		if t := c.s.cfg.Timeout.Get(); t > 0 {
			if c.cl.HasFlag(command.ClientPubSub | command.ClientMonitor | command.ClientBlocked) {
				// Exempt, as in Redis; clear the deadline set before the
				// SUBSCRIBE or MONITOR that made it so.
				c.nc.SetReadDeadline(time.Time{})
			} else {
				c.nc.SetReadDeadline(time.Now().Add(time.Duration(t) * time.Second))
			}
		}
		c.ensureReadBuf()
		if c.end == len(c.buf) {
			if !c.grow() {
				return
			}
		}
		n, err := c.read()
		if !c.handle(n, err) {
			return
		}
	}
}

// handle takes the result of one read: it sniffs HTTP on a new
// connection, runs the complete commands and flushes their replies. It
// reports false when the connection must close (or was given to HTTP).
func (c *conn) handle(n int, err error) bool {
	env := c.s.env
	if n > 0 {
		c.end += n
		c.cl.TotNetIn.Add(int64(n))
		c.cl.Conn.Reads.Add(1)
	}
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && err != errEOF {
			c.s.log.Debug("client read error", "addr", c.cl.Addr, "err", err)
		}
		return false
	}
	if c.sniffing {
		switch sniff(c.buf[:c.end]) {
		case sniffMore:
			return true
		case sniffHTTP:
			c.detach(false)
			c.handoffHTTP()
			return false
		}
		// Counted once it is known to be a client: HTTP requests (a
		// scrape every few seconds) are not connections in INFO's sense.
		env.Stats.ConnectionsReceived.Add(1)
		c.sniffing = false
	}
	// While the batch runs its bytes are in the query buffer, as in
	// Redis (CLIENT LIST/INFO show qbuf=26 for a lone CLIENT INFO).
	c.cl.QueryBufLen.Store(int64(c.end))
	pos, _, ok := c.runBatch(&c.args)
	c.pb.Flush()
	c.countCmds()
	if !ok {
		return false
	}
	if c.w.Len() > 0 && !c.flush() {
		return false
	}
	if c.bufKept {
		// A command kept part of the buffer (a big value): the rest of it
		// must not be written again. The unparsed tail moves to a new one.
		c.bufKept = false
		tail := c.buf[pos:c.end]
		c.buf, c.rbox = nil, nil
		if len(tail) > readBufSize {
			c.buf = make([]byte, 2*len(tail))
		} else {
			c.ensureReadBuf()
		}
		c.end, pos = copy(c.buf, tail), 0
		c.cl.Conn.BufResizes.Add(1)
	}
	// Keep the unparsed tail at the front of the buffer.
	if pos > 0 {
		c.end = copy(c.buf, c.buf[pos:c.end])
	}
	c.cl.QueryBufLen.Store(int64(c.end))
	if c.end == 0 && len(c.buf) > 4*initialReadBuf {
		c.buf = nil // give back a big-value buffer; read takes a pooled one
		c.cl.Conn.BufResizes.Add(1)
	}
	return true
}

// lendMin is the size from which an argument is lent to its command
// (Ctx.Lent): a value that big was read into a buffer grown for it.
const lendMin = 1 << 20

// lendable returns the argument of args the command may keep instead of
// copying: one of at least lendMin bytes that fills at least half of the
// read buffer, so that keeping the buffer wastes less than the value.
func (c *conn) lendable(args [][]byte) []byte {
	for _, a := range args[1:] {
		if len(a) >= lendMin && 2*len(a) >= len(c.buf) {
			return a
		}
	}
	return nil
}

// cmdSpan is one parsed command of a batch: its arguments are
// c.arena[from:to], sub-slices of the read buffer.
type cmdSpan struct{ from, to int }

// runBatch parses the complete commands in the buffer and runs them in
// order, buffering their replies. Parsing the batch first tells how many
// commands are queued, which decides pipeline squashing; a client that has
// not authenticated is parsed one command at a time, since AUTH changes
// the parser's limits. It returns where parsing stopped, how many commands
// ran, and false when the connection must close.
func (c *conn) runBatch(scratch *[][]byte) (pos, cmds int, ok bool) {
	env := c.s.env
	// Pipeline accounting: the batch starts when its first command
	// does; see command.ConnStats.
	var batchStart time.Time
	var firstLat, latSum, waitSum time.Duration
	c.ensureWriteBuf()
	c.ctx.Next = c.now() // the batch's one clock read
	defer c.ctx.EndSquash()
	defer func() { c.ctx.Ahead = nil }()
	for pos < c.end {
		lim := resp.Limits{MaxBulk: c.s.cfg.ProtoMaxBulkLen.Get(), Unauthenticated: !c.cl.Authed}
		c.arena = c.arena[:0]
		c.spans = c.spans[:0]
		var perr error
		for pos < c.end {
			args, used, err := resp.ParseCommand(c.buf[pos:c.end], *scratch, lim)
			*scratch = args
			if err != nil {
				perr = err
				break
			}
			if used == 0 {
				break
			}
			pos += used
			if len(args) == 0 {
				continue
			}
			from := len(c.arena)
			c.arena = append(c.arena, args...)
			c.spans = append(c.spans, cmdSpan{from, len(c.arena)})
			if lim.Unauthenticated {
				break
			}
		}
		sq := c.s.cfg.PipelineSquash.Get()
		c.ctx.Squash = sq > 0 && int64(len(c.spans)) > sq
		c.ahead = c.ahead[:0]
		if c.ctx.Squash {
			for _, sp := range c.spans {
				c.ahead = append(c.ahead, c.arena[sp.from:sp.to:sp.to])
			}
		}
		for k, sp := range c.spans {
			if c.ctx.Squash {
				c.ctx.Ahead = c.ahead[k+1:]
			}
			args := c.arena[sp.from:sp.to:sp.to]
			if len(c.buf) >= lendMin {
				c.ctx.Lent = c.lendable(args)
			}
			blocked := c.exec(args)
			if c.ctx.Lent != nil {
				c.bufKept = c.bufKept || c.ctx.Kept
				c.ctx.Lent, c.ctx.Kept = nil, false
			}
			cmds++
			c.uncounted++
			if st := c.ctx.Started; !st.IsZero() {
				if batchStart.IsZero() {
					batchStart = st
				}
				lat := st.Add(c.ctx.Took).Sub(batchStart)
				switch {
				case cmds == 1:
					firstLat = lat
				case cmds == 2:
					c.cl.Conn.PipeHistogram(firstLat)
					latSum += firstLat
					fallthrough
				default:
					c.cl.Conn.PipeHistogram(lat)
					latSum += lat
					waitSum += st.Sub(batchStart)
				}
			}
			if blocked {
				if cmds > 1 || k < len(c.spans)-1 || pos < c.end {
					c.cl.Conn.PipeBlocked.Add(1)
				}
				c.ctx.Next = time.Time{} // it waited: read the clock again
			}
			if c.cl.CloseRequested() {
				c.flush()
				c.drainQueued(time.Second)
				return pos, cmds, false
			}
			if c.w.Len() >= flushAt {
				if !c.flush() {
					return pos, cmds, false
				}
			}
		}
		if perr != nil {
			env.Stats.ProtocolErrors.Add(1)
			c.s.log.Debug("protocol error", "addr", c.cl.Addr, "err", perr)
			c.w.Error(perr.Error())
			c.flush()
			return pos, cmds, false
		}
		if len(c.spans) == 0 {
			break // an incomplete command: read more
		}
	}
	if cmds > 1 {
		c.cl.Conn.PipeCmds.Add(int64(cmds))
		c.cl.Conn.PipeBatches.Add(1)
		c.cl.Conn.PipeLatNs.Add(int64(latSum))
		c.cl.Conn.PipeWaitNs.Add(int64(waitSum))
		if c.w.Len() > 0 {
			ok := c.flush()
			c.cl.Conn.PipeFlushes.Add(1)
			c.cl.Conn.PipeFlushNs.Add(int64(c.lastFlush))
			if !ok {
				return pos, cmds, false
			}
		}
	}
	return pos, cmds, true
}

// grow enlarges the read buffer for a command that does not fit. Without
// a known size it doubles. When the command's size is known (a big bulk
// announced), the buffer grows fourfold until the announced size is within
// eight times what it holds, then to exactly that size: a peer that merely
// claims 512 MB makes us allocate at most eight times what it sent, and a
// 512 MB value is read through six buffers, the last one exact. (Plain
// doubling that fitted the size only once doubling overshot it went
// through a 512 MB buffer 35 header bytes too small, copying 1 GB on the
// way.) It also enforces the query-buffer limit.
func (c *conn) grow() bool {
	need := resp.BulkNeeded(c.buf[:c.end])
	size := 2 * len(c.buf)
	if need > len(c.buf) {
		size = 4 * len(c.buf)
		if need <= 8*len(c.buf) {
			size = need
		}
	}
	if limit := c.s.cfg.QueryBufferLimit.Get(); limit > 0 && int64(size) > limit {
		if int64(len(c.buf)) >= limit {
			c.s.log.Warn("closing client that reached max query buffer length", "addr", c.cl.Addr, "qbuf", c.end, "limit", limit)
			return false
		}
		size = int(limit)
	}
	nb := make([]byte, size)
	bigcopy.Copy(nb, c.buf[:c.end])
	c.buf = nb
	c.cl.Conn.BufResizes.Add(1)
	return true
}

// exec runs one command, honouring CLIENT REPLY OFF/SKIP. SKIP drops the
// reply of the command after it, as Redis's CLIENT_REPLY_SKIP_NEXT does.
// It reports whether the command blocked.
func (c *conn) exec(args [][]byte) (blocked bool) {
	mark := c.w.Len()
	skip := c.skipNext
	c.skipNext = false
	c.ctx.Args = args
	c.s.env.Exec(&c.ctx)
	if w, timeout := c.ctx.TakeBlocked(); w != nil {
		blocked = true
		c.awaitBlocked(w, timeout)
	}
	if (skip && !c.cl.ReplyOn) || c.cl.ReplyMode == 1 {
		c.w.Buf = c.w.Buf[:mark]
	}
	c.cl.ReplyOn = false
	if c.cl.ReplyMode == 2 {
		c.skipNext = true
		c.cl.ReplyMode = 0
	}
	if c.lp != nil && !c.detached && c.wantsDetach() {
		c.detach(false)
	}
	if c.cl.HasFlag(command.ClientMonitor) && !c.monitoring {
		// MONITOR's +OK goes out in a write of its own before the client
		// joins the hub, so no line can overtake it, and none shares its
		// segment: ioredis switches to monitor mode only after the +OK,
		// and a line read in the same chunk was taken for a reply to
		// nothing (its monitor() then failed, about one call in 13 when
		// the +OK was queued with the first lines). The client joins
		// microseconds after the write, before it can act on the +OK, so
		// every command it sends after is shown.
		c.monitoring = true
		c.flush()
		send := func(line []byte) { c.push(line, config.BufferLimit{Hard: monitorLimit}, true) }
		c.s.env.Monitor.Add(c.cl, send)
	}
	if !c.cl.HasFlag(command.ClientMonitor) && c.monitoring {
		c.monitoring = false
		c.s.env.Monitor.Remove(c.cl)
	}
	return blocked
}

// flush writes the buffered replies with one write call.
// countCmds adds the commands run since the last call to the client's
// counter: one uncontended atomic add per batch rather than per command.
func (c *conn) countCmds() {
	c.ctx.FlushStats()
	if c.uncounted > 0 {
		c.cl.Cmds.Add(c.uncounted)
		c.uncounted = 0
	}
}

func (c *conn) flush() bool {
	// Never write to the socket holding a shard: a slow reader would
	// stall every client of that shard.
	c.ctx.EndSquash()
	c.countCmds()
	// Subscribers go first: the publisher's own reply may take a while.
	c.pb.Flush()
	if c.w.Len() == 0 {
		return true
	}
	if lim, ok := c.normalLimit(); ok {
		return c.flushQueued(lim)
	}
	if c.queued.Load() && !c.cl.Tracking() && c.queueBusy() {
		// The connection's writer carries pub/sub confirmations and
		// messages or MONITOR lines: a reply written here directly could
		// overtake them (SUBSCRIBE a, then PING in one pipeline answered
		// PONG before the confirmation). Queue behind. (A tracking
		// client's invalidations have their own hand-over, holdPushes.)
		lim := config.BufferLimit{}
		if c.cl.HasFlag(command.ClientPubSub) {
			lim = c.pubsubLimit()
		}
		return c.flushQueued(lim)
	}
	// Counted before the write: once the peer has the reply, a scrape it
	// triggers must already see it.
	c.cl.Conn.Replies.Add(1)
	c.wmu.Lock()
	// The write starts where the last command ended (ctx.Next, already
	// known), so timing it costs one monotonic read; its end is where
	// the next command of the batch starts.
	start := c.ctx.Next
	if start.IsZero() {
		start = c.now()
	}
	var n int
	var err error
	if c.lp != nil && !c.detached {
		n, err = c.loopWrite(c.w.Buf)
	} else {
		n, err = c.nc.Write(c.w.Buf)
	}
	c.lastFlush = time.Since(start)
	c.ctx.Next = start.Add(c.lastFlush)
	c.cl.Conn.ReplyNanos.Add(int64(c.lastFlush))
	c.wmu.Unlock()
	c.cl.TotNetOut.Add(int64(n))
	if cap(c.w.Buf) > 1<<20 {
		c.w.Buf, c.wbox = nil, nil // a burst's buffer: drop it, take a pooled one next
	} else {
		c.w.Reset()
	}
	return err == nil
}

// queueBusy reports whether the connection's writer still holds output.
func (c *conn) queueBusy() bool {
	c.amu.Lock()
	defer c.amu.Unlock()
	return !c.dead && (len(c.pending) > 0 || c.inflight > 0)
}

// pushPubSub queues a pub/sub message under the "pubsub" class of
// client-output-buffer-limit.
func (c *conn) pushPubSub(b []byte) {
	c.push(b, c.pubsubLimit(), true)
}

// queuePubSub is pushPubSub for a publisher that wakes the writer itself
// at the end of its batch (pubsub.Batch): it reports whether it owes
// that wake-up.
func (c *conn) queuePubSub(b []byte) bool {
	return c.push(b, c.pubsubLimit(), false)
}

func (c *conn) pubsubLimit() config.BufferLimit {
	l := c.s.cfg.ClientOutputBufferLimit.Get().PubSub
	return config.BufferLimit{Hard: l.Hard, Soft: l.Soft, SoftSeconds: l.SoftSeconds}
}

// wake has the writer write what is queued. push created the writer and
// its channel (under amu) before any wake-up was owed.
func (c *conn) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// deferMax bounds what a deferred wake-up lets pile up: past it the
// writer is woken at once.
const deferMax = 64 * 1024

// push queues bytes to send outside the request/reply flow (MONITOR,
// pub/sub). It never blocks the caller. Like Redis's
// client-output-buffer-limit, a client whose queue passes the hard limit,
// or stays above the soft limit for longer than its seconds, is
// disconnected, so one slow reader cannot grow the server's memory.
//
// With now false the caller wakes the writer later, when push reports
// that a wake-up is owed: the queue was empty, so no one else owes one.
// Writes stay in queue order whoever wakes the writer.
func (c *conn) push(b []byte, lim config.BufferLimit, now bool) (owed bool) {
	c.amu.Lock()
	if c.dead {
		c.amu.Unlock()
		return false
	}
	if !c.asyncOn {
		c.asyncOn = true
		c.queued.Store(true)
		c.notify = make(chan struct{}, 1)
		go c.asyncWriter()
	}
	wasEmpty := len(c.pending) == 0
	c.queue(b)
	c.pendingBytes += len(b)
	// Bytes being written count too: they are still held in memory.
	pending := int64(c.pendingBytes + c.inflight)
	over := lim.Hard > 0 && pending > lim.Hard
	if lim.Soft > 0 && pending > lim.Soft {
		now := time.Now()
		if c.softSince.IsZero() {
			c.softSince = now
		} else if now.Sub(c.softSince) > time.Duration(lim.SoftSeconds)*time.Second {
			over = true
		}
	} else {
		c.softSince = time.Time{}
	}
	if over {
		c.dead = true
		c.pending = nil
		c.tailOwned = false
		c.pendingBytes = 0
	}
	c.cl.OutBufLen.Store(int64(c.pendingBytes))
	big := c.pendingBytes >= deferMax
	c.amu.Unlock()
	if over {
		c.s.log.Warn("client scheduled to be closed for overcoming of output buffer limits", "addr", c.cl.Addr, "id", c.cl.ID, "bytes", pending)
		c.cl.RequestClose()
		c.raw.Close()
		return false
	}
	if now || big {
		c.wake()
		return false
	}
	return wasEmpty
}

// Pushes up to coalesceMax bytes are copied into one buffer of the
// connection's, so a stream of small messages is one buffer to write and
// no per-message slice to grow and scan; bigger ones are queued as they
// are. A spare buffer up to maxSpare is kept for the next burst.
const (
	coalesceMax = pubsub.CopyMax
	maxSpare    = 64 * 1024
)

// queue appends b to the pending output; c.amu is held.
func (c *conn) queue(b []byte) {
	if len(b) > coalesceMax {
		c.pending = append(c.pending, b)
		c.tailOwned = false
		return
	}
	if n := len(c.pending); n > 0 && c.tailOwned && len(c.pending[n-1])+len(b) <= cap(c.pending[n-1]) {
		c.pending[n-1] = append(c.pending[n-1], b...)
		return
	}
	// A full tail is not grown: growing copied the whole burst each
	// time it doubled, and a buffer grown past maxSpare was not kept, so
	// every burst of a busy subscriber started small and was copied again
	// (3 % of the CPU of the Directus mix). A new chunk joins the writev.
	buf := c.spare
	c.spare = nil
	if buf == nil || cap(buf) < len(b) {
		buf = make([]byte, 0, max(2*coalesceMax, len(b)))
	}
	c.pending = append(c.pending, append(buf, b...))
	c.tailOwned = true
}

func (c *conn) asyncWriter() {
	for {
		select {
		case <-c.closed:
			return
		case <-c.notify:
		}
		// The push that woke us made us the scheduler's next goroutine,
		// ahead of the publishers the poller has already made runnable:
		// written at once, every message cost a write system call of its
		// own (80 000 writev for 200 000 messages at 50 publishers and 2
		// subscribers, against Redis's 13 600 writes, which it makes once
		// per event-loop pass). Yielding once lets those publishers queue
		// their messages first, so one write carries them all, the way
		// Redis's pass does.
		runtime.Gosched()
		c.amu.Lock()
		list := c.pending
		if len(list) == 0 {
			c.amu.Unlock()
			continue // a wake-up whose bytes an earlier pass wrote
		}
		var owned []byte
		if c.tailOwned {
			owned = list[len(list)-1]
		}
		c.inflight = c.pendingBytes
		c.pending, c.spareList = c.spareList, nil
		c.tailOwned = false
		c.pendingBytes = 0
		c.amu.Unlock()
		var n int64
		var err error
		c.wmu.Lock()
		if len(list) == 1 {
			var k int
			k, err = c.nc.Write(list[0])
			n = int64(k)
		} else {
			bufs := net.Buffers(list)
			n, err = bufs.WriteTo(c.nc)
		}
		c.wmu.Unlock()
		c.cl.TotNetOut.Add(n)
		clear(list)
		c.amu.Lock()
		c.inflight = 0
		if cap(list) <= 1024 {
			c.spareList = list[:0]
		}
		if owned != nil && cap(owned) <= maxSpare {
			c.spare = owned[:0]
		}
		c.cl.OutBufLen.Store(int64(c.pendingBytes))
		c.amu.Unlock()
		if err != nil {
			c.raw.Close()
			return
		}
	}
}

func (c *conn) cleanup() {
	c.ctx.EndSquash()
	c.pb.Flush()
	close(c.closed)
	if !c.handedOff {
		c.nc.Close()
	}
	c.s.env.Monitor.Remove(c.cl)
	c.s.env.ClientGone(c.cl)
	c.ctx.FlushStats()
	c.s.env.RemoveClient(c.cl)
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	c.s.nconns.Add(-1)
}

// awaitBlocked parks the connection while its command is blocked. Replies
// already produced by the pipeline go out first. Meanwhile a reader watches
// the socket, so a client that disconnects is noticed at once (its waiter
// is cancelled and no data is handed to it), and bytes it pipelines behind
// the blocking command are kept for afterwards.
func (c *conn) awaitBlocked(w *shard.Waiter, timeout time.Duration) {
	c.detach(false)
	c.flush()
	// The idle timeout (config "timeout") does not apply while blocked,
	// and a deadline left from the last read would stop the watcher.
	c.nc.SetReadDeadline(time.Time{})
	gone := make(chan struct{})
	stopped := make(chan struct{})
	var extra []byte
	go func() {
		defer close(stopped)
		buf := make([]byte, 4096)
		for {
			n, err := c.nc.Read(buf)
			extra = append(extra, buf[:n]...)
			if err != nil {
				var ne net.Error
				if !(errors.As(err, &ne) && ne.Timeout()) {
					close(gone)
				}
				return
			}
		}
	}()
	c.s.env.AwaitBlocked(&c.ctx, w, timeout, gone)
	c.nc.SetReadDeadline(time.Now()) // stop the watcher
	<-stopped
	c.nc.SetReadDeadline(time.Time{})
	if len(extra) > 0 {
		for c.end+len(extra) > len(c.buf) {
			if !c.grow() {
				c.cl.RequestClose()
				return
			}
		}
		c.end += copy(c.buf[c.end:], extra)
	}
	select {
	case <-gone:
		c.cl.RequestClose()
	default:
	}
}

// handoffHTTP gives the connection, with the bytes already read, to the
// port's HTTP server; the RESP side forgets it.
func (c *conn) handoffHTTP() {
	p := c.s.httpMain
	if c.other {
		p = c.s.httpAdmin
	}
	if p == nil {
		return
	}
	c.nc.SetReadDeadline(time.Time{})
	if p.handoff(c.nc, c.buf[:c.end]) {
		c.handedOff = true
	}
}
