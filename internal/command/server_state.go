package command

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ServerState is what the server commands keep between calls: the
// instantaneous rates INFO reports, the memory peak, the replication id.
// Its zero value is ready; RunSampler feeds the rates.
type ServerState struct {
	mu      sync.Mutex
	replID  string
	samples [3]rateRing // ops, net input, net output
	last    struct {
		t            time.Time
		ops, in, out int64
	}

	peak    atomic.Int64
	startup atomic.Int64
}

// rateRing averages the last samples of a per-second rate, like Redis's
// STATS_METRIC_SAMPLES ring filled every 100 ms by serverCron.
type rateRing struct {
	v [16]float64
	i int
	n int
}

func (r *rateRing) add(v float64) {
	r.v[r.i] = v
	r.i = (r.i + 1) % len(r.v)
	if r.n < len(r.v) {
		r.n++
	}
}

func (r *rateRing) avg() float64 {
	if r.n == 0 {
		return 0
	}
	var s float64
	for i := 0; i < r.n; i++ {
		s += r.v[i]
	}
	return s / float64(r.n)
}

// ReplID is master_replid: 40 random hex digits, made on first use.
func (s *ServerState) ReplID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replID == "" {
		s.replID = randomHex(20)
	}
	return s.replID
}

// NewReplID changes the replication id (DEBUG CHANGE-REPL-ID).
func (s *ServerState) NewReplID() {
	s.mu.Lock()
	s.replID = randomHex(20)
	s.mu.Unlock()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Rates returns instantaneous_ops_per_sec and the input and output kbps.
func (s *ServerState) Rates() (ops int64, inKbps, outKbps float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(s.samples[0].avg() + 0.5), s.samples[1].avg() / 1024, s.samples[2].avg() / 1024
}

// ResetRates clears the rings (CONFIG RESETSTAT).
func (s *ServerState) ResetRates() {
	s.mu.Lock()
	s.samples = [3]rateRing{}
	s.last.t = time.Time{}
	s.mu.Unlock()
}

// Peak is used_memory_peak.
func (s *ServerState) Peak() int64 { return s.peak.Load() }

// ResetPeak sets the peak to cur (CONFIG RESETSTAT, MEMORY PURGE does not).
func (s *ServerState) ResetPeak(cur int64) { s.peak.Store(cur) }

func (s *ServerState) notePeak(used int64) int64 {
	for {
		p := s.peak.Load()
		if used <= p {
			return p
		}
		if s.peak.CompareAndSwap(p, used) {
			return used
		}
	}
}

// sample takes one reading of the counters at t.
func (s *ServerState) sample(t time.Time, ops, in, out int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.last.t.IsZero() {
		dt := t.Sub(s.last.t).Seconds()
		if dt > 0 {
			s.samples[0].add(float64(ops-s.last.ops) / dt)
			s.samples[1].add(float64(in-s.last.in) / dt)
			s.samples[2].add(float64(out-s.last.out) / dt)
		}
	}
	s.last.t, s.last.ops, s.last.in, s.last.out = t, ops, in, out
}

// RunSampler records the instantaneous metrics and the memory peak every
// 100 ms until ctx ends. The server starts it; it costs one lock of each
// shard and one runtime/metrics read per tick.
func (e *Env) RunSampler(ctx context.Context) {
	e.State.startup.Store(readRuntimeMem().heapObjects)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			t := e.Totals()
			e.State.sample(now, t.Commands, t.NetInput, t.NetOutput)
			e.Memory(0)
			e.censusStep()
		}
	}
}

// runtimeMem is what the Go runtime says about the process's memory.
type runtimeMem struct {
	heapObjects  int64 // live objects and garbage not yet swept
	heapUnused   int64 // in-use spans not holding objects
	heapFree     int64 // free spans still mapped
	heapReleased int64 // free spans returned to the OS
	total        int64 // everything the runtime mapped
	heapLive     int64 // live heap as marked by the last collection
	gcCycles     int64 // completed collections
	profiling    int64 // the heap profiler's tables
}

var memSampleNames = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/total:bytes",
	"/gc/heap/live:bytes",
	"/gc/cycles/total:gc-cycles",
	"/memory/classes/profiling/buckets:bytes",
}

func readRuntimeMem() runtimeMem {
	s := make([]metrics.Sample, len(memSampleNames))
	for i, n := range memSampleNames {
		s[i].Name = n
	}
	metrics.Read(s)
	v := func(i int) int64 {
		if s[i].Value.Kind() == metrics.KindUint64 {
			return int64(s[i].Value.Uint64())
		}
		return 0
	}
	return runtimeMem{v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7)}
}

// MemoryReport is the memory picture INFO, MEMORY STATS and the eviction
// side share.
//
// Damselfly's used_memory is an account, not an allocator's count: Go's
// heap holds garbage until the next collection, so its size swings with GC
// timing. The account is
//
//	used_memory = startup + dataset + clients + scripts + runtime
//
// where startup is the heap in use when the server started (command table,
// documentation, buffers), dataset is the keyspace's own accounting of keys,
// values and per-entry overhead (keyspace.DB.LiveBytes, summed over shards;
// used_memory_dataset leaves out the per-entry part),
// clients is each connection's read buffer, query and output backlog,
// scripts is the Lua interpreters and cached sources, and runtime is what
// the Go runtime uses for itself (goroutine stacks, GC metadata), i.e.
// runtime/metrics' total minus the heap's object, unused, free and released
// classes and the heap profiler's sparse table. It rises and falls with the data at once, as Redis's does, and
// it is what maxmemory limits (shard.Store.Used keeps the same sum).
//
// The real footprint is in the other fields: used_memory_rss is the
// resident set from /proc/self/statm (which the heartbeat also watches
// against maxmemory), allocator_* are the Go heap's classes (allocated =
// objects including garbage not yet collected, active = plus unused span
// space, resident = everything mapped and not returned) plus the arena
// pages mapped outside it, used_memory_peak
// is the highest used_memory seen by the 100 ms sampler or a reader, and
// mem_fragmentation_ratio is rss / used_memory: garbage awaiting
// collection, heap slack and the binary's own pages.
type MemoryReport struct {
	Used, Startup, Clients, Runtime int64
	// Scripts is the Lua interpreters' estimated memory plus the script
	// and library sources.
	Scripts int64
	// Keyspace is the keyspace's whole account; Dataset is that minus the
	// per-key table overhead (KeyOverhead), Redis's used_memory_dataset.
	Keyspace, Dataset, KeyOverhead        int64
	HeapObjects, HeapActive, HeapResident int64
	RSS                                   int64
	Peak                                  int64
	Keys                                  int64
}

// Memory measures the memory account (locking each shard in turn) and
// updates the peak.
func (e *Env) Memory(owner int64) MemoryReport {
	var r MemoryReport
	for i := 0; i < e.Store.N(); i++ {
		sh := e.Store.Shard(i)
		took := sh.Acquire(owner, time.Now().UnixMilli())
		for d := 0; d < sh.NumDBs(); d++ {
			db := sh.DB(d)
			r.Keyspace += db.LiveBytes()
			r.Keys += int64(db.Len())
			r.KeyOverhead += int64(db.Len())*keyEntryOverhead + int64(db.ExpiresLen())*4
		}
		sh.Release(took)
	}
	for _, cl := range e.Clients.List() {
		r.Clients += clientMem(cl)
	}
	m := readRuntimeMem()
	r.Startup = e.State.startup.Load()
	// The heap profiler's hash table (1.4 MB, made at the first sampled
	// allocation) is mapped but barely touched: RSS does not see it, and
	// nor does the account.
	r.Runtime = m.total - m.heapObjects - m.heapUnused - m.heapFree - m.heapReleased - m.profiling
	if r.Runtime < 0 {
		r.Runtime = 0
	}
	ss := e.ScriptStats()
	r.Scripts = ss.MemoryVM + ss.MemoryScripts
	nonData := r.Startup + r.Clients + r.Scripts
	r.Dataset = max(r.Keyspace-r.KeyOverhead, 0)
	r.Used = nonData + r.Keyspace + r.Runtime
	// What lies outside the keyspace counts towards maxmemory too; the
	// shards add their own dataset figures to it on every admission check.
	e.Store.SetOverhead(nonData + r.Runtime)
	// The arena pages outside the Go heap (keyspace.PagePool) are the
	// allocator's too: allocated, active and resident alike.
	off := e.Store.OffHeapBytes()
	r.HeapObjects = m.heapObjects + off
	r.HeapActive = m.heapObjects + m.heapUnused + off
	r.HeapResident = m.total - m.heapReleased + off
	r.RSS = readRSS()
	r.Peak = e.State.notePeak(r.Used)
	return r
}

// clientRBS is the read buffer every connection holds (CLIENT LIST rbs).
const clientRBS = 16384

func clientMem(cl *Client) int64 {
	return cl.QueryBufLen.Load() + cl.OutBufLen.Load() + clientRBS
}

// readRSS reads the resident set size from /proc/self/statm.
func readRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// totalSystemMemory is the machine's RAM.
func totalSystemMemory() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

var unameOnce = sync.OnceValue(func() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return "Linux"
	}
	return cString(u.Sysname[:]) + " " + cString(u.Release[:]) + " " + cString(u.Machine[:])
})

// cString converts a NUL-terminated utsname field (int8 or uint8 by
// architecture).
func cString[T int8 | uint8](a []T) string {
	b := make([]byte, 0, len(a))
	for _, c := range a {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// cpuTimes returns the process's system and user CPU seconds.
// gcCPU is the garbage collector's CPU seconds since start and their share
// of all the CPU time the runtime had (GOMAXPROCS x uptime): INFO's
// used_cpu_gc and gc_cpu_fraction, for watching GC cost under load.
func gcCPU() (seconds, fraction float64) {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 || s[1].Value.Kind() != metrics.KindFloat64 {
		return 0, 0
	}
	gc, total := s[0].Value.Float64(), s[1].Value.Float64()
	if total > 0 {
		fraction = gc / total
	}
	return gc, fraction
}

func cpuTimes() (sys, user float64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Stime), tv(ru.Utime)
}
