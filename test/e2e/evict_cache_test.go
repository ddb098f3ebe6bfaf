package e2e

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// writeValues SETs prefix:0..n-1 to val in pipelined batches and returns
// how many writes failed and the first error.
func writeValues(t *testing.T, c *redis.Client, prefix string, n int, val string, ttl time.Duration) (int, error) {
	t.Helper()
	ctx := Ctx(t)
	failed := 0
	var first error
	for i := 0; i < n; i += 200 {
		p := c.Pipeline()
		for j := i; j < min(i+200, n); j++ {
			p.Set(ctx, prefix+":"+strconv.Itoa(j), val, ttl)
		}
		cmds, _ := p.Exec(ctx)
		for _, cmd := range cmds {
			if err := cmd.Err(); err != nil {
				if first == nil {
					first = err
				}
				failed++
			}
		}
	}
	return failed, first
}

// TestCacheModeEvicts: under cache_mode writes never fail for memory;
// evictions are counted in INFO and per db in /metrics, published as
// "evicted" keyspace events, and reported by MEMORY DOCTOR. cache_mode
// can be switched off and on at runtime; maxmemory-policy keeps its own
// value meanwhile.
func TestCacheModeEvicts(t *testing.T) {
	s := Start(t, "--cache_mode=true", "--maxmemory", "32mb", "--notify-keyspace-events", "Ee")
	c := s.Client(t, 2)
	ctx := Ctx(t)

	sub := c.Subscribe(ctx, "__keyevent@0__:evicted")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	var events atomic.Int64
	var badKey atomic.Value
	go func() {
		for m := range sub.Channel() {
			if !strings.HasPrefix(m.Payload, "k:") {
				badKey.Store(m.Payload)
			}
			events.Add(1)
		}
	}()

	info := obsInfo(t, c, "memory")
	if info["maxmemory"] != strconv.Itoa(32<<20) || info["maxmemory_policy"] != "eviction" {
		t.Fatalf("INFO maxmemory %s, maxmemory_policy %s", info["maxmemory"], info["maxmemory_policy"])
	}
	if got := c.ConfigGet(ctx, "maxmemory-policy").Val()["maxmemory-policy"]; got != "noeviction" {
		t.Fatalf("CONFIG GET maxmemory-policy under cache_mode = %q, want the configured noeviction", got)
	}

	val := strings.Repeat("v", 1000)
	if failed, err := writeValues(t, c, "k", 96000, val, 0); failed > 0 {
		t.Fatalf("%d writes failed under cache_mode: %v", failed, err)
	}
	evicted := evictedKeys(t, c)
	if evicted == 0 {
		t.Fatal("no key evicted after writing three times the cap")
	}
	used, _ := strconv.ParseInt(obsInfo(t, c, "memory")["used_memory"], 10, 64)
	if used > 32<<20 {
		t.Errorf("used_memory %d over maxmemory after the writes", used)
	}
	deadline := time.Now().Add(5 * time.Second)
	for events.Load() < evicted && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if events.Load() < evicted {
		t.Errorf("%d evicted events for %d evictions", events.Load(), evicted)
	}
	if k := badKey.Load(); k != nil {
		t.Errorf("evicted event for a key never written: %v", k)
	}

	_, page := obsGet(t, fmt.Sprintf("http://%s/metrics", s.Addr), "", "")
	fams := obsParse(t, page)
	if v, ok := obsValue(fams, "dragonfly_evicted_keys_total", "db", "db0"); !ok || int64(v) < evicted {
		t.Errorf("dragonfly_evicted_keys_total{db=db0} = %v (%v), INFO says %d", v, ok, evicted)
	}
	if doc := c.Do(ctx, "MEMORY", "DOCTOR").String(); !strings.Contains(doc, "Sam, I detected a few issues") || !strings.Contains(doc, "Evictions: ") {
		t.Errorf("MEMORY DOCTOR after evictions: %q", doc)
	}

	// Off: the configured noeviction refuses writes over the limit.
	if err := c.ConfigSet(ctx, "cache_mode", "false").Err(); err != nil {
		t.Fatal(err)
	}
	if p := obsInfo(t, c, "memory")["maxmemory_policy"]; p != "noeviction" {
		t.Fatalf("maxmemory_policy after cache_mode off: %s", p)
	}
	big := strings.Repeat("x", 4<<20)
	var err error
	for i := 0; i < 16 && err == nil; i++ {
		err = c.Set(ctx, "big"+strconv.Itoa(i), big, 0).Err()
	}
	if err == nil || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
		t.Fatalf("writing 64 MB more with cache_mode off: %v", err)
	}
	if err := c.ConfigSet(ctx, "cache_mode", "true").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "big-again", big, 0).Err(); err != nil {
		t.Fatalf("write with cache_mode back on: %v", err)
	}
}

// scanSurvival fills a 32 MB server with a hot set that is read three
// times, then writes 60 MB of cold keys once (never read) and returns the
// share of the hot set left.
func scanSurvival(t *testing.T, flags ...string) float64 {
	s := Start(t, append([]string{"--maxmemory", "32mb"}, flags...)...)
	c := s.Client(t, 2)
	val := strings.Repeat("h", 1000)
	if failed, err := writeValues(t, c, "hot", 2000, val, 0); failed > 0 {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		readKeys(t, c, "hot", 2000)
	}
	writeValues(t, c, "cold", 60000, val, 0)
	if evictedKeys(t, c) == 0 {
		t.Fatal("the scan evicted nothing: it does not test anything")
	}
	return survival(t, c, "hot", 0, 2000)
}

// TestCacheModeScanResistance: a one-off write of many cold keys does not
// evict the hot set under cache_mode (2Q), while LRU and random eviction
// lose most of it.
func TestCacheModeScanResistance(t *testing.T) {
	var mu sync.Mutex
	got := map[string]float64{}
	for _, mode := range []struct{ name, flag string }{
		{"cache_mode", "--cache_mode=true"},
		{"allkeys-lru", "--maxmemory-policy=allkeys-lru"},
		{"allkeys-random", "--maxmemory-policy=allkeys-random"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			v := scanSurvival(t, mode.flag)
			mu.Lock()
			got[mode.name] = v
			mu.Unlock()
			t.Logf("%s kept %.3f of the hot set", mode.name, v)
			switch mode.name {
			case "cache_mode":
				if v < 0.95 {
					t.Errorf("cache_mode kept %.3f of the hot set, want >= 0.95", v)
				}
			default:
				if v > 0.6 {
					t.Errorf("%s kept %.3f of the hot set: the scan is too small to show anything", mode.name, v)
				}
			}
		})
	}
}

// rssOf reads a process's resident set size from /proc.
func rssOf(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestCacheModeRSSBounded: writing ten times a 64 MB cap, RSS (sampled
// every 10 ms from /proc) never exceeds 1.1 x maxmemory: with values of
// one size, and of sizes spread from 100 bytes to 3 KB, whose dead
// records new ones seldom fit exactly (the arena's holes, keyspace
// holes.go, then leave more to compaction).
func TestCacheModeRSSBounded(t *testing.T) {
	val := strings.Repeat("r", 1000)
	t.Run("one size", func(t *testing.T) {
		cacheRSSBounded(t, func(int) string { return val })
	})
	big := strings.Repeat("m", 3000)
	t.Run("mixed sizes", func(t *testing.T) {
		cacheRSSBounded(t, func(j int) string { return big[:100+j*7919%2900] })
	})
}

func cacheRSSBounded(t *testing.T, value func(int) string) {
	const limit = 64 << 20
	s := Start(t, "--cache_mode=true", "--maxmemory", "64mb", "--save", "")
	c := s.Client(t, 2)
	pid := s.cmd.Process.Pid
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if r := rssOf(pid); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	ctx := Ctx(t)
	failed := 0
	var err error
	for i := 0; i < 10*limit/1000; i += 200 {
		p := c.Pipeline()
		for j := i; j < i+200; j++ {
			p.Set(ctx, "k:"+strconv.Itoa(j), value(j), 0)
		}
		cmds, _ := p.Exec(ctx)
		for _, cmd := range cmds {
			if e := cmd.Err(); e != nil {
				failed++
				err = e
			}
		}
	}
	close(stop)
	<-done
	if failed > 0 {
		t.Fatalf("%d writes failed: %v", failed, err)
	}
	t.Logf("peak RSS %.1f MB for maxmemory 64 MB (%.3fx), %d keys evicted", float64(peak.Load())/(1<<20), float64(peak.Load())/limit, evictedKeys(t, c))
	if peak.Load() > limit*11/10 {
		t.Fatalf("peak RSS %d > 1.1 x maxmemory", peak.Load())
	}
}

// TestTTLChurnBounded: a stream of short-lived keys (SET ... PX 50) for a
// few seconds leaves almost nothing behind, because expired keys are
// reclaimed actively; with active expiry switched off (the control) they
// pile up (80-90 MB here). "Almost nothing" is under 8 MB: what the
// keyspace keeps sized for the peak of live keys (slab chunks, expiry
// list) and the Go runtime's metadata for the peak heap measure 3.6-4.1
// MB after 1.4-1.6 M keys, and a faster machine writes more.
func TestTTLChurnBounded(t *testing.T) {
	churn := func(t *testing.T, activeExpire bool) (written, left int64, usedGrowth int64) {
		s := Start(t)
		c := s.Client(t, 2)
		ctx := Ctx(t)
		if !activeExpire {
			c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
		}
		base, _ := strconv.ParseInt(obsInfo(t, c, "memory")["used_memory"], 10, 64)
		val := strings.Repeat("t", 100)
		var n int64
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
			p := c.Pipeline()
			for j := 0; j < 200; j++ {
				p.Set(ctx, "ttl:"+strconv.FormatInt(n, 10), val, 50*time.Millisecond)
				n++
			}
			p.Exec(ctx)
		}
		time.Sleep(time.Second)
		used, _ := strconv.ParseInt(obsInfo(t, c, "memory")["used_memory"], 10, 64)
		return n, c.DBSize(ctx).Val(), used - base
	}
	written, left, growth := churn(t, true)
	t.Logf("active expiry: wrote %d keys, %d left, used_memory grew %d bytes", written, left, growth)
	if left > written/20 || growth > 8<<20 {
		t.Errorf("TTL churn left %d of %d keys and grew used_memory by %d bytes", left, written, growth)
	}
	cw, cleft, cgrowth := churn(t, false)
	t.Logf("control without active expiry: wrote %d keys, %d left, used_memory grew %d bytes", cw, cleft, cgrowth)
	if cleft < cw/2 {
		t.Errorf("control: without active expiry only %d of %d keys were left; the test cannot tell", cleft, cw)
	}
}

// TestEvictionInvalidatesTracking: an evicted key is invalidated for
// clients caching it (client-side caching), like any deletion, on both
// servers. With volatile-ttl and a single key with a TTL, that key is the
// one eviction must take.
func TestEvictionInvalidatesTracking(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := dialWire(t, s.Addr)
		w := s.Client(t, 2)
		ctx := Ctx(t)
		if err := w.ConfigSet(ctx, "maxmemory-policy", "volatile-ttl").Err(); err != nil {
			t.Fatal(err)
		}
		w.Set(ctx, "cached", "v", time.Hour)
		c.do("HELLO", "3")
		c.do("CLIENT", "TRACKING", "ON")
		if got := c.do("GET", "cached"); got != "$1\r\nv\r\n" {
			t.Fatalf("GET cached = %q", got)
		}
		big := strings.Repeat("x", 256<<10)
		for i := 0; i < 200 && w.Exists(ctx, "cached").Val() == 1; i++ {
			w.Set(ctx, "fill:"+strconv.Itoa(i), big, 0)
		}
		if w.Exists(ctx, "cached").Val() == 1 {
			t.Fatal("50 MB of writes over a 16 MB cap did not evict the only key with a TTL")
		}
		c.expect(">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\ncached\r\n")
	}, "--maxmemory", "16mb")
}
