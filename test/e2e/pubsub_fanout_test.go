package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPubSubOrderConcurrentPublishers: several publishers pipeline bursts
// of PUBLISH at once while RESP2 and RESP3 subscribers (one by pattern)
// listen. Messages coalesced into shared writes must still reach every
// subscriber whole, each exactly once, and in each publisher's order.
func TestPubSubOrderConcurrentPublishers(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		const pubs, perPub, burst = 4, 600, 50
		sub2 := dialWire(t, s.Addr)
		sub2.write(respCmd("SUBSCRIBE", "ord"))
		sub2.expect("*3\r\n$9\r\nsubscribe\r\n$3\r\nord\r\n:1\r\n")
		sub3 := dialWire(t, s.Addr)
		sub3.write(respCmd("HELLO", "3"))
		sub3.reply()
		sub3.write(respCmd("SUBSCRIBE", "ord"))
		sub3.expect(">3\r\n$9\r\nsubscribe\r\n$3\r\nord\r\n:1\r\n")
		psub := dialWire(t, s.Addr)
		psub.write(respCmd("PSUBSCRIBE", "o*"))
		psub.expect("*3\r\n$10\r\npsubscribe\r\n$2\r\no*\r\n:1\r\n")

		errs := make(chan error, pubs)
		var wg sync.WaitGroup
		for p := 0; p < pubs; p++ {
			wg.Add(1)
			go func(p int) {
				defer wg.Done()
				errs <- publishBursts(s.Addr, p, perPub, burst)
			}(p)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		frame := func(resp3, pattern bool, payload string) string {
			head := "*3\r\n"
			if resp3 {
				head = ">3\r\n"
			}
			if pattern {
				return "*4\r\n$8\r\npmessage\r\n$2\r\no*\r\n$3\r\nord\r\n" + respBulk(payload)
			}
			return head + "$7\r\nmessage\r\n$3\r\nord\r\n" + respBulk(payload)
		}
		for _, c := range []struct {
			name           string
			w              *wireConn
			resp3, pattern bool
		}{{"resp2", sub2, false, false}, {"resp3", sub3, true, false}, {"pattern", psub, false, true}} {
			next := make([]int, pubs)
			for i := 0; i < pubs*perPub; i++ {
				got := c.w.reply()
				var p, seq int
				idx := strings.LastIndex(got, "p")
				if _, err := fmt.Sscanf(got[idx:], "p%d:%d\r\n", &p, &seq); err != nil || p < 0 || p >= pubs {
					t.Fatalf("%s: message %d unreadable: %q", c.name, i, got)
				}
				if seq != next[p] {
					t.Fatalf("%s: publisher %d: got message %d, want %d (order lost)", c.name, p, seq, next[p])
				}
				if want := frame(c.resp3, c.pattern, fmt.Sprintf("p%d:%d", p, seq)); got != want {
					t.Fatalf("%s: frame %q, want %q", c.name, got, want)
				}
				next[p]++
			}
		}
	})
}

// publishBursts sends n PUBLISH commands to "ord" in pipelined bursts and
// checks that each reached the three subscribers.
func publishBursts(addr string, p, n, burst int) error {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(nc)
	for sent := 0; sent < n; {
		var b bytes.Buffer
		k := min(burst, n-sent)
		for i := 0; i < k; i++ {
			b.Write(respCmd("PUBLISH", "ord", fmt.Sprintf("p%d:%d", p, sent+i)))
		}
		if _, err := nc.Write(b.Bytes()); err != nil {
			return fmt.Errorf("publisher %d: %w", p, err)
		}
		for i := 0; i < k; i++ {
			var out bytes.Buffer
			if err := readRawReply(r, &out); err != nil {
				return fmt.Errorf("publisher %d: %w", p, err)
			}
			if out.String() != ":3\r\n" {
				return fmt.Errorf("publisher %d: PUBLISH = %q, want :3", p, out.String())
			}
		}
		sent += k
	}
	return nil
}

// TestPubSubTLSSubscriberBursts: a TLS subscriber, RESP2 and RESP3, gets
// pipelined bursts whole and in order: its pushes go through the TLS
// layer, never straight to the socket.
func TestPubSubTLSSubscriberBursts(t *testing.T) {
	p := newPKI(t)
	s := StartTLS(t, p.clientConfig(false), p.serverFlags()...)
	for _, proto := range []int{2, 3} {
		ctx := Ctx(t)
		subc := s.TLSClient(t, p.clientConfig(false), proto)
		sub := subc.Subscribe(ctx, "tlsbus")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		ch := sub.Channel(withSize(10000))
		pub := s.TLSClient(t, p.clientConfig(false), proto)
		const n = 2000
		for sent := 0; sent < n; sent += 100 {
			pipe := pub.Pipeline()
			for i := sent; i < sent+100; i++ {
				pipe.Publish(ctx, "tlsbus", fmt.Sprintf("m%d-%s", i, strings.Repeat("x", i%300)))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatalf("RESP%d: pipeline: %v", proto, err)
			}
		}
		for i := 0; i < n; i++ {
			select {
			case m := <-ch:
				if want := fmt.Sprintf("m%d-%s", i, strings.Repeat("x", i%300)); m.Payload != want {
					t.Fatalf("RESP%d: message %d = %.40q, want %.40q", proto, i, m.Payload, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("RESP%d: message %d never arrived", proto, i)
			}
		}
		sub.Close()
	}
}

// TestPubSubSlowSubscriberCutPipelined: pipelined bursts of small
// messages (coalesced into shared buffers, their writes deferred to the
// end of the publisher's batch) still count against the pubsub output
// limit as each one is queued: a subscriber that never reads is cut,
// while a reading subscriber gets every message in order.
func TestPubSubSlowSubscriberCutPipelined(t *testing.T) {
	s := Start(t)
	admin := dialWire(t, s.Addr)
	admin.write(respCmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 512kb 0 0"))
	admin.expect("+OK\r\n")
	slow := dialWire(t, s.Addr)
	if tc, ok := slow.nc.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	slow.write(respCmd("CLIENT", "SETNAME", "slow"))
	slow.expect("+OK\r\n")
	slow.write(respCmd("SUBSCRIBE", "flood"))
	slow.expect("*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n")
	good := dialWire(t, s.Addr)
	good.write(respCmd("SUBSCRIBE", "flood"))
	good.expect("*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n")

	const n, burst = 6000, 200
	payload := strings.Repeat("y", 1000)
	got := make(chan error, 1)
	go func() {
		r := bufio.NewReader(good.nc)
		good.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
		for i := 0; i < n; i++ {
			var out bytes.Buffer
			if err := readRawReply(r, &out); err != nil {
				got <- fmt.Errorf("message %d: %w", i, err)
				return
			}
			want := "*3\r\n$7\r\nmessage\r\n$5\r\nflood\r\n" + respBulk(fmt.Sprintf("%05d%s", i, payload))
			if out.String() != want {
				got <- fmt.Errorf("message %d: got %.60q", i, out.String())
				return
			}
		}
		got <- nil
	}()
	pub := dialWire(t, s.Addr)
	for sent := 0; sent < n; sent += burst {
		var b bytes.Buffer
		for i := sent; i < sent+burst; i++ {
			b.Write(respCmd("PUBLISH", "flood", fmt.Sprintf("%05d%s", i, payload)))
		}
		pub.write(b.Bytes())
		for i := 0; i < burst; i++ {
			if r := pub.reply(); r != ":2\r\n" && r != ":1\r\n" {
				t.Fatalf("PUBLISH %d = %q", sent+i, r)
			}
		}
	}
	if err := <-got; err != nil {
		t.Fatalf("the reading subscriber: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(admin.do("CLIENT", "LIST"), "name=slow") {
		if time.Now().After(deadline) {
			t.Fatal("the slow subscriber was not disconnected at its limit")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := admin.do("PUBLISH", "flood", "after"); r != ":1\r\n" {
		t.Fatalf("PUBLISH after the cut = %q, want :1", r)
	}
}

// TestPubSubBurstOfMixedSizes: a pipelined burst of messages from a few
// bytes to just under the copy limit queues many chunks for a subscriber
// before its writer runs (a full chunk is not grown, a new one joins the
// write); every message must arrive once, whole and in order.
func TestPubSubBurstOfMixedSizes(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		sub := dialWire(t, s.Addr)
		sub.write(respCmd("SUBSCRIBE", "mix"))
		sub.expect("*3\r\n$9\r\nsubscribe\r\n$3\r\nmix\r\n:1\r\n")
		pub := dialWire(t, s.Addr)
		const n = 3000
		payload := func(i int) string {
			size := 8 + (i*977)%4000
			return strings.Repeat(string(rune('a'+i%26)), size-len(fmt.Sprint(i))) + fmt.Sprint(i)
		}
		var batch []byte
		for i := 0; i < n; i++ {
			batch = append(batch, respCmd("PUBLISH", "mix", payload(i))...)
		}
		pub.write(batch)
		for i := 0; i < n; i++ {
			if got := pub.reply(); got != ":1\r\n" {
				t.Fatalf("PUBLISH %d replied %q", i, got)
			}
		}
		for i := 0; i < n; i++ {
			want := "*3\r\n$7\r\nmessage\r\n$3\r\nmix\r\n" + respBulk(payload(i))
			if got := sub.reply(); got != want {
				t.Fatalf("message %d: got %d bytes %.60q..., want %d bytes", i, len(got), got, len(want))
			}
		}
	})
}
