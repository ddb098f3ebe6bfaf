package command

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/damselfly-db/damselfly/internal/keyspace"
)

// registerMemory adds MEMORY's server subcommands. MEMORY USAGE belongs to
// the keys family, which may register the container first.
func registerMemory(t *Table, srv specMaker) {
	mergeContainer(t, &Spec{
		Name: "memory", Arity: -2, Flags: NoLock, Group: "server", Since: "4.0.0", Summary: "A container for memory diagnostics commands.",
		Subcommands: []*Spec{
			srv("doctor", 2, 0, cmdMemoryDoctor, "4.0.0", "Outputs a memory problems report."),
			srv("malloc-stats", 2, 0, cmdMemoryMallocStats, "4.0.0", "Returns the allocator statistics."),
			srv("purge", 2, 0, func(c *Ctx) { debug.FreeOSMemory(); c.W.OK() }, "4.0.0", "Asks the allocator to release memory."),
			srv("stats", 2, 0, cmdMemoryStats, "4.0.0", "Returns details about memory usage."),
			srv("help", 2, Loading|Stale, memoryHelp, "4.0.0", "Returns helpful text about the different subcommands."),
		},
		Handler: runSub,
	})
}

func memoryHelp(c *Ctx) {
	writeHelp(c, "MEMORY",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
		"HELP",
		"    Prints this help.",
	)
}

// memoryDB is MEMORY STATS's per-database overhead: the hash table's
// buckets and entry slots (keyspace.DB's accounting covers them per key).
type memoryDB struct {
	index         int
	main, expires int64
	keys, withTTL int64
}

func (e *Env) memoryDBs(owner int64) []memoryDB {
	var out []memoryDB
	now := time.Now().UnixMilli()
	for i := 0; i < e.Store.N(); i++ {
		sh := e.Store.Shard(i)
		took := sh.Acquire(owner, now)
		for d := 0; d < sh.NumDBs(); d++ {
			for len(out) <= d {
				out = append(out, memoryDB{index: len(out)})
			}
			db := sh.DB(d)
			out[d].keys += int64(db.Len())
			out[d].withTTL += int64(db.ExpiresLen())
		}
		sh.Release(took)
	}
	for i := range out {
		// The per-entry overhead the keyspace charges (slot and bucket),
		// and one index slot per key with a TTL.
		out[i].main = out[i].keys * keyEntryOverhead
		out[i].expires = out[i].withTTL * 4
	}
	return out
}

// keyEntryOverhead mirrors the per-entry charge keyspace.DB.Bytes includes.
const keyEntryOverhead = keyspace.EntryOverhead

func cmdMemoryStats(c *Ctx) {
	m := c.Env.Memory(c.Client.ID)
	dbs := c.Env.memoryDBs(c.Client.ID)
	ss := c.Env.ScriptStats()
	w := c.W
	nonEmpty := 0
	for _, d := range dbs {
		if d.keys > 0 {
			nonEmpty++
		}
	}
	dataset := m.Dataset
	overhead := m.Used - dataset
	ratio := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	w.Map(27 + nonEmpty)
	kv := func(k string, v int64) { w.BulkString(k); w.Int(v) }
	kf := func(k string, v float64) { w.BulkString(k); w.Double(v) }
	kv("peak.allocated", m.Peak)
	kv("total.allocated", m.Used)
	kv("startup.allocated", m.Startup)
	kv("replication.backlog", 0)
	kv("clients.slaves", 0)
	kv("clients.normal", m.Clients)
	kv("cluster.links", 0)
	kv("aof.buffer", 0)
	evalCache, _ := c.Env.Scripts().CacheStats()
	kv("lua.caches", ss.MemoryScripts-ss.FunctionCode+int64(evalCache)*96)
	kv("functions.caches", ss.FunctionCode)
	for _, d := range dbs {
		if d.keys == 0 {
			continue
		}
		w.BulkString("db." + strconv.Itoa(d.index))
		w.Map(3)
		kv("overhead.hashtable.main", d.main)
		kv("overhead.hashtable.expires", d.expires)
		kv("overhead.hashtable.slot-to-keys", 0)
	}
	kv("overhead.total", overhead)
	kv("keys.count", m.Keys)
	perKey := int64(0)
	if m.Keys > 0 {
		perKey = (m.Used - m.Startup) / m.Keys
	}
	kv("keys.bytes-per-key", perKey)
	kv("dataset.bytes", dataset)
	kf("dataset.percentage", 100*ratio(dataset, m.Used-m.Startup))
	kf("peak.percentage", 100*ratio(m.Used, m.Peak))
	kv("allocator.allocated", m.HeapObjects)
	kv("allocator.active", m.HeapActive)
	kv("allocator.resident", m.HeapResident)
	kf("allocator-fragmentation.ratio", ratio(m.HeapActive, m.HeapObjects))
	kv("allocator-fragmentation.bytes", m.HeapActive-m.HeapObjects)
	kf("allocator-rss.ratio", ratio(m.HeapResident, m.HeapActive))
	kv("allocator-rss.bytes", m.HeapResident-m.HeapActive)
	kf("rss-overhead.ratio", ratio(m.RSS, m.HeapResident))
	kv("rss-overhead.bytes", m.RSS-m.HeapResident)
	kf("fragmentation", ratio(m.RSS, m.Used))
	kv("fragmentation.bytes", m.RSS-m.Used)
}

// cmdMemoryDoctor is a port of Redis's getMemoryDoctorReport, on the same
// figures MEMORY STATS shows.
func cmdMemoryDoctor(c *Ctx) {
	m := c.Env.Memory(c.Client.ID)
	ev := doctorEviction{limit: c.Env.Store.MaxMemory(), policy: c.Env.Store.Policy().String(), rssOver: c.Env.Store.RSSOver()}
	for i := 0; i < c.Env.Store.N(); i++ {
		sh := c.Env.Store.Shard(i)
		took := sh.Acquire(c.Client.ID, c.Now)
		ev.evicted += sh.EvictedKeys
		sh.Release(took)
	}
	c.W.Verbatim(memoryDoctor(m, c.Env.Clients.Len(), ev))
}

// doctorEviction is what MEMORY DOCTOR looks at beyond Redis's checks:
// the limit, and whether eviction is at work.
type doctorEviction struct {
	limit, evicted int64
	policy         string
	rssOver        bool
}

func memoryDoctor(m MemoryReport, clients int, ev doctorEviction) string {
	const mb = 1 << 20
	if m.Used < 5*mb {
		return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	}
	var issues []string
	if m.Peak > 0 && float64(m.Peak)/float64(m.Used) > 1.5 {
		issues = append(issues, " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
	}
	if frag := float64(m.HeapActive) / float64(max(m.HeapObjects, 1)); frag > 1.1 && m.HeapActive-m.HeapObjects > 10*mb {
		issues = append(issues, " * Allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n")
	}
	if r := float64(m.HeapResident) / float64(max(m.HeapActive, 1)); r > 1.1 && m.HeapResident-m.HeapActive > 10*mb {
		issues = append(issues, " * Allocator RSS overhead: This instance has allocator RSS overhead greater than 1.1. This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n")
	}
	if clients > 0 && m.Clients/int64(clients) > 200*1024 {
		issues = append(issues, " * Big client buffers: The clients output buffers are in general too big, if you have a big read or write backlog on clients, please consider reducing it.\n\n")
	}
	if ev.limit > 0 && m.RSS > ev.limit {
		issues = append(issues, " * RSS above maxmemory: the process's resident memory ("+strconv.FormatInt(m.RSS>>20, 10)+" MB) exceeds maxmemory ("+strconv.FormatInt(ev.limit>>20, 10)+" MB). Garbage awaiting collection or memory not yet returned to the kernel counts here; with an eviction policy the server evicts until RSS is back under the limit, otherwise consider MEMORY PURGE or a larger maxmemory.\n\n")
	}
	if ev.evicted > 0 {
		issues = append(issues, " * Evictions: "+strconv.FormatInt(ev.evicted, 10)+" keys were evicted ("+ev.policy+") to stay under maxmemory. That is the design of a cache, but if these keys are wanted, raise maxmemory.\n\n")
	}
	if len(issues) == 0 {
		return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
	}
	return "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + strings.Join(issues, "") +
		"I'm here to keep you safe, Sam. I want to help you.\n"
}

// cmdMemoryMallocStats reports the Go runtime's memory classes, the
// counterpart of jemalloc's statistics.
func cmdMemoryMallocStats(c *Ctx) {
	var b strings.Builder
	b.WriteString("___ Begin Go runtime memory statistics ___\n")
	b.WriteString("Version: " + runtime.Version() + "\n")
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/") || strings.HasPrefix(d.Name, "/gc/heap/") || strings.HasPrefix(d.Name, "/gc/cycles/") {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			b.WriteString(s.Name + ": " + strconv.FormatUint(s.Value.Uint64(), 10) + "\n")
		case metrics.KindFloat64:
			b.WriteString(s.Name + ": " + strconv.FormatFloat(s.Value.Float64(), 'f', -1, 64) + "\n")
		}
	}
	b.WriteString("--- End Go runtime memory statistics ---\n")
	c.W.Verbatim(b.String())
}
