package server

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTP on a RESP port. Like Dragonfly, the client port and the admin port
// answer HTTP as well as RESP: a connection whose first line is an HTTP
// request line ("GET /metrics HTTP/1.1") is handed to an http.Server, any
// other connection is a Redis client. Redis would parse such a line as an
// inline command (and reject it); no RESP client starts that way, since a
// RESP request starts with '*' and an inline command line would have to end
// in " HTTP/1.x".

// maxRequestLine bounds how much we buffer while deciding.
const maxRequestLine = 8 << 10

type sniffResult uint8

const (
	sniffMore sniffResult = iota // not enough bytes to decide
	sniffHTTP
	sniffRESP
)

var httpMethods = [][]byte{[]byte("GET /"), []byte("HEAD /"), []byte("POST /")}

// sniff decides from a connection's first bytes whether it speaks HTTP.
func sniff(b []byte) sniffResult {
	matched := false
	for _, m := range httpMethods {
		if len(b) < len(m) {
			if bytes.HasPrefix(m, b) {
				return sniffMore
			}
			continue
		}
		if bytes.HasPrefix(b, m) {
			matched = true
			break
		}
	}
	if !matched {
		return sniffRESP
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if len(b) >= maxRequestLine {
			return sniffRESP
		}
		return sniffMore
	}
	line := bytes.TrimSuffix(b[:nl], []byte("\r"))
	if bytes.HasSuffix(line, []byte(" HTTP/1.1")) || bytes.HasSuffix(line, []byte(" HTTP/1.0")) {
		return sniffHTTP
	}
	return sniffRESP
}

// httpPort serves HTTP connections handed over by the RESP side of a port
// (or accepted directly on a port that only speaks HTTP).
type httpPort struct {
	srv *http.Server
	lis *handoffListener
}

func newHTTPPort(h http.Handler, log *slog.Logger) *httpPort {
	p := &httpPort{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       60 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		},
		lis: newHandoffListener(),
	}
	go p.srv.Serve(p.lis)
	return p
}

// handoff gives nc, whose first bytes were already read into pre, to the
// HTTP server.
func (p *httpPort) handoff(nc net.Conn, pre []byte) bool {
	return p.lis.push(&prefixConn{Conn: nc, pre: bytes.NewReader(bytes.Clone(pre))})
}

func (p *httpPort) close() {
	p.srv.Close()
	p.lis.Close()
}

// handoffListener is a net.Listener fed by handoff instead of accept.
type handoffListener struct {
	ch     chan net.Conn
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	closed bool
}

func newHandoffListener() *handoffListener {
	return &handoffListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4zero} }

// prefixConn replays the bytes read while sniffing before reading on.
type prefixConn struct {
	net.Conn
	pre *bytes.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if c.pre.Len() > 0 {
		n, _ := c.pre.Read(p)
		return n, nil
	}
	return c.Conn.Read(p)
}

// serveHTTPOnly runs an HTTP-only listener (--prometheus_port).
func serveHTTPOnly(l net.Listener, h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			log.Warn("http listener stopped", "addr", l.Addr().String(), "err", err)
		}
	}()
	return srv
}

var _ io.Reader = (*prefixConn)(nil)
