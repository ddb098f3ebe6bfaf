package server

import (
	"net"
	"syscall"
	"time"
)

// acceptToLoops accepts plain-TCP clients of the client port and gives
// them to the event loops in turn. Accepting goes through Go's listener
// (a listener's raw connection cannot wait for readiness); each new socket
// is then duplicated and the net.Conn closed, which takes it out of Go's
// poller, so the loop alone watches it. That costs a few system calls
// per connection, none per request.
func (s *Server) acceptToLoops(l net.Listener) {
	for {
		nc := s.nextClient(l, "main", nil)
		if nc == nil {
			return
		}
		fd := -1
		if sc, ok := nc.(syscall.Conn); ok {
			if rc, err := sc.SyscallConn(); err == nil {
				rc.Control(func(f uintptr) {
					if d, err := dupCloexec(int(f)); err == nil {
						fd = d
					}
				})
			}
		}
		laddr, raddr := nc.LocalAddr(), nc.RemoteAddr()
		if fd < 0 {
			// Cannot take it out of Go's poller: serve it the old way.
			c := s.newConn(nc, nc, "main")
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				c.serve()
			}()
			continue
		}
		nc.Close()
		s.serveOnLoop(s.pickLoop(), fd, laddr, raddr)
	}
}

// sharedLoopConns is how many connections the first event loop serves
// alone before new ones are spread over the others.
//
// A client that sends a command on one connection and then another on a
// second one expects them to run in that order: Redis's single event loop
// takes ready sockets in the order their data arrived, and clients and
// test suites rely on it (BRPOPLPUSH on one connection, then LPUSH on
// another: the pusher must find the popper blocked; SUBSCRIBE, then
// PUBLISH elsewhere: the message must count the subscriber). One epoll
// set keeps that order; two loops do not: a loop parked in Go's poller
// wakes tens of microseconds after its data arrives, while the other may
// already run a command sent after it. Measured with SUBSCRIBE on one
// connection and PUBLISH on another right after, on two loops, the
// PUBLISH came first in 60-74 of 100 tries, and Redis's own suite hung in
// its list and stream units (XREAD BLOCK ... $ run after the XADD meant
// to wake it). Making the overtaking loop wait for a parked loop that
// already has data cut that to 2-7 in 100 but not to none (epoll does
// not say when data arrived), and cost 10 % of the throughput at 50
// clients on two loops.
//
// Clients that coordinate connections that way hold a few (a test
// suite, an app with a blocking worker), so the first loop takes every
// connection while the loops serve fewer than sharedLoopConns; past that,
// each new connection goes to the loop serving the fewest, so 50
// benchmark clients still end up 25 and 25 on two loops. A connection
// keeps its loop for its life. The price is that up to sharedLoopConns
// busy clients share one core for their I/O.
const sharedLoopConns = 16

// pickLoop chooses the event loop of a new connection.
func (s *Server) pickLoop() *loop {
	best, total := s.loops[0], int32(0)
	for _, l := range s.loops {
		n := l.served.Load()
		total += n
		if n < best.served.Load() {
			best = l
		}
	}
	if total < sharedLoopConns {
		return s.loops[0]
	}
	return best
}

// dupCloexec duplicates a descriptor with close-on-exec; the copy shares
// the socket's non-blocking mode.
func dupCloexec(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// serveOnLoop makes a connection of an accepted socket and registers it
// with lp.
func (s *Server) serveOnLoop(lp *loop, fd int, laddr, raddr net.Addr) {
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if ka := s.cfg.TCPKeepalive.Get(); ka > 0 {
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1)
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, int(ka))
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, max(int(ka)/3, 1))
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, 3)
	}
	ls := newLoopSock(fd, laddr, raddr)
	c := s.newConn(ls, ls, "main")
	c.lp, c.ls, c.fd = lp, ls, fd
	c.cl.Thread = lp.idx
	c.lastRead = time.Now()
	s.wg.Add(1)
	if c.refused() {
		c.closeOnLoop()
		return
	}
	if err := lp.add(c); err != nil {
		s.log.Warn("cannot add a connection to its event loop", "addr", c.cl.Addr, "err", err)
		c.closeOnLoop()
	}
}
