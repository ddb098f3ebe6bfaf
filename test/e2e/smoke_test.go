package e2e

import "testing"

func TestSmokeGoRedis(t *testing.T) {
	s := Start(t)
	for _, proto := range []int{2, 3} {
		c := s.Client(t, proto)
		ctx := Ctx(t)
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("resp%d set: %v", proto, err)
		}
		if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
			t.Fatalf("resp%d get: %q %v", proto, v, err)
		}
		if n, err := c.Incr(ctx, "n").Result(); err != nil || n < 1 {
			t.Fatalf("resp%d incr: %d %v", proto, n, err)
		}
	}
}
