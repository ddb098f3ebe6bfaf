package e2e

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sorted sets beyond what a transcript shows: a differential random test
// against redis-server (both encodings, RESP2 and RESP3), blocking pops,
// DEBUG DIGEST-VALUE, big sets, ZRANDMEMBER's guarantees.

// zsetsPair is the same connection to Damselfly and to redis-server.
type zsetsPair struct {
	t      *testing.T
	df, rd *wireConn
}

// zsetsNoRace fails the test when a -race build of the server reported a
// data race.
func zsetsNoRace(t *testing.T, s *Server) {
	t.Cleanup(func() {
		if strings.Contains(s.Log(), "DATA RACE") {
			t.Errorf("server log:\n%s", s.Log())
		}
	})
}

func zsetsStartPair(t *testing.T, proto int) *zsetsPair {
	t.Helper()
	df := Start(t, "--proactor_threads", "4")
	zsetsNoRace(t, df)
	rd := StartRedis(t)
	p := &zsetsPair{t: t, df: dialWire(t, df.Addr), rd: dialWire(t, rd.Addr)}
	if proto == 3 {
		p.df.do("HELLO", "3")
		p.rd.do("HELLO", "3")
	}
	return p
}

// do runs a command on both servers and fails when the replies differ.
func (p *zsetsPair) do(args ...string) string {
	p.t.Helper()
	want := p.rd.do(args...)
	got := p.df.do(args...)
	if got != want {
		p.t.Fatalf("%q:\n damselfly: %q\n     redis: %q", args, wireTrunc(got, 2000), wireTrunc(want, 2000))
	}
	return want
}

// TestZSetsDifferential replays random sorted-set command sequences on
// Damselfly and redis-server and compares every raw reply.
func TestZSetsDifferential(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proto   int
		entries int
		seed    uint64
	}{
		{"listpack-resp2", 2, 128, 1},
		{"skiplist-resp2", 2, 2, 2},
		{"mixed-resp3", 3, 16, 3},
		{"mixed-resp2", 2, 8, 4},
	} {
		steps := 4000
		if n, _ := strconv.Atoi(os.Getenv("ZSETS_SOAK")); n > 0 {
			// ZSETS_SOAK=N: N times more steps, with a seed from the clock.
			steps *= n
			tc.seed = uint64(time.Now().UnixNano())
			t.Logf("%s: seed %d", tc.name, tc.seed)
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := zsetsStartPair(t, tc.proto)
			p.do("CONFIG", "SET", "zset-max-listpack-entries", strconv.Itoa(tc.entries))
			p.do("CONFIG", "SET", "zset-max-listpack-value", "12")
			zsetsRandomOps(t, p, rand.New(rand.NewPCG(tc.seed, 99)), steps)
		})
	}
}

func zsetsRandomOps(t *testing.T, p *zsetsPair, rng *rand.Rand, steps int) {
	keys := []string{"{z}a", "{z}b", "{z}c", "zd"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	member := func() string {
		switch rng.IntN(12) {
		case 0:
			return strings.Repeat("long", 1+rng.IntN(5)) // crosses the value limit
		case 1:
			return string([]byte{byte(rng.IntN(256)), byte(rng.IntN(256))})
		case 2:
			return ""
		}
		return fmt.Sprintf("m%d", rng.IntN(40))
	}
	score := func() string {
		switch rng.IntN(14) {
		case 0:
			return "inf"
		case 1:
			return "-inf"
		case 2:
			return strconv.Itoa(rng.IntN(5))
		case 3:
			return "0.1"
		case 4:
			return "-0"
		case 5:
			return fmt.Sprintf("%g", rng.NormFloat64()*1e20)
		}
		return strconv.FormatFloat(rng.NormFloat64()*100, 'g', -1, 64)
	}
	bound := func() string {
		b := score()
		switch rng.IntN(4) {
		case 0:
			return "(" + b
		case 1:
			return "-inf"
		case 2:
			return "+inf"
		}
		return b
	}
	lexBound := func() string {
		switch rng.IntN(6) {
		case 0:
			return "-"
		case 1:
			return "+"
		case 2:
			return "(" + member()
		}
		return "[" + member()
	}
	index := func() string { return strconv.Itoa(rng.IntN(20) - 10) }
	maybe := func(args []string, opt ...string) []string {
		if rng.IntN(2) == 0 {
			return append(args, opt...)
		}
		return args
	}
	isListpack := func(k string) bool {
		return strings.Contains(p.do("OBJECT", "ENCODING", k), "listpack")
	}
	for step := 0; step < steps; step++ {
		k := key()
		var args []string
		op := rng.IntN(30)
		switch op {
		case 0, 1, 2, 3, 4:
			args = []string{"ZADD", k}
			for _, o := range []string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
				if rng.IntN(7) == 0 {
					args = append(args, o)
				}
			}
			for n := 1 + rng.IntN(4); n > 0; n-- {
				args = append(args, score(), member())
			}
		case 5:
			args = []string{"ZINCRBY", k, score(), member()}
		case 6:
			args = []string{"ZREM", k, member(), member()}
		case 7:
			args = maybe(maybe([]string{"ZRANGE", k, index(), index()}, "REV"), "WITHSCORES")
		case 8:
			args = []string{"ZRANGE", k, bound(), bound(), "BYSCORE"}
			args = maybe(args, "REV")
			args = maybe(args, "LIMIT", index(), index())
			args = maybe(args, "WITHSCORES")
		case 9:
			args = maybe([]string{[]string{"ZRANGEBYSCORE", "ZREVRANGEBYSCORE"}[rng.IntN(2)], k, bound(), bound()}, "WITHSCORES")
			args = maybe(args, "LIMIT", strconv.Itoa(rng.IntN(5)), index())
		case 10:
			args = []string{[]string{"ZRANK", "ZREVRANK"}[rng.IntN(2)], k, member()}
		case 11:
			args = []string{"ZSCORE", k, member()}
		case 12:
			args = []string{"ZMSCORE", k, member(), member(), member()}
		case 13:
			args = []string{"ZCOUNT", k, bound(), bound()}
		case 14:
			args = []string{"ZCARD", k}
		case 15:
			args = []string{"ZREMRANGEBYRANK", k, index(), index()}
		case 16:
			args = []string{"ZREMRANGEBYSCORE", k, bound(), bound()}
		case 17, 18:
			// Lexicographic commands are defined on sets with equal
			// scores; Redis's walk over a listpack is deterministic
			// whatever the scores, a skiplist's descent is not.
			if rng.IntN(2) == 0 {
				k = "ze"
			} else if !isListpack(k) {
				continue
			}
			switch rng.IntN(4) {
			case 0:
				args = []string{"ZLEXCOUNT", k, lexBound(), lexBound()}
			case 1:
				args = maybe([]string{"ZRANGEBYLEX", k, lexBound(), lexBound()}, "LIMIT", strconv.Itoa(rng.IntN(4)), index())
			case 2:
				args = maybe([]string{"ZREVRANGEBYLEX", k, lexBound(), lexBound()}, "LIMIT", strconv.Itoa(rng.IntN(4)), index())
			case 3:
				args = []string{"ZREMRANGEBYLEX", k, lexBound(), lexBound()}
			}
		case 19:
			// Keep "ze" a set of equal scores, for the lex commands.
			args = []string{"ZADD", "ze", "0", member(), "0", member(), "0", member()}
		case 20, 21:
			n := 1 + rng.IntN(3)
			cmd := []string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"}[rng.IntN(3)]
			args = []string{cmd, key(), strconv.Itoa(n)}
			for i := 0; i < n; i++ {
				args = append(args, key())
			}
			if cmd != "ZDIFFSTORE" {
				if rng.IntN(2) == 0 {
					args = append(args, "WEIGHTS")
					for i := 0; i < n; i++ {
						args = append(args, []string{"1", "2", "-1", "0", "0.5", "inf"}[rng.IntN(6)])
					}
				}
				args = maybe(args, "AGGREGATE", []string{"SUM", "MIN", "MAX"}[rng.IntN(3)])
			}
		case 22:
			n := 1 + rng.IntN(3)
			cmd := []string{"ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"}[rng.IntN(4)]
			args = []string{cmd, strconv.Itoa(n)}
			for i := 0; i < n; i++ {
				args = append(args, key())
			}
			switch cmd {
			case "ZINTERCARD":
				args = maybe(args, "LIMIT", strconv.Itoa(rng.IntN(4)))
			case "ZDIFF":
				args = maybe(args, "WITHSCORES")
			default:
				args = maybe(maybe(args, "AGGREGATE", "MAX"), "WITHSCORES")
			}
		case 23:
			args = maybe([]string{[]string{"ZPOPMIN", "ZPOPMAX"}[rng.IntN(2)], k}, strconv.Itoa(rng.IntN(4)))
		case 24:
			args = []string{"ZMPOP", "2", k, key(), []string{"MIN", "MAX"}[rng.IntN(2)]}
			args = maybe(args, "COUNT", strconv.Itoa(1+rng.IntN(3)))
		case 25:
			args = []string{"ZRANGESTORE", key(), k, index(), index()}
			if rng.IntN(2) == 0 {
				args = []string{"ZRANGESTORE", key(), k, bound(), bound(), "BYSCORE"}
				args = maybe(args, "LIMIT", strconv.Itoa(rng.IntN(4)), index())
			}
			args = maybe(args, "REV")
		case 26:
			args = []string{"OBJECT", "ENCODING", k}
		case 27:
			if !isListpack(k) {
				continue
			}
			args = []string{"ZSCAN", k, "0"}
			args = maybe(args, "MATCH", "m1*")
		case 28:
			// Whole-set ZRANDMEMBER replies are deterministic.
			args = maybe([]string{"ZRANDMEMBER", k, "1000"}, "WITHSCORES")
		case 29:
			args = []string{"ZRANGE", k, "0", "-1", "WITHSCORES"}
		}
		if rng.IntN(12) == 0 && len(args) > 1 && !(op >= 17 && op <= 19) && op != 27 && op != 28 {
			// Error paths: one argument replaced by something odd, or
			// a key of another type (not for the commands whose replies
			// depend on the encoding or on chance).
			garbage := []string{"x", "nan", "(", "[", "-", "+", "-1", "0", "", "inf", "(x", "LIMIT", "WITHSCORES", "REV", "BYSCORE", "9223372036854775808", "str"}
			args[1+rng.IntN(len(args)-1)] = garbage[rng.IntN(len(garbage))]
		}
		p.do(args...)
		if step == 0 {
			p.do("SET", "str", "not a zset")
		}
	}
	for _, k := range append(keys, "ze") {
		p.do("ZRANGE", k, "0", "-1", "WITHSCORES")
	}
}

// TestZSetsDigest checks DEBUG DIGEST-VALUE against redis-server for both
// encodings and awkward scores.
func TestZSetsDigest(t *testing.T) {
	df := dialWire(t, Start(t).Addr)
	rd := dialWire(t, StartRedis(t, "--enable-debug-command", "yes").Addr)
	for _, entries := range []string{"128", "1"} {
		for _, w := range []*wireConn{df, rd} {
			w.do("CONFIG", "SET", "zset-max-listpack-entries", entries)
			w.do("DEL", "dg")
			w.do("ZADD", "dg", "1", "a", "2.5", "b", "0.1", "c", "-inf", "d", "inf", "e", "1e20", "f", "-0", "g", "123456789012", "h")
		}
		enc := df.do("OBJECT", "ENCODING", "dg")
		if want := rd.do("OBJECT", "ENCODING", "dg"); enc != want {
			t.Fatalf("encoding %q, redis %q", enc, want)
		}
		got, want := df.do("DEBUG", "DIGEST-VALUE", "dg"), rd.do("DEBUG", "DIGEST-VALUE", "dg")
		if got != want {
			t.Errorf("%s: digest %q, redis %q", enc, got, want)
		}
	}
}

// zsetsBlocked waits until n clients are blocked (INFO clients).
func zsetsWaitBlocked(t *testing.T, ctl *wireConn, n int) {
	t.Helper()
	re := regexp.MustCompile(`blocked_clients:(\d+)`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := re.FindStringSubmatch(ctl.do("INFO", "clients"))
		if m != nil && m[1] == strconv.Itoa(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked clients: %v, want %d", m, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// zsetsNoReply checks that nothing arrives on w within d.
func zsetsNoReply(t *testing.T, w *wireConn, d time.Duration) {
	t.Helper()
	w.nc.SetReadDeadline(time.Now().Add(d))
	if b, err := w.r.Peek(1); err == nil {
		t.Fatalf("unexpected reply %q", b)
	}
}

func zsetsArr(elems ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(elems))
	for _, e := range elems {
		b.WriteString(e)
	}
	return b.String()
}

// TestZSetsBlocking runs the blocking pops against a 4-shard Damselfly and
// redis-server, which proves each expectation.
func TestZSetsBlocking(t *testing.T) {
	b := respBulk
	nilArr := "*-1\r\n"
	for _, tg := range oracleTargets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			var flags []string
			if tg.name == "damselfly" {
				flags = []string{"--proactor_threads", "4"}
			}
			s := tg.start(t, flags...)
			zsetsNoRace(t, s)
			ctl := dialWire(t, s.Addr)
			dial := func() *wireConn { return dialWire(t, s.Addr) }
			block := func(n int, c *wireConn, args ...string) {
				t.Helper()
				c.write(respCmd(args...))
				zsetsWaitBlocked(t, ctl, n)
			}

			// Clients are served in the order they blocked.
			c1, c2, c3 := dial(), dial(), dial()
			block(1, c1, "BZPOPMIN", "fifo", "0")
			block(2, c2, "BZPOPMIN", "fifo", "0")
			block(3, c3, "BZPOPMAX", "fifo", "0")
			ctl.expect0("ZADD", "fifo", "1", "a", "2", "b", "3", "c", "4", "d", ":4\r\n")
			c1.expect(zsetsArr(b("fifo"), b("a"), b("1")))
			c2.expect(zsetsArr(b("fifo"), b("b"), b("2")))
			c3.expect(zsetsArr(b("fifo"), b("d"), b("4")))
			ctl.expect0("ZRANGE", "fifo", "0", "-1", zsetsArr(b("c")))
			zsetsWaitBlocked(t, ctl, 0)

			// BZMPOP with COUNT, on the second of its keys.
			block(1, c1, "BZMPOP", "0", "2", "m1", "m2", "MAX", "COUNT", "2")
			ctl.expect0("ZADD", "m2", "1", "x", "2", "y", "3", "z", ":3\r\n")
			c1.expect(zsetsArr(b("m2"), zsetsArr(zsetsArr(b("z"), b("3")), zsetsArr(b("y"), b("2")))))
			ctl.expect0("ZCARD", "m2", ":1\r\n")

			// Keys in different shards.
			for i := 0; i < 4; i++ {
				k1, k2 := fmt.Sprintf("xs:%d", i), fmt.Sprintf("xs:%d:other", i)
				block(1, c1, "BZPOPMAX", k1, k2, "0")
				ctl.expect0("ZADD", k2, "7", "m", ":1\r\n")
				c1.expect(zsetsArr(b(k2), b("m"), b("7")))
			}

			// Timeout, and a zero-timeout answer inside MULTI.
			start := time.Now()
			c1.expect0("BZPOPMIN", "nokey", "0.2", nilArr)
			if d := time.Since(start); d < 150*time.Millisecond {
				t.Errorf("timed out after %v", d)
			}
			ctl.expect0("MULTI", "+OK\r\n")
			ctl.expect0("BZPOPMIN", "nokey", "0", "+QUEUED\r\n")
			ctl.expect0("BZMPOP", "0", "1", "nokey", "MIN", "+QUEUED\r\n")
			ctl.expect0("EXEC", "*2\r\n"+nilArr+nilArr)

			// A transaction wakes waiters when it ends, with what is left.
			block(1, c1, "BZPOPMIN", "mk", "0")
			ctl.expect0("MULTI", "+OK\r\n")
			ctl.expect0("ZADD", "mk", "1", "a", "+QUEUED\r\n")
			ctl.expect0("ZADD", "mk", "2", "b", "+QUEUED\r\n")
			ctl.expect0("ZREM", "mk", "a", "+QUEUED\r\n")
			ctl.expect0("EXEC", "*3\r\n:1\r\n:1\r\n:1\r\n")
			c1.expect(zsetsArr(b("mk"), b("b"), b("2")))
			block(1, c1, "BZPOPMIN", "mk2", "0")
			ctl.expect0("MULTI", "+OK\r\n")
			ctl.expect0("ZADD", "mk2", "1", "a", "+QUEUED\r\n")
			ctl.expect0("DEL", "mk2", "+QUEUED\r\n")
			ctl.expect0("EXEC", "*2\r\n:1\r\n:1\r\n")
			zsetsNoReply(t, c1, 50*time.Millisecond)

			// Served from the key that got data, even when an earlier key
			// was meanwhile created with another type.
			c5 := dial() // c1 is still blocked on mk2
			block(2, c5, "BZPOPMIN", "pk1", "pk2", "0")
			ctl.expect0("MULTI", "+OK\r\n")
			ctl.expect0("SET", "pk1", "str", "+QUEUED\r\n")
			ctl.expect0("ZADD", "pk2", "1", "y", "+QUEUED\r\n")
			ctl.expect0("EXEC", "*2\r\n+OK\r\n:1\r\n")
			c5.expect(zsetsArr(b("pk2"), b("y"), b("1")))

			// A key of another type does not serve the waiter; a sorted set
			// created later does.
			ctl.expect0("SET", "mk2", "str", "+OK\r\n")
			zsetsNoReply(t, c1, 50*time.Millisecond)
			ctl.expect0("DEL", "mk2", ":1\r\n")
			ctl.expect0("ZADD", "src", "5", "q", ":1\r\n")
			ctl.expect0("ZUNIONSTORE", "mk2", "1", "src", ":1\r\n")
			c1.expect(zsetsArr(b("mk2"), b("q"), b("5")))
			ctl.expect0("EXISTS", "mk2", ":0\r\n")

			// ZRANGESTORE and COPY create keys too.
			block(1, c1, "BZPOPMIN", "rs", "cp", "0")
			ctl.expect0("COPY", "src", "cp", ":1\r\n")
			c1.expect(zsetsArr(b("cp"), b("q"), b("5")))
			block(1, c1, "BZPOPMIN", "rs", "cp", "0")
			ctl.expect0("ZRANGESTORE", "rs", "src", "0", "-1", ":1\r\n")
			c1.expect(zsetsArr(b("rs"), b("q"), b("5")))

			// Databases are separate.
			c1.expect0("SELECT", "1", "+OK\r\n")
			block(1, c1, "BZPOPMIN", "dbk", "0")
			ctl.expect0("ZADD", "dbk", "1", "a", ":1\r\n")
			zsetsNoReply(t, c1, 50*time.Millisecond)
			ctl.expect0("SELECT", "1", "+OK\r\n")
			ctl.expect0("ZADD", "dbk", "2", "b", ":1\r\n")
			c1.expect(zsetsArr(b("dbk"), b("b"), b("2")))
			ctl.expect0("SELECT", "0", "+OK\r\n")
			c1.expect0("SELECT", "0", "+OK\r\n")

			// CLIENT UNBLOCK: as a timeout, or with an error.
			id := strings.TrimSpace(strings.TrimPrefix(c1.do("CLIENT", "ID"), ":"))
			block(1, c1, "BZPOPMIN", "ub", "0")
			ctl.expect0("CLIENT", "UNBLOCK", id, ":1\r\n")
			c1.expect(nilArr)
			block(1, c1, "BZMPOP", "0", "1", "ub", "MIN")
			ctl.expect0("CLIENT", "UNBLOCK", id, "ERROR", ":1\r\n")
			c1.expect("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")

			// A client that goes away is not served.
			c4 := dial()
			block(1, c4, "BZPOPMIN", "gone", "0")
			c4.nc.Close()
			zsetsWaitBlocked(t, ctl, 0)
			ctl.expect0("ZADD", "gone", "1", "a", ":1\r\n")
			ctl.expect0("ZCARD", "gone", ":1\r\n")

			// RESP3 replies.
			c3.expect0("HELLO", "3", "")
			block(1, c3, "BZPOPMIN", "r3", "0")
			ctl.expect0("ZADD", "r3", "1.5", "a", ":1\r\n")
			c3.expect("*3\r\n" + b("r3") + b("a") + ",1.5\r\n")
			block(1, c3, "BZMPOP", "0", "1", "r3", "MIN")
			ctl.expect0("ZADD", "r3", "2", "b", ":1\r\n")
			c3.expect("*2\r\n" + b("r3") + "*1\r\n*2\r\n" + b("b") + ",2\r\n")
			block(1, c3, "BZPOPMIN", "r3", "0.05")
			c3.expect("_\r\n")
		})
	}
}

// expect0 sends a command (all arguments but the last) and checks its
// reply (the last argument; "" accepts any reply).
func (w *wireConn) expect0(args ...string) {
	w.t.Helper()
	want := args[len(args)-1]
	got := w.do(args[:len(args)-1]...)
	if want != "" && got != want {
		w.t.Fatalf("%q: got %q, want %q", args[:len(args)-1], wireTrunc(got, 500), wireTrunc(want, 500))
	}
}

// TestZSetsBig checks a large set (skiplist) against a model: ranks,
// ranges, counts, a full ZSCAN while the set changes, removal of ranges.
func TestZSetsBig(t *testing.T) {
	s := Start(t, "--proactor_threads", "2")
	zsetsNoRace(t, s)
	w := dialWire(t, s.Addr)
	const n = 20000
	type entry struct {
		m string
		s float64
	}
	model := make([]entry, n)
	rng := rand.New(rand.NewPCG(7, 7))
	var pipe []byte
	for i := range model {
		model[i] = entry{fmt.Sprintf("member:%06d", i), float64(rng.IntN(1000))}
		pipe = append(pipe, respCmd("ZADD", "big", strconv.FormatFloat(model[i].s, 'g', -1, 64), model[i].m)...)
	}
	w.write(pipe)
	for range model {
		w.expect(":1\r\n")
	}
	sort.Slice(model, func(i, j int) bool {
		if model[i].s != model[j].s {
			return model[i].s < model[j].s
		}
		return model[i].m < model[j].m
	})
	w.expect0("ZCARD", "big", fmt.Sprintf(":%d\r\n", n))
	w.expect0("OBJECT", "ENCODING", "big", respBulk("skiplist"))
	for i := 0; i < 200; i++ {
		r := rng.IntN(n)
		w.expect0("ZRANK", "big", model[r].m, fmt.Sprintf(":%d\r\n", r))
		w.expect0("ZREVRANK", "big", model[r].m, fmt.Sprintf(":%d\r\n", n-1-r))
		k := rng.IntN(20)
		var want []string
		for _, e := range model[r:min(n, r+k)] {
			want = append(want, respBulk(e.m))
		}
		w.expect0("ZRANGE", "big", strconv.Itoa(r), strconv.Itoa(r+k-1), zsetsArr(want...))
		lo, hi := float64(rng.IntN(1000)), float64(rng.IntN(1000))
		cnt := 0
		for _, e := range model {
			if e.s > lo && e.s <= hi {
				cnt++
			}
		}
		w.expect0("ZCOUNT", "big", fmt.Sprintf("(%g", lo), fmt.Sprintf("%g", hi), fmt.Sprintf(":%d\r\n", cnt))
	}
	// A full ZSCAN sees every member that stays, while others come and go.
	seen := map[string]bool{}
	cursor := "0"
	re := regexp.MustCompile(`\$\d+\r\n([^\r]*)\r\n`)
	for iter := 0; ; iter++ {
		w.expect0("ZADD", "big", "5", fmt.Sprintf("extra:%d", iter), "")
		w.expect0("ZREM", "big", fmt.Sprintf("extra:%d", iter-3), "")
		reply := w.do("ZSCAN", "big", cursor, "COUNT", "100")
		items := re.FindAllStringSubmatch(reply, -1)
		cursor = items[0][1]
		for j := 1; j+1 < len(items); j += 2 {
			seen[items[j][1]] = true
		}
		if cursor == "0" {
			break
		}
		if iter > 10*n {
			t.Fatal("ZSCAN does not finish")
		}
	}
	for _, e := range model {
		if !seen[e.m] {
			t.Fatalf("ZSCAN missed %s", e.m)
		}
	}
	// Remove ranges and compare what is left.
	w.expect0("DEL", "big", ":1\r\n")
	w.write(pipe)
	for range model {
		w.expect(":1\r\n")
	}
	w.expect0("ZREMRANGEBYRANK", "big", "100", "-101", fmt.Sprintf(":%d\r\n", n-200))
	w.expect0("ZREMRANGEBYSCORE", "big", "-inf", fmt.Sprintf("(%g", model[50].s), "")
	var rest []string
	for i, e := range model {
		if (i < 100 && e.s >= model[50].s) || i >= n-100 {
			rest = append(rest, respBulk(e.m))
		}
	}
	w.expect0("ZRANGE", "big", "0", "-1", zsetsArr(rest...))
	w.expect0("ZPOPMAX", "big", "1000", "")
	w.expect0("EXISTS", "big", ":0\r\n")
}

// TestZSetsRandMember checks ZRANDMEMBER's counts: distinct members for a
// positive count, exactly |count| draws for a negative one.
func TestZSetsRandMember(t *testing.T) {
	s := Start(t)
	w := dialWire(t, s.Addr)
	re := regexp.MustCompile(`\$\d+\r\n([^\r]*)\r\n`)
	for _, size := range []int{5, 100, 1000} {
		key := fmt.Sprintf("rm%d", size)
		args := []string{"ZADD", key}
		for i := 0; i < size; i++ {
			args = append(args, strconv.Itoa(i), fmt.Sprintf("m%d", i))
		}
		w.expect0(append(args, "")...)
		for _, count := range []int{1, 2, size / 3, size/3 + 1, size - 1, size, size + 1, -1, -size, -3 * size} {
			if count == 0 {
				continue
			}
			reply := w.do("ZRANDMEMBER", key, strconv.Itoa(count), "WITHSCORES")
			items := re.FindAllStringSubmatch(reply, -1)
			want := count
			if count < 0 {
				want = -count
			} else if count > size {
				want = size
			}
			if len(items) != 2*want {
				t.Fatalf("ZRANDMEMBER %s %d: %d items, want %d", key, count, len(items), 2*want)
			}
			seen := map[string]bool{}
			for j := 0; j < len(items); j += 2 {
				m, sc := items[j][1], items[j+1][1]
				if "m"+sc != m {
					t.Fatalf("ZRANDMEMBER %s %d: member %s with score %s", key, count, m, sc)
				}
				if count > 0 && seen[m] {
					t.Fatalf("ZRANDMEMBER %s %d: %s twice", key, count, m)
				}
				seen[m] = true
			}
		}
	}
	_ = math.Inf
}

// TestZSetsBlockingStress has consumers blocked on several keys while
// producers add members: every member is popped exactly once.
func TestZSetsBlockingStress(t *testing.T) {
	s := Start(t, "--proactor_threads", "4")
	zsetsNoRace(t, s)
	const producers, consumers, perProducer = 4, 8, 500
	keys := []string{"st:a", "st:b", "st:c", "st:d"}
	var mu sync.Mutex
	popped := map[string]int{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	re := regexp.MustCompile(`\$\d+\r\n([^\r]*)\r\n`)
	for i := 0; i < consumers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := dialWire(t, s.Addr)
			for {
				select {
				case <-done:
					return
				default:
				}
				var reply string
				if i%2 == 0 {
					reply = w.do(append(append([]string{"BZPOPMIN"}, keys...), "0.2")...)
				} else {
					reply = w.do(append(append([]string{"BZMPOP", "0.2", strconv.Itoa(len(keys))}, keys...), "MAX", "COUNT", "3")...)
				}
				if reply == "*-1\r\n" {
					continue
				}
				items := re.FindAllStringSubmatch(reply, -1)
				mu.Lock()
				for j := 1; j+1 < len(items); j += 2 {
					popped[items[j][1]]++
				}
				mu.Unlock()
			}
		}(i)
	}
	var pw sync.WaitGroup
	for p := 0; p < producers; p++ {
		pw.Add(1)
		go func(p int) {
			defer pw.Done()
			w := dialWire(t, s.Addr)
			for i := 0; i < perProducer; i++ {
				k := keys[(p+i)%len(keys)]
				w.do("ZADD", k, strconv.Itoa(i), fmt.Sprintf("p%d:%d", p, i))
			}
		}(p)
	}
	pw.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(popped)
		mu.Unlock()
		if n == producers*perProducer {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("popped %d of %d", n, producers*perProducer)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	for m, n := range popped {
		if n != 1 {
			t.Fatalf("%s popped %d times", m, n)
		}
	}
	w := dialWire(t, s.Addr)
	for _, k := range keys {
		w.expect0("EXISTS", k, ":0\r\n")
	}
}

// TestZSetsKeyspaceEvents compares the keyspace notifications of the
// sorted-set commands with redis-server's.
func TestZSetsKeyspaceEvents(t *testing.T) {
	events := func(s *Server) []string {
		sub := dialWire(t, s.Addr)
		w := dialWire(t, s.Addr)
		w.expect0("CONFIG", "SET", "notify-keyspace-events", "KEA", "+OK\r\n")
		sub.expect0("PSUBSCRIBE", "__key*__:*", "")
		for _, cmd := range [][]string{
			{"ZADD", "k", "1", "a", "2", "b"},
			{"ZADD", "k", "1", "a"},
			{"ZADD", "k", "XX", "5", "nosuch"},
			{"ZADD", "k", "INCR", "1", "a"},
			{"ZINCRBY", "k", "1", "b"},
			{"ZREM", "k", "nosuch"},
			{"ZREM", "k", "a"},
			{"ZADD", "k", "3", "c", "4", "d"},
			{"ZREMRANGEBYRANK", "k", "0", "0"},
			{"ZREMRANGEBYSCORE", "k", "10", "20"},
			{"ZREMRANGEBYSCORE", "k", "3", "3"},
			{"ZADD", "l", "0", "a", "0", "b"},
			{"ZREMRANGEBYLEX", "l", "-", "+"},
			{"ZUNIONSTORE", "u", "1", "k"},
			{"ZINTERSTORE", "u", "2", "k", "nosuch"},
			{"ZINTERSTORE", "u", "2", "k", "nosuch"},
			{"ZDIFFSTORE", "u", "1", "k"},
			{"ZRANGESTORE", "r", "k", "0", "-1"},
			{"ZRANGESTORE", "r", "k", "5", "6"},
			{"ZPOPMIN", "u"},
			{"ZPOPMAX", "k", "0"},
			{"ZMPOP", "1", "k", "MAX", "COUNT", "10"},
			{"ZADD", "b", "1", "x"},
			{"BZPOPMIN", "b", "0"},
			{"SET", "end", "1"},
		} {
			w.do(cmd...)
		}
		var out []string
		for {
			msg := sub.reply()
			out = append(out, msg)
			if strings.Contains(msg, "__keyevent@0__:set") {
				return out
			}
		}
	}
	got := events(Start(t, "--proactor_threads", "4"))
	want := events(StartRedis(t))
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("events differ:\n damselfly: %q\n     redis: %q", got, want)
	}
}
