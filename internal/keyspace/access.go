package keyspace

import (
	"strings"
	"sync/atomic"
)

// Each entry keeps 24 bits of access data, read as Redis reads its
// robj.lru field. Under an LRU (or no) policy it is the LRU clock: unix
// time in sixteenths of a second modulo 2^24. Redis counts whole seconds
// (wrapping every 194 days); a cache under a fast writer turns over in
// less than a second, and with one-second ticks every key it holds would
// tie, so eviction could not tell a key read a moment ago from one written
// before it and would drop recently read keys at random (2Q's oldest-first
// order among probation keys needs the same). 62.5 ms ticks order a cache
// that turns over in a few hundred milliseconds, at the price of a
// shorter wrap: 12.1 days, after which an idle time is understated by
// multiples of it (Redis's 194-day wrap does the same). OBJECT IDLETIME,
// DEBUG OBJECT and snapshots convert to seconds (AccessTime, LRU). Under
// an LFU policy it is 16 bits of "last decrement time" in minutes and an
// 8-bit logarithmic counter: a hit increments the counter with probability
// 1/((counter-5)*lfu-log-factor+1), and every lfu-decay-time minutes of
// idleness take one off. Switching policy reinterprets the bits, as in
// Redis ("LRU and LFU data will take some time to adjust").

const (
	lruTicksPerSec = 16
	lruBits        = 24
	lruMax         = 1<<lruBits - 1
	lfuInit        = 5 // Redis's LFU_INIT_VAL: new keys are not evicted first
	minuteMs       = 60_000
)

// Policy is the part of the eviction configuration the keyspace needs to
// keep its access data: whether an LFU policy is selected and its two
// parameters. The server sets it from CONFIG; every shard reads it.
type Policy struct {
	lfu       atomic.Bool
	logFactor atomic.Int32
	decayTime atomic.Int32
}

// NewPolicy returns an LRU policy with Redis's default LFU parameters.
func NewPolicy() *Policy {
	p := &Policy{}
	p.logFactor.Store(10)
	p.decayTime.Store(1)
	return p
}

// Set applies maxmemory-policy, lfu-log-factor and lfu-decay-time.
func (p *Policy) Set(maxmemoryPolicy string, logFactor, decayTime int64) {
	p.lfu.Store(strings.HasSuffix(maxmemoryPolicy, "-lfu"))
	p.logFactor.Store(int32(min(logFactor, 1<<30)))
	p.decayTime.Store(int32(min(decayTime, 1<<30)))
}

// LFU reports whether an LFU policy is selected.
func (p *Policy) LFU() bool { return p != nil && p.lfu.Load() }

func lruClock(ms int64) uint32   { return uint32(ms*lruTicksPerSec/1000) & lruMax }
func lfuMinutes(ms int64) uint32 { return uint32(ms/minuteMs) & 0xffff }

// lruTickStart is the unix ms at which the LRU clock tick holding ms
// began.
func lruTickStart(ms int64) int64 { return ms * lruTicksPerSec / 1000 * 1000 / lruTicksPerSec }

// lruIdleMs is Redis's estimateObjectIdleTime, in the clock's ticks: the
// time from the start of lru's tick to the start of now's.
func lruIdleMs(lru uint32, nowMs int64) int64 {
	return int64((lruClock(nowMs)-lru)&lruMax) * 1000 / lruTicksPerSec
}

// secondsIdleMs is estimateObjectIdleTime over a seconds clock, as Redis
// computes it from whatever the 24 bits hold (DEBUG OBJECT under LFU).
func secondsIdleMs(lru uint32, nowMs int64) int64 {
	now := uint32(nowMs/1000) & lruMax
	if now >= lru {
		return int64(now-lru) * 1000
	}
	return int64(now+(lruMax-lru)) * 1000
}

// lfuDecr is Redis's LFUDecrAndReturn: the counter less one per elapsed
// decay period.
func (d *DB) lfuDecr(a uint32) uint32 {
	ldt, counter := a>>8, a&0xff
	period := d.clock.Policy.decayTime.Load()
	if period <= 0 {
		return counter
	}
	now := lfuMinutes(d.clock.Ms)
	var elapsed uint32
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 65535 - ldt + now
	}
	if n := elapsed / uint32(period); n > 0 {
		if n >= counter {
			return 0
		}
		return counter - n
	}
	return counter
}

// accessed is the access data after a hit.
func (d *DB) accessed(a uint32) uint32 {
	if !d.clock.Policy.LFU() {
		return lruClock(d.clock.Ms)
	}
	c := d.lfuDecr(a)
	if c < 255 {
		base := float64(0)
		if c > lfuInit {
			base = float64(c - lfuInit)
		}
		p := 1.0 / (base*float64(d.clock.Policy.logFactor.Load()) + 1)
		if float64(d.random()>>11)/(1<<53) < p {
			c++
		}
	}
	return lfuMinutes(d.clock.Ms)<<8 | c
}

// fresh is the access data of a new value.
func (d *DB) fresh() uint32 {
	if d.clock.Policy.LFU() {
		return lfuMinutes(d.clock.Ms)<<8 | lfuInit
	}
	return lruClock(d.clock.Ms)
}

// LRU returns r's 24 bits of access data as Redis's robj.lru field holds
// them (DEBUG OBJECT prints it whatever the policy): under an LRU policy
// the access time on Redis's seconds clock, under LFU the raw bits.
func (d *DB) LRU(r Ref) uint32 {
	if d.clock.Policy.LFU() {
		return d.ent(r).meta & accessMask
	}
	return uint32(d.AccessTime(r)/1000) & lruMax
}

// LRUIdleMs reads r's access data as Redis's seconds LRU clock and returns
// the idle time it implies, Redis's estimateObjectIdleTime (meaningless
// under an LFU policy, as in Redis, where DEBUG OBJECT shows it anyway).
func (d *DB) LRUIdleMs(r Ref) int64 { return secondsIdleMs(d.LRU(r), d.clock.Ms) }
