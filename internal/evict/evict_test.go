package evict

import (
	"hash/maphash"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestParse(t *testing.T) {
	for _, name := range []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
		"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		p, ok := Parse(name)
		if !ok || p.String() != name {
			t.Errorf("Parse(%q) = %v, %v", name, p, ok)
		}
	}
	if _, ok := Parse("eviction"); ok {
		t.Error("cache_mode's name must not parse as a maxmemory-policy")
	}
	if !VolatileTTL.Volatile() || AllKeysLRU.Volatile() || TwoQ.Volatile() {
		t.Error("Volatile is wrong")
	}
}

func TestScoreOrder(t *testing.T) {
	const now = 1_000_000
	old, recent := Meta{Atime: now - 5000}, Meta{Atime: now - 10}
	if AllKeysLRU.Score(old, now, 0) <= AllKeysLRU.Score(recent, now, 0) {
		t.Error("LRU must prefer the idler key")
	}
	if AllKeysLFU.Score(Meta{Freq: 1}, now, 0) <= AllKeysLFU.Score(Meta{Freq: 9}, now, 0) {
		t.Error("LFU must prefer the rarer key")
	}
	if VolatileTTL.Score(Meta{ExpireAt: now + 10}, now, 0) <= VolatileTTL.Score(Meta{ExpireAt: now + 9000}, now, 0) {
		t.Error("TTL must prefer the sooner expiry")
	}
	freshProbation := Meta{Atime: now, Probation: true}
	if TwoQ.Score(freshProbation, now, 0) <= TwoQ.Score(old, now, 0) {
		t.Error("2Q must prefer any probation key to a protected one")
	}
	if TwoQ.Score(Meta{Atime: now - 9, Probation: true}, now, 0) <= TwoQ.Score(freshProbation, now, 0) {
		t.Error("2Q must take the oldest probation key first")
	}
}

func TestPoolKeepsBest(t *testing.T) {
	p := NewPool(1)
	for i := 0; i < 100; i++ {
		p.Offer(Candidate{Key: strconv.Itoa(i), Score: uint64((i * 37) % 100)})
	}
	if p.Len() != PoolSize {
		t.Fatalf("pool holds %d, want %d", p.Len(), PoolSize)
	}
	p.Offer(Candidate{Key: "99x", Score: 99}) // same score as an existing
	prev := uint64(1 << 63)
	for p.Len() > 0 {
		c, _ := p.Pop()
		if c.Score > prev {
			t.Fatalf("pop order broke: %d after %d", c.Score, prev)
		}
		if c.Score < 100-PoolSize {
			t.Fatalf("pool kept score %d, not among the %d best", c.Score, PoolSize)
		}
		prev = c.Score
	}
	p.Offer(Candidate{Key: "a", Score: 5})
	p.Offer(Candidate{Key: "a", Score: 7})
	if p.Len() != 1 {
		t.Fatalf("a key offered twice is held %d times", p.Len())
	}
}

// model is an in-memory Table: keys with metadata, sampled with a seeded
// generator, every key costing one byte.
type model struct {
	rng   *rand.Rand
	keys  []string
	index map[string]int
	meta  map[string]Meta
	now   int64
	// sk counts every read and write, as the keyspace's Find does.
	sk   *Sketch
	seed maphash.Seed
}

func newModel(seed uint64) *model {
	return &model{rng: rand.New(rand.NewPCG(seed, 1)), index: map[string]int{}, meta: map[string]Meta{},
		sk: NewSketch(0), seed: maphash.MakeSeed()}
}

func (m *model) hash(k string) uint64 { return maphash.String(m.seed, k) }

func (m *model) write(k string, ttl int64) {
	m.sk.Add(m.hash(k))
	if _, ok := m.index[k]; !ok {
		m.index[k] = len(m.keys)
		m.keys = append(m.keys, k)
		m.meta[k] = Meta{Probation: true}
	}
	md := m.meta[k]
	md.Atime = m.now
	if ttl > 0 {
		md.ExpireAt = m.now + ttl
	}
	m.meta[k] = md
}

func (m *model) read(k string) bool {
	m.sk.Add(m.hash(k))
	md, ok := m.meta[k]
	if !ok {
		return false
	}
	md.Atime, md.Probation = m.now, false
	if md.Freq < 255 {
		md.Freq++
	}
	m.meta[k] = md
	return true
}

func (m *model) Sample(volatile bool, n int, fn func(int, string, Meta)) {
	for i, tries := 0, 0; i < n && len(m.keys) > 0 && tries < 100*n; tries++ {
		k := m.keys[m.rng.IntN(len(m.keys))]
		if volatile && m.meta[k].ExpireAt == 0 {
			continue // like SampleVolatile, which only sees keys with a TTL
		}
		md := m.meta[k]
		md.Est = m.sk.Estimate(m.hash(k))
		fn(0, k, md)
		i++
	}
}

func (m *model) Evict(_ int, k string, accept func(Meta) bool) (int64, bool, Meta) {
	md, ok := m.meta[k]
	if !ok {
		return 0, false, md
	}
	md.Est = m.sk.Estimate(m.hash(k))
	if !accept(md) {
		return 0, true, md
	}
	i := m.index[k]
	last := m.keys[len(m.keys)-1]
	m.keys[i], m.index[last] = last, i
	m.keys = m.keys[:len(m.keys)-1]
	delete(m.index, k)
	delete(m.meta, k)
	return 1, true, md
}

// scanSurvival fills a cache of capacity keys with a hot set that is read
// in a loop while a one-off scan writes many cold keys, evicting by pol,
// and returns the share of the hot set left.
func scanSurvival(pol Policy, seed uint64) float64 {
	const capacity, hot, cold = 1000, 600, 5000
	m := newModel(seed)
	p := NewPool(seed)
	for i := 0; i < hot; i++ {
		m.now++
		m.write("hot:"+strconv.Itoa(i), 0)
	}
	for i := 0; i < hot; i++ {
		m.read("hot:" + strconv.Itoa(i))
	}
	for i := 0; i < cold; i++ {
		m.now++
		m.read("hot:" + strconv.Itoa(i%hot))
		m.write("cold:"+strconv.Itoa(i), 0)
		if over := int64(len(m.keys) - capacity); over > 0 {
			p.Run(pol, m, m.now, 5, over, 8)
		}
	}
	left := 0
	for i := 0; i < hot; i++ {
		if _, ok := m.meta["hot:"+strconv.Itoa(i)]; ok {
			left++
		}
	}
	return float64(left) / hot
}

func TestTwoQResistsScans(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		q := scanSurvival(TwoQ, seed)
		r := scanSurvival(AllKeysRandom, seed)
		if q < 0.99 {
			t.Errorf("seed %d: 2Q kept %.3f of the hot set, want >= 0.99", seed, q)
		}
		if r > 0.9 {
			t.Errorf("seed %d: random kept %.3f of the hot set: the scan is too small to test anything", seed, r)
		}
		t.Logf("seed %d: hot set kept: 2Q %.3f, random %.3f, LRU %.3f", seed, q, r, scanSurvival(AllKeysLRU, seed))
	}
}

func TestVolatileOnlyEvictsExpiring(t *testing.T) {
	m := newModel(7)
	for i := 0; i < 100; i++ {
		m.now++
		ttl := int64(0)
		if i%2 == 0 {
			ttl = int64(1000 - i)
		}
		m.write(strconv.Itoa(i), ttl)
	}
	for _, pol := range []Policy{VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL} {
		p := NewPool(3)
		_, n := p.Run(pol, m, m.now, 5, 10, 10)
		if n != 10 {
			t.Errorf("%v evicted %d keys, want 10", pol, n)
		}
	}
	persistent := 0
	for _, md := range m.meta {
		if md.ExpireAt == 0 {
			persistent++
		}
	}
	if persistent != 50 {
		t.Fatalf("volatile policies evicted %d keys without a TTL", 50-persistent)
	}
	p := NewPool(3)
	for len(m.keys) > 50 {
		if _, n := p.Run(VolatileTTL, m, m.now, 5, 1, 1); n == 0 {
			t.Fatal("volatile-ttl stopped with volatile keys left")
		}
	}
	if _, n := p.Run(VolatileLRU, m, m.now, 5, 1, 1); n != 0 {
		t.Fatal("a volatile policy evicted with no volatile key left")
	}
}

func TestTTLTakesSoonestFirst(t *testing.T) {
	m := newModel(9)
	for i := 0; i < 20; i++ {
		m.write(strconv.Itoa(i), int64(100+i))
	}
	p := NewPool(9)
	// With every key sampled many times, the soonest expiries go first.
	for i := 0; i < 5; i++ {
		p.Run(VolatileTTL, m, m.now, 40, 1, 1)
	}
	for i := 0; i < 5; i++ {
		if _, ok := m.meta[strconv.Itoa(i)]; ok {
			t.Errorf("key %d (among the 5 soonest expiries) survived", i)
		}
	}
}

func TestNoEvictionNeverEvicts(t *testing.T) {
	m := newModel(1)
	m.write("a", 0)
	if _, n := NewPool(1).Run(NoEviction, m, 0, 5, 1, 1); n != 0 {
		t.Fatal("noeviction evicted")
	}
}

// BenchmarkSketchAdd is the cost the keyspace's Find pays per lookup under
// cache_mode, on a sketch sized for 64 k keys (512 KiB, beyond L1/L2 on
// most machines, as in a real cache).
func BenchmarkSketchAdd(b *testing.B) {
	s := NewSketch(64 << 10)
	h := uint64(1)
	for b.Loop() {
		h = h*6364136223846793005 + 1442695040888963407
		s.Add(h)
	}
}

func BenchmarkSketchEstimate(b *testing.B) {
	s := NewSketch(64 << 10)
	h := uint64(1)
	var sink uint8
	for b.Loop() {
		h = h*6364136223846793005 + 1442695040888963407
		sink += s.Estimate(h)
	}
	_ = sink
}
