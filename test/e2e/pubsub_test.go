package e2e

import (
	"bytes"
	"compress/gzip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestPubSubWire checks the exact bytes of subscription confirmations,
// messages and the RESP2 subscriber-mode rules against both servers.
func TestPubSubWire(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		sub := dialWire(t, s.Addr)
		pub := dialWire(t, s.Addr)
		sub.write(respCmd("SUBSCRIBE", "a", "b"))
		sub.expect("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
		sub.expect("*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n")
		sub.write(respCmd("PSUBSCRIBE", "n*"))
		sub.expect("*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n")
		if got := pub.do("PUBLISH", "a", "hello"); got != ":1\r\n" {
			t.Fatalf("PUBLISH a = %q", got)
		}
		sub.expect("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n")
		if got := pub.do("PUBLISH", "news", "x"); got != ":1\r\n" {
			t.Fatalf("PUBLISH news = %q", got)
		}
		sub.expect("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$1\r\nx\r\n")
		if got := pub.do("PUBLISH", "nobody", "x"); got != ":1\r\n" {
			t.Fatalf("PUBLISH nobody = %q (pattern n* matches)", got)
		}
		sub.expect("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$6\r\nnobody\r\n$1\r\nx\r\n")
		if got := pub.do("PUBLISH", "zzz", "x"); got != ":0\r\n" {
			t.Fatalf("PUBLISH zzz = %q", got)
		}
		// RESP2 subscriber mode: only (un)subscribe, PING, QUIT, RESET.
		sub.write(respCmd("GET", "k"))
		sub.expect("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n")
		sub.write(respCmd("PING"))
		sub.expect("*2\r\n$4\r\npong\r\n$0\r\n\r\n")
		if got := pub.do("PUBSUB", "NUMSUB", "a", "zzz"); got != "*4\r\n$1\r\na\r\n:1\r\n$3\r\nzzz\r\n:0\r\n" {
			t.Fatalf("PUBSUB NUMSUB = %q", got)
		}
		if got := pub.do("PUBSUB", "NUMPAT"); got != ":1\r\n" {
			t.Fatalf("PUBSUB NUMPAT = %q", got)
		}
		if got := pub.do("PUBSUB", "CHANNELS"); got != "*2\r\n$1\r\na\r\n$1\r\nb\r\n" && got != "*2\r\n$1\r\nb\r\n$1\r\na\r\n" {
			t.Fatalf("PUBSUB CHANNELS = %q", got)
		}
		sub.write(respCmd("UNSUBSCRIBE", "a"))
		sub.expect("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n")
		sub.write(respCmd("PUNSUBSCRIBE"))
		sub.expect("*3\r\n$12\r\npunsubscribe\r\n$2\r\nn*\r\n:1\r\n")
		sub.write(respCmd("UNSUBSCRIBE"))
		sub.expect("*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n")
		sub.write(respCmd("UNSUBSCRIBE"))
		sub.expect("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n")
		// Out of subscriber mode, normal commands work again.
		sub.expect2("GET", "k", "$-1\r\n")
	})
}

func (w *wireConn) expect2(cmd, arg, want string) {
	w.t.Helper()
	w.write(respCmd(cmd, arg))
	w.expect(want)
}

// TestPubSubRESP3 checks push messages and that a RESP3 subscriber may run
// ordinary commands.
func TestPubSubRESP3(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		sub := dialWire(t, s.Addr)
		pub := dialWire(t, s.Addr)
		sub.write(respCmd("HELLO", "3"))
		sub.reply()
		sub.write(respCmd("SUBSCRIBE", "c"))
		sub.expect(">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n")
		pub.do("PUBLISH", "c", "m")
		sub.expect(">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n")
		sub.write(respCmd("SET", "k", "v"))
		sub.expect("+OK\r\n")
		sub.write(respCmd("SSUBSCRIBE", "sc"))
		sub.expect(">3\r\n$10\r\nssubscribe\r\n$2\r\nsc\r\n:1\r\n")
		if got := pub.do("SPUBLISH", "sc", "z"); got != ":1\r\n" {
			t.Fatalf("SPUBLISH = %q", got)
		}
		sub.expect(">3\r\n$8\r\nsmessage\r\n$2\r\nsc\r\n$1\r\nz\r\n")
		sub.write(respCmd("UNSUBSCRIBE"))
		sub.expect(">3\r\n$11\r\nunsubscribe\r\n$1\r\nc\r\n:0\r\n")
	})
}

// TestPubSubBinaryPayload sends gzip-compressed and arbitrary binary
// payloads, as Directus's bus does, through go-redis.
func TestPubSubBinaryPayload(t *testing.T) {
	s := Start(t)
	ctx := Ctx(t)
	sub := s.Client(t, 3).Subscribe(ctx, "directus:bus")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(`{"type":"log","message":"hello"}`, 100)))
	zw.Close()
	payloads := [][]byte{gz.Bytes(), {0, 1, 2, 255, '\r', '\n', 0}, bytes.Repeat([]byte{0xAB}, 1<<20)}
	pub := s.Client(t, 2)
	for _, p := range payloads {
		if n := pub.Publish(ctx, "directus:bus", p).Val(); n != 1 {
			t.Fatalf("publish reached %d", n)
		}
	}
	for i, p := range payloads {
		m, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Payload != string(p) {
			t.Fatalf("payload %d corrupted (%d bytes, want %d)", i, len(m.Payload), len(p))
		}
	}
}

// TestPubSubSlowSubscriberIsCut: a subscriber that never reads is
// disconnected at its output buffer limit; publishers and a healthy
// subscriber are unaffected and the server stays responsive.
func TestPubSubSlowSubscriberIsCut(t *testing.T) {
	s := Start(t)
	ctx := Ctx(t)
	admin := s.Client(t, 2)
	if err := admin.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 1mb 256kb 1").Err(); err != nil {
		t.Fatal(err)
	}
	slow := dialWire(t, s.Addr)
	slow.write(respCmd("CLIENT", "SETNAME", "slow"))
	slow.expect("+OK\r\n")
	slow.write(respCmd("SUBSCRIBE", "flood"))
	slow.expect("*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n")
	// Shrink the slow client's socket buffers so the server's queue fills.
	if tc, ok := slow.nc.(interface{ SetReadBuffer(int) error }); ok {
		tc.SetReadBuffer(4096)
	}
	good := s.Client(t, 2).Subscribe(ctx, "flood")
	defer good.Close()
	if _, err := good.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	// The healthy subscriber is held to the same limit, so the publisher
	// never lets it fall more than 8 messages (128 KB, under the soft
	// limit) behind: on a slow machine (CI's race run) an unpaced flood
	// could outrun its reader and cut it too.
	var got atomic.Int64
	received := make(chan struct{})
	go func() {
		for range good.Channel(withSize(100000)) {
			if got.Add(1) == 400 {
				close(received)
				return
			}
		}
	}()
	payload := strings.Repeat("x", 16*1024)
	for i := 0; i < 400; i++ {
		for wait := time.Now().Add(20 * time.Second); got.Load() < int64(i-8); {
			if time.Now().After(wait) {
				t.Fatalf("the healthy subscriber stalled at %d of %d messages", got.Load(), i)
			}
			time.Sleep(time.Millisecond)
		}
		if err := admin.Publish(ctx, "flood", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-received:
	case <-time.After(20 * time.Second):
		t.Fatalf("the healthy subscriber got %d of 400 messages", got.Load())
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(admin.ClientList(ctx).Val(), "name=slow") {
		if time.Now().After(deadline) {
			t.Fatal("the slow subscriber was not disconnected")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := admin.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

func withSize(n int) redis.ChannelOption { return redis.WithChannelSize(n) }

// Pub/sub confirmations and ordinary replies leave in the order of the
// commands of a pipeline, as Redis's single output buffer keeps them:
// confirmations travel on the subscriber's message queue, and a reply
// written straight to the socket used to overtake them (PING answered
// before the SUBSCRIBE sent ahead of it; UNSUBSCRIBE from a client with no
// subscription answered after the PING that followed it).
func TestPubSubRepliesKeepPipelineOrder(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := dialWire(t, s.Addr)
		c.writeStr("UNSUBSCRIBE chC\r\nPING x\r\nPUNSUBSCRIBE\r\nPING y\r\nSUNSUBSCRIBE s\r\nPING z\r\n")
		for _, want := range []string{
			"*3\r\n$11\r\nunsubscribe\r\n$3\r\nchC\r\n:0\r\n", "$1\r\nx\r\n",
			"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n", "$1\r\ny\r\n",
			"*3\r\n$12\r\nsunsubscribe\r\n$1\r\ns\r\n:0\r\n", "$1\r\nz\r\n",
		} {
			c.expect(want)
		}
		c.writeStr("SUBSCRIBE a\r\nPING\r\nUNSUBSCRIBE a\r\nPING x\r\nSUBSCRIBE b\r\nPING z\r\nUNSUBSCRIBE\r\nPING y\r\n")
		for _, want := range []string{
			"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", "*2\r\n$4\r\npong\r\n$0\r\n\r\n",
			"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n", "$1\r\nx\r\n",
			"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:1\r\n", "*2\r\n$4\r\npong\r\n$1\r\nz\r\n",
			"*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n", "$1\r\ny\r\n",
		} {
			c.expect(want)
		}
	})
}
