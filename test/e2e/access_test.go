package e2e

import (
	"strings"
	"testing"
)

// TestLFUAccessData: under an LFU policy a new key's counter is Redis's
// LFU_INIT_VAL (5), the first read takes it to 6 (the increment is certain
// below 5 + 1), an overwrite keeps it, and the same 24 bits read as an LRU
// clock once the policy goes back to LRU, as in Redis. Both servers must
// answer alike.
func TestLFUAccessData(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		c := s.Client(t, 2)
		ctx := Ctx(t)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu").Err())
		must(c.Set(ctx, "lfu:k", "hello", 0).Err())
		freq := func(want int64) {
			t.Helper()
			got, err := c.Do(ctx, "OBJECT", "FREQ", "lfu:k").Int64()
			if err != nil || got != want {
				t.Fatalf("OBJECT FREQ = %d, %v; want %d", got, err, want)
			}
		}
		freq(5)
		must(c.Get(ctx, "lfu:k").Err())
		freq(6)
		// The overwrite is an access too: past 5 the counter grows with
		// probability 1/((counter-5)*lfu-log-factor+1), 1/11 here, on
		// redis-server and Damselfly alike, so 6 or 7.
		must(c.Set(ctx, "lfu:k", "hello2", 0).Err())
		if got, err := c.Do(ctx, "OBJECT", "FREQ", "lfu:k").Int64(); err != nil || got < 6 || got > 7 {
			t.Fatalf("OBJECT FREQ after an overwrite = %d, %v; want 6 or 7", got, err)
		}
		_, err := c.Do(ctx, "OBJECT", "IDLETIME", "lfu:k").Result()
		if err == nil || !strings.HasPrefix(err.Error(), "ERR An LFU maxmemory policy is selected") {
			t.Fatalf("OBJECT IDLETIME under LFU: %v", err)
		}
		must(c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err())
		must(c.Set(ctx, "lru:k", "v", 0).Err())
		if idle, err := c.Do(ctx, "OBJECT", "IDLETIME", "lru:k").Int64(); err != nil || idle > 1 {
			t.Fatalf("OBJECT IDLETIME of a new key = %d, %v", idle, err)
		}
		_, err = c.Do(ctx, "OBJECT", "FREQ", "lru:k").Result()
		if err == nil || !strings.HasPrefix(err.Error(), "ERR An LFU maxmemory policy is not selected") {
			t.Fatalf("OBJECT FREQ under LRU: %v", err)
		}
		// RESTORE ... FREQ sets the counter under LFU.
		dump, err := c.Dump(ctx, "lru:k").Result()
		must(err)
		must(c.ConfigSet(ctx, "maxmemory-policy", "volatile-lfu").Err())
		must(c.Do(ctx, "RESTORE", "lfu:r", 0, dump, "FREQ", 42).Err())
		got, err := c.Do(ctx, "OBJECT", "FREQ", "lfu:r").Int64()
		if err != nil || got != 42 {
			t.Fatalf("OBJECT FREQ after RESTORE FREQ 42 = %d, %v", got, err)
		}
	})
}
