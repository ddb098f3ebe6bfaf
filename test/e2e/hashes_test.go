package e2e

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// hashesFill writes n fields f0..f(n-1) = v0.. to key in one pipeline.
func hashesFill(t *testing.T, c *redis.Client, key string, from, n int) {
	t.Helper()
	ctx := Ctx(t)
	pipe := c.Pipeline()
	for i := from; i < from+n; i += 100 {
		var args []any
		for j := i; j < i+100 && j < from+n; j++ {
			args = append(args, "f"+strconv.Itoa(j), "v"+strconv.Itoa(j))
		}
		pipe.HSet(ctx, key, args...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestHashBigScanGuarantee: HSCAN over a hashtable returns every field
// present for the whole scan, while another client adds and deletes
// fields enough to make the table grow and shrink between calls.
func TestHashBigScanGuarantee(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 2)
	ctx := Ctx(t)
	hashesFill(t, c, "h", 0, 5000)
	if enc := c.ObjectEncoding(ctx, "h").Val(); enc != "hashtable" {
		t.Fatalf("encoding %q", enc)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := s.Client(t, 2)
		for round := 0; ; round++ {
			select {
			case <-stop:
				return
			default:
			}
			base := 100000 + (round%4)*20000
			hashesFill(t, w, "h", base, 20000)
			pipe := w.Pipeline()
			for i := base; i < base+20000; i++ {
				pipe.HDel(ctx, "h", "f"+strconv.Itoa(i))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	seen := map[string]string{}
	var cursor uint64
	calls := 0
	for {
		kv, next, err := c.HScan(ctx, "h", cursor, "f[0-9]*", 50).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(kv)%2 != 0 {
			t.Fatalf("odd HSCAN reply length %d", len(kv))
		}
		for i := 0; i < len(kv); i += 2 {
			seen[kv[i]] = kv[i+1]
		}
		calls++
		if next == 0 {
			break
		}
		cursor = next
	}
	close(stop)
	wg.Wait()
	if calls < 10 {
		t.Fatalf("a 5000-field hashtable scanned in %d calls", calls)
	}
	for i := 0; i < 5000; i++ {
		f := "f" + strconv.Itoa(i)
		if seen[f] != "v"+strconv.Itoa(i) {
			t.Fatalf("field %s missing or wrong after a full HSCAN: %q", f, seen[f])
		}
	}
}

// TestHashDigestMatchesRedis: DEBUG DIGEST-VALUE of hashes and sets (both
// encodings) equals redis-server's.
func TestHashDigestMatchesRedis(t *testing.T) {
	d, r := Start(t), StartRedis(t, "--enable-debug-command", "yes")
	ctx := Ctx(t)
	var digests [2][]any
	for i, srv := range []*Server{d, r} {
		c := srv.Client(t, 2)
		c.HSet(ctx, "small", "a", "1", "b", "2")
		hashesFill(t, c, "big", 0, 1000)
		c.SAdd(ctx, "ints", 3, 1, 2)
		c.SAdd(ctx, "strs", "x", "y", 1)
		c.SAdd(ctx, "empty-member", "")
		res, err := c.Do(ctx, "DEBUG", "DIGEST-VALUE", "small", "big", "ints", "strs", "empty-member").Slice()
		if err != nil {
			t.Fatal(err)
		}
		digests[i] = res
		all, err := c.Do(ctx, "DEBUG", "DIGEST").Text()
		if err != nil {
			t.Fatal(err)
		}
		digests[i] = append(digests[i], all)
	}
	if fmt.Sprint(digests[0]) != fmt.Sprint(digests[1]) {
		t.Fatalf("digests differ:\n damselfly %v\n redis     %v", digests[0], digests[1])
	}
}

// TestHashConcurrentIncr: HINCRBY and HINCRBYFLOAT from many clients on
// keys spread over shards add up exactly.
func TestHashConcurrentIncr(t *testing.T) {
	s := Start(t, "--proactor_threads", "4")
	ctx := Ctx(t)
	const clients, per = 8, 300
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.Client(t, 2)
			for j := 0; j < per; j++ {
				k := "ctr" + strconv.Itoa(j%5)
				if err := c.HIncrBy(ctx, k, "n", 1).Err(); err != nil {
					t.Error(err)
					return
				}
				if err := c.HIncrByFloat(ctx, k, "f", 0.5).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	c := s.Client(t, 2)
	for j := 0; j < 5; j++ {
		k := "ctr" + strconv.Itoa(j)
		if n := c.HGet(ctx, k, "n").Val(); n != strconv.Itoa(clients*per/5) {
			t.Fatalf("%s n = %s", k, n)
		}
		if f := c.HGet(ctx, k, "f").Val(); f != strconv.Itoa(clients*per/10) {
			t.Fatalf("%s f = %s", k, f)
		}
	}
}

// TestHashMemoryAccounting: used_memory grows with a big hash and falls
// back when it is deleted or emptied.
func TestHashMemoryAccounting(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 2)
	ctx := Ctx(t)
	used := func() int64 {
		v, err := c.Do(ctx, "MEMORY", "STATS").Slice()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(v); i += 2 {
			if v[i] == "dataset.bytes" {
				return v[i+1].(int64)
			}
		}
		usage, _ := c.MemoryUsage(ctx, "h").Result()
		return usage
	}
	before := used()
	hashesFill(t, c, "h", 0, 20000)
	if u := c.MemoryUsage(ctx, "h").Val(); u < 20000*10 {
		t.Fatalf("MEMORY USAGE of a 20000-field hash: %d", u)
	}
	grown := used()
	pipe := c.Pipeline()
	for i := 0; i < 20000; i++ {
		pipe.HDel(ctx, "h", "f"+strconv.Itoa(i))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, "h").Val(); n != 0 {
		t.Fatal("emptied hash still exists")
	}
	after := used()
	if grown <= before || after > before+(grown-before)/10 {
		t.Fatalf("dataset bytes: before %d, with hash %d, after emptying %d", before, grown, after)
	}
}
