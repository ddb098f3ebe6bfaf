package server

import (
	"runtime/debug"

	"github.com/damselfly-db/damselfly/internal/evict"
	"github.com/damselfly-db/damselfly/internal/sysmem"
)

// goLimitPermille is the share of maxmemory given to the Go runtime as its
// soft memory limit (debug.SetMemoryLimit). The rest is for what the
// runtime does not manage but RSS counts: the binary's pages and the
// kernel's per-thread memory. Near the limit the collector runs more
// often instead of letting garbage grow the heap, so RSS tracks the live
// data; the heartbeat's RSS watch evicts if it still goes over.
const goLimitPermille = 1050

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
		debug.SetMemoryLimit(max(limit/1000*goLimitPermille, minGoLimit))
	}
}

// watchMemorySettings applies the memory settings now and on every change.
func (s *Server) watchMemorySettings() {
	s.applyMemory()
	for _, name := range []string{"maxmemory", "cache_mode", "maxmemory-policy", "maxmemory-samples"} {
		s.cfg.OnChange(name, s.applyMemory)
	}
	s.env.Store.SetEvictHook(s.env.Evicted)
}
