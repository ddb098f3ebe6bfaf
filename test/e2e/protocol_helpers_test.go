package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file holds the helpers shared by the cli_*, protocol_* and
// badinput_* tests: a raw RESP connection for byte-exact checks and a way to
// run one test body against Damselfly and against redis-server (the oracle),
// so the same assertions are proved on the real thing.

// wireTimeout bounds every read and write on a wireConn unless a test sets
// its own.
const wireTimeout = 10 * time.Second

// oracleTarget is one server implementation a test runs against.
type oracleTarget struct {
	name  string
	start func(t testing.TB, flags ...string) *Server
}

var oracleTargets = []oracleTarget{
	{"damselfly", Start},
	{"redis", StartRedis},
}

// onBoth runs fn as parallel subtests against a fresh Damselfly and a fresh
// redis-server, each started with flags (both take --requirepass etc.).
func onBoth(t *testing.T, fn func(t *testing.T, s *Server), flags ...string) {
	t.Helper()
	for _, tg := range oracleTargets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			fn(t, tg.start(t, flags...))
		})
	}
}

// wireConn is a raw TCP connection to a server.
type wireConn struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
	// timeout bounds each read or write call.
	timeout time.Duration
}

func dialWire(t testing.TB, addr string) *wireConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &wireConn{t: t, nc: nc, r: bufio.NewReaderSize(nc, 64*1024), timeout: wireTimeout}
}

// respCmd encodes args as a RESP multibulk request.
func respCmd(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// respBulk is the RESP bulk string reply for s.
func respBulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

// write sends raw bytes.
func (w *wireConn) write(b []byte) {
	w.t.Helper()
	w.nc.SetWriteDeadline(time.Now().Add(w.timeout))
	if _, err := w.nc.Write(b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// writeStr sends a raw string.
func (w *wireConn) writeStr(s string) { w.t.Helper(); w.write([]byte(s)) }

// do sends one RESP command and returns the raw reply.
func (w *wireConn) do(args ...string) string {
	w.t.Helper()
	w.write(respCmd(args...))
	return w.reply()
}

// reply reads one complete reply and returns its raw bytes.
func (w *wireConn) reply() string {
	w.t.Helper()
	s, err := w.tryReply()
	if err != nil {
		w.t.Fatalf("reading reply: %v (got so far %q)", err, wireTrunc(s, 300))
	}
	return s
}

// tryReply reads one complete reply, returning what it read and any error.
func (w *wireConn) tryReply() (string, error) {
	w.nc.SetReadDeadline(time.Now().Add(w.timeout))
	var out bytes.Buffer
	err := readRawReply(w.r, &out)
	return out.String(), err
}

// expect reads one reply and fails unless it is exactly want.
func (w *wireConn) expect(want string) {
	w.t.Helper()
	if got := w.reply(); got != want {
		w.t.Fatalf("reply mismatch\n got: %q\nwant: %q", wireTrunc(got, 500), wireTrunc(want, 500))
	}
}

// expectClosed fails unless the server closes the connection (EOF or reset)
// without sending anything more.
func (w *wireConn) expectClosed() {
	w.t.Helper()
	w.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(w.r)
	if len(b) > 0 {
		w.t.Fatalf("expected the connection to close, got extra bytes %q", wireTrunc(string(b), 300))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		w.t.Fatalf("expected the server to close the connection; it stayed open")
	}
}

// readRawReply copies one RESP2/RESP3 reply from r to out.
func readRawReply(r *bufio.Reader, out *bytes.Buffer) error {
	line, err := r.ReadString('\n')
	out.WriteString(line)
	if err != nil {
		return err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return fmt.Errorf("malformed reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad bulk length in %q", line)
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		k, err := io.ReadFull(r, buf)
		out.Write(buf[:k])
		return err
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad aggregate length in %q", line)
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readRawReply(r, out); err != nil {
				return err
			}
		}
		if line[0] == '|' { // an attribute precedes the real reply
			return readRawReply(r, out)
		}
		return nil
	}
	return fmt.Errorf("unknown reply type in %q", line)
}

// checkHealthy opens a new connection and checks the server still answers
// PING and still holds key=val.
func checkHealthy(t testing.TB, s *Server, key, val string) {
	t.Helper()
	w := dialWire(t, s.Addr)
	w.write(respCmd("PING"))
	w.expect("+PONG\r\n")
	w.writeStr("PING\r\n")
	w.expect("+PONG\r\n")
	if key != "" {
		w.write(respCmd("GET", key))
		w.expect(respBulk(val))
	}
	w.nc.Close()
}

// wireTrunc shortens s for failure messages.
func wireTrunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("...(%d bytes)", len(s))
}

// wireLines splits output into lines without trailing CR.
func wireLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.TrimSuffix(l, "\r"))
	}
	return out
}
