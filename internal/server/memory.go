package server

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"time"

	"github.com/damselfly-db/damselfly/internal/evict"
	"github.com/damselfly-db/damselfly/internal/sysmem"
)

// goLimitPermille is the share of maxmemory the Go runtime may map (its
// soft limit, debug.SetMemoryLimit), before taking off what RSS holds
// outside the runtime (the binary's pages, measured at start, and the
// arena pages mapped outside the heap, setGoLimit). It is a backstop,
// above the RSS watch's target (104.5 %, shard/memory.go; 102 % when the
// figures below were taken, with the arena on the heap): held
// under the target, the limit was what stopped a full cache's heap, so the
// collector ran back to back (about a hundred cycles a second at a 100 MB
// cap under a 1:4 SET:GET load, a third of the CPU, and a third of the
// throughput). Above it, eviction holds the data where RSS meets the
// target and the collector runs at the evicting GOGC's pace, a few cycles
// a second; returnFreeMemory hands back the heap the data no longer needs.
// At 100 % with the target at 102 %, the limit stopped the heap again: 64 k
// ops/s against 127 k at 108 %.
const goLimitPermille = 1080

// setGoLimit gives the Go runtime its memory limit: the share of
// maxmemory left once the binary's pages and the arena pages held outside
// the Go heap (keyspace.PagePool) are taken off. The off-heap part moves
// with the data, so returnFreeMemory calls it again when that has moved by
// more than offHeapStep.
func (s *Server) setGoLimit() {
	base := s.goLimitBase.Load()
	if base == 0 {
		return
	}
	off := s.env.Store.OffHeapBytes()
	if last := s.goLimitOffHeap.Load(); last >= 0 && off > last-offHeapStep && off < last+offHeapStep {
		return
	}
	s.goLimitOffHeap.Store(off)
	debug.SetMemoryLimit(max(base-off, minGoLimit))
}

// offHeapStep is how far the off-heap pages may move before the Go limit
// follows.
const offHeapStep = 1 << 20

// floorGrowth is what RSS gains outside the Go runtime after start (the
// binary's pages first touched under load: eviction, compaction...), which
// the floor measured at start misses.
const floorGrowth = 2 << 20

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
	s.env.Store.SetRSSDenyRatio(s.cfg.RSSOOMDenyRatio.Get())
	if limit > 0 {
		s.goLimitBase.Store(limit/1000*goLimitPermille - s.rssFloor - floorGrowth)
	} else {
		s.goLimitBase.Store(0)
	}
	s.goLimitOffHeap.Store(-1)
	s.setGoLimit()
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
// two collections the heap gains garbage in proportion to the writes, and
// since RSS is held at the target, every byte of that garbage room is a
// byte of data evicted. The data is in pointer-free pages, so marking is
// cheap: at 5 % a 100 MB cache collects a few times a second for under
// 4 % of the CPU (used_cpu_gc in INFO), and holds as much data as at 10 %.
const evictingGCPercent = 5

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
	for _, name := range []string{"maxmemory", "cache_mode", "maxmemory-policy", "maxmemory-samples", "rss_oom_deny_ratio"} {
		s.cfg.OnChange(name, s.applyMemory)
	}
	s.env.Store.SetEvictHook(s.env.Evicted)
}

// freeMemoryPeriod is how often returnFreeMemory looks at the heap while
// a policy evicts; idlePurgeTicks of them without a command make a pause.
const (
	freeMemoryPeriod = 250 * time.Millisecond
	idlePurgeTicks   = 4
)

// freeHeapPermille is the free, still resident heap (as a share of the
// limit) past which returnFreeMemory hands it back to the OS.
const freeHeapPermille = 10

// returnFreeMemory gives free heap pages back to the OS, like Redis's
// jemalloc background purge:
//
//   - while a policy evicts, four times a second when over freeHeapPermille of
//     the cap is free. A full cache turns its memory over (every write
//     evicts, and compaction drops arena pages), and Go's background
//     scavenger keeps freed spans resident for reuse: measured at a 100 MB
//     cap, about 15 MB of RSS was free heap, which the RSS watch then took
//     out of the data. Holding the Go memory limit under the RSS target
//     instead made the collector run about a hundred times a second (a
//     third of the CPU). A forced collection of a heap whose data holds
//     no pointers costs far less; four a second at 1 % (once a second at
//     2 % before) took the Gaussian hit ratio at a 100 MB cap from 0.233 to
//     0.240 (bench/hitratio.sh) for 3 % of the throughput.
//   - otherwise, once after each burst of commands, when a second has
//     passed without any: overwritten values leave dead arena pages that
//     are garbage until the next collection, which an idle server may not
//     run for minutes (measured: 60 MB RSS for 20 MB used after a million
//     SETs over 100k keys, 31 MB after the purge). MEMORY PURGE does the
//     same on demand.
func (s *Server) returnFreeMemory(ctx context.Context) {
	t := time.NewTicker(freeMemoryPeriod)
	defer t.Stop()
	m := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	lastCmds, purged, idle := int64(0), true, 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.setGoLimit()
		lim := s.cfg.MaxMemory.Get()
		if lim > 0 && s.env.Store.Policy().Evicts() {
			metrics.Read(m)
			if int64(m[0].Value.Uint64()) > lim/1000*freeHeapPermille {
				debug.FreeOSMemory()
			}
			continue
		}
		cmds := s.env.Totals().Commands
		switch {
		case cmds != lastCmds:
			purged, idle = false, 0
		case !purged:
			if idle++; idle >= idlePurgeTicks {
				debug.FreeOSMemory()
				purged = true
			}
		}
		lastCmds = cmds
	}
}
