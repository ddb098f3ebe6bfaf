package e2e

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// hllBothServers starts redis-server and damselfly and returns clients.
func hllBothServers(t *testing.T) (rc, dc *redis.Client) {
	t.Helper()
	return StartRedis(t).Client(t, 2), Start(t).Client(t, 2)
}

// hllSameBytes checks that key holds identical bytes on both servers.
func hllSameBytes(t *testing.T, rc, dc *redis.Client, key string) {
	t.Helper()
	ctx := Ctx(t)
	a, err1 := rc.Get(ctx, key).Bytes()
	b, err2 := dc.Get(ctx, key).Bytes()
	if err1 != nil || err2 != nil {
		t.Fatalf("GET %s: redis %v, damselfly %v", key, err1, err2)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("GET %s differs: redis %d bytes %q..., damselfly %d bytes %q...", key, len(a), a[:min(len(a), 40)], len(b), b[:min(len(b), 40)])
	}
}

// TestHLLMatchesRedis adds 1..100000 one by one (crossing the sparse to
// dense promotion) and checks PFCOUNT and the raw bytes against
// redis-server at checkpoints, then merges and unions.
func TestHLLMatchesRedis(t *testing.T) {
	rc, dc := hllBothServers(t)
	ctx := Ctx(t)
	checkpoints := map[int]bool{1: true, 10: true, 100: true, 500: true, 1000: true, 2000: true, 3000: true, 10000: true, 50000: true, 100000: true}
	const batch = 1000
	for start := 1; start <= 100000; start += batch {
		for _, c := range []*redis.Client{rc, dc} {
			pipe := c.Pipeline()
			for i := start; i < start+batch; i++ {
				pipe.PFAdd(ctx, "hll", i)
				if i%3 == 0 {
					pipe.PFAdd(ctx, "third", fmt.Sprintf("x%d", i), fmt.Sprintf("y%d", i))
				}
				if checkpoints[i] {
					pipe.PFCount(ctx, "hll")
				}
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for i := start; i < start+batch; i++ {
			if checkpoints[i] || i == start {
				a := rc.PFCount(ctx, "hll").Val()
				b := dc.PFCount(ctx, "hll").Val()
				if a != b {
					t.Fatalf("after %d adds: PFCOUNT redis %d, damselfly %d", i, a, b)
				}
				hllSameBytes(t, rc, dc, "hll")
			}
		}
	}
	for _, c := range []*redis.Client{rc, dc} {
		c.PFAdd(ctx, "small", "a", "b", "c")
		c.PFMerge(ctx, "m1", "small", "third")
		c.PFMerge(ctx, "m2", "small")
		c.PFMerge(ctx, "small", "hll")
	}
	for _, k := range []string{"hll", "third", "m1", "m2", "small"} {
		hllSameBytes(t, rc, dc, k)
		if a, b := rc.PFCount(ctx, k).Val(), dc.PFCount(ctx, k).Val(); a != b {
			t.Fatalf("PFCOUNT %s: redis %d, damselfly %d", k, a, b)
		}
	}
	if a, b := rc.PFCount(ctx, "hll", "third", "nosuch").Val(), dc.PFCount(ctx, "hll", "third", "nosuch").Val(); a != b {
		t.Fatalf("PFCOUNT union: redis %d, damselfly %d", a, b)
	}
	// An HLL built by Redis, moved with GET/SET, keeps counting the same.
	raw := rc.Get(ctx, "third").Val()
	dc.Set(ctx, "moved", raw, 0)
	rc.Set(ctx, "moved", raw, 0)
	for _, c := range []*redis.Client{rc, dc} {
		c.PFAdd(ctx, "moved", "p", "q", "r")
	}
	hllSameBytes(t, rc, dc, "moved")
}

func TestHLLDebugGetRegAndSelfTest(t *testing.T) {
	rc, dc := hllBothServers(t)
	ctx := Ctx(t)
	for _, c := range []*redis.Client{rc, dc} {
		c.PFAdd(ctx, "g", "a", "b", "c", "d", "e")
	}
	a, err1 := rc.Do(ctx, "PFDEBUG", "GETREG", "g").Int64Slice()
	b, err2 := dc.Do(ctx, "PFDEBUG", "GETREG", "g").Int64Slice()
	if err1 != nil || err2 != nil || len(a) != 16384 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("PFDEBUG GETREG differs (%v, %v)", err1, err2)
	}
	hllSameBytes(t, rc, dc, "g") // both converted to dense
	if testing.Short() {
		return
	}
	if err := dc.Do(ctx, "PFSELFTEST").Err(); err != nil {
		t.Fatalf("PFSELFTEST: %v", err)
	}
}
