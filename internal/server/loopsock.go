package server

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// loopSock is the net.Conn of a connection served by an event loop. It
// starts as a raw non-blocking descriptor that Go's network poller never
// sees (the loop's epoll set watches it instead) and becomes a real
// *net.TCPConn when the connection is handed off to a goroutine of its
// own (convert). The conn keeps the loopSock as c.raw for life, so other
// goroutines (CLIENT KILL, shutdown, the output-buffer limit) can always
// close or shut it without knowing which side it is on.
//
// On the loop side the descriptor is closed only by the goroutine serving
// the connection, holding mu; everyone else uses it under the read lock,
// so no one ever touches a number the kernel has already given to
// another connection. Close from another goroutine shuts the socket
// (shutdown(2)) instead of closing it: the loop then reads end of input
// and closes the connection itself, the way a closed net.Conn makes the
// serving goroutine's read fail.
type loopSock struct {
	mu           sync.RWMutex
	fd           int      // -1 once closed or converted
	nc           net.Conn // the converted connection; nil on the loop
	laddr, raddr net.Addr
}

var errSockClosed = errors.New("use of closed loop connection")

func newLoopSock(fd int, laddr, raddr net.Addr) *loopSock {
	return &loopSock{fd: fd, laddr: laddr, raddr: raddr}
}

// conv returns the converted connection, or nil while on the loop.
func (s *loopSock) conv() net.Conn {
	s.mu.RLock()
	nc := s.nc
	s.mu.RUnlock()
	return nc
}

// convert turns the raw descriptor into a *net.TCPConn registered with
// Go's poller (net.FileConn duplicates it; the original is closed). The
// caller has taken the descriptor out of its loop's epoll set and is the
// connection's serving goroutine, so no raw read is in flight; writers
// are kept out by the conn's wmu, held by the caller.
func (s *loopSock) convert() (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nc != nil {
		return s.nc, nil
	}
	if s.fd < 0 {
		return nil, errSockClosed
	}
	f := os.NewFile(uintptr(s.fd), "client")
	nc, err := net.FileConn(f)
	f.Close()
	s.fd = -1
	if err != nil {
		return nil, err
	}
	s.nc = nc
	return nc, nil
}

// closeFD closes the descriptor for good; only the serving goroutine of
// a connection still on the loop calls it.
func (s *loopSock) closeFD() {
	s.mu.Lock()
	if s.fd >= 0 {
		syscall.Close(s.fd)
		s.fd = -1
	}
	s.mu.Unlock()
}

// shut shuts the socket down in direction how, leaving the descriptor
// open for its owner to close.
func (s *loopSock) shut(how int) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.fd < 0 {
		return errSockClosed
	}
	return syscall.Shutdown(s.fd, how)
}

// rawIO runs op on the descriptor until it stops saying EAGAIN. It is the
// fallback for a goroutine other than the loop using a socket still on
// the loop (nothing on the hot path does): it cannot park in Go's poller,
// so it waits in short sleeps.
func (s *loopSock) rawIO(op func(fd int) (int, error)) (int, error) {
	wait := 50 * time.Microsecond
	for {
		s.mu.RLock()
		if nc := s.nc; nc != nil {
			s.mu.RUnlock()
			return 0, errConverted
		}
		if s.fd < 0 {
			s.mu.RUnlock()
			return 0, errSockClosed
		}
		n, err := op(s.fd)
		s.mu.RUnlock()
		if err == syscall.EINTR {
			continue
		}
		if err != syscall.EAGAIN {
			return n, err
		}
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Millisecond)
	}
}

// errConverted tells rawIO's callers to retry on the converted conn.
var errConverted = errors.New("converted")

func (s *loopSock) Read(b []byte) (int, error) {
	for {
		if nc := s.conv(); nc != nil {
			return nc.Read(b)
		}
		n, err := s.rawIO(func(fd int) (int, error) { return syscall.Read(fd, b) })
		if err == errConverted {
			continue
		}
		if err == nil && n == 0 && len(b) > 0 {
			return 0, io.EOF
		}
		return max(n, 0), err
	}
}

func (s *loopSock) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		if nc := s.conv(); nc != nil {
			n, err := nc.Write(b[done:])
			return done + n, err
		}
		n, err := s.rawIO(func(fd int) (int, error) { return syscall.Write(fd, b[done:]) })
		if err == errConverted {
			continue
		}
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

// Close shuts the socket (see the type's comment); a converted one is
// closed.
func (s *loopSock) Close() error {
	if nc := s.conv(); nc != nil {
		return nc.Close()
	}
	err := s.shut(syscall.SHUT_RDWR)
	if err == errSockClosed {
		if nc := s.conv(); nc != nil {
			return nc.Close()
		}
	}
	return nil
}

// CloseRead is what a signalled shutdown's drain uses: the connection
// finishes what it has read, then sees end of input.
func (s *loopSock) CloseRead() error {
	if nc := s.conv(); nc != nil {
		if cr, ok := nc.(interface{ CloseRead() error }); ok {
			return cr.CloseRead()
		}
		return nc.Close()
	}
	return s.shut(syscall.SHUT_RD)
}

func (s *loopSock) LocalAddr() net.Addr  { return s.laddr }
func (s *loopSock) RemoteAddr() net.Addr { return s.raddr }

// Deadlines apply once converted; on the loop the idle timeout is the
// loop's own sweep (eventloop.go) and nothing else waits.
func (s *loopSock) SetDeadline(t time.Time) error {
	if nc := s.conv(); nc != nil {
		return nc.SetDeadline(t)
	}
	return nil
}

func (s *loopSock) SetReadDeadline(t time.Time) error {
	if nc := s.conv(); nc != nil {
		return nc.SetReadDeadline(t)
	}
	return nil
}

func (s *loopSock) SetWriteDeadline(t time.Time) error {
	if nc := s.conv(); nc != nil {
		return nc.SetWriteDeadline(t)
	}
	return nil
}

// SyscallConn lets peerGone peek at the socket and fdOf read its number.
func (s *loopSock) SyscallConn() (syscall.RawConn, error) { return loopRawConn{s}, nil }

type loopRawConn struct{ s *loopSock }

func (r loopRawConn) inner() (syscall.RawConn, bool) {
	if sc, ok := r.s.conv().(syscall.Conn); ok {
		rc, err := sc.SyscallConn()
		return rc, err == nil
	}
	return nil, false
}

func (r loopRawConn) Control(f func(fd uintptr)) error {
	if rc, ok := r.inner(); ok {
		return rc.Control(f)
	}
	r.s.mu.RLock()
	defer r.s.mu.RUnlock()
	if r.s.fd < 0 {
		return errSockClosed
	}
	f(uintptr(r.s.fd))
	return nil
}

func (r loopRawConn) Read(f func(fd uintptr) bool) error  { return r.io(f, false) }
func (r loopRawConn) Write(f func(fd uintptr) bool) error { return r.io(f, true) }

func (r loopRawConn) io(f func(fd uintptr) bool, write bool) error {
	if rc, ok := r.inner(); ok {
		if write {
			return rc.Write(f)
		}
		return rc.Read(f)
	}
	_, err := r.s.rawIO(func(fd int) (int, error) {
		if f(uintptr(fd)) {
			return 0, nil
		}
		return 0, syscall.EAGAIN
	})
	if err == errConverted {
		return r.io(f, write)
	}
	return err
}
