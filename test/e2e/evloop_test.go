package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The event loop (--event_loop, the default) serves many connections on
// one goroutine per proactor thread. With --proactor_threads 1 every
// client shares one loop, so a client that waits (blocked, busy, not
// reading) would stall all the others unless it is handed off. Each case
// runs against the loop and against --event_loop=false.

var loopModes = []struct {
	name  string
	flags []string
}{
	{"loop", []string{"--proactor_threads", "1", "--event_loop=true"}},
	{"goroutines", []string{"--proactor_threads", "1", "--event_loop=false"}},
}

// stallBound is how long another client may take for a few commands
// while one client waits. The waits below last far longer (or for
// ever), so a stalled loop fails it however busy the machine is.
const stallBound = 2 * time.Second

// assertResponsive runs PING, SET and GET on a fresh connection within
// stallBound.
func assertResponsive(t *testing.T, s *Server, what string) {
	t.Helper()
	w := dialWire(t, s.Addr)
	w.timeout = stallBound
	start := time.Now()
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"SET", "probe", what}, "+OK\r\n"},
		{[]string{"GET", "probe"}, respBulk(what)},
	} {
		w.write(respCmd(step.args...))
		got, err := w.tryReply()
		if err != nil || got != step.want {
			t.Fatalf("%s: %v got %q, %v after %v: the other clients are stalled", what, step.args, got, err, time.Since(start))
		}
	}
	if d := time.Since(start); d > stallBound {
		t.Fatalf("%s: other clients took %v", what, d)
	}
}

func TestEventLoopHandOff(t *testing.T) {
	for _, m := range loopModes {
		t.Run(m.name, func(t *testing.T) {
			s := Start(t, m.flags...)

			t.Run("BLPOP", func(t *testing.T) {
				b := dialWire(t, s.Addr)
				b.write(respCmd("BLPOP", "evl:list", "0"))
				time.Sleep(100 * time.Millisecond)
				assertResponsive(t, s, "blpop")
				p := dialWire(t, s.Addr)
				p.do("RPUSH", "evl:list", "x")
				b.expect("*2\r\n$8\r\nevl:list\r\n$1\r\nx\r\n")
				// The handed-off client keeps working.
				b.write(respCmd("PING"))
				b.expect("+PONG\r\n")
			})

			t.Run("DEBUG SLEEP", func(t *testing.T) {
				b := dialWire(t, s.Addr)
				b.timeout = 10 * time.Second
				b.write(respCmd("DEBUG", "SLEEP", "3"))
				time.Sleep(100 * time.Millisecond)
				w := dialWire(t, s.Addr)
				w.timeout = stallBound
				start := time.Now()
				w.write(respCmd("PING"))
				w.expect("+PONG\r\n")
				if d := time.Since(start); d > stallBound {
					t.Fatalf("PING took %v during DEBUG SLEEP", d)
				}
				b.expect("+OK\r\n")
				assertResponsive(t, s, "after-sleep")
			})

			t.Run("busy script", func(t *testing.T) {
				b := dialWire(t, s.Addr)
				b.timeout = 10 * time.Second
				// Spins for 1.5 s of TIME, well under lua-time-limit.
				script := "local t=redis.call('TIME') local s=t[1]*1000000+t[2] " +
					"repeat local n=redis.call('TIME') until n[1]*1000000+n[2]-s > 1500000 return 1"
				b.write(respCmd("EVAL", script, "0"))
				time.Sleep(100 * time.Millisecond)
				w := dialWire(t, s.Addr)
				w.timeout = stallBound
				start := time.Now()
				// PING takes no shard: the script holds them all.
				w.write(respCmd("PING"))
				w.expect("+PONG\r\n")
				if d := time.Since(start); d > time.Second {
					t.Fatalf("PING took %v during a busy script", d)
				}
				b.expect(":1\r\n")
				assertResponsive(t, s, "after-script")
			})

			t.Run("subscriber not reading", func(t *testing.T) {
				sub := rawDial(t, s.Addr)
				defer sub.Close()
				fmt.Fprintf(sub, "%s", respCmd("SUBSCRIBE", "evl:ch"))
				time.Sleep(100 * time.Millisecond)
				pub := dialWire(t, s.Addr)
				msg := strings.Repeat("m", 64*1024)
				// 8 MB for a reader that never reads: the socket fills.
				for range 128 {
					pub.write(respCmd("PUBLISH", "evl:ch", msg))
					if got := pub.reply(); got != ":1\r\n" && got != ":0\r\n" {
						t.Fatalf("PUBLISH: %q", got)
					}
				}
				assertResponsive(t, s, "subscriber")
			})

			t.Run("huge unread reply", func(t *testing.T) {
				w := dialWire(t, s.Addr)
				big := strings.Repeat("v", 4<<20)
				w.write(respCmd("SET", "evl:big", big))
				w.expect("+OK\r\n")
				r := rawDial(t, s.Addr)
				defer r.Close()
				// 40 MB of replies nobody reads.
				var req strings.Builder
				for range 10 {
					req.Write(respCmd("GET", "evl:big"))
				}
				fmt.Fprint(r, req.String())
				time.Sleep(300 * time.Millisecond)
				assertResponsive(t, s, "unread")
			})
		})
	}
}

// TestEventLoopIdleConnections: idle clients on the loop cost no
// goroutine each; without it each has one. This is how the test knows
// the loop really serves them.
func TestEventLoopIdleConnections(t *testing.T) {
	for _, m := range loopModes {
		t.Run(m.name, func(t *testing.T) {
			s := Start(t, m.flags...)
			base := scrapeGauge(t, s, "dragonfly_goroutines")
			const n = 100
			for i := range n {
				w := dialWire(t, s.Addr)
				w.write(respCmd("SET", fmt.Sprintf("idle:%d", i), "1"))
				w.expect("+OK\r\n")
			}
			got := scrapeGauge(t, s, "dragonfly_goroutines")
			t.Logf("%d goroutines with %d idle clients (baseline %d)", got, n, base)
			if m.name == "loop" && got > base+10 {
				t.Fatalf("%d goroutines for %d idle clients on the loop (baseline %d): not served by the loop", got, n, base)
			}
			if m.name == "goroutines" && got < base+n*9/10 {
				t.Fatalf("%d goroutines for %d idle clients without the loop (baseline %d)", got, n, base)
			}
			// And they are all served.
			info := s.Client(t, 2).Info(Ctx(t), "clients").Val()
			var connected int
			fmt.Sscanf(info[strings.Index(info, "connected_clients:"):], "connected_clients:%d", &connected)
			if connected < n {
				t.Fatalf("connected_clients %d, want at least %d", connected, n)
			}
		})
	}
}

// TestEventLoopTimeout: the loop's sweep closes clients idle for longer
// than "timeout", and spares them before.
func TestEventLoopTimeout(t *testing.T) {
	for _, m := range loopModes {
		t.Run(m.name, func(t *testing.T) {
			s := Start(t, append(m.flags, "--timeout", "1")...)
			idle := dialWire(t, s.Addr)
			idle.write(respCmd("PING"))
			idle.expect("+PONG\r\n")
			busy := dialWire(t, s.Addr)
			// 3 s: past the timeout and at least one sweep for idle;
			// busy is never idle for more than a quarter second.
			for range 12 {
				time.Sleep(250 * time.Millisecond)
				busy.write(respCmd("PING"))
				busy.expect("+PONG\r\n")
			}
			idle.expectClosed()
		})
	}
}

// A client that subscribes on one connection and publishes on another
// right after expects its own subscription to count: Redis's single event
// loop runs commands in the order their data arrived. With connections
// dealt over two loops in turn, the publisher's loop ran PUBLISH while the
// subscriber's was still waking up in 60-74 of 100 tries; the first loop
// now serves the first connections alone (loopaccept.go).
func TestLoopsKeepArrivalOrderAcrossConnections(t *testing.T) {
	s := Start(t, "--proactor_threads", "2", "--event_loop=true")
	const tries, allowed = 100, 0
	overtaken := 0
	for i := 0; i < tries; i++ {
		sub, pub := dialWire(t, s.Addr), dialWire(t, s.Addr)
		sub.write(respCmd("PING"))
		sub.expect("+PONG\r\n")
		pub.write(respCmd("PING"))
		pub.expect("+PONG\r\n")
		time.Sleep(2 * time.Millisecond) // both loops park
		ch := fmt.Sprintf("order%d", i)
		sub.write(respCmd("SUBSCRIBE", ch))
		pub.write(respCmd("PUBLISH", ch, "m"))
		switch got := pub.reply(); got {
		case ":1\r\n":
		case ":0\r\n":
			overtaken++
		default:
			t.Fatalf("PUBLISH replied %q", got)
		}
		sub.nc.Close()
		pub.nc.Close()
	}
	if overtaken > allowed {
		t.Fatalf("PUBLISH overtook the SUBSCRIBE sent before it in %d of %d tries (at most %d allowed)", overtaken, tries, allowed)
	}
	t.Logf("PUBLISH overtook the SUBSCRIBE sent before it in %d of %d tries", overtaken, tries)
}

// TestEventLoopReadAheadHandBack: the loop reads all its ready clients
// before serving the first (internal/server/readahead.go). A request read
// ahead is out of the socket, so when the loop is taken from the goroutine
// serving the batch (a client detaching into a blocking wait, or the
// watchdog) the requests it read but did not serve must reach the
// goroutine that runs the loop next, at once: epoll will not report those
// clients again, and the detached client's goroutine serves it for the
// rest of its life. Here 24 clients run request/reply loops (one command
// each time, so a lost request hangs its client) for two seconds while
// two others keep opening connections that run BLPOP with a 300 ms
// timeout (each a detach) and close. Every reply must be the right one
// and come well before such a wait ends.
func TestEventLoopReadAheadHandBack(t *testing.T) {
	s := Start(t, "--proactor_threads", "1", "--event_loop=true")
	const clients = 24
	const slowest = 150 * time.Millisecond
	stop := make(chan struct{})
	var detaches atomic.Int64
	for range 2 {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				nc, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
				if err != nil {
					return
				}
				nc.SetDeadline(time.Now().Add(5 * time.Second))
				nc.Write(respCmd("BLPOP", "evl:nolist", "0.3"))
				var out bytes.Buffer
				readRawReply(bufio.NewReader(nc), &out)
				nc.Close()
				detaches.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Second)
	errs := make(chan error, clients)
	for i := range clients {
		w := dialWire(t, s.Addr)
		w.timeout = stallBound
		go func() {
			key := fmt.Sprintf("evl:ra:%d", i)
			for r := 0; time.Now().Before(deadline); r++ {
				var req []byte
				want := ""
				if r%2 == 0 {
					req, want = respCmd("SET", key, fmt.Sprint(r)), "+OK\r\n"
				} else {
					req, want = respCmd("GET", key), respBulk(fmt.Sprint(r-1))
				}
				start := time.Now()
				w.nc.SetWriteDeadline(start.Add(w.timeout))
				if _, err := w.nc.Write(req); err != nil {
					errs <- fmt.Errorf("client %d round %d: write: %v", i, r, err)
					return
				}
				got, err := w.tryReply()
				if err != nil || got != want {
					errs <- fmt.Errorf("client %d round %d: got %q, %v; want %q (a request read ahead was lost)", i, r, got, err, want)
					return
				}
				if d := time.Since(start); d > slowest {
					errs <- fmt.Errorf("client %d round %d: the reply took %v (a request read ahead waited for a blocked client)", i, r, d)
					return
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			close(stop)
			t.Fatal(err)
		}
	}
	close(stop)
	if n := detaches.Load(); n < 6 {
		t.Fatalf("only %d BLPOP connections came and went in 2 s: the loop was not taken often enough to test anything", n)
	}
}
