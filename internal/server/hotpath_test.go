package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/damselfly-db/damselfly/internal/info"
)

// The hot-path benchmarks drive the real server (listener, connection
// loop, parser, dispatcher, shards, reply writer) over loopback TCP with a
// client that sends pre-encoded requests and reads the exact number of
// reply bytes back, so the client itself allocates nothing and allocs/op
// is the server's cost per command. Run with:
//
//	go test ./internal/server -run '^$' -bench Hotpath -benchmem

// respCmd encodes one command as a RESP array.
func respCmd(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

type hotCase struct {
	name  string
	setup [][]string // run once before timing
	cmd   []string   // the measured command
}

var hotCases = []hotCase{
	{name: "GET", setup: [][]string{{"SET", "k", strings.Repeat("v", 100)}}, cmd: []string{"GET", "k"}},
	{name: "SET", cmd: []string{"SET", "k", strings.Repeat("v", 100)}},
	{name: "INCR", cmd: []string{"INCR", "n"}},
	{name: "HGET", setup: [][]string{{"HSET", "h", "f", "value"}}, cmd: []string{"HGET", "h", "f"}},
	{name: "LPUSH", cmd: []string{"LPUSH", "l", "x"}},
	{name: "PING", cmd: []string{"PING"}},
}

// replyLen learns the size of the reply to req on conn (one command), so
// the timed loop can read exactly that many bytes.
func replyLen(b *testing.B, c net.Conn, req []byte) int {
	b.Helper()
	if _, err := c.Write(req); err != nil {
		b.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 64*1024)
	total := 0
	for {
		n, err := c.Read(buf[total:])
		total += n
		if err != nil {
			break
		}
	}
	c.SetReadDeadline(time.Time{})
	return total
}

func benchHot(b *testing.B, tc hotCase, depth int, args ...string) {
	s := startTB(b, args...)
	c, err := net.Dial("tcp", s.listeners[0].Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, a := range tc.setup {
		replyLen(b, c, respCmd(a...))
	}
	one := respCmd(tc.cmd...)
	// LPUSH and INCR replies grow; measure with a value that keeps the
	// reply length fixed once the key exists.
	// Integer replies (INCR, LPUSH) grow: those are read line by line.
	n := replyLen(b, c, one)
	if tc.name == "INCR" || tc.name == "LPUSH" {
		n = 0
	}
	req := bytes.Repeat(one, depth)
	buf := make([]byte, 1<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if n > 0 {
			if _, err := io.ReadFull(c, buf[:n*depth]); err != nil {
				b.Fatal(err)
			}
			continue
		}
		// Variable-length integer replies: read until depth CRLF lines.
		lines := 0
		for lines < depth {
			m, err := c.Read(buf)
			if err != nil {
				b.Fatal(err)
			}
			lines += bytes.Count(buf[:m], []byte("\r\n"))
		}
	}
}

func BenchmarkHotpath(b *testing.B) {
	for _, tc := range hotCases {
		for _, depth := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/P%d", tc.name, depth), func(b *testing.B) {
				benchHot(b, tc, depth, "--proactor_threads", "1")
			})
		}
	}
}

// pipeline_squash is live: with it at 1 a pipeline of same-key commands
// runs under one lock acquisition (all but the first command of each run
// are squashed); after CONFIG SET pipeline_squash 0 none is.
func TestPipelineSquashLive(t *testing.T) {
	s := start(t, "--pipeline_squash", "1")
	c, err := net.Dial("tcp", s.listeners[0].Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	squashed := func() int64 {
		var n int64
		for _, cl := range s.env.Clients.List() {
			n += cl.Conn.Squashed.Load()
		}
		return n
	}
	pipeline := func(n int) {
		req := bytes.Repeat(respCmd("INCR", "k"), n)
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64*1024)
		lines := 0
		for lines < n {
			m, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			lines += bytes.Count(buf[:m], []byte("\r\n"))
		}
	}
	pipeline(50)
	if got := squashed(); got < 40 {
		t.Fatalf("squashed %d of 50 same-key commands with pipeline_squash 1", got)
	}
	if _, err := c.Write(respCmd("CONFIG", "SET", "pipeline_squash", "0")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 5)); err != nil { // +OK\r\n
		t.Fatal(err)
	}
	before := squashed()
	pipeline(50)
	if got := squashed() - before; got != 0 {
		t.Fatalf("squashed %d commands with pipeline_squash 0", got)
	}
}

// A pipeline that arrives in one read is answered with one write: the
// connection's own counters (read calls that returned data, write calls)
// move by one each. On the event loop and on a goroutine per connection.
func TestOneReadOneWritePerBatch(t *testing.T) {
	for _, mode := range []string{"--event_loop=true", "--event_loop=false"} {
		t.Run(mode, func(t *testing.T) { testOneReadOneWrite(t, mode) })
	}
}

func testOneReadOneWrite(t *testing.T, mode string) {
	s := startTB(t, mode)
	if on := len(s.loops) > 0; on != (mode == "--event_loop=true") {
		t.Fatalf("%s: %d event loops", mode, len(s.loops))
	}
	c, err := net.Dial("tcp", s.listeners[0].Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A first command so the connection is registered and sniffed.
	if _, err := c.Write(respCmd("PING")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 7)); err != nil {
		t.Fatal(err)
	}
	cl := s.env.Clients.List()[0]
	reads, writes := cl.Conn.Reads.Load(), cl.Conn.Replies.Load()
	const depth = 100
	var req []byte
	for i := 0; i < depth; i++ {
		req = append(req, respCmd("SET", fmt.Sprint("k", i), "v")...)
	}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 5*depth)); err != nil { // +OK\r\n each
		t.Fatal(err)
	}
	if r, w := cl.Conn.Reads.Load()-reads, cl.Conn.Replies.Load()-writes; r != 1 || w != 1 {
		t.Fatalf("%d-command pipeline took %d reads and %d writes, want 1 and 1", depth, r, w)
	}
}

// BenchmarkIdleConnMemory reports the heap an idle connection holds after
// one request: the pooled read and write buffers go back while it waits.
//
//	go test ./internal/server -run '^$' -bench IdleConn -benchtime 1x
func BenchmarkIdleConnMemory(b *testing.B) {
	s := startTB(b)
	const n = 2000
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", s.listeners[0].Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := c.Write(respCmd("PING")); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 7)); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	// Both ends of each loopback connection live in this process; the
	// client side's share is small (no buffers of its own).
	b.ReportMetric(float64(int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/n, "heap-B/conn")
	for _, c := range conns {
		c.Close()
	}
}

// Command statistics live in each connection and are summed when read:
// calls made on connections that have since closed, on live ones, and
// concurrently with INFO and /metrics readers all count exactly once.
func TestCommandStatsSummedAcrossConnections(t *testing.T) {
	s := start(t, "--pipeline_squash", "4")
	addr := s.listeners[0].Addr().String()
	const clients, per = 8, 300
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() { // a reader summing while the writers run
		for {
			select {
			case <-stop:
				return
			default:
				s.env.GatherInfo(info.Selection{}, 0)
				s.env.CommandStats()
			}
		}
	}()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			req := bytes.Repeat(respCmd("INCR", fmt.Sprint("k", i)), per)
			if _, err := c.Write(req); err != nil {
				t.Error(err)
				return
			}
			buf := make([]byte, 64*1024)
			for lines := 0; lines < per; {
				m, err := c.Read(buf)
				if err != nil {
					t.Error(err)
					return
				}
				lines += bytes.Count(buf[:m], []byte("\r\n"))
			}
		}(i)
	}
	wg.Wait()
	// The clients have closed: wait until the server has seen every
	// close and folded those connections' counters into the totals.
	for deadline := time.Now().Add(5 * time.Second); s.env.Clients.Len() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	incr := s.env.Table.Lookup([]byte("incr"))
	if got := s.env.CommandStats().Of(incr).Calls; got != clients*per {
		t.Fatalf("incr calls %d, want %d", got, clients*per)
	}
	if h := s.env.CommandStats().Histogram(incr); h == nil {
		t.Fatal("no latency histogram for incr")
	} else if total, _ := h.CDF(); total != clients*per {
		t.Fatalf("incr histogram holds %d calls, want %d", total, clients*per)
	}
	if got := s.env.Totals().Commands; got != clients*per {
		t.Fatalf("total commands %d, want %d", got, clients*per)
	}
}

// conn_io_threads (Dragonfly's flag) sets how many of the proactor
// threads run an event loop for client connections.
func TestConnIOThreads(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		loops int
	}{
		{[]string{"--proactor_threads", "3"}, 3},
		{[]string{"--proactor_threads", "3", "--conn_io_threads", "1"}, 1},
		{[]string{"--proactor_threads", "2", "--conn_io_threads", "5"}, 2},
	} {
		s := startTB(t, tc.flags...)
		if len(s.loops) != tc.loops {
			t.Errorf("%v: %d event loops, want %d", tc.flags, len(s.loops), tc.loops)
		}
		for i := 0; i < 4; i++ { // dealt over the loops, each answers
			if got := cmd(t, s.listeners[0].Addr().String(), "PING"); got[0] != "+PONG" {
				t.Errorf("%v: PING: %q", tc.flags, got)
			}
		}
	}
}

// The first loop serves the first sharedLoopConns connections alone (so a
// few clients keep Redis's arrival order across their connections); past
// that, new connections go to the loop serving the fewest, so 50 clients
// on two loops end up 25 and 25, and a subscriber that leaves its loop
// makes room there.
func TestLoopPlacement(t *testing.T) {
	s := startTB(t, "--proactor_threads", "2")
	if len(s.loops) != 2 {
		t.Fatalf("%d event loops, want 2", len(s.loops))
	}
	addr := s.listeners[0].Addr().String()
	open := func(n int) []net.Conn {
		var cs []net.Conn
		for range n {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			c.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprint(c, "PING\r\n")
			if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "+PONG\r\n" {
				t.Fatalf("PING: %q, %v", line, err)
			}
			cs = append(cs, c)
		}
		return cs
	}
	served := func() (int32, int32) { return s.loops[0].served.Load(), s.loops[1].served.Load() }
	first := open(sharedLoopConns)
	if a, b := served(); a != sharedLoopConns || b != 0 {
		t.Fatalf("after %d connections the loops serve %d and %d, want all on the first", sharedLoopConns, a, b)
	}
	open(50 - sharedLoopConns)
	if a, b := served(); a != 25 || b != 25 {
		t.Fatalf("after 50 connections the loops serve %d and %d, want 25 and 25", a, b)
	}
	for _, c := range first[:4] {
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for a, _ := served(); a != 21; a, _ = served() {
		if time.Now().After(deadline) {
			t.Fatalf("the first loop serves %d after 4 of its clients left, want 21", a)
		}
		time.Sleep(5 * time.Millisecond)
	}
	open(4)
	if a, b := served(); a != 25 || b != 25 {
		t.Fatalf("after 4 more connections the loops serve %d and %d, want 25 and 25", a, b)
	}
}

// --port=-1 (Dragonfly: any free port) listens on one free port, the same
// on every bind address, and serves on it.
func TestPortMinusOnePicksAFreePort(t *testing.T) {
	s := startTB(t, "--port", "-1", "--bind", "127.0.0.1 -::1")
	port := s.listeners[0].Addr().(*net.TCPAddr).Port
	if port <= 0 {
		t.Fatalf("listening on port %d", port)
	}
	for _, l := range s.listeners[1:] {
		if p := l.Addr().(*net.TCPAddr).Port; p != port {
			t.Errorf("listeners on ports %d and %d, want one port", port, p)
		}
	}
	if got := cmd(t, s.listeners[0].Addr().String(), "PING"); got[0] != "+PONG" {
		t.Fatalf("PING: %q", got)
	}
}
