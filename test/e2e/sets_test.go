package e2e

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// setsFill adds members prefix0..prefix(n-1) to key.
func setsFill(t *testing.T, c *redis.Client, key, prefix string, n int) {
	t.Helper()
	ctx := Ctx(t)
	pipe := c.Pipeline()
	for i := 0; i < n; i += 200 {
		var args []any
		for j := i; j < i+200 && j < n; j++ {
			args = append(args, prefix+strconv.Itoa(j))
		}
		pipe.SAdd(ctx, key, args...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSetBigScanGuarantee: SSCAN returns every member present for the
// whole scan while the set grows and shrinks between calls.
func TestSetBigScanGuarantee(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 2)
	ctx := Ctx(t)
	setsFill(t, c, "s", "m", 5000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := s.Client(t, 2)
		for {
			select {
			case <-stop:
				return
			default:
			}
			setsFill(t, w, "s", "churn", 20000)
			pipe := w.Pipeline()
			for i := 0; i < 20000; i++ {
				pipe.SRem(ctx, "s", "churn"+strconv.Itoa(i))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	seen := map[string]bool{}
	var cursor uint64
	for {
		ms, next, err := c.SScan(ctx, "s", cursor, "m*", 30).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			seen[m] = true
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	close(stop)
	wg.Wait()
	for i := 0; i < 5000; i++ {
		if !seen["m"+strconv.Itoa(i)] {
			t.Fatalf("member m%d missing after a full SSCAN", i)
		}
	}
}

// TestSetMoveAtomicAcrossShards: members moved between sets on different
// shards by concurrent SMOVEs are never seen lost or duplicated by
// multi-key reads (SUNION, SINTER), which lock every shard they read.
func TestSetMoveAtomicAcrossShards(t *testing.T) {
	s := Start(t, "--proactor_threads", "4")
	ctx := Ctx(t)
	keys := []string{"set:a", "set:b", "set:c", "set:d", "set:e"}
	const n = 200
	c := s.Client(t, 2)
	setsFill(t, c, keys[0], "", n)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cl := s.Client(t, 2)
			for i := 0; i < 1500; i++ {
				src, dst := keys[(i+w)%len(keys)], keys[(i*7+w+1)%len(keys)]
				if err := cl.SMove(ctx, src, dst, strconv.Itoa((i*13+w)%n)).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	go func() { wg.Wait(); close(done) }()
	r := s.Client(t, 2)
	for reads := 0; ; reads++ {
		select {
		case <-done:
			if reads == 0 {
				t.Fatal("no reads overlapped the moves")
			}
			union := r.SUnion(ctx, keys...).Val()
			if len(union) != n {
				t.Fatalf("after the moves the union has %d members", len(union))
			}
			return
		default:
		}
		if u := r.SUnion(ctx, keys...).Val(); len(u) != n {
			t.Fatalf("SUNION saw %d members, want %d", len(u), n)
		}
		total := int64(0)
		pipe := r.TxPipeline()
		cards := make([]*redis.IntCmd, len(keys))
		for i, k := range keys {
			cards[i] = pipe.SCard(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err == nil {
			for _, cmd := range cards {
				total += cmd.Val()
			}
			if total != n {
				t.Fatalf("SCARDs in one MULTI add up to %d, want %d", total, n)
			}
		}
		if x := r.SInter(ctx, keys[0], keys[1]).Val(); len(x) != 0 {
			t.Fatalf("a member is in two sets at once: %v", x)
		}
	}
}

// TestSetPopAndRandomBig: SPOP with a count on a big hashtable set pops
// distinct members, and SRANDMEMBER with counts keeps its contracts.
func TestSetPopAndRandomBig(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 3)
	ctx := Ctx(t)
	setsFill(t, c, "big", "", 10000)
	if enc := c.ObjectEncoding(ctx, "big").Val(); enc != "hashtable" {
		t.Fatalf("10000 integers: encoding %q", enc)
	}
	distinct := func(ms []string) map[string]bool {
		seen := map[string]bool{}
		for _, m := range ms {
			if seen[m] {
				t.Fatalf("member %s twice", m)
			}
			seen[m] = true
		}
		return seen
	}
	popped := distinct(c.SPopN(ctx, "big", 3000).Val())
	if len(popped) != 3000 || c.SCard(ctx, "big").Val() != 7000 {
		t.Fatalf("SPOP 3000: %d popped, %d left", len(popped), c.SCard(ctx, "big").Val())
	}
	for _, m := range c.SRandMemberN(ctx, "big", 5000).Val() {
		if popped[m] {
			t.Fatalf("SRANDMEMBER returned popped member %s", m)
		}
	}
	if got := distinct(c.SRandMemberN(ctx, "big", 6999).Val()); len(got) != 6999 {
		t.Fatalf("SRANDMEMBER 6999 gave %d", len(got))
	}
	if got := c.SRandMemberN(ctx, "big", -20000).Val(); len(got) != 20000 {
		t.Fatalf("SRANDMEMBER -20000 gave %d", len(got))
	}
	rest := distinct(c.SPopN(ctx, "big", 100000).Val())
	if len(rest) != 7000 || c.Exists(ctx, "big").Val() != 0 {
		t.Fatalf("final SPOP: %d members, key exists %d", len(rest), c.Exists(ctx, "big").Val())
	}
	for m := range rest {
		if popped[m] {
			t.Fatalf("%s popped twice", m)
		}
	}
}

// TestHashSetKeyspaceNotifications compares the keyspace events of hash
// and set commands with redis-server's.
func TestHashSetKeyspaceNotifications(t *testing.T) {
	cmds := [][]string{
		{"HSET", "h", "a", "1", "b", "2"},
		{"HMSET", "h", "c", "3"},
		{"HSETNX", "h", "a", "x"},
		{"HSETNX", "h", "d", "4"},
		{"HINCRBY", "h", "n", "2"},
		{"HINCRBYFLOAT", "h", "f", "1.5"},
		{"HINCRBY", "h", "a", "x"},
		{"HDEL", "h", "nosuch"},
		{"HDEL", "h", "a", "b"},
		{"HDEL", "h", "c", "d", "n", "f"},
		{"HGET", "h", "a"},
		{"SADD", "s", "1", "2", "3"},
		{"SADD", "s", "1"},
		{"SREM", "s", "9"},
		{"SREM", "s", "1"},
		{"SMOVE", "s", "t", "2"},
		{"SMOVE", "s", "t", "2"},
		{"SMOVE", "s", "t", "3"},
		{"SADD", "u", "3"},
		{"SMOVE", "t", "u", "3"},
		{"SPOP", "t"},
		{"SADD", "p", "a", "b", "c", "d"},
		{"SPOP", "p", "2"},
		{"SPOP", "p", "0"},
		{"SPOP", "p", "5"},
		{"SADD", "x", "1", "2"},
		{"SADD", "y", "2", "3"},
		{"SINTERSTORE", "dst", "x", "y"},
		{"SUNIONSTORE", "dst", "x", "y"},
		{"SDIFFSTORE", "dst", "x", "y"},
		{"SINTERSTORE", "dst", "x", "nosuch"},
		{"SINTERSTORE", "dst", "x", "nosuch"},
		{"SUNIONSTORE", "dst2", "nosuch"},
		{"SREM", "x", "1", "2"},
	}
	var results [2][]string
	for i, tg := range oracleTargets {
		s := tg.start(t)
		admin := dialWire(t, s.Addr)
		if got := admin.do("CONFIG", "SET", "notify-keyspace-events", "KEA"); got != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET = %q", tg.name, got)
		}
		sub := dialWire(t, s.Addr)
		sub.write(respCmd("PSUBSCRIBE", "__key*__:*"))
		sub.reply()
		for _, c := range cmds {
			admin.do(c...)
		}
		sub.write(respCmd("SUBSCRIBE", "end"))
		for {
			r, err := sub.tryReply()
			if err != nil {
				t.Fatalf("%s: %v after events %q", tg.name, err, results[i])
			}
			if strings.Contains(r, "message\r\n$3\r\nend") {
				break
			}
			if strings.HasPrefix(r, "*3\r\n$9\r\nsubscribe") {
				admin.do("PUBLISH", "end", "end")
				continue
			}
			results[i] = append(results[i], strings.ReplaceAll(r, "\r\n", " "))
		}
	}
	d, r := results[0], results[1]
	if len(r) < 30 {
		t.Fatalf("redis published only %d events", len(r))
	}
	for i := 0; i < len(d) || i < len(r); i++ {
		var a, b string
		if i < len(d) {
			a = d[i]
		}
		if i < len(r) {
			b = r[i]
		}
		if a != b {
			t.Fatalf("event %d differs\ndamselfly: %s\nredis:     %s", i, a, b)
		}
	}
}
