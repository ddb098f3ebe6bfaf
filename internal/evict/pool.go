package evict

import (
	"sort"
	"strings"
)

// PoolSize is the number of candidates a pool keeps, Redis's EVPOOL_SIZE.
const PoolSize = 16

// Candidate is a key offered for eviction.
type Candidate struct {
	DB    int
	Key   string
	Score uint64
}

// Pool keeps the best candidates seen over several samples, ordered by
// ascending score (the best victim last). Keys may have changed or gone by
// the time they are popped: the caller checks that they still exist, and
// for TwoQ that their probation state still matches the score.
type Pool struct {
	c   []Candidate
	rnd uint64
}

// NewPool returns an empty pool whose random draws start from seed.
func NewPool(seed uint64) *Pool {
	if seed == 0 {
		seed = 0x9E3779B97F4A7C15
	}
	return &Pool{c: make([]Candidate, 0, PoolSize), rnd: seed}
}

// Rand returns the next number of the pool's generator (xorshift64*), for
// the random policies' scores.
func (p *Pool) Rand() uint64 {
	p.rnd ^= p.rnd >> 12
	p.rnd ^= p.rnd << 25
	p.rnd ^= p.rnd >> 27
	return p.rnd * 2685821657736338717
}

// Len is the number of candidates held.
func (p *Pool) Len() int { return len(p.c) }

// Reset forgets every candidate (the policy changed, or a database was
// flushed).
func (p *Pool) Reset() { p.c = p.c[:0] }

// Offer considers c: it enters the pool if the pool has room or c beats the
// worst candidate held. A key already held is rescored rather than held
// twice.
func (p *Pool) Offer(c Candidate) {
	for i := range p.c {
		if p.c[i].DB == c.DB && p.c[i].Key == c.Key {
			p.c = append(p.c[:i], p.c[i+1:]...)
			break
		}
	}
	if len(p.c) == PoolSize {
		if c.Score <= p.c[0].Score {
			return
		}
		p.c = append(p.c[:0], p.c[1:]...)
	}
	// The key may be a view of the keyspace's arena (keyspace.DB.Key): a
	// held candidate would keep a compacted page alive in the heap.
	c.Key = strings.Clone(c.Key)
	i := sort.Search(len(p.c), func(i int) bool { return p.c[i].Score > c.Score })
	p.c = append(p.c, Candidate{})
	copy(p.c[i+1:], p.c[i:])
	p.c[i] = c
}

// Best returns the best candidate without removing it.
func (p *Pool) Best() (Candidate, bool) {
	if len(p.c) == 0 {
		return Candidate{}, false
	}
	return p.c[len(p.c)-1], true
}

// Pop removes and returns the best candidate.
func (p *Pool) Pop() (Candidate, bool) {
	c, ok := p.Best()
	if ok {
		p.c = p.c[:len(p.c)-1]
	}
	return c, ok
}
