package server

// The event loop (--event_loop, on by default) serves the plain-TCP
// clients of the client port the way Redis and Dragonfly do: one epoll
// instance per proactor thread, whose loop waits for a batch of ready
// connections, reads each once (all of them first, to prefetch their
// keys: readahead.go), and for each runs the complete commands and
// writes the replies once, then goes to the next. A goroutine per
// connection costs, per request, a probing read that returns EAGAIN, a
// park in Go's poller and a wake-up through the scheduler; the loop pays
// one epoll_wait per batch of ready clients instead (a non-blocking one
// while it is busy; an idle loop parks in Go's poller on its epoll
// descriptor, so no thread sits in a blocking system call).
//
// A loop must never wait for one connection. Whatever can make a
// connection wait is handed off: the connection leaves the epoll set, a
// new goroutine takes over the loop, and the goroutine that was serving
// the connection carries on as its own, with today's goroutine-per-
// connection serve loop on a real net.Conn (loopSock.convert). The
// hand-off happens in two ways:
//
//   - On purpose (conn.detach), where the server knows a wait or an
//     asynchronous writer is coming: a blocking command that really blocks
//     (awaitBlocked: BLPOP, XREAD BLOCK, BLMOVE...), a client that became a
//     subscriber, a MONITOR or a tracking client (messages are pushed to
//     it by other goroutines), a reply the peer does not read fast enough
//     (the write says EAGAIN), replies queued under a normal
//     client-output-buffer-limit, and HTTP sniffed on the port. Such a
//     connection stays detached for the rest of its life.
//   - By the watchdog, for everything else that takes long: a busy script,
//     DEBUG SLEEP, a CLIENT PAUSE hold, WAIT, a long MULTI/EXEC, KEYS over
//     a big keyspace, a goroutine descheduled by a busy machine. Every
//     watchdogTick it looks at each loop's step counter; one that has not
//     moved across a whole tick while inside a step loses the loop: the
//     watchdog removes the connection from the epoll set and starts a new
//     loop goroutine. The slow step finishes on its goroutine, which then
//     puts the connection back into the epoll set (still a raw socket,
//     nothing converted) and exits. No command code needs a hook.
//
// The step counter (loop.seq) is odd while a step runs. Only the loop's
// goroutine starts a step; ending one is a compare-and-swap that fails if
// the watchdog (or the step itself, detaching) has taken the loop away, so
// exactly one goroutine runs the loop at any time. The epoll set is level
// triggered, so events a goroutine drops when it loses the loop are simply
// reported again to the next one; the requests it had already read ahead
// (readahead.go) it hands back explicitly.
//
// Connections that close on the loop are closed by it; other goroutines
// (CLIENT KILL, timeouts, shutdown) shut the socket, which the loop then
// reads as end of input (loopSock). The idle timeout is the loop's sweep:
// at most once a second it shuts connections idle for longer than
// "timeout".

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/damselfly-db/damselfly/internal/command"
)

const (
	// loopEvents is how many ready connections one epoll_wait returns.
	loopEvents = 256
	// watchdogTick is how often the watchdog looks: a step that runs for
	// longer than one to two ticks loses its loop.
	watchdogTick = 4 * time.Millisecond
	// watchdogIdleTick is the watchdog's period once nothing has run for
	// a second.
	watchdogIdleTick = 50 * time.Millisecond
	// sweepEvery is how often a loop checks its connections' idle time.
	sweepEvery = time.Second
)

type loop struct {
	s    *Server
	idx  int // position in Server.loops (DFLY THREAD)
	epfd int
	// file is the epoll descriptor as an *os.File: the descriptor is
	// itself pollable, so an idle loop parks in Go's poller (rc.Read)
	// like any goroutine waiting for a socket, instead of holding a
	// thread and its P in a blocking epoll_wait. Closing it stops the
	// loop.
	file *os.File
	rc   syscall.RawConn

	mu    sync.Mutex
	conns map[int32]*conn // the connections in the epoll set, by descriptor
	// Reading ahead (readahead.go): batch lists the connections of the
	// running batch that were read ahead, stepIdx is the position in the
	// batch of the step running (atomic: takeOver reads it), pending the
	// connections handed back to the next goroutine, and efd the eventfd
	// in the epoll set that wakes the loop for them.
	batch   []aheadConn
	stepIdx atomic.Int32
	peeks   []command.KeyPeek // readAhead's scratch
	ahead   []aheadConn       // readAhead's scratch
	pending []*conn
	efd     int
	wake    *os.File
	wakeRC  syscall.RawConn

	seq atomic.Uint64        // odd while a goroutine runs a step
	cur atomic.Pointer[conn] // the connection of the current step
	// seen is the watchdog's last reading of seq (watchdog goroutine only).
	seen uint64

	closing atomic.Bool
	// served counts the connections in the epoll set (pickLoop).
	served atomic.Int32
	// lastSweep: when the idle sweep last ran; deadline: a read deadline
	// is set on file (both the running loop goroutine's).
	lastSweep time.Time
	deadline  bool
}

func newLoop(s *Server) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("epoll: %w", err)
	}
	l := &loop{s: s, epfd: epfd, conns: map[int32]*conn{}, lastSweep: time.Now()}
	l.file = os.NewFile(uintptr(epfd), "epoll")
	if l.rc, err = l.file.SyscallConn(); err != nil {
		l.file.Close()
		return nil, fmt.Errorf("epoll: %w", err)
	}
	if err := l.openWake(); err != nil {
		l.file.Close()
		return nil, err
	}
	return l, nil
}

// add puts c into the epoll set.
func (l *loop) add(c *conn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[int32(c.fd)] = c
	l.served.Add(1)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(c.fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		delete(l.conns, int32(c.fd))
		l.served.Add(-1)
		return fmt.Errorf("epoll_ctl add: %w", err)
	}
	return nil
}

// removeLocked takes c out of the epoll set; l.mu is held.
func (l *loop) removeLocked(c *conn) {
	if l.conns[int32(c.fd)] == c {
		delete(l.conns, int32(c.fd))
		l.served.Add(-1)
		syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	}
}

// run is the loop; one goroutine at a time runs it. It returns when the
// server stops or when this goroutine lost the loop during a step, in
// which case another goroutine runs it now.
func (l *loop) run() {
	events := make([]syscall.EpollEvent, loopEvents)
	ready := make([]*conn, 0, loopEvents)
	for {
		n, err := l.wait(events)
		if l.closing.Load() {
			return
		}
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			l.s.log.Error("epoll_wait failed; the event loop stops", "err", err)
			return
		}
		ready = ready[:0]
		woken := false
		l.mu.Lock()
		for _, ev := range events[:n] {
			if c := l.conns[ev.Fd]; c != nil {
				ready = append(ready, c)
			} else if ev.Fd == int32(l.efd) {
				woken = true
			}
		}
		if len(l.pending) > 0 {
			ready = l.takePending(ready)
		}
		l.mu.Unlock()
		if woken {
			l.drainWake()
		}
		aheadRead := len(ready) > 1 && l.readAhead(ready)
		for i, c := range ready {
			ready[i] = nil
			l.stepIdx.Store(int32(i))
			if !l.step(c) {
				return
			}
		}
		if aheadRead {
			l.endBatch()
		}
		l.sweep()
	}
}

// wait returns the next batch of ready descriptors. A busy loop finds
// some at once: that epoll_wait goes through RawSyscall, which skips the
// scheduler's bookkeeping for a system call that cannot block. An idle
// one parks in Go's poller until the epoll descriptor is readable, or
// for at most sweepEvery when the idle timeout needs sweeping.
func (l *loop) wait(events []syscall.EpollEvent) (int, error) {
	n, err := rawEpollWait(l.epfd, events, 0)
	if n > 0 || err != nil && err != syscall.EINTR {
		return n, err
	}
	if l.s.cfg.Timeout.Get() > 0 {
		l.file.SetReadDeadline(time.Now().Add(sweepEvery))
		l.deadline = true
	} else if l.deadline {
		l.file.SetReadDeadline(time.Time{})
		l.deadline = false
	}
	err = l.rc.Read(func(fd uintptr) bool {
		n, err = rawEpollWait(int(fd), events, 0)
		return n > 0 || err != nil && err != syscall.EINTR
	})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, nil
	}
	return n, err
}

func rawEpollWait(epfd int, events []syscall.EpollEvent, msec int) (int, error) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(msec), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket:
// they never wait, so they skip the scheduler's system-call bookkeeping.
func rawRead(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func rawWrite(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// step serves one ready connection once. It reports false when this
// goroutine no longer runs the loop (and has finished with c).
func (l *loop) step(c *conn) bool {
	v := l.seq.Load() + 1
	c.stepSeq = v
	l.cur.Store(c)
	l.seq.Store(v)
	open := c.loopStep()
	if l.seq.CompareAndSwap(v, v+1) {
		if !open {
			l.mu.Lock()
			l.removeLocked(c)
			l.mu.Unlock()
			c.closeOnLoop()
		}
		return true
	}
	// The loop went on without us (watchdog or detach). Taking the lock
	// waits for whoever took it to finish removing c from the epoll set.
	l.mu.Lock()
	l.mu.Unlock()
	switch {
	case !open:
		if c.detached {
			c.cleanup()
			c.s.wg.Done()
		} else {
			c.closeOnLoop()
		}
	case c.detached:
		c.serveLoop()
		c.cleanup()
		c.s.wg.Done()
	default:
		// Only slow: back into the epoll set, this goroutine is done.
		if err := l.add(c); err != nil {
			c.s.log.Warn("cannot return a connection to its event loop", "addr", c.cl.Addr, "err", err)
			c.closeOnLoop()
		}
	}
	return false
}

// takeOver hands the loop to a new goroutine when the step with counter
// v is still running, taking that step's connection c out of the epoll
// set. It reports whether it did.
func (l *loop) takeOver(v uint64, c *conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.seq.CompareAndSwap(v, v+1) {
		return false
	}
	l.removeLocked(c)
	l.s.loopHandoffs.Add(1)
	l.handBackLocked()
	go l.run()
	return true
}

// watch is the watchdog's look at one loop.
func (l *loop) watch() {
	v := l.seq.Load()
	if v&1 == 0 || v != l.seen {
		l.seen = v
		return
	}
	if c := l.cur.Load(); c != nil {
		l.takeOver(v, c)
	}
}

// sweep shuts connections idle for longer than "timeout", as the read
// deadline does on a connection goroutine.
func (l *loop) sweep() {
	t := l.s.cfg.Timeout.Get()
	if t <= 0 {
		return
	}
	now := time.Now()
	if now.Sub(l.lastSweep) < sweepEvery {
		return
	}
	l.lastSweep = now
	limit := time.Duration(t) * time.Second
	l.mu.Lock()
	for _, c := range l.conns {
		if now.Sub(c.lastRead) > limit {
			c.raw.Close()
		}
	}
	l.mu.Unlock()
}

// stop makes the loop's goroutine return and closes its descriptors once
// every connection is gone.
func (l *loop) stop() {
	l.closing.Store(true)
	l.file.Close()
	l.wake.Close()
}

// loopStep is one turn of the loop for c: one read, then the batch.
// It reports false when the connection must close.
func (c *conn) loopStep() bool {
	c.ensureReadBuf()
	if c.end == len(c.buf) && !c.grow() {
		return false
	}
	var n int
	var err error
	if c.pre.ok {
		n, err = c.pre.n, c.pre.err
		c.pre = preRead{}
	} else {
		n, err = c.loopRead()
	}
	switch {
	case err == syscall.EAGAIN:
		c.idle()
		return true
	case err != nil:
		n = 0
	case n == 0:
		err = errEOF
	}
	open := c.handle(n, err)
	if c.lastRead = c.ctx.Next; c.lastRead.IsZero() {
		c.lastRead = c.now()
	}
	if !open {
		return false
	}
	if !c.detached && c.end == 0 {
		c.idle()
	}
	return true
}

var errEOF = errors.New("EOF")

// closeOnLoop closes a connection that is not (or no longer) in any
// epoll set and was never converted.
func (c *conn) closeOnLoop() {
	c.cleanup()
	c.ls.closeFD()
	c.s.wg.Done()
}

// detach hands c off to the goroutine serving it (see the top of this
// file): if this goroutine still runs the loop, a new one takes it over;
// then the socket becomes a net.Conn. wmuHeld: the caller holds c.wmu.
func (c *conn) detach(wmuHeld bool) {
	if c.lp == nil || c.detached {
		return
	}
	c.detached = true
	// What follows may wait (for the write lock, for the loop's lock):
	// never with a squashed shard held.
	c.ctx.EndSquash()
	c.lp.takeOver(c.stepSeq, c)
	// Whoever took the loop has removed c from the epoll set under l.mu.
	c.lp.mu.Lock()
	c.lp.mu.Unlock()
	if !wmuHeld {
		c.wmu.Lock()
		defer c.wmu.Unlock()
	}
	nc, err := c.ls.convert()
	if err != nil {
		c.s.log.Warn("cannot hand a connection off its event loop", "addr", c.cl.Addr, "err", err)
		c.cl.RequestClose()
		return
	}
	c.nc = nc
	if tc, ok := nc.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			c.rc = rc
			c.readFn = c.rawRead
		}
	}
}

// loopWrite writes a batch's replies to a socket still on the loop; c.wmu
// is held. A peer that does not read fast enough would make the loop
// wait, so the connection is handed off and the rest is written the
// blocking way.
func (c *conn) loopWrite(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := rawWrite(c.fd, b[done:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			c.detach(true)
			if c.ls.conv() == nil {
				return done, errSockClosed
			}
			k, err := c.nc.Write(b[done:])
			return done + k, err
		case err != nil:
			return done, err
		}
		done += n
	}
	return done, nil
}

// wantsDetach: after a command, a client that other goroutines now
// write to (pub/sub, MONITOR, tracking invalidations) leaves the loop.
func (c *conn) wantsDetach() bool {
	return c.cl.HasFlag(command.ClientPubSub|command.ClientMonitor) || c.cl.Tracking()
}

// startLoops creates the event loops and the watchdog.
func (s *Server) startLoops(n int) error {
	for range n {
		l, err := newLoop(s)
		if err != nil {
			s.stopLoops()
			return err
		}
		l.idx = len(s.loops)
		s.loops = append(s.loops, l)
	}
	for _, l := range s.loops {
		go l.run()
	}
	s.loopStop = make(chan struct{})
	s.loopDone = make(chan struct{})
	go s.watchdog()
	return nil
}

// watchdog looks at the loops every watchdogTick while they work. After
// a second in which no loop ran a step it looks only every
// watchdogIdleTick (an idle server then wakes 20 times a second instead of
// 250: most of its idle CPU), and goes back to watchdogTick as soon as a
// step has run; a step that starts long in that slow phase is caught
// within one to two slow ticks.
func (s *Server) watchdog() {
	defer close(s.loopDone)
	t := time.NewTicker(watchdogTick)
	defer t.Stop()
	quiet, slow := 0, false
	for {
		select {
		case <-s.loopStop:
			return
		case <-t.C:
		}
		moved := false
		for _, l := range s.loops {
			before := l.seen
			l.watch()
			moved = moved || l.seen != before || l.seq.Load()&1 == 1
		}
		switch {
		case moved && slow:
			slow, quiet = false, 0
			t.Reset(watchdogTick)
		case moved:
			quiet = 0
		case !slow:
			if quiet++; quiet >= int(time.Second/watchdogTick) {
				slow = true
				t.Reset(watchdogIdleTick)
			}
		}
	}
}

// stopLoops stops the loops once their connections are gone.
func (s *Server) stopLoops() {
	if s.loopStop != nil {
		close(s.loopStop)
		<-s.loopDone
	}
	for _, l := range s.loops {
		l.stop()
	}
}
