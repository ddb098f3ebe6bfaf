package evict

// Policy is an eviction policy: Redis's maxmemory-policy values plus
// Dragonfly's cache_mode (TwoQ).
type Policy uint8

// Policies. The zero value refuses to evict.
const (
	NoEviction Policy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
	// TwoQ is cache_mode's scan-resistant policy over all keys.
	TwoQ
)

var policyNames = [...]string{
	NoEviction:     "noeviction",
	AllKeysLRU:     "allkeys-lru",
	AllKeysLFU:     "allkeys-lfu",
	AllKeysRandom:  "allkeys-random",
	VolatileLRU:    "volatile-lru",
	VolatileLFU:    "volatile-lfu",
	VolatileRandom: "volatile-random",
	VolatileTTL:    "volatile-ttl",
	TwoQ:           "eviction",
}

// String is the policy's maxmemory-policy name; TwoQ is "eviction", the
// word Dragonfly's INFO shows for cache_mode.
func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "unknown"
}

// Parse maps a maxmemory-policy value to its Policy.
func Parse(name string) (Policy, bool) {
	for i, n := range policyNames {
		if n == name && Policy(i) != TwoQ {
			return Policy(i), true
		}
	}
	return NoEviction, false
}

// Volatile reports whether the policy only evicts keys with an expiry.
func (p Policy) Volatile() bool {
	return p == VolatileLRU || p == VolatileLFU || p == VolatileRandom || p == VolatileTTL
}

// Evicts reports whether the policy evicts at all.
func (p Policy) Evicts() bool { return p != NoEviction }

// Meta is what a policy needs to know about a key.
type Meta struct {
	Atime     int64 // last access, unix ms
	ExpireAt  int64 // unix ms, 0 when none
	Freq      uint8 // access counter
	Probation bool  // never read since written
	// Est is the Sketch's estimate of the key's recent accesses (TwoQ).
	Est uint8
}

// TwoQ's ranking, most significant first: the rarer the key's recent
// accesses (Meta.Est, at most 15, plus protectedBonus for a key read since
// it was written), then probation before protected, then the idler.
//
// The bonus is the scan resistance: a long scan ages every count in the
// sketch (it halves them every ten table widths of accesses), so with the
// counts alone a scan that outlasted a hot set's last reads would push it
// out; a protected key instead always outranks a key written once and
// never read.
const (
	estShift       = 56
	probationBit   = 1 << 55
	protectedBonus = 2
)

// maxIdle keeps idle times below probationBit and, for LFU, in the low
// bits under the counter.
const maxIdle = 1<<40 - 1

// Score ranks a key for eviction at time now (unix ms): the higher, the
// sooner it goes. rnd is a fresh random number, used by the random
// policies.
func (p Policy) Score(m Meta, now int64, rnd uint64) uint64 {
	idle := uint64(0)
	if now > m.Atime {
		idle = min(uint64(now-m.Atime), maxIdle)
	}
	switch p {
	case AllKeysLRU, VolatileLRU:
		return idle
	case AllKeysLFU, VolatileLFU:
		return uint64(255-m.Freq)<<40 | idle
	case VolatileTTL:
		if m.ExpireAt <= 0 {
			return 0
		}
		return ^uint64(m.ExpireAt)
	case AllKeysRandom, VolatileRandom:
		return rnd
	case TwoQ:
		est := min(m.Est, 15)
		if !m.Probation {
			est = min(est+protectedBonus, 15)
		}
		s := uint64(15-est)<<estShift | idle
		if m.Probation {
			s |= probationBit
		}
		return s
	}
	return 0
}

// rareEst is the estimate at or below which a TwoQ candidate is taken
// without sampling further: a key asked for at most once lately.
const rareEst = 1

// Rare reports whether a TwoQ score is a rarely used key's, one worth
// evicting without looking further.
func Rare(score uint64) bool { return score>>estShift >= 15-rareEst }
