package server

import (
	"io"
	"sync"
	"syscall"
)

// Connection buffers come from per-server pools and go back to them while
// the connection waits for its next request, so an idle connection holds
// no read or write buffer (Redis frees an idle client's query buffer for
// the same reason): ten thousand idle clients cost no 16 KiB each. Only
// buffers of the standard size are pooled; one grown for a big value or a
// long pipeline is dropped once the burst is over.
const (
	readBufSize  = initialReadBuf
	writeBufSize = 16 * 1024
)

type bufPools struct {
	read, write sync.Pool
}

// A pooled buffer travels in a box (*[]byte) so that Put does not
// allocate; the connection keeps the box of the buffer it holds and hands
// the same box back.

func (p *bufPools) get(pool *sync.Pool, size int) *[]byte {
	if b, ok := pool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, size)
	return &b
}

// idle gives the connection's buffers back when nothing is buffered in
// either direction; the next read or batch takes them again. A buffer
// grown past the standard size is not pooled: it is dropped here, which
// is how a connection shrinks after a burst.
func (c *conn) idle() {
	if c.end == 0 && c.buf != nil {
		if len(c.buf) == readBufSize && c.rbox != nil {
			*c.rbox = c.buf
			c.s.bufs.read.Put(c.rbox)
		} else {
			c.cl.Conn.BufResizes.Add(1)
		}
		c.buf, c.rbox = nil, nil
	}
	if c.w.Buf != nil && len(c.w.Buf) == 0 {
		if cap(c.w.Buf) == writeBufSize && c.wbox != nil {
			*c.wbox = c.w.Buf
			c.s.bufs.write.Put(c.wbox)
		}
		c.w.Buf, c.wbox = nil, nil
	}
}

// ensureReadBuf and ensureWriteBuf take pooled buffers for a connection
// about to read or reply.
func (c *conn) ensureReadBuf() {
	if c.buf == nil {
		c.rbox = c.s.bufs.get(&c.s.bufs.read, readBufSize)
		c.buf = *c.rbox
	}
}

func (c *conn) ensureWriteBuf() {
	if c.w.Buf == nil {
		c.wbox = c.s.bufs.get(&c.s.bufs.write, writeBufSize)
		c.w.Buf = (*c.wbox)[:0]
	}
}

// read reads what the socket has into c.buf[c.end:]. On a TCP connection
// it goes through the raw descriptor: the read is tried first (as Go's
// own Read does), and only when the socket is empty does the connection
// park in the poller, after giving its buffers back.
func (c *conn) read() (int, error) {
	if c.rc == nil {
		c.ensureReadBuf()
		return c.nc.Read(c.buf[c.end:])
	}
	c.rn, c.rerr = 0, nil
	if err := c.rc.Read(c.readFn); err != nil {
		return 0, err
	}
	return c.rn, c.rerr
}

// rawRead is the callback of c.rc.Read; false parks until readable.
func (c *conn) rawRead(fd uintptr) bool {
	for {
		c.ensureReadBuf()
		n, err := syscall.Read(int(fd), c.buf[c.end:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			c.idle()
			return false
		case err != nil:
			c.rerr = err
		case n == 0:
			c.rerr = io.EOF
		default:
			c.rn = n
		}
		return true
	}
}
