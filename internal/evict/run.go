package evict

// Table is the keyspace as the eviction loop sees it. Its methods run with
// whatever locks the caller holds.
type Table interface {
	// Sample calls fn for up to n random keys of each database that has
	// any (only keys with an expiry when volatile is set).
	Sample(volatile bool, n int, fn func(db int, key string, m Meta))
	// Evict deletes the key if it still exists and accept approves its
	// current state; it returns the bytes freed, whether the key was
	// found, and its state.
	Evict(db int, key string, accept func(Meta) bool) (freed int64, found bool, m Meta)
}

// twoQRounds bounds the extra samples TwoQ takes, when a sample shows no
// rarely used key (Rare), before it settles for a more used one: with the
// hot set filling most of the memory, one sample of 5 keys would often
// miss the few cold keys and erode the hot set.
const twoQRounds = 4

// Run evicts keys of t by policy pol until want bytes are freed, maxKeys
// keys are gone, or nothing evictable is left; it returns what it freed.
// samples is maxmemory-samples; now is the clock (unix ms) idle times are
// measured against.
func (p *Pool) Run(pol Policy, t Table, now int64, samples int, want int64, maxKeys int) (freed int64, keys int) {
	if !pol.Evicts() {
		return 0, 0
	}
	samples = max(samples, 1)
	volatile := pol.Volatile()
	offer := func(db int, key string, m Meta) {
		p.Offer(Candidate{DB: db, Key: key, Score: pol.Score(m, now, p.Rand())})
	}
	for guard := 8*maxKeys + 64; keys < maxKeys && freed < want && guard > 0; guard-- {
		rounds := 1
		if pol == TwoQ {
			rounds = twoQRounds
		}
		for r := 0; r < rounds; r++ {
			t.Sample(volatile, samples, offer)
			if b, ok := p.Best(); !ok || Rare(b.Score) {
				break
			}
		}
		c, ok := p.Pop()
		if !ok {
			break // nothing left to evict
		}
		var rescored uint64
		n, found, m := t.Evict(c.DB, c.Key, func(m Meta) bool {
			if volatile && m.ExpireAt == 0 {
				return false
			}
			if pol == AllKeysRandom || pol == VolatileRandom {
				return true
			}
			// A key used since it was sampled (read again, or read for
			// the first time under TwoQ) scores lower now: it goes back
			// to the pool at its new rank instead.
			rescored = pol.Score(m, now, 0)
			return rescored >= c.Score
		})
		if !found || volatile && m.ExpireAt == 0 {
			continue
		}
		if n == 0 {
			p.Offer(Candidate{DB: c.DB, Key: c.Key, Score: rescored})
			continue
		}
		if n > 0 {
			freed += n
			keys++
		}
	}
	return freed, keys
}
