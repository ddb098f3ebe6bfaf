package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPrefetchChangesNothing calls Prefetch between random writes and
// deletions (the table growing, shrinking and resizing, pages dropped by
// compaction), with the hashes of present and absent keys: it must never
// fault, and what the table holds, its versions and access data must be
// what they were before each call.
func TestPrefetchChangesNothing(t *testing.T) {
	d, _ := newDB()
	rng := rand.New(rand.NewPCG(3, 4))
	var hs []uint64
	for step := 0; step < 50_000; step++ {
		k := []byte(fmt.Sprintf("k%d", rng.IntN(3000)))
		if rng.IntN(3) == 0 {
			d.Delete(k)
		} else {
			d.SetString(k, k, 0, false)
		}
		if step%97 == 0 {
			d.Maintain(rng.IntN(2000), rng.IntN(32<<10))
		}
		hs = append(hs[:0], d.Hash(k), d.Hash([]byte("absent")), rng.Uint64())
		r, found := d.Peek(k)
		var ver uint64
		var meta uint32
		if found {
			ver, meta = d.Version(r), d.ent(r).meta
		}
		n, live := d.Len(), d.arena.live
		d.Prefetch(hs)
		if d.Len() != n || d.arena.live != live {
			t.Fatalf("step %d: Prefetch changed the table", step)
		}
		if r2, ok := d.Peek(k); ok != found || (ok && (r2 != r || d.Version(r2) != ver || d.ent(r2).meta != meta)) {
			t.Fatalf("step %d: Prefetch changed %s", step, k)
		}
	}
}
