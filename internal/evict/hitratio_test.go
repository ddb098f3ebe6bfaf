package evict

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// hitRatio replays a seeded SET:GET 1:4 stream over 200,000 keys drawn
// by next against a cache of capacity keys evicting by pol, and returns
// the GET hit ratio after a warm-up.
func hitRatio(pol Policy, capacity int, seed uint64, next func(*rand.Rand) uint64) float64 {
	m := newModel(seed)
	p := NewPool(seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	const warm, total = 100000, 400000
	hits, gets := 0, 0
	for i := 0; i < total; i++ {
		m.now++
		k := strconv.FormatUint(next(rng), 10)
		if rng.IntN(5) == 0 {
			_, existed := m.meta[k]
			m.write(k, 0)
			if over := int64(len(m.keys) - capacity); over > 0 {
				if admit && !existed && pol == TwoQ {
					m.Sample(false, 5, func(db int, key string, md Meta) {
						p.Offer(Candidate{DB: db, Key: key, Score: pol.Score(md, m.now, 0)})
					})
					if b, ok := p.Best(); ok && b.Key != k && pol.Score(Meta{Est: m.sk.Estimate(m.hash(k)), Atime: m.now}, m.now, 0) >= b.Score {
						m.Evict(0, k, func(Meta) bool { return true })
						continue
					}
				}
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

// TestTwoQHitRatioMatchesLRU: scan resistance costs nothing on ordinary
// workloads: at the same capacity (10% of the keys) 2Q hits at least as
// often as sampled LRU with Zipf and Gaussian popularity.
func TestTwoQHitRatioMatchesLRU(t *testing.T) {
	var zipf *rand.Zipf
	dists := []struct {
		name string
		next func(*rand.Rand) uint64
	}{
		{"zipf", func(r *rand.Rand) uint64 {
			if zipf == nil {
				zipf = rand.NewZipf(r, 1.01, 1, 199999)
			}
			return zipf.Uint64()
		}},
		{"gaussian", func(r *rand.Rand) uint64 {
			for {
				if x := 100000 + r.NormFloat64()*20000; x >= 0 && x < 200000 {
					return uint64(x)
				}
			}
		}},
	}
	for _, d := range dists {
		zipf = nil
		lru := hitRatio(AllKeysLRU, 20000, 1, d.next)
		zipf = nil
		q := hitRatio(TwoQ, 20000, 1, d.next)
		t.Logf("%s: LRU %.4f, 2Q %.4f", d.name, lru, q)
		if q < lru-0.01 {
			t.Errorf("%s: 2Q hit ratio %.4f is below LRU's %.4f", d.name, q, lru)
		}
	}
}

// TestSimHitRatio replays the bench/hitratio.sh scenario in the model
// (HITSIM=1; it takes a while): 1 M keys, SET:GET 1:4, sampled LRU at
// LRU_CAP keys against TwoQ at Q_CAP keys.
func TestSimHitRatio(t *testing.T) {
	if os.Getenv("HITSIM") == "" {
		t.Skip("set HITSIM=1 to run the simulation")
	}
	const keys = 1000000
	admit = os.Getenv("ADMIT") != ""
	noEst = os.Getenv("NOEST") != ""
	defer func() { noEst = false }()
	lruCap, _ := strconv.Atoi(os.Getenv("LRU_CAP"))
	qCap, _ := strconv.Atoi(os.Getenv("Q_CAP"))
	dists := map[string]func(*rand.Rand) uint64{
		"uniform": func(r *rand.Rand) uint64 { return r.Uint64N(keys) },
		"gaussian": func(r *rand.Rand) uint64 {
			for {
				if x := keys/2 + r.NormFloat64()*keys/10; x >= 0 && x < keys {
					return uint64(x)
				}
			}
		},
	}
	for name, next := range dists {
		lru := simHitRatio(AllKeysLRU, lruCap, next)
		q := simHitRatio(TwoQ, qCap, next)
		t.Logf("%s: LRU@%d %.4f, 2Q@%d %.4f", name, lruCap, lru, qCap, q)
	}
}

var admit bool

func simHitRatio(pol Policy, capacity int, next func(*rand.Rand) uint64) float64 {
	m := newModel(1)
	m.sk.Fit(capacity)
	p := NewPool(1)
	rng := rand.New(rand.NewPCG(1, 9))
	const warm, total = 1500000, 2000000
	hits, gets := 0, 0
	for i := 0; i < total; i++ {
		m.now++
		k := strconv.FormatUint(next(rng), 10)
		if rng.IntN(5) == 0 {
			_, existed := m.meta[k]
			m.write(k, 0)
			if over := int64(len(m.keys) - capacity); over > 0 {
				if admit && !existed && pol == TwoQ {
					m.Sample(false, 5, func(db int, key string, md Meta) {
						p.Offer(Candidate{DB: db, Key: key, Score: pol.Score(md, m.now, 0)})
					})
					if b, ok := p.Best(); ok && b.Key != k && pol.Score(Meta{Est: m.sk.Estimate(m.hash(k)), Atime: m.now}, m.now, 0) >= b.Score {
						m.Evict(0, k, func(Meta) bool { return true })
						continue
					}
				}
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
