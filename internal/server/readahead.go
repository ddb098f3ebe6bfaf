package server

// Reading ahead. At one command per connection (no pipelining) each
// command's keyspace lookup waits for its own cache misses (bucket, entry,
// record: 11 % of a GET's server CPU), and a pipeline's prefetch
// (command/prefetch.go) has nothing to overlap them with. But epoll_wait
// returns many ready connections at once (about 20 of 50 clients), so the
// loop reads them all first, one read each as before, and prefetches the
// key of each one's first command together; then it serves them in turn,
// each step taking its read from conn.pre instead of reading.
//
// A read made ahead has taken the bytes out of the socket, and the epoll
// set is level triggered: if the goroutine loses the loop (watchdog,
// detach) before serving a connection it read ahead, no new event would
// ever report that connection, and its command would sit in conn.pre
// until the client sent more. So whoever takes the loop (takeOver: the
// watchdog, or a step detaching its connection) hands such connections
// back (handBackLocked): it queues the ones after the running step on the
// loop's pending list and writes the loop's eventfd, which is in the epoll
// set; the goroutine that runs the loop next takes the list at its next
// turn (takePending).

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"

	"github.com/damselfly-db/damselfly/internal/command"
)

// openWake creates the loop's eventfd and puts it into the epoll set.
func (l *loop) openWake() error {
	fd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		return fmt.Errorf("eventfd: %w", e)
	}
	l.efd = int(fd)
	// As an *os.File, a write racing with stop's close fails cleanly
	// instead of writing to a descriptor number reused meanwhile.
	l.wake = os.NewFile(fd, "loop-wake")
	rc, err := l.wake.SyscallConn()
	if err != nil {
		l.wake.Close()
		return fmt.Errorf("eventfd: %w", err)
	}
	l.wakeRC = rc
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
		l.wake.Close()
		return fmt.Errorf("epoll_ctl add eventfd: %w", err)
	}
	return nil
}

// aheadConn is a connection read ahead, and its position in the batch.
type aheadConn struct {
	c   *conn
	idx int32
}

// readAhead reads every connection of ready that is the loop's and has
// room, before the first is served, prefetches the keys of their first
// commands, and records them in l.batch. It reports whether it read any.
// A connection handed back with a read ahead is not read again.
func (l *loop) readAhead(ready []*conn) bool {
	// Scratch reused from batch to batch: only the goroutine running the
	// loop calls this, and it is done with them before its first step.
	peeks, ahead := l.peeks[:0], l.ahead[:0]
	defer func() {
		clear(peeks) // they point into connections' buffers
		clear(ahead)
		l.peeks, l.ahead = peeks[:0], ahead[:0]
	}()
	for i, c := range ready {
		if c.pre.ok {
			ahead = append(ahead, aheadConn{c, int32(i)})
			continue
		}
		if c.detached || c.sniffing {
			continue
		}
		c.ensureReadBuf()
		if c.end == len(c.buf) {
			continue // full: loopStep grows it first
		}
		n, err := c.loopRead()
		c.pre = preRead{n: n, err: err, ok: true}
		ahead = append(ahead, aheadConn{c, int32(i)})
		if n > 0 {
			// The batch starts at the front of the buffer (an unparsed
			// tail is moved there), perhaps before this read's bytes.
			if name, key, ok := peekKey(c.buf[:c.end+n]); ok {
				peeks = append(peeks, command.KeyPeek{DB: c.cl.DB, Name: name, Key: key, Last: c.ctx.Spec})
			}
		}
	}
	if len(ahead) == 0 {
		return false
	}
	l.mu.Lock()
	l.batch = append(l.batch[:0], ahead...)
	l.mu.Unlock()
	if len(peeks) > 0 {
		l.s.env.PrefetchPeeked(peeks)
	}
	return true
}

// endBatch forgets the batch's read-ahead list once every step is done.
func (l *loop) endBatch() {
	l.mu.Lock()
	clear(l.batch)
	l.batch = l.batch[:0]
	l.mu.Unlock()
}

// handBackLocked runs as the loop is taken from the goroutine running a
// step (takeOver; l.mu is held): the connections that goroutine read
// ahead and has not served yet go to the pending list, for the goroutine
// that runs the loop next, and the eventfd wakes it. It happens at the
// takeover, not when the slow step ends, so the clients read ahead do not
// wait for it (a BLPOP they would unblock, a DEBUG SLEEP).
func (l *loop) handBackLocked() {
	cur := l.stepIdx.Load()
	queued := false
	for _, a := range l.batch {
		if a.idx > cur {
			l.pending = append(l.pending, a.c)
			queued = true
		}
	}
	clear(l.batch)
	l.batch = l.batch[:0]
	if queued {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		l.wake.Write(one[:]) // fails only once the loop has stopped
	}
}

// takePending adds the handed-back connections to ready, once each; l.mu
// is held. A connection that left the loop meanwhile (closed, or detached
// after epoll reported it to the new goroutine) is not the loop's to
// serve any more.
func (l *loop) takePending(ready []*conn) []*conn {
	for _, c := range l.pending {
		if l.conns[int32(c.fd)] != c || contains(ready, c) {
			continue
		}
		ready = append(ready, c)
	}
	clear(l.pending)
	l.pending = l.pending[:0]
	return ready
}

// drainWake resets the eventfd after it woke the loop.
func (l *loop) drainWake() {
	l.wakeRC.Read(func(fd uintptr) bool {
		var b [8]byte
		syscall.Read(int(fd), b[:])
		return true // never park: epoll said it is readable
	})
}

func contains(cs []*conn, c *conn) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// loopRead is one non-blocking read into the free end of c.buf.
func (c *conn) loopRead() (n int, err error) {
	for {
		n, err = rawRead(c.fd, c.buf[c.end:])
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// preRead is a read made ahead of a connection's step: its result, for
// the step to take instead of reading.
type preRead struct {
	n   int
	err error
	ok  bool
}

// peekKey returns the name and first argument of the RESP command at the
// start of b, if b holds them whole. Not resp.ParseCommand: that parses
// and checks every argument, and runBatch parses the command again right
// after; this is only a prefetch hint, read in one pass over two headers,
// and a wrong answer costs a wasted prefetch.
func peekKey(b []byte) (name, key []byte, ok bool) {
	if len(b) < 4 || b[0] != '*' {
		return nil, nil, false
	}
	i := 1
	for i < len(b) && b[i] != '\r' {
		i++
	}
	i += 2
	name, i, ok = peekBulk(b, i)
	if !ok {
		return nil, nil, false
	}
	if key, _, ok = peekBulk(b, i); !ok {
		return nil, nil, false
	}
	return name, key, true
}

func peekBulk(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '$' {
		return nil, 0, false
	}
	i++
	n := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int(b[i]-'0')
		if n > 1<<20 {
			return nil, 0, false
		}
	}
	i += 2
	if i+n+2 > len(b) {
		return nil, 0, false
	}
	return b[i : i+n], i + n + 2, true
}
