package keyspace

import (
	"strings"
	"sync/atomic"
)

// Each entry keeps 24 bits of access data, read as Redis reads its
// robj.lru field. Under an LRU (or no) policy it is the LRU clock: unix
// seconds modulo 2^24, which wraps every 194 days, as Redis's does. Under
// an LFU policy it is 16 bits of "last decrement time" in minutes and an
// 8-bit logarithmic counter: a hit increments the counter with probability
// 1/((counter-5)*lfu-log-factor+1), and every lfu-decay-time minutes of
// idleness take one off. Switching policy reinterprets the bits, as in
// Redis ("LRU and LFU data will take some time to adjust").

const (
	lruBits  = 24
	lruMax   = 1<<lruBits - 1
	lfuInit  = 5 // Redis's LFU_INIT_VAL: new keys are not evicted first
	minuteMs = 60_000
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

func lruClock(ms int64) uint32   { return uint32(ms/1000) & lruMax }
func lfuMinutes(ms int64) uint32 { return uint32(ms/minuteMs) & 0xffff }

// lruIdleMs is Redis's estimateObjectIdleTime.
func lruIdleMs(lru uint32, nowMs int64) int64 {
	now := lruClock(nowMs)
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

// LRU returns r's raw 24 bits of access data, Redis's robj.lru field
// (DEBUG OBJECT prints it whatever the policy).
func (d *DB) LRU(r Ref) uint32 { return d.ent(r).meta & accessMask }

// LRUIdleMs reads r's access data as an LRU clock and returns the idle
// time it implies, Redis's estimateObjectIdleTime (meaningless under an
// LFU policy, as in Redis, where DEBUG OBJECT shows it anyway).
func (d *DB) LRUIdleMs(r Ref) int64 { return lruIdleMs(d.LRU(r), d.clock.Ms) }
