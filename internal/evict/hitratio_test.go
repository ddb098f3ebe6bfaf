package evict

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// hitRatio replays a seeded SET:GET 1:4 stream of total requests over
// keys drawn by next against a cache of capacity keys evicting by pol, and
// returns the GET hit ratio after warm requests. The model's sketch is
// sized for the capacity, as the shard's is for the keys it holds.
func hitRatio(pol Policy, capacity, warm, total int, seed uint64, next func(*rand.Rand) uint64) float64 {
	m := newModel(seed)
	m.sk.Fit(capacity)
	p := NewPool(seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	hits, gets := 0, 0
	for i := 0; i < total; i++ {
		m.now++
		k := strconv.FormatUint(next(rng), 10)
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

// gaussianKeys draws from keys keys with a normal popularity centred in
// the middle, σ a tenth of the range (bench/hitratio.sh's gaussian:0.1).
func gaussianKeys(keys int) func(*rand.Rand) uint64 {
	return func(r *rand.Rand) uint64 {
		for {
			if x := float64(keys)/2 + r.NormFloat64()*float64(keys)/10; x >= 0 && x < float64(keys) {
				return uint64(x)
			}
		}
	}
}

// TestTwoQHitRatioBeatsLRU: scan resistance costs nothing on ordinary
// workloads, and the frequency sketch pays: at the same capacity (10% of
// the keys) 2Q hits at least as often as sampled LRU with Zipf
// popularity, and clearly more often with Gaussian popularity, where
// recency alone is a poor guide (a key in the middle of the bell is asked
// for a few times per cache turnover, like one at its edge).
func TestTwoQHitRatioBeatsLRU(t *testing.T) {
	var zipf *rand.Zipf
	dists := []struct {
		name string
		next func(*rand.Rand) uint64
		gain float64 // 2Q's hit ratio over LRU's, at least
	}{
		{"zipf", func(r *rand.Rand) uint64 {
			if zipf == nil {
				zipf = rand.NewZipf(r, 1.01, 1, 199999)
			}
			return zipf.Uint64()
		}, 0.99},
		{"gaussian", gaussianKeys(200000), 1.05},
	}
	for _, d := range dists {
		zipf = nil
		lru := hitRatio(AllKeysLRU, 20000, 100000, 400000, 1, d.next)
		zipf = nil
		q := hitRatio(TwoQ, 20000, 100000, 400000, 1, d.next)
		t.Logf("%s: LRU %.4f, 2Q %.4f (%.3fx)", d.name, lru, q, q/lru)
		if q < lru*d.gain {
			t.Errorf("%s: 2Q hit ratio %.4f is below %.2f x LRU's %.4f", d.name, q, d.gain, lru)
		}
	}
}

// BenchmarkHitRatioModel replays bench/hitratio.sh's Gaussian and uniform
// scenarios in the model (1 M keys, 1.5 M warm-up and 0.5 M measured
// requests) for sampled LRU holding as many keys as redis-server does at
// the 100 MB cap (93 k) and 2Q holding what Damselfly does (65 k):
//
//	go test ./internal/evict -run X -bench HitRatioModel -benchtime 1x
func BenchmarkHitRatioModel(b *testing.B) {
	const keys = 1000000
	for b.Loop() {
		for _, c := range []struct {
			name string
			next func(*rand.Rand) uint64
		}{
			{"gaussian", gaussianKeys(keys)},
			{"uniform", func(r *rand.Rand) uint64 { return r.Uint64N(keys) }},
		} {
			lru := hitRatio(AllKeysLRU, 93000, 1500000, 2000000, 1, c.next)
			q := hitRatio(TwoQ, 65000, 1500000, 2000000, 1, c.next)
			q93 := hitRatio(TwoQ, 93000, 1500000, 2000000, 1, c.next)
			b.ReportMetric(lru, c.name+"-lru@93k")
			b.ReportMetric(q, c.name+"-2q@65k")
			b.ReportMetric(q93, c.name+"-2q@93k")
		}
	}
}
