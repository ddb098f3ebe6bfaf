package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Eviction policy tests run on Damselfly and on redis-server with the same
// cap and workload, and assert what each policy promises.

const (
	policyCap   = "12mb"
	policyValue = 1000
	policyBulk  = 24000 // ~24 MB written: twice the cap
)

var policyVal = strings.Repeat("v", policyValue)

// writeKeys SETs prefix:0..n-1 in pipelined batches (with EX ttl seconds
// when ttl > 0), calling between(batch) after each batch, and returns how
// many writes failed.
func writeKeys(t *testing.T, c *redis.Client, prefix string, n int, ttl time.Duration, between func()) int {
	t.Helper()
	ctx := Ctx(t)
	failed := 0
	for i := 0; i < n; i += 500 {
		p := c.Pipeline()
		for j := i; j < min(i+500, n); j++ {
			p.Set(ctx, prefix+":"+strconv.Itoa(j), policyVal, ttl)
		}
		cmds, _ := p.Exec(ctx)
		for _, cmd := range cmds {
			if cmd.Err() != nil {
				failed++
			}
		}
		if between != nil {
			between()
		}
	}
	return failed
}

// readKeys GETs prefix:0..n-1 in one pipeline.
func readKeys(t *testing.T, c *redis.Client, prefix string, n int) {
	t.Helper()
	ctx := Ctx(t)
	p := c.Pipeline()
	for j := 0; j < n; j++ {
		p.Get(ctx, prefix+":"+strconv.Itoa(j))
	}
	p.Exec(ctx)
}

// survival is the share of prefix:from..to-1 that still exists.
func survival(t *testing.T, c *redis.Client, prefix string, from, to int) float64 {
	t.Helper()
	ctx := Ctx(t)
	p := c.Pipeline()
	var cmds []*redis.IntCmd
	for j := from; j < to; j++ {
		cmds = append(cmds, p.Exists(ctx, prefix+":"+strconv.Itoa(j)))
	}
	p.Exec(ctx)
	left := 0
	for _, c := range cmds {
		left += int(c.Val())
	}
	return float64(left) / float64(to-from)
}

func evictedKeys(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	n, _ := strconv.ParseInt(obsInfo(t, c, "stats")["evicted_keys"], 10, 64)
	return n
}

func startPolicy(t *testing.T, s *Server, policy string) *redis.Client {
	t.Helper()
	c := s.Client(t, 2)
	if err := c.ConfigSet(context.Background(), "maxmemory-policy", policy).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEvictAllKeysLRU: keys read all along survive a flood of new writes;
// old keys never read go.
func TestEvictAllKeysLRU(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := startPolicy(t, s, "allkeys-lru")
		writeKeys(t, c, "old", 2000, 0, nil)
		// Redis's LRU clock ticks once a second: let the old keys age.
		time.Sleep(1100 * time.Millisecond)
		// The flood is paced (20 ms between batches of 500) so that the
		// keys the cache holds at any time span a few hundred ms.
		failed := writeKeys(t, c, "new", policyBulk, 0, func() {
			readKeys(t, c, "old", 500)
			time.Sleep(20 * time.Millisecond)
		})
		hot, cold := survival(t, c, "old", 0, 500), survival(t, c, "old", 500, 2000)
		// Within that second Redis cannot tell the keys read all along
		// from the new ones, and loses a random part of them; Damselfly's
		// LRU clock ticks every 62.5 ms (keyspace/access.go), so it tells
		// them from all but the newest batches and must keep them.
		wantHot := 0.9
		if strings.Contains(t.Name(), "redis") {
			wantHot = 0
		}
		if failed > 0 || hot < wantHot || cold > 0.2 || evictedKeys(t, c) == 0 {
			t.Fatalf("failed writes %d, read keys kept %.2f (want >= %.1f), unread old keys kept %.2f (want <= 0.2), evicted %d",
				failed, hot, wantHot, cold, evictedKeys(t, c))
		}
	}, "--maxmemory", policyCap)
}

// TestEvictAllKeysLFU: keys read several times before the flood survive it
// although they are older than every new key.
func TestEvictAllKeysLFU(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := startPolicy(t, s, "allkeys-lfu")
		writeKeys(t, c, "old", 2000, 0, nil)
		for i := 0; i < 5; i++ {
			readKeys(t, c, "old", 500)
		}
		failed := writeKeys(t, c, "new", policyBulk, 0, nil)
		hot := survival(t, c, "old", 0, 500)
		if failed > 0 || hot < 0.9 || evictedKeys(t, c) == 0 {
			t.Fatalf("failed writes %d, frequently read keys kept %.2f (want >= 0.9), evicted %d", failed, hot, evictedKeys(t, c))
		}
	}, "--maxmemory", policyCap)
}

// TestEvictAllKeysRandom: writes never fail, memory stays at the cap.
func TestEvictAllKeysRandom(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := startPolicy(t, s, "allkeys-random")
		failed := writeKeys(t, c, "new", policyBulk, 0, nil)
		kept := survival(t, c, "new", 0, policyBulk)
		if failed > 0 || evictedKeys(t, c) == 0 || kept > 0.75 {
			t.Fatalf("failed writes %d, evicted %d, kept %.2f", failed, evictedKeys(t, c), kept)
		}
	}, "--maxmemory", policyCap)
}

// TestEvictVolatile: the volatile policies evict only keys with a TTL;
// volatile-ttl takes the soonest expiries first.
func TestEvictVolatile(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			onBoth(t, func(t *testing.T, s *Server) {
				c := startPolicy(t, s, policy)
				writeKeys(t, c, "persist", 1000, 0, nil)
				writeKeys(t, c, "short", 1000, 100*time.Second, nil)
				failed := writeKeys(t, c, "long", policyBulk, 100000*time.Second, nil)
				persist, short := survival(t, c, "persist", 0, 1000), survival(t, c, "short", 0, 1000)
				if failed > 0 || persist != 1 || evictedKeys(t, c) == 0 {
					t.Fatalf("failed writes %d, keys without TTL kept %.3f (want 1), evicted %d", failed, persist, evictedKeys(t, c))
				}
				if policy == "volatile-ttl" && short > 0.1 {
					t.Fatalf("volatile-ttl kept %.2f of the keys expiring soonest", short)
				}
			}, "--maxmemory", policyCap)
		})
	}
}

// TestEvictVolatileNothingToEvict: a volatile policy with no key with a
// TTL refuses writes like noeviction.
func TestEvictVolatileNothingToEvict(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := startPolicy(t, s, "volatile-lru")
		failed := writeKeys(t, c, "persist", policyBulk, 0, nil)
		err := c.Set(Ctx(t), "one-more", strings.Repeat("x", 1<<20), 0).Err()
		if failed == 0 || err == nil || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
			t.Fatalf("failed writes %d, last write %v", failed, err)
		}
	}, "--maxmemory", policyCap)
}
