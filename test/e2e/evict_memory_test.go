package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// memoryStatsNames returns the field names of a RESP2 MEMORY STATS reply,
// in order (nested db.N maps contribute their own names after db.N).
func memoryStatsNames(t *testing.T, s *Server) []string {
	t.Helper()
	c := s.Client(t, 2)
	ctx := Ctx(t)
	if err := c.Set(ctx, "k", strings.Repeat("v", 500), 0).Err(); err != nil {
		t.Fatal(err)
	}
	v, err := c.Do(ctx, "MEMORY", "STATS").Slice()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := 0; i+1 < len(v); i += 2 {
		name, _ := v[i].(string)
		names = append(names, name)
		if sub, ok := v[i+1].([]any); ok {
			for j := 0; j+1 < len(sub); j += 2 {
				n, _ := sub[j].(string)
				names = append(names, name+"/"+n)
			}
		} else if _, isInt := v[i+1].(int64); !isInt {
			if _, isStr := v[i+1].(string); !isStr {
				t.Errorf("%s: value %T is neither an integer nor a double", name, v[i+1])
			}
		}
	}
	return names
}

// TestMemoryStatsShapeMatchesRedis: MEMORY STATS has redis-server's fields
// in redis-server's order, and MEMORY USAGE answers go-redis's MemoryUsage.
func TestMemoryStatsShapeMatchesRedis(t *testing.T) {
	d := memoryStatsNames(t, Start(t))
	r := memoryStatsNames(t, StartRedis(t))
	if strings.Join(d, ",") != strings.Join(r, ",") {
		t.Fatalf("MEMORY STATS fields differ\ndamselfly: %v\nredis:     %v", d, r)
	}

	s := Start(t)
	c := s.Client(t, 3)
	ctx := Ctx(t)
	c.Set(ctx, "small", "x", 0)
	c.Set(ctx, "big", strings.Repeat("v", 10000), 0)
	small, err := c.MemoryUsage(ctx, "small").Result()
	if err != nil {
		t.Fatal(err)
	}
	big, err := c.MemoryUsage(ctx, "big").Result()
	if err != nil || big < 10000 || big <= small {
		t.Fatalf("MEMORY USAGE big = %d (%v), small = %d", big, err, small)
	}
	if err := c.MemoryUsage(ctx, "missing").Err(); err == nil || err.Error() != "redis: nil" {
		t.Fatalf("MEMORY USAGE of a missing key: %v", err)
	}

	// Dragonfly's per-type figures, from the background census.
	c.HSet(ctx, "h", "f", strings.Repeat("v", 1000))
	deadline := time.Now().Add(5 * time.Second)
	for {
		info := obsInfo(t, c, "memory")
		str, _ := strconv.ParseInt(info["type_used_memory_string"], 10, 64)
		hash, _ := strconv.ParseInt(info["type_used_memory_hash"], 10, 64)
		objects, err := strconv.ParseInt(info["object_used_memory"], 10, 64)
		if err != nil {
			t.Fatalf("INFO memory object_used_memory = %q", info["object_used_memory"])
		}
		if str >= 10000 && hash >= 1000 {
			if objects < str+hash {
				t.Fatalf("object_used_memory %d below string %d + hash %d", objects, str, hash)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("INFO memory type_used_memory_string %d, type_used_memory_hash %d", str, hash)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFlushGivesMemoryBack: the arena pages of a flushed database go back
// to the kernel soon after FLUSHALL (keyspace pages outside the Go heap
// are returned a lock hold after they empty, by the heartbeat when
// nothing else writes), and the server keeps serving.
func TestFlushGivesMemoryBack(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 2)
	ctx := Ctx(t)
	pid := s.cmd.Process.Pid
	base := rssOf(pid)
	val := strings.Repeat("f", 1000)
	for i := 0; i < 80000; i += 500 {
		p := c.Pipeline()
		for j := i; j < i+500; j++ {
			p.Set(ctx, "fill:"+strconv.Itoa(j), val, 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	full := rssOf(pid)
	if full-base < 60<<20 {
		t.Fatalf("80k keys of 1000 bytes grew RSS by %d bytes only", full-base)
	}
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	flushed := time.Now()
	deadline := flushed.Add(5 * time.Second)
	for rssOf(pid)-base > (full-base)/5 {
		if time.Now().After(deadline) {
			t.Fatalf("RSS %d MB five seconds after FLUSHALL (%d MB at start, %d MB full)", rssOf(pid)>>20, base>>20, full>>20)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("RSS %d MB at start, %d MB full, %d MB %v after FLUSHALL", base>>20, full>>20, rssOf(pid)>>20, time.Since(flushed).Round(time.Millisecond))
	if err := c.Set(ctx, "after", "x", 0).Err(); err != nil || c.Get(ctx, "after").Val() != "x" {
		t.Fatalf("the server stopped serving after the flush: %v", err)
	}
}
