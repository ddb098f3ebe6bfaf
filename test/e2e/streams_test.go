package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// streamScenario is a script of commands over several connections, for
// behaviour a transcript cannot show (blocked readers):
//
//	cmd N ARGS...   send on connection N and record the reply
//	send N ARGS...  send without waiting (the command blocks)
//	read N [SEC]    record the next reply on N, or TIMEOUT after SEC
//	                (default 0.3) seconds
//	sleep SEC
type streamScenario struct {
	name, script string
	flags        []string // Damselfly's flags
}

var streamTimeRE = regexp.MustCompile(`[0-9]{13}`)

// streamRunScenario plays a scenario against s and returns what each step
// recorded, with unix-ms times masked.
func streamRunScenario(t *testing.T, s *Server, sc streamScenario) []string {
	t.Helper()
	conns := map[string]*wireConn{}
	conn := func(n string) *wireConn {
		if c := conns[n]; c != nil {
			return c
		}
		c := dialWire(t, s.Addr)
		conns[n] = c
		return c
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(sc.script), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "sleep":
			var sec float64
			fmt.Sscan(f[1], &sec)
			time.Sleep(time.Duration(sec * float64(time.Second)))
		case "cmd":
			out = append(out, line+" => "+streamTimeRE.ReplaceAllString(conn(f[1]).do(f[2:]...), "T"))
		case "send":
			conn(f[1]).write(respCmd(f[2:]...))
		case "read":
			c := conn(f[1])
			sec := 0.3
			if len(f) > 2 {
				fmt.Sscan(f[2], &sec)
			}
			saved := c.timeout
			c.timeout = time.Duration(sec * float64(time.Second))
			r, err := c.tryReply()
			c.timeout = saved
			var ne net.Error
			switch {
			case err != nil && errors.As(err, &ne) && ne.Timeout() && r == "":
				r = "TIMEOUT"
			case err != nil:
				t.Fatalf("%s: %s: %v", sc.name, line, err)
			}
			out = append(out, line+" => "+streamTimeRE.ReplaceAllString(r, "T"))
		default:
			t.Fatalf("bad scenario line %q", line)
		}
	}
	return out
}

// TestStreamsBlocking compares blocked XREAD/XREADGROUP readers with
// redis-server: who is served by an XADD and with what, and how readers
// end when their key or group goes away.
func TestStreamsBlocking(t *testing.T) {
	scenarios := []streamScenario{
		{"xread-dollar", `
			send 1 XREAD BLOCK 0 STREAMS s $
			sleep 0.05
			cmd 0 XADD s 1-0 a 1
			read 1
			send 1 XREAD BLOCK 100 STREAMS s $
			read 1 1
			send 1 XREAD BLOCK 0 STREAMS s 5-0
			sleep 0.05
			cmd 0 XADD s 3-0 a b
			read 1 0.1
			cmd 0 XADD s 6-0 a b
			read 1
		`, nil},
		{"groups-and-readers", `
			cmd 0 XADD s 1-0 a 1
			cmd 0 XGROUP CREATE s g1 $
			cmd 0 XGROUP CREATE s g2 $
			send 1 XREADGROUP GROUP g1 c1 BLOCK 0 STREAMS s >
			sleep 0.02
			send 2 XREADGROUP GROUP g1 c2 BLOCK 0 STREAMS s >
			sleep 0.02
			send 3 XREADGROUP GROUP g2 c1 BLOCK 0 STREAMS s >
			sleep 0.02
			send 4 XREADGROUP GROUP g2 c2 BLOCK 0 STREAMS s >
			sleep 0.02
			send 5 XREAD BLOCK 0 STREAMS s 0
			send 6 XREAD BLOCK 0 STREAMS s $
			sleep 0.05
			read 5
			cmd 0 XINFO CONSUMERS s g1
			cmd 0 XADD s 2-0 a 2
			read 1
			read 2 0.1
			read 3
			read 4 0.1
			read 6
			cmd 0 XADD s 3-0 a 3
			read 2
			read 4
			cmd 0 XINFO GROUPS s
			cmd 0 XPENDING s g1
			cmd 0 XPENDING s g2
		`, nil},
		{"group-destroyed-key-deleted", `
			cmd 0 XGROUP CREATE s g $ MKSTREAM
			send 1 XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >
			send 2 XREAD BLOCK 0 STREAMS s $
			sleep 0.05
			cmd 0 XGROUP DESTROY s g
			read 1
			read 2 0.1
			cmd 0 XGROUP CREATE s g $
			send 1 XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >
			sleep 0.05
			cmd 0 DEL s
			read 1
			read 2 0.1
			cmd 0 XADD s 1-0 a b
			read 2
		`, nil},
		{"key-deleted-reader-first", `
			cmd 0 XGROUP CREATE s g $ MKSTREAM
			send 1 XREAD BLOCK 0 STREAMS s $
			sleep 0.02
			send 2 XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >
			sleep 0.02
			send 3 XREAD BLOCK 0 STREAMS s $
			sleep 0.02
			send 4 XREADGROUP GROUP g c2 BLOCK 0 STREAMS s >
			sleep 0.05
			cmd 0 DEL s
			read 1 0.1
			read 2
			read 3 0.1
			read 4
		`, nil},
		{"key-overwritten", `
			cmd 0 XGROUP CREATE s g $ MKSTREAM
			send 1 XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >
			send 2 XREAD BLOCK 0 STREAMS s $
			sleep 0.05
			cmd 0 SET s foo
			read 1
			read 2 0.1
			cmd 0 DEL s
			cmd 0 XADD s 5-0 a b
			read 2
		`, nil},
		{"flushed", `
			cmd 0 XGROUP CREATE s g $ MKSTREAM
			send 1 XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >
			send 2 XREAD BLOCK 0 STREAMS s $
			sleep 0.05
			cmd 0 FLUSHALL
			read 1
			read 2 0.1
			cmd 0 XADD s 1-0 a b
			read 2
		`, nil},
		{"multi-serves-first-ready-key", `
			send 1 XREAD BLOCK 0 STREAMS s1 s2 s3 $ $ $
			sleep 0.05
			cmd 0 MULTI
			cmd 0 XADD s2 1-0 a b
			cmd 0 XADD s1 1-0 a b
			cmd 0 XADD s1 2-0 a b
			cmd 0 EXEC
			read 1
		`, []string{"--proactor_threads", "1"}}, // with several shards, keys made ready in one EXEC are served shard by shard, not in the order they became ready
		{"woken-with-nothing-left", `
			cmd 0 XADD s 1-0 a b
			send 1 XREAD BLOCK 0 STREAMS s $
			sleep 0.05
			cmd 0 MULTI
			cmd 0 XADD s 2-0 a b
			cmd 0 XDEL s 2-0
			cmd 0 EXEC
			read 1
		`, nil},
		{"in-multi", `
			cmd 0 MULTI
			cmd 0 XREAD BLOCK 0 STREAMS s $
			cmd 0 XREADGROUP GROUP g c BLOCK 0 STREAMS s >
			cmd 0 EXEC
			cmd 0 XGROUP CREATE s g $ MKSTREAM
			cmd 0 MULTI
			cmd 0 XREADGROUP GROUP g c BLOCK 0 STREAMS s >
			cmd 0 EXEC
		`, nil},
		{"noack-and-count", `
			cmd 0 XGROUP CREATE s g $ MKSTREAM
			send 1 XREADGROUP GROUP g c1 BLOCK 0 NOACK STREAMS s >
			sleep 0.05
			cmd 0 XADD s 1-0 a b
			read 1
			cmd 0 XPENDING s g
			cmd 0 XINFO GROUPS s
			send 2 XREADGROUP GROUP g c2 COUNT 2 BLOCK 0 STREAMS s >
			sleep 0.05
			cmd 0 MULTI
			cmd 0 XADD s 2-0 a b
			cmd 0 XADD s 3-0 a b
			cmd 0 XADD s 4-0 a b
			cmd 0 EXEC
			read 2
			cmd 0 XPENDING s g
		`, nil},
		{"same-key-twice", `
			cmd 0 XGROUP CREATE s g $ MKSTREAM
			send 1 XREADGROUP GROUP g c BLOCK 0 STREAMS s s > >
			sleep 0.05
			cmd 0 XADD s 1-0 a b
			read 1
		`, nil},
		{"blocked-timeout-then-data", `
			send 1 XREAD BLOCK 50 STREAMS s $
			read 1 1
			cmd 0 XADD s 1-0 a b
			cmd 0 XREAD STREAMS s 0
		`, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			want := streamRunScenario(t, StartRedis(t), sc)
			flags := sc.flags
			if flags == nil {
				flags = []string{"--proactor_threads", "4"}
			}
			got := streamRunScenario(t, Start(t, flags...), sc)
			for i := range want {
				if i >= len(got) || got[i] != want[i] {
					g := "(missing)"
					if i < len(got) {
						g = got[i]
					}
					t.Errorf("step %d\n want: %q\n  got: %q", i, want[i], g)
				}
			}
		})
	}
}

// TestStreamsBlockingAcrossShards blocks on keys that live in different
// shards, so the XADD that wakes the reader does not hold all of its
// shards and the reader retries on its own.
func TestStreamsBlockingAcrossShards(t *testing.T) {
	s := Start(t, "--proactor_threads", "8")
	ctx := Ctx(t)
	c := s.Client(t, 3)
	keys := make([]string, 16)
	for i := range keys {
		keys[i] = fmt.Sprintf("xs:%d", i)
	}
	for round := 0; round < 20; round++ {
		target := keys[round%len(keys)]
		ids := make([]string, len(keys))
		for i := range ids {
			ids[i] = "$"
		}
		res := make(chan []redis.XStream, 1)
		errc := make(chan error, 1)
		go func() {
			r := s.Client(t, 3)
			defer r.Close()
			v, err := r.XRead(ctx, &redis.XReadArgs{Streams: append(append([]string{}, keys...), ids...), Block: 5 * time.Second}).Result()
			if err != nil {
				errc <- err
				return
			}
			res <- v
		}()
		// "$" means entries after the reader blocks: add only once it has.
		for deadline := time.Now().Add(3 * time.Second); !strings.Contains(c.Info(ctx, "clients").Val(), "blocked_clients:1\r\n"); {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: reader never blocked", round)
			}
			time.Sleep(time.Millisecond)
		}
		id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: target, Values: []string{"round", fmt.Sprint(round)}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-res:
			if len(v) != 1 || v[0].Stream != target || len(v[0].Messages) != 1 || v[0].Messages[0].ID != id {
				t.Fatalf("round %d: got %+v, want %s %s", round, v, target, id)
			}
		case err := <-errc:
			t.Fatalf("round %d: %v", round, err)
		case <-time.After(3 * time.Second):
			t.Fatalf("round %d: reader not woken", round)
		}
	}
}

// TestStreamsConsumerGroupWorkers runs producers and blocked group readers
// concurrently: every entry must reach exactly one consumer, and once all
// are acknowledged nothing is pending.
func TestStreamsConsumerGroupWorkers(t *testing.T) {
	s := Start(t, "--proactor_threads", "4")
	ctx := Ctx(t)
	c := s.Client(t, 3)
	if err := c.XGroupCreateMkStream(ctx, "jobs", "workers", "$").Err(); err != nil {
		t.Fatal(err)
	}
	const producers, perProducer, workers = 4, 500, 6
	var mu sync.Mutex
	seen := map[string]int{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := s.Client(t, 2)
			defer r.Close()
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := r.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: fmt.Sprintf("w%d", w),
					Streams: []string{"jobs", ">"}, Count: 7, Block: 50 * time.Millisecond}).Result()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				var ids []string
				for _, m := range res[0].Messages {
					ids = append(ids, m.ID)
				}
				mu.Lock()
				for _, id := range ids {
					seen[id]++
				}
				mu.Unlock()
				if err := r.XAck(ctx, "jobs", "workers", ids...).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	var pw sync.WaitGroup
	for p := 0; p < producers; p++ {
		pw.Add(1)
		go func(p int) {
			defer pw.Done()
			r := s.Client(t, 2)
			defer r.Close()
			for i := 0; i < perProducer; i++ {
				if err := r.XAdd(ctx, &redis.XAddArgs{Stream: "jobs", Values: []string{"p", fmt.Sprint(p), "i", fmt.Sprint(i)}}).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(p)
	}
	pw.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == producers*perProducer || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	if len(seen) != producers*perProducer {
		t.Fatalf("delivered %d distinct entries, want %d", len(seen), producers*perProducer)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("entry %s delivered %d times", id, n)
		}
	}
	p, err := c.XPending(ctx, "jobs", "workers").Result()
	if err != nil || p.Count != 0 {
		t.Fatalf("pending after acks: %+v %v", p, err)
	}
	groups, err := c.XInfoGroups(ctx, "jobs").Result()
	if err != nil || len(groups) != 1 || groups[0].Lag != 0 || groups[0].EntriesRead != producers*perProducer {
		t.Fatalf("XINFO GROUPS = %+v, %v", groups, err)
	}
}

// TestStreamsEventQueue is the pattern job queues such as BullMQ use for
// their event streams: XADD with MAXLEN ~ from many producers, readers
// blocked in XREAD on "$" and then following with the last ID they saw.
// Every reader must see every event, in order, with none lost between
// reads.
func TestStreamsEventQueue(t *testing.T) {
	s := Start(t)
	ctx := Ctx(t)
	const events, readers = 3000, 3
	got := make([][]string, readers)
	var wg sync.WaitGroup
	ready := make(chan struct{}, readers)
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			c := s.Client(t, 2)
			defer c.Close()
			last := "$"
			first := true
			for len(got[r]) < events {
				if first {
					ready <- struct{}{}
					first = false
				}
				res, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"bull:q:events", last}, Block: 2 * time.Second, Count: 100}).Result()
				if err != nil {
					t.Errorf("reader %d: %v after %d events", r, err, len(got[r]))
					return
				}
				for _, m := range res[0].Messages {
					got[r] = append(got[r], m.Values["n"].(string))
					last = m.ID
				}
			}
		}(r)
	}
	for r := 0; r < readers; r++ {
		<-ready
	}
	time.Sleep(50 * time.Millisecond)
	p := s.Client(t, 2)
	for i := 0; i < events; i++ {
		if err := p.XAdd(ctx, &redis.XAddArgs{Stream: "bull:q:events", MaxLen: 10000, Approx: true,
			Values: []string{"event", "completed", "n", fmt.Sprint(i)}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for r := range got {
		if len(got[r]) != events {
			t.Fatalf("reader %d saw %d events", r, len(got[r]))
		}
		for i, v := range got[r] {
			if v != fmt.Sprint(i) {
				t.Fatalf("reader %d: event %d is %s", r, i, v)
			}
		}
	}
	// MAXLEN ~ 10000 keeps the stream bounded by whole nodes.
	for i := events; i < 25000; i++ {
		p.XAdd(ctx, &redis.XAddArgs{Stream: "bull:q:events", MaxLen: 10000, Approx: true, Values: []string{"n", fmt.Sprint(i)}})
	}
	n, err := p.XLen(ctx, "bull:q:events").Result()
	if err != nil || n < 10000 || n > 10100 {
		t.Fatalf("XLEN after MAXLEN ~ 10000 = %d, %v", n, err)
	}
}

// TestStreamsBigDifferential builds the same large streams on both servers
// with random operations and compares what they report, including node
// boundaries (XINFO), approximate trims and DEBUG DIGEST-VALUE, with the
// default node limits and with small ones.
func TestStreamsBigDifferential(t *testing.T) {
	for _, limits := range [][2]string{{"4096", "100"}, {"300", "7"}, {"0", "50"}, {"2000", "0"}} {
		t.Run(limits[0]+"-"+limits[1], func(t *testing.T) {
			t.Parallel()
			streamBigDifferential(t, limits[0], limits[1])
		})
	}
}

func streamBigDifferential(t *testing.T, maxBytes, maxEntries string) {
	ctx := Ctx(t)
	rd := StartRedis(t, "--enable-debug-command", "yes")
	df := Start(t)
	cr, cd := rd.Client(t, 2), df.Client(t, 2)
	do := func(args ...any) {
		t.Helper()
		a, ea := cr.Do(ctx, args...).Result()
		b, eb := cd.Do(ctx, args...).Result()
		if fmt.Sprint(a, ea) != fmt.Sprint(b, eb) {
			t.Fatalf("%v:\n redis: %v %v\n  dfly: %v %v", streamArgsString(args), a, ea, b, eb)
		}
	}
	do("CONFIG", "SET", "stream-node-max-bytes", maxBytes)
	do("CONFIG", "SET", "stream-node-max-entries", maxEntries)
	rng := rand.New(rand.NewSource(7))
	var ms uint64 = 1700000000000
	var added []string
	for i := 0; i < 20000; i++ {
		switch op := rng.Intn(100); {
		case op < 85:
			ms += uint64(rng.Intn(3))
			id := fmt.Sprintf("%d-*", ms)
			args := []any{"XADD", "big", id}
			if rng.Intn(50) == 0 {
				args = []any{"XADD", "big", "MAXLEN", "~", rng.Intn(15000), id}
			}
			nf := 1 + rng.Intn(3)
			for f := 0; f < nf; f++ {
				v := strings.Repeat("v", rng.Intn(200))
				if rng.Intn(5) == 0 {
					v = fmt.Sprint(rng.Int63n(1 << uint(rng.Intn(63))))
				}
				args = append(args, fmt.Sprintf("f%d", rng.Intn(4)), v)
			}
			a, err := cr.Do(ctx, args...).Text()
			b, err2 := cd.Do(ctx, args...).Text()
			if a != b || (err == nil) != (err2 == nil) {
				t.Fatalf("%v: redis %q %v, damselfly %q %v", args, a, err, b, err2)
			}
			if err == nil {
				added = append(added, a)
			}
		case op < 93 && len(added) > 0:
			args := []any{"XDEL", "big"}
			for k := 0; k < 1+rng.Intn(20); k++ {
				args = append(args, added[rng.Intn(len(added))])
			}
			do(args...)
		case op < 96 && len(added) > 0:
			do("XTRIM", "big", "MINID", "~", added[rng.Intn(len(added))], "LIMIT", rng.Intn(500))
		case op < 98:
			do("XTRIM", "big", "MAXLEN", rng.Intn(20000))
		default:
			do("XTRIM", "big", "MAXLEN", "~", rng.Intn(20000))
		}
		if i%50 == 0 {
			do("XINFO", "STREAM", "big")
		}
	}
	do("XINFO", "STREAM", "big")
	do("XLEN", "big")
	do("XRANGE", "big", "-", "+", "COUNT", 500)
	do("XREVRANGE", "big", "+", "-", "COUNT", 500)
	mid := added[len(added)/2]
	do("XRANGE", "big", mid, "+", "COUNT", 300)
	do("XREVRANGE", "big", mid, "-", "COUNT", 300)
	do("XRANGE", "big", "("+mid, "+", "COUNT", 3)
	do("DEBUG", "DIGEST-VALUE", "big")
	do("XTRIM", "big", "MAXLEN", "~", 1000)
	do("XINFO", "STREAM", "big")
	do("DEBUG", "DIGEST-VALUE", "big")
}

// TestStreamsNotifications compares the keyspace events of the stream
// commands with redis-server's.
func TestStreamsNotifications(t *testing.T) {
	cmds := [][]string{
		{"XADD", "s", "1-0", "f", "v"},
		{"XADD", "s", "MAXLEN", "1", "2-0", "f", "v"},
		{"XADD", "s", "MAXLEN", "5", "3-0", "f", "v"},
		{"XDEL", "s", "3-0", "9-0"},
		{"XDEL", "s", "9-0"},
		{"XTRIM", "s", "MAXLEN", "0"},
		{"XTRIM", "s", "MAXLEN", "0"},
		{"XGROUP", "CREATE", "s", "g", "$"},
		{"XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM"},
		{"XGROUP", "SETID", "s", "g", "0"},
		{"XGROUP", "CREATECONSUMER", "s", "g", "c1"},
		{"XGROUP", "CREATECONSUMER", "s", "g", "c1"},
		{"XADD", "s", "4-0", "f", "v"},
		{"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"},
		{"XCLAIM", "s", "g", "c3", "0", "4-0"},
		{"XAUTOCLAIM", "s", "g", "c4", "0", "0"},
		{"XACK", "s", "g", "4-0"},
		{"XGROUP", "DELCONSUMER", "s", "g", "c1"},
		{"XGROUP", "DELCONSUMER", "s", "g", "nosuch"},
		{"XSETID", "s", "10-0"},
		{"XGROUP", "DESTROY", "s", "g"},
		{"XGROUP", "DESTROY", "s", "g"},
		{"DEL", "s"},
	}
	var results [2][]string
	for i, tg := range oracleTargets {
		s := tg.start(t)
		admin := dialWire(t, s.Addr)
		admin.do("CONFIG", "SET", "notify-keyspace-events", "KEA")
		sub := dialWire(t, s.Addr)
		sub.write(respCmd("PSUBSCRIBE", "__key*__:*"))
		sub.reply()
		for _, c := range cmds {
			admin.do(c...)
		}
		admin.do("PUBLISH", "__keyevent@0__:end", "end")
		for {
			r := sub.reply()
			if strings.Contains(r, "end\r\n$3\r\nend") {
				break
			}
			results[i] = append(results[i], r)
		}
	}
	if strings.Join(results[0], "\n") != strings.Join(results[1], "\n") {
		t.Fatalf("events differ\ndamselfly: %q\n    redis: %q", results[0], results[1])
	}
}

// TestStreamsWatch checks that stream commands invalidate WATCH, including
// the XGROUP subcommands.
func TestStreamsWatch(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	c := s.Client(t, 2)
	c.XAdd(ctx, &redis.XAddArgs{Stream: "w", ID: "1-0", Values: []string{"f", "v"}})
	for _, write := range [][]any{
		{"XADD", "w", "*", "f", "v"},
		{"XGROUP", "CREATE", "w", "g", "0"},
		{"XGROUP", "CREATECONSUMER", "w", "g", "c"},
		{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "w", ">"},
		{"XSETID", "w", "99999999999999-0"},
	} {
		err := c.Watch(ctx, func(tx *redis.Tx) error {
			other := s.Client(t, 2)
			defer other.Close()
			if err := other.Do(ctx, write...).Err(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.XLen(ctx, "w")
				return nil
			})
			return err
		}, "w")
		if err != redis.TxFailedErr {
			t.Fatalf("%v: WATCH not invalidated: %v", write, err)
		}
	}
}

func streamArgsString(args []any) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, a)
	}
	return b.String()
}
