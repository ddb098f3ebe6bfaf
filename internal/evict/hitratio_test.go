package evict

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// zipfHitRatio replays a seeded SET:GET 1:4 stream over 200,000 keys with
// Zipf popularity against a cache of capacity keys evicting by pol, and
// returns the GET hit ratio after a warm-up.
func zipfHitRatio(pol Policy, capacity int, seed uint64) float64 {
	m := newModel(seed)
	p := NewPool(seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	z := rand.NewZipf(rng, 1.01, 1, 199999)
	const warm, total = 100000, 400000
	hits, gets := 0, 0
	for i := 0; i < total; i++ {
		m.now++
		k := strconv.FormatUint(z.Uint64(), 10)
		if rng.IntN(5) == 0 {
			m.write(k, 0)
			if over := int64(len(m.keys) - capacity); over > 0 {
				p.Run(pol, m, m.now, 5, over, 8)
			}
			continue
		}
		hit := m.read(k)
		if i >= warm {
			gets++
			if hit {
				hits++
			}
		}
	}
	return float64(hits) / float64(gets)
}

// TestTwoQHitRatioMatchesLRU: scan resistance costs nothing on an ordinary
// skewed workload: at the same capacity 2Q hits as often as sampled LRU.
func TestTwoQHitRatioMatchesLRU(t *testing.T) {
	lru := zipfHitRatio(AllKeysLRU, 20000, 1)
	q := zipfHitRatio(TwoQ, 20000, 1)
	t.Logf("zipf, capacity 10%% of the keys: LRU %.4f, 2Q %.4f", lru, q)
	if q < lru-0.01 {
		t.Fatalf("2Q hit ratio %.4f is below LRU's %.4f", q, lru)
	}
}
