package server

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"

	"github.com/damselfly-db/damselfly/internal/evict"
	"github.com/damselfly-db/damselfly/internal/sysmem"
)

// goLimitPermille is the share of maxmemory the Go runtime may map (its
// soft limit, debug.SetMemoryLimit), before taking off what RSS holds
// outside the runtime (the binary's pages, measured at start), so that
// RSS tops out near maxmemory. It is below the RSS watch's target (92 %,
// shard/memory.go): with the limit at 100 % the heap (data plus garbage
// up to the next collection, GOGC letting it double) reached the target
// first, and the watch evicted until the data was half the cap. Under the
// target it is the collector that holds RSS there, collecting more often
// as the data grows, which is cheap: arena pages hold no pointers. Near the
// limit the collector runs more often instead of letting garbage grow the
// heap, so RSS stays near the target; the heartbeat's RSS watch evicts if
// it still goes over.
const goLimitPermille = 900

// minGoLimit keeps a tiny maxmemory (tests set 1mb) from pinning the
// collector at its CPU cap: the runtime's baseline alone is a few MB.
const minGoLimit = 32 << 20

// applyMemory makes the memory settings live: the effective limit (an
// explicit maxmemory, else Dragonfly's share of the machine), the policy
// (cache_mode's 2Q wins over maxmemory-policy, which keeps its value for
// when cache_mode is turned off), and the Go runtime's memory limit. It
// runs at start and after CONFIG SET of any of them.
func (s *Server) applyMemory() {
	limit := s.cfg.MaxMemory.Get()
	if limit <= 0 {
		limit = sysmem.DefaultMaxMemory()
	}
	p, ok := evict.Parse(s.cfg.MaxMemoryPolicy.Get())
	if !ok {
		p = evict.NoEviction
	}
	if s.cfg.CacheMode.Get() {
		p = evict.TwoQ
	}
	s.env.Store.SetMemoryPolicy(limit, p, int(s.cfg.MaxMemorySamples.Get()))
	if limit > 0 {
		debug.SetMemoryLimit(max(limit/1000*goLimitPermille-s.rssFloor, minGoLimit))
	}
	if os.Getenv("GOGC") == "" {
		gc := 100
		if p.Evicts() {
			gc = evictingGCPercent
		}
		debug.SetGCPercent(gc)
	}
}

// evictingGCPercent is GOGC while a policy evicts (unless the GOGC
// environment variable says otherwise). A full cache turns its memory
// over: every write evicts, and compaction drops arena pages, so between
// two collections the heap gains garbage in proportion to the writes. With
// GOGC=100 that garbage room reached the memory limit, and since RSS is
// held at the cap, every byte of it was a byte of data evicted. The data
// is in pointer-free pages, so marking it is cheap and collecting five
// times as often costs little CPU (gc_cpu_fraction in INFO) for more
// data in the same RSS.
const evictingGCPercent = 20

// nonRuntimeRSS is the part of RSS the Go runtime does not manage: RSS
// minus the runtime's mapped, not released, memory.
func nonRuntimeRSS() int64 {
	m := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(m)
	mapped := int64(m[0].Value.Uint64()) - int64(m[1].Value.Uint64())
	return max(sysmem.RSS()-mapped, 0)
}

// watchMemorySettings applies the memory settings now and on every change.
func (s *Server) watchMemorySettings() {
	s.rssFloor = nonRuntimeRSS()
	s.env.Store.SetRSSFloor(s.rssFloor)
	if s.cfg.MaxMemory.Get() <= 0 {
		// Like Dragonfly, replace "decide yourself" by the decision, so
		// CONFIG GET maxmemory (and redis_exporter's
		// redis_config_maxmemory) shows the limit in force.
		def := strconv.FormatInt(sysmem.DefaultMaxMemory(), 10)
		if err := s.cfg.Set([][2]string{{"maxmemory", def}}); err != nil {
			s.log.Warn("cannot record the default maxmemory", "err", err)
		}
	}
	s.applyMemory()
	for _, name := range []string{"maxmemory", "cache_mode", "maxmemory-policy", "maxmemory-samples"} {
		s.cfg.OnChange(name, s.applyMemory)
	}
	s.env.Store.SetEvictHook(s.env.Evicted)
}
