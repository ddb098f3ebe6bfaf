package evict

import "math/bits"

// Sketch estimates how often each key was asked for recently, including
// keys the cache does not hold (TinyLFU, Einziger, Friedman and Manes,
// "TinyLFU: A Highly Efficient Cache Admission Policy", 2017). It is a
// count-min sketch of 4-bit counters: every access increments the smallest
// of a key's four counters (conservative update), the estimate is the
// smallest of the four, and once the accesses counted reach ten times the
// table's width every counter is halved, so the estimates follow the
// popularity of the last few cache turnovers rather than of all time.
//
// Keys are named by a 64-bit hash the caller computes (the keyspace's own
// hash), so a Sketch is pointer-free and costs 8 bytes per 16 counters:
// about 4 bytes per key held at the width Fit chooses.
//
// A Sketch is not safe for concurrent use: its shard's lock guards it.
type Sketch struct {
	table []uint64
	// blockMask selects one of the table's 8-word blocks.
	blockMask uint64
	added     int
	// period is the number of additions between two halvings.
	period int
}

// sketchMinWords is the smallest table (8 KiB).
const sketchMinWords = 1 << 10

// sketchMaxWords caps the table at 8 MiB (about 2 M keys tracked well).
const sketchMaxWords = 1 << 20

// NewSketch returns a sketch sized for about keys keys.
func NewSketch(keys int) *Sketch {
	s := &Sketch{}
	s.resize(wordsFor(keys))
	return s
}

// wordsFor is the table size for keys: a word (16 counters, 4 per row
// of the count-min) per key, as Caffeine sizes its sketch, rounded up to
// a power of two.
func wordsFor(keys int) int {
	w := sketchMinWords
	for w < keys && w < sketchMaxWords {
		w <<= 1
	}
	return w
}

func (s *Sketch) resize(words int) {
	s.table = make([]uint64, words)
	s.blockMask = uint64(words/8 - 1)
	s.added = 0
	s.period = 10 * words
}

// Fit grows the table when the cache now holds more keys than it was sized
// for. Growing forgets the counts: it happens a few times while a cache
// first fills, never in a steady state.
func (s *Sketch) Fit(keys int) {
	if w := wordsFor(keys); w > len(s.table) {
		s.resize(w)
	}
}

// Bytes is the sketch's memory.
func (s *Sketch) Bytes() int64 { return int64(len(s.table)) * 8 }

// slot returns the word and the nibble shift of the counter of row i for
// hash h. A key's four counters lie in one 64-byte block of the table
// (two words per row), so counting an access costs one cache miss, not
// four; the block comes from the high bits of one multiply of h, the
// word and nibble in it from a different mix per row.
func (s *Sketch) slot(h uint64, i int) (w uint64, shift uint) {
	block := (h * 0x9E3779B97F4A7C15 >> 32) & s.blockMask
	x := (h + sketchSeeds[i]) * 0xBF58476D1CE4E5B9
	x ^= x >> 31
	return block<<3 | uint64(i)<<1 | x>>63, uint(x&15) * 4
}

var sketchSeeds = [4]uint64{0xc3a5c85c97cb3127, 0xb492b66fbe98f273, 0x9ae16a3b2f90404f, 0xcbf29ce484222325}

// Add counts one access to the key of hash h.
func (s *Sketch) Add(h uint64) {
	var ws [4]uint64
	var sh [4]uint
	least := uint64(15)
	for i := range 4 {
		ws[i], sh[i] = s.slot(h, i)
		least = min(least, s.table[ws[i]]>>sh[i]&15)
	}
	if least < 15 {
		for i := range 4 {
			if s.table[ws[i]]>>sh[i]&15 == least {
				s.table[ws[i]] += 1 << sh[i]
			}
		}
	}
	s.added++
	if s.added >= s.period {
		s.halve()
	}
}

// Estimate is the key's access count since the last halvings (0-15).
func (s *Sketch) Estimate(h uint64) uint8 {
	least := uint64(15)
	for i := range 4 {
		w, sh := s.slot(h, i)
		least = min(least, s.table[w]>>sh&15)
	}
	return uint8(least)
}

// halve ages every counter by half, and the addition count with them
// (the halving drops about half the sum; bits.OnesCount of the low bits
// would be exact, the approximation is what Caffeine does too).
func (s *Sketch) halve() {
	odd := 0
	for i, w := range s.table {
		odd += bits.OnesCount64(w & 0x1111111111111111)
		s.table[i] = w >> 1 & 0x7777777777777777
	}
	s.added = s.added/2 - odd/4
	s.added = max(s.added, 0)
}
