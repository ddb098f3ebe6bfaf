package e2e

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// infoField reads one numeric INFO field over a raw connection.
func infoField(t testing.TB, w *wireConn, section, field string) int64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(field) + `:(\d+)\r$`).FindStringSubmatch(w.do("INFO", section))
	if m == nil {
		t.Fatalf("INFO %s has no %s", section, field)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// waitClients waits until INFO connected_clients is n.
func waitClients(t testing.TB, w *wireConn, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := infoField(t, w, "clients", "connected_clients")
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connected_clients = %d, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// memPeak samples INFO used_memory and used_memory_rss every 20 ms until
// done returns true (or within passes), returning the peaks.
func memPeak(t testing.TB, w *wireConn, within time.Duration, done func() bool) (used, rss int64) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		used = max(used, infoField(t, w, "memory", "used_memory"))
		rss = max(rss, infoField(t, w, "memory", "used_memory_rss"))
		if done() {
			return used, rss
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMaxClientsLive: CONFIG SET maxclients applies to the next client;
// refused ones get Redis's error, are counted in rejected_connections and
// leave existing clients unharmed.
func TestMaxClientsLive(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		waitClients(t, w, 1, 5*time.Second)
		other := dialWire(t, s.Addr)
		if got := other.do("PING"); got != "+PONG\r\n" {
			t.Fatal(got)
		}
		if got := w.do("CONFIG", "SET", "maxclients", "2"); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET maxclients: %q", got)
		}
		refused := dialWire(t, s.Addr)
		refused.expect("-ERR max number of clients reached\r\n")
		refused.expectClosed()
		if n := infoField(t, w, "stats", "rejected_connections"); n != 1 {
			t.Errorf("rejected_connections = %d", n)
		}
		if got := other.do("PING"); got != "+PONG\r\n" {
			t.Errorf("existing client after a refusal: %q", got)
		}
		w.do("CONFIG", "SET", "maxclients", "3")
		if got := dialWire(t, s.Addr).do("PING"); got != "+PONG\r\n" {
			t.Errorf("after raising maxclients: %q", got)
		}
	})
}

// TestIdleTimeoutExemptions: with timeout 1 an idle client is closed, but
// a subscriber and a client blocked in BLPOP are not (as in Redis).
func TestIdleTimeoutExemptions(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		idle := dialWire(t, s.Addr)
		idle.do("PING")
		sub := dialWire(t, s.Addr)
		sub.do("SUBSCRIBE", "ch")
		blocked := dialWire(t, s.Addr)
		blocked.write(respCmd("BLPOP", "list", "0"))
		time.Sleep(3500 * time.Millisecond) // Redis checks timeouts in its cron
		idle.expectClosed()
		ctl := dialWire(t, s.Addr)
		ctl.do("PUBLISH", "ch", "still here")
		sub.expect("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$10\r\nstill here\r\n")
		ctl.do("RPUSH", "list", "v")
		blocked.expect("*2\r\n$4\r\nlist\r\n$1\r\nv\r\n")
	}, "--timeout", "1")
}

// TestQueryBufferLimit: a command bigger than client-query-buffer-limit
// closes the client and is not run; proto-max-bulk-len refuses a bulk
// length above it with Redis's protocol error.
func TestQueryBufferLimit(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		ctl := dialWire(t, s.Addr)
		if got := ctl.do("CONFIG", "SET", "client-query-buffer-limit", "1mb"); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET client-query-buffer-limit: %q", got)
		}
		nc, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		go func() {
			fmt.Fprintf(nc, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n", 3<<20)
			nc.Write(make([]byte, 3<<20))
			nc.Write([]byte("\r\n"))
		}()
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(nc)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("client over the query buffer limit was not closed")
		}
		if len(got) != 0 {
			t.Errorf("reply before the close: %q", got)
		}
		if got := ctl.do("EXISTS", "big"); got != ":0\r\n" {
			t.Errorf("the oversized SET ran: %q", got)
		}

		if got := ctl.do("CONFIG", "SET", "proto-max-bulk-len", "1mb"); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET proto-max-bulk-len: %q", got)
		}
		w := dialWire(t, s.Addr)
		w.writeStr(fmt.Sprintf("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", 1<<20+1))
		w.expect("-ERR Protocol error: invalid bulk length\r\n")
		w.expectClosed()
		if got := ctl.do("PING"); got != "+PONG\r\n" {
			t.Errorf("server after the limits: %q", got)
		}
	})
}

// TestOutputBufferNormal: with a normal client-output-buffer-limit, a
// client that pipelines big replies and never reads is disconnected at
// the hard limit, or after the soft limit's seconds, and the server's
// memory stays bounded; a single reply over the hard limit closes the
// client with no reply.
func TestOutputBufferNormal(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		ctl := dialWire(t, s.Addr)
		ctl.do("SET", "big", strings.Repeat("v", 1<<20))
		base := infoField(t, ctl, "memory", "used_memory")
		baseRSS := infoField(t, ctl, "memory", "used_memory_rss")

		// Hard limit: 200 replies of 1 MB against a 4 MB limit.
		ctl.do("CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 0 0")
		slow, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		slow.(*net.TCPConn).SetReadBuffer(4096)
		go func() {
			for i := 0; i < 200; i++ {
				if _, err := slow.Write(respCmd("GET", "big")); err != nil {
					return
				}
			}
		}()
		// Sampled until the server has closed the slow client: 200 MB of
		// replies must never be held.
		used, rss := memPeak(t, ctl, 10*time.Second, func() bool {
			return infoField(t, ctl, "clients", "connected_clients") == 1
		})
		if used-base > 64<<20 || rss-baseRSS > 128<<20 {
			t.Errorf("while a client did not read: used_memory +%d MB, rss +%d MB", (used-base)>>20, (rss-baseRSS)>>20)
		}

		// A single reply bigger than the hard limit.
		ctl.do("CONFIG", "SET", "client-output-buffer-limit", "normal 100kb 0 0")
		one := dialWire(t, s.Addr)
		one.write(respCmd("GET", "big"))
		one.expectClosed()
		if got := one.nc; got == nil {
			t.Fatal("no connection")
		}

		// Soft limit: over 2 MB for more than a second.
		ctl.do("CONFIG", "SET", "client-output-buffer-limit", "normal 0 2mb 1")
		soft, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer soft.Close()
		soft.(*net.TCPConn).SetReadBuffer(4096)
		for i := 0; i < 8; i++ {
			soft.Write(respCmd("GET", "big"))
		}
		time.Sleep(1500 * time.Millisecond)
		soft.Write(respCmd("GET", "big"))
		waitClients(t, ctl, 1, 10*time.Second)

		// Within the limits a reading client gets every reply.
		ctl.do("CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 2mb 10")
		ok := dialWire(t, s.Addr)
		for i := 0; i < 3; i++ {
			ok.write(respCmd("GET", "big"))
		}
		for i := 0; i < 3; i++ {
			if got := ok.reply(); len(got) != 1<<20+len("$1048576\r\n\r\n") {
				t.Fatalf("reply %d: %d bytes", i, len(got))
			}
		}
		if got := ok.do("QUIT"); got != "+OK\r\n" {
			t.Errorf("QUIT through the queued path: %q", got)
		}
	})
}

// TestOutputBufferDefaultBounded: with the default normal limit (none) a
// client that never reads stays connected, but Damselfly stops reading its
// commands while its replies wait, so memory stays bounded (Redis would
// buffer every reply).
func TestOutputBufferDefaultBounded(t *testing.T) {
	s := Start(t)
	ctl := dialWire(t, s.Addr)
	ctl.do("SET", "big", strings.Repeat("v", 1<<20))
	base := infoField(t, ctl, "memory", "used_memory")
	baseRSS := infoField(t, ctl, "memory", "used_memory_rss")
	slow, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.(*net.TCPConn).SetReadBuffer(4096)
	go func() {
		for i := 0; i < 300; i++ {
			if _, err := slow.Write(respCmd("GET", "big")); err != nil {
				return
			}
		}
	}()
	stop := time.Now().Add(2 * time.Second)
	used, rss := memPeak(t, ctl, 5*time.Second, func() bool { return time.Now().After(stop) })
	if used-base > 64<<20 || rss-baseRSS > 128<<20 {
		t.Errorf("for a client that does not read: used_memory +%d MB, rss +%d MB", (used-base)>>20, (rss-baseRSS)>>20)
	}
	waitClients(t, ctl, 2, time.Second)
}
