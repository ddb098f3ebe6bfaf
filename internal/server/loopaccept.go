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
	next := 0
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
		lp := s.loops[next%len(s.loops)]
		next++
		s.serveOnLoop(lp, fd, laddr, raddr)
	}
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
