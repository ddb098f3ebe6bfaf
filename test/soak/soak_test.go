// Package soak is a bounded soak test of the built server over loopback:
// many connections opened and closed, pipelines of 10 000 commands of
// every type, 100 subscribers of which one never reads, round after round
// for -soak (30 s by default, at least two rounds). It asserts that no
// reply is an error, that the non-reading subscriber is cut by the pubsub
// output buffer limit while the others get every message, and that the
// server's goroutines and heap come back to their level after each round.
package soak

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

var soakFor = flag.Duration("soak", 30*time.Second, "how long to keep running soak rounds (at least two run)")

const (
	wantConns   = 10000
	pipelineLen = 10000
	pipelines   = 4
	subscribers = 100
	messages    = 4000
	payloadSize = 4096
)

// raiseNoFile lifts the soft open-files limit to the hard one, so that
// the test (and the server it starts, which inherits it) can hold many
// connections; it returns how many connections fit.
func raiseNoFile(t *testing.T) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Logf("cannot raise RLIMIT_NOFILE: %v", err)
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
	}
	return int(lim.Cur) - 500
}

func cmd(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// readReply reads one reply; it returns the error text of an error reply
// and counts the top-level elements of an array.
func readReply(r *bufio.Reader) (errText string, err error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 {
		return "", fmt.Errorf("short line %q", line)
	}
	switch line[0] {
	case '-':
		return line[1 : len(line)-2], nil
	case '+', ':':
		return "", nil
	case '$':
		n, _ := strconv.Atoi(line[1 : len(line)-2])
		if n >= 0 {
			_, err = r.Discard(n + 2)
		}
		return "", err
	case '*':
		n, _ := strconv.Atoi(line[1 : len(line)-2])
		for i := 0; i < n; i++ {
			e, err := readReply(r)
			if err != nil {
				return "", err
			}
			if e != "" {
				errText = e
			}
		}
		return errText, nil
	}
	return "", fmt.Errorf("unexpected reply line %q", line)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return nc
}

// connections opens n connections at once, checks each is served, and
// closes them all.
func connections(t *testing.T, s *server, n int) {
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		conns = append(conns, dial(t, s.addr))
	}
	ping := cmd("PING")
	for _, c := range conns {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write(ping); err != nil {
			t.Fatalf("write to one of %d connections: %v", n, err)
		}
	}
	buf := make([]byte, 7)
	for _, c := range conns {
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "+PONG\r\n" {
			t.Fatalf("PING on one of %d connections: %q %v", n, buf, err)
		}
	}
}

// mixedPipeline sends pipelineLen commands over every type in one write
// and checks that none of the replies is an error.
func mixedPipeline(t *testing.T, s *server, seed int64) error {
	rng := rand.New(rand.NewSource(seed))
	var b bytes.Buffer
	for i := 0; i < pipelineLen; i++ {
		k := strconv.Itoa(rng.Intn(5000))
		v := strconv.Itoa(rng.Int())
		switch rng.Intn(10) {
		case 0:
			b.Write(cmd("SET", "s:"+k, v))
		case 1:
			b.Write(cmd("GET", "s:"+k))
		case 2:
			b.Write(cmd("INCR", "n:"+k))
		case 3:
			b.Write(cmd("HSET", "h:"+k, "f"+v[:1], v))
		case 4:
			b.Write(cmd("LPUSH", "l:"+k, v))
		case 5:
			b.Write(cmd("LTRIM", "l:"+k, "0", "20"))
		case 6:
			b.Write(cmd("SADD", "set:"+k, v))
		case 7:
			b.Write(cmd("ZADD", "z:"+k, v[:3], v))
		case 8:
			b.Write(cmd("XADD", "x:"+k, "MAXLEN", "~", "50", "*", "f", v))
		default:
			b.Write(cmd("EXPIRE", "s:"+k, "100"))
		}
	}
	nc := dial(t, s.addr)
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(60 * time.Second))
	errc := make(chan error, 1)
	go func() {
		_, err := nc.Write(b.Bytes())
		errc <- err
	}()
	r := bufio.NewReaderSize(nc, 64<<10)
	for i := 0; i < pipelineLen; i++ {
		e, err := readReply(r)
		if err != nil {
			return fmt.Errorf("reply %d of the pipeline: %v", i, err)
		}
		if e != "" {
			return fmt.Errorf("reply %d of the pipeline is an error: %s", i, e)
		}
	}
	return <-errc
}

// pubsub runs subscribers-1 reading subscribers and one that never
// reads: the readers must get every message, the other must be cut.
func pubsub(t *testing.T, s *server) {
	channel := "soak"
	var wg sync.WaitGroup
	counts := make([]int, subscribers-1)
	errs := make([]error, subscribers-1)
	ready := make(chan struct{}, subscribers)
	for i := 0; i < subscribers-1; i++ {
		nc := dial(t, s.addr)
		defer nc.Close()
		wg.Add(1)
		go func(i int, nc net.Conn) {
			defer wg.Done()
			nc.SetDeadline(time.Now().Add(120 * time.Second))
			nc.Write(cmd("SUBSCRIBE", channel))
			r := bufio.NewReaderSize(nc, 64<<10)
			if _, err := readReply(r); err != nil {
				errs[i] = err
				ready <- struct{}{}
				return
			}
			ready <- struct{}{}
			for counts[i] < messages {
				if _, err := readReply(r); err != nil {
					errs[i] = fmt.Errorf("after %d messages: %v", counts[i], err)
					return
				}
				counts[i]++
			}
		}(i, nc)
	}
	slow := dial(t, s.addr).(*net.TCPConn)
	defer slow.Close()
	slow.Write(cmd("SUBSCRIBE", channel))
	// Its confirmation is the only thing it reads: publishing starts once
	// it is surely subscribed.
	confirm := "*3\r\n$9\r\nsubscribe\r\n$4\r\nsoak\r\n:1\r\n"
	slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	if b := make([]byte, len(confirm)); func() bool { _, err := io.ReadFull(slow, b); return err != nil || string(b) != confirm }() {
		t.Fatalf("the slow subscriber's SUBSCRIBE was not confirmed")
	}
	for i := 0; i < subscribers-1; i++ {
		<-ready
	}
	pub := dial(t, s.addr)
	defer pub.Close()
	pub.SetDeadline(time.Now().Add(120 * time.Second))
	pr := bufio.NewReader(pub)
	payload := string(bytes.Repeat([]byte("p"), payloadSize))
	for sent := 0; sent < messages; sent += 100 {
		var b bytes.Buffer
		for j := 0; j < 100; j++ {
			b.Write(cmd("PUBLISH", channel, payload))
		}
		pub.Write(b.Bytes())
		for j := 0; j < 100; j++ {
			line, err := pr.ReadString('\n')
			if err != nil || line[0] != ':' {
				t.Fatalf("PUBLISH: %q %v", line, err)
			}
			if sent == 0 && j == 0 && line != fmt.Sprintf(":%d\r\n", subscribers) {
				t.Fatalf("the first PUBLISH reached %q subscribers, want %d", line, subscribers)
			}
		}
	}
	wg.Wait()
	for i, n := range counts {
		if n != messages || errs[i] != nil {
			t.Fatalf("subscriber %d got %d of %d messages: %v", i, n, messages, errs[i])
		}
	}
	// The slow subscriber's connection must have been closed by the
	// server: reading what was queued ends in EOF, not a timeout.
	slow.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.Copy(io.Discard, slow)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the subscriber that never read was not disconnected (read %d bytes, %v); server log:\n%s", got, err, s.log.String())
	}
	if got >= int64(messages*payloadSize) {
		t.Fatalf("the subscriber that never read got everything (%d bytes): no limit applied", got)
	}
}

func TestSoak(t *testing.T) {
	maxConns := min(wantConns, raiseNoFile(t))
	if maxConns < wantConns {
		t.Logf("RLIMIT_NOFILE allows %d connections at once; opening %d in batches", maxConns, wantConns)
	}
	s := start(t, "--maxclients", "20000", "--client-output-buffer-limit", "pubsub 4mb 2mb 5", "--log_level", "info")
	base := s.gauge(t, "dragonfly_goroutines")
	t.Logf("baseline: %d goroutines", base)
	var heaps []int64
	begin := time.Now()
	for round := 0; round < 2 || time.Since(begin) < *soakFor; round++ {
		t0 := time.Now()
		for opened := 0; opened < wantConns; opened += maxConns {
			connections(t, s, min(maxConns, wantConns-opened))
		}
		t1 := time.Now()
		var wg sync.WaitGroup
		perrs := make([]error, pipelines)
		for p := 0; p < pipelines; p++ {
			wg.Add(1)
			go func(p int) {
				defer wg.Done()
				perrs[p] = mixedPipeline(t, s, int64(round*pipelines+p))
			}(p)
		}
		wg.Wait()
		for _, err := range perrs {
			if err != nil {
				t.Fatal(err)
			}
		}
		t2 := time.Now()
		pubsub(t, s)
		t3 := time.Now()
		ctl := dial(t, s.addr)
		ctl.SetDeadline(time.Now().Add(30 * time.Second))
		cr := bufio.NewReader(ctl)
		for _, c := range [][]string{{"FLUSHALL"}, {"MEMORY", "PURGE"}} {
			ctl.Write(cmd(c...))
			if e, err := readReply(cr); err != nil || e != "" {
				t.Fatalf("%v: %q %v", c, e, err)
			}
		}
		ctl.Close()
		var g int64
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if g = s.gauge(t, "dragonfly_goroutines"); g <= base+2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d goroutines after the round, baseline %d: a leak", round, g, base)
			}
		}
		heap := s.gauge(t, "dragonfly_heap_objects_bytes")
		heaps = append(heaps, heap)
		t.Logf("round %d: %d connections in %v (%d at once), %d×%d-command pipelines in %v, %d subscribers × %d messages in %v; then %d goroutines, heap objects %.1f MB",
			round, wantConns, t1.Sub(t0).Round(time.Millisecond), maxConns, pipelines, pipelineLen, t2.Sub(t1).Round(time.Millisecond),
			subscribers, messages, t3.Sub(t2).Round(time.Millisecond), g, float64(heap)/(1<<20))
	}
	// The first round warms up pools and buffers; after it the heap must
	// stay level.
	if last := heaps[len(heaps)-1]; last > heaps[1]+32<<20 && len(heaps) > 2 || last > heaps[0]+64<<20 {
		t.Fatalf("the heap grows round after round: %v", heaps)
	}
	t.Logf("soak ran %v: %d rounds", time.Since(begin).Round(time.Second), len(heaps))
}
