package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestKeysOutputLimit: Dragonfly's keys_output_limit cuts a KEYS reply
// and logs it; CONFIG SET changes it live and 0 (the default, Redis's
// behaviour) lifts it.
func TestKeysOutputLimit(t *testing.T) {
	if keys, err := Start(t).Client(t, 2).Keys(Ctx(t), "*").Result(); err != nil || len(keys) != 0 {
		t.Fatalf("KEYS on an empty server: %v %v", keys, err)
	}
	def := Start(t)
	dc := def.Client(t, 2)
	if err := dc.Do(Ctx(t), "DEBUG", "POPULATE", 9000).Err(); err != nil {
		t.Fatal(err)
	}
	if keys, _ := dc.Keys(Ctx(t), "*").Result(); len(keys) != 9000 {
		t.Fatalf("KEYS * with the default (no limit): %d keys, want 9000", len(keys))
	}
	s := Start(t, "--keys_output_limit", "8192")
	rc := s.Client(t, 2)
	ctx := Ctx(t)
	if err := rc.Do(ctx, "DEBUG", "POPULATE", 9000).Err(); err != nil {
		t.Fatal(err)
	}
	keys, err := rc.Keys(ctx, "*").Result()
	if err != nil || len(keys) != 8192 {
		t.Fatalf("KEYS * with keys_output_limit 8192: %d keys, %v", len(keys), err)
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] || !strings.HasPrefix(k, "key:") {
			t.Fatalf("KEYS returned %q twice or a key that does not exist", k)
		}
		seen[k] = true
	}
	// A pattern that matches fewer keys than the limit is whole.
	if keys, _ := rc.Keys(ctx, "key:1??").Result(); len(keys) != 100 {
		t.Errorf("KEYS key:1??: %d keys, want 100", len(keys))
	}
	if err := rc.ConfigSet(ctx, "keys_output_limit", "10").Err(); err != nil {
		t.Fatal(err)
	}
	if keys, _ := rc.Keys(ctx, "key:1*").Result(); len(keys) != 10 {
		t.Errorf("KEYS with keys_output_limit 10: %d keys", len(keys))
	}
	rc.ConfigSet(ctx, "keys_output_limit", "0")
	if keys, _ := rc.Keys(ctx, "*").Result(); len(keys) != 9000 {
		t.Errorf("KEYS with keys_output_limit 0: %d keys, want 9000", len(keys))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.Log(), "KEYS reply cut at keys_output_limit") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for the cut reply:\n%s", s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
