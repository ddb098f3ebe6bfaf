// Package info renders the INFO reply: "# Section" headers and
// "field:value" lines joined by CRLF, with a blank line between sections,
// exactly as Redis 7 lays it out. It is pure: the command package gathers
// the numbers into a Data and this package only formats them, so the text
// can be tested without a server and reused by anything that wants Redis's
// field names (redis_exporter and `redis-cli --stat` parse them).
//
// Field names and order follow Redis 7.0's genRedisInfoString; values
// Damselfly has no counterpart for (forks, AOF, replication backlog) are
// reported as what they truly are for a server without those features,
// usually 0 or -1, rather than left out, because exporters expect them.
package info

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sections in the order Redis prints them.
var order = []string{
	"server", "clients", "memory", "persistence", "stats", "replication",
	"cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace",
}

// defaults are the sections of a bare INFO (and of INFO default).
var defaults = map[string]bool{
	"server": true, "clients": true, "memory": true, "persistence": true, "stats": true,
	"replication": true, "cpu": true, "modules": true, "errorstats": true, "cluster": true, "keyspace": true,
}

// Selection is the set of sections an INFO call asked for.
type Selection map[string]bool

// Select interprets INFO's arguments as Redis 7 does: none means
// "default"; "all" and "everything" mean every section (Damselfly has no
// module sections, so they are the same); "default" adds the default set;
// other words name sections, case-insensitively. Unknown names select
// nothing, so INFO with only unknown names replies with an empty string.
func Select(args []string) Selection {
	sel := Selection{}
	if len(args) == 0 {
		args = []string{"default"}
	}
	for _, a := range args {
		a = strings.ToLower(a)
		switch a {
		case "all", "everything":
			for _, s := range order {
				sel[s] = true
			}
		case "default":
			for s := range defaults {
				sel[s] = true
			}
		default:
			sel[a] = true
		}
	}
	return sel
}

// Has reports whether section s was selected.
func (s Selection) Has(name string) bool { return s[name] }

// Builder accumulates the text of one INFO reply.
type Builder struct {
	b     strings.Builder
	count int
}

// Section starts a section: "# Name", preceded by a blank line unless it is
// the first.
func (b *Builder) Section(title string) {
	if b.count > 0 {
		b.b.WriteString("\r\n")
	}
	b.count++
	b.b.WriteString("# ")
	b.b.WriteString(title)
	b.b.WriteString("\r\n")
}

// Str writes "k:v".
func (b *Builder) Str(k, v string) {
	b.b.WriteString(k)
	b.b.WriteByte(':')
	b.b.WriteString(v)
	b.b.WriteString("\r\n")
}

// Int writes an integer field.
func (b *Builder) Int(k string, v int64) { b.Str(k, strconv.FormatInt(v, 10)) }

// Bool writes 1 or 0.
func (b *Builder) Bool(k string, v bool) {
	if v {
		b.Str(k, "1")
	} else {
		b.Str(k, "0")
	}
}

// Float writes v with prec decimals (Redis uses %.2f and %.6f).
func (b *Builder) Float(k string, v float64, prec int) {
	b.Str(k, strconv.FormatFloat(v, 'f', prec, 64))
}

// String returns the text.
func (b *Builder) String() string { return b.b.String() }

// HumanBytes formats n like Redis's bytesToHuman: 1023B, 1.00K, 2.50M...
func HumanBytes(n int64) string {
	d := float64(n)
	switch {
	case n < 0:
		return "-" + HumanBytes(-n)
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1<<20:
		return strconv.FormatFloat(d/(1<<10), 'f', 2, 64) + "K"
	case n < 1<<30:
		return strconv.FormatFloat(d/(1<<20), 'f', 2, 64) + "M"
	case n < 1<<40:
		return strconv.FormatFloat(d/(1<<30), 'f', 2, 64) + "G"
	case n < 1<<50:
		return strconv.FormatFloat(d/(1<<40), 'f', 2, 64) + "T"
	case n < 1<<60:
		return strconv.FormatFloat(d/(1<<50), 'f', 2, 64) + "P"
	}
	return strconv.FormatInt(n, 10) + "B"
}

// CommandStat is one INFO commandstats line.
type CommandStat struct {
	Name                          string // "get", "config|get"
	Calls, Usec, Rejected, Failed int64
}

// LatencyStat is one INFO latencystats line: the values, in microseconds,
// at the percentiles of latency-tracking-info-percentiles (Percentiles).
type LatencyStat struct {
	Name   string
	Values []float64
}

// DBStat is one INFO keyspace line. The counters after AvgTTL are not
// printed by INFO; /metrics reports them per db.
type DBStat struct {
	Index                 int
	Keys, Expires, AvgTTL int64
	Hits, Misses          int64
	Expired, Evicted      int64
	Capacity              int64
}

// Data is everything INFO reports. The command package fills it; hooks of
// other subsystems (snapshots, pub/sub, scripting) may fill their parts.
type Data struct {
	// Server
	RedisVersion, Version, GoVersion string
	OS                               string
	ArchBits                         int
	PID                              int
	RunID                            string
	TCPPort                          int
	ServerTimeUsec                   int64
	UptimeSeconds                    int64
	HZ, ConfiguredHZ                 int64
	LRUClock                         int64
	Executable, ConfigFile           string
	Threads, Shards                  int

	// Clients
	ConnectedClients, MaxClients     int64
	BlockedClients, PubSubClients    int64
	WatchingClients, TrackingClients int64
	LazyfreedObjects                 int64
	// Client-side caching's table: keys, (key, client) pairs, BCAST
	// prefixes.
	TrackingTotalKeys, TrackingTotalItems, TrackingTotalPrefixes int64
	ClientRecentMaxInput                                         int64
	ClientRecentMaxOutput                                        int64
	TotalBlockingKeys, TotalWatchedKeys                          int64

	// Memory
	UsedMemory, UsedMemoryRSS, UsedMemoryPeak  int64
	UsedMemoryStartup, UsedMemoryDataset       int64
	UsedMemoryScripts, UsedMemoryLua           int64
	AllocatorAllocated, AllocatorActive        int64
	AllocatorResident                          int64
	TotalSystemMemory, MaxMemory               int64
	MaxMemoryPolicy                            string
	MemClientsNormal                           int64
	NumberOfCachedScripts                      int64
	UsedMemoryScriptsEval                      int64
	NumberOfFunctions, NumberOfLibraries       int64
	UsedMemoryVMFunctions, UsedMemoryFunctions int64
	MemAllocator                               string
	// TypeMemory is memory by value type ("string", "hash"..., and "key"
	// for keys and per-entry overhead), Dragonfly's type_used_memory_*.
	TypeMemory map[string]int64

	// Persistence
	Loading, AsyncLoading    bool
	RDBChangesSinceLastSave  int64
	RDBBgsaveInProgress      bool
	RDBLastSaveTime          int64
	RDBLastBgsaveStatus      string
	RDBLastBgsaveTimeSec     int64
	RDBCurrentBgsaveTimeSec  int64
	RDBSaves                 int64
	RDBLastLoadKeysExpired   int64
	RDBLastLoadKeysLoaded    int64
	CurrentSaveKeysProcessed int64
	CurrentSaveKeysTotal     int64
	// The memory a save holds beyond the dataset: for Redis the pages its
	// fork copied on write; for Damselfly the serialized bytes waiting for
	// the disk (what writers changed plus the walk's bounded queue).
	CurrentCOWPeak, CurrentCOWSize, RDBLastCOWSize int64
	// While Loading: when the load started (unix seconds), the file's
	// size, the memory it was written from, and how much is read.
	LoadingStartTime, LoadingTotalBytes   int64
	LoadingRDBUsedMem, LoadingLoadedBytes int64

	// Stats
	TotalConnectionsReceived, TotalCommandsProcessed int64
	InstantaneousOpsPerSec                           int64
	TotalNetInputBytes, TotalNetOutputBytes          int64
	InstantaneousInputKbps, InstantaneousOutputKbps  float64
	RejectedConnections                              int64
	ExpiredKeys, EvictedKeys                         int64
	ExpireCycleCPUMs                                 int64
	KeyspaceHits, KeyspaceMisses                     int64
	PubSubChannels, PubSubPatterns, PubSubShardChans int64
	TotalErrorReplies                                int64
	TotalReadsProcessed, TotalWritesProcessed        int64
	ProtocolErrors, AuthFailures                     int64
	// ACL denials by reason (Redis 7.2's acl_access_denied_*).
	ACLDeniedCmd, ACLDeniedKey, ACLDeniedChannel int64

	// Replication
	MasterReplID string

	// CPU
	UsedCPUSys, UsedCPUUser float64
	// Go's garbage collector: its CPU seconds since start (runtime/metrics
	// /cpu/classes/gc/total:cpu-seconds, an estimate) and that as a share
	// of the CPU available to the process (GOMAXPROCS x uptime).
	UsedCPUGC, GCCPUFraction float64

	Commands []CommandStat
	Errors   map[string]int64
	Latency  []LatencyStat
	// Percentiles are the percentiles of every LatencyStat's Values.
	Percentiles []float64
	Keyspace    []DBStat
}

// Render writes the selected sections of d.
func Render(d *Data, sel Selection) string {
	var b Builder
	for _, s := range order {
		if !sel[s] {
			continue
		}
		switch s {
		case "server":
			server(&b, d)
		case "clients":
			clients(&b, d)
		case "memory":
			memory(&b, d)
		case "persistence":
			persistence(&b, d)
		case "stats":
			stats(&b, d)
		case "replication":
			replication(&b, d)
		case "cpu":
			cpu(&b, d)
		case "modules":
			b.Section("Modules")
		case "commandstats":
			b.Section("Commandstats")
			for _, c := range d.Commands {
				if c.Calls == 0 && c.Failed == 0 && c.Rejected == 0 {
					continue
				}
				per := 0.0
				if c.Calls > 0 {
					per = float64(c.Usec) / float64(c.Calls)
				}
				b.Str("cmdstat_"+c.Name, "calls="+strconv.FormatInt(c.Calls, 10)+
					",usec="+strconv.FormatInt(c.Usec, 10)+
					",usec_per_call="+strconv.FormatFloat(per, 'f', 2, 64)+
					",rejected_calls="+strconv.FormatInt(c.Rejected, 10)+
					",failed_calls="+strconv.FormatInt(c.Failed, 10))
			}
		case "errorstats":
			b.Section("Errorstats")
			codes := make([]string, 0, len(d.Errors))
			for k := range d.Errors {
				codes = append(codes, k)
			}
			sort.Strings(codes)
			for _, k := range codes {
				b.Str("errorstat_"+k, "count="+strconv.FormatInt(d.Errors[k], 10))
			}
		case "latencystats":
			b.Section("Latencystats")
			for _, l := range d.Latency {
				var v strings.Builder
				for i, p := range d.Percentiles {
					if i > 0 {
						v.WriteByte(',')
					}
					v.WriteString("p" + strconv.FormatFloat(p, 'f', -1, 64) + "=" + strconv.FormatFloat(l.Values[i], 'f', 3, 64))
				}
				b.Str("latency_percentiles_usec_"+l.Name, v.String())
			}
		case "cluster":
			b.Section("Cluster")
			b.Int("cluster_enabled", 0)
		case "keyspace":
			b.Section("Keyspace")
			for _, k := range d.Keyspace {
				if k.Keys == 0 {
					continue
				}
				b.Str("db"+strconv.Itoa(k.Index), "keys="+strconv.FormatInt(k.Keys, 10)+
					",expires="+strconv.FormatInt(k.Expires, 10)+
					",avg_ttl="+strconv.FormatInt(k.AvgTTL, 10))
			}
		}
	}
	return b.String()
}

func server(b *Builder, d *Data) {
	b.Section("Server")
	b.Str("redis_version", d.RedisVersion)
	b.Str("redis_git_sha1", "00000000")
	b.Str("redis_git_dirty", "0")
	b.Str("redis_build_id", buildID(d.Version))
	b.Str("redis_mode", "standalone")
	b.Str("damselfly_version", d.Version)
	b.Str("os", d.OS)
	b.Int("arch_bits", int64(d.ArchBits))
	b.Str("monotonic_clock", "POSIX clock_gettime")
	b.Str("multiplexing_api", "epoll")
	b.Str("atomicvar_api", "sync/atomic")
	b.Str("gcc_version", "0.0.0")
	b.Str("go_version", d.GoVersion)
	b.Int("process_id", int64(d.PID))
	b.Str("process_supervised", "no")
	b.Str("run_id", d.RunID)
	b.Int("tcp_port", int64(d.TCPPort))
	b.Int("server_time_usec", d.ServerTimeUsec)
	b.Int("uptime_in_seconds", d.UptimeSeconds)
	b.Int("uptime_in_days", d.UptimeSeconds/86400)
	b.Int("hz", d.HZ)
	b.Int("configured_hz", d.ConfiguredHZ)
	b.Int("lru_clock", d.LRUClock)
	b.Str("executable", d.Executable)
	b.Str("config_file", d.ConfigFile)
	b.Int("io_threads_active", 0)
	b.Int("thread_count", int64(d.Threads))
	b.Int("shard_count", int64(d.Shards))
}

// buildID is a stable hex id for the build, like Redis's redis_build_id.
func buildID(version string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(version); i++ {
		h ^= uint64(version[i])
		h *= 1099511628211
	}
	return strconv.FormatUint(h, 16)
}

func clients(b *Builder, d *Data) {
	b.Section("Clients")
	b.Int("connected_clients", d.ConnectedClients)
	b.Int("cluster_connections", 0)
	b.Int("maxclients", d.MaxClients)
	b.Int("client_recent_max_input_buffer", d.ClientRecentMaxInput)
	b.Int("client_recent_max_output_buffer", d.ClientRecentMaxOutput)
	b.Int("blocked_clients", d.BlockedClients)
	b.Int("tracking_clients", d.TrackingClients)
	b.Int("pubsub_clients", d.PubSubClients)
	b.Int("watching_clients", d.WatchingClients)
	b.Int("clients_in_timeout_table", d.BlockedClients)
	b.Int("total_watched_keys", d.TotalWatchedKeys)
	b.Int("total_blocking_keys", d.TotalBlockingKeys)
	b.Int("total_blocking_keys_on_nokey", 0)
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func memory(b *Builder, d *Data) {
	b.Section("Memory")
	overhead := d.UsedMemory - d.UsedMemoryDataset
	if overhead < 0 {
		overhead = 0
	}
	b.Int("used_memory", d.UsedMemory)
	b.Str("used_memory_human", HumanBytes(d.UsedMemory))
	b.Int("used_memory_rss", d.UsedMemoryRSS)
	b.Str("used_memory_rss_human", HumanBytes(d.UsedMemoryRSS))
	b.Int("used_memory_peak", d.UsedMemoryPeak)
	b.Str("used_memory_peak_human", HumanBytes(d.UsedMemoryPeak))
	b.Str("used_memory_peak_perc", strconv.FormatFloat(100*ratio(d.UsedMemory, d.UsedMemoryPeak), 'f', 2, 64)+"%")
	b.Int("used_memory_overhead", overhead)
	b.Int("used_memory_startup", d.UsedMemoryStartup)
	b.Int("used_memory_dataset", d.UsedMemoryDataset)
	// Redis: dataset / (used - startup).
	b.Str("used_memory_dataset_perc", strconv.FormatFloat(100*ratio(d.UsedMemoryDataset, d.UsedMemory-d.UsedMemoryStartup), 'f', 2, 64)+"%")
	b.Int("allocator_allocated", d.AllocatorAllocated)
	b.Int("allocator_active", d.AllocatorActive)
	b.Int("allocator_resident", d.AllocatorResident)
	b.Int("total_system_memory", d.TotalSystemMemory)
	b.Str("total_system_memory_human", HumanBytes(d.TotalSystemMemory))
	b.Int("used_memory_lua", d.UsedMemoryLua)
	b.Int("used_memory_vm_eval", d.UsedMemoryLua)
	b.Str("used_memory_lua_human", HumanBytes(d.UsedMemoryLua))
	b.Int("used_memory_scripts_eval", d.UsedMemoryScriptsEval)
	b.Int("number_of_cached_scripts", d.NumberOfCachedScripts)
	b.Int("number_of_functions", d.NumberOfFunctions)
	b.Int("number_of_libraries", d.NumberOfLibraries)
	b.Int("used_memory_vm_functions", d.UsedMemoryVMFunctions)
	b.Int("used_memory_vm_total", d.UsedMemoryLua+d.UsedMemoryVMFunctions)
	b.Str("used_memory_vm_total_human", HumanBytes(d.UsedMemoryLua+d.UsedMemoryVMFunctions))
	b.Int("used_memory_functions", d.UsedMemoryFunctions)
	b.Int("used_memory_scripts", d.UsedMemoryScripts)
	b.Str("used_memory_scripts_human", HumanBytes(d.UsedMemoryScripts))
	b.Int("maxmemory", d.MaxMemory)
	b.Str("maxmemory_human", HumanBytes(d.MaxMemory))
	b.Str("maxmemory_policy", d.MaxMemoryPolicy)
	b.Float("allocator_frag_ratio", ratio(d.AllocatorActive, d.AllocatorAllocated), 2)
	b.Int("allocator_frag_bytes", d.AllocatorActive-d.AllocatorAllocated)
	b.Float("allocator_rss_ratio", ratio(d.AllocatorResident, d.AllocatorActive), 2)
	b.Int("allocator_rss_bytes", d.AllocatorResident-d.AllocatorActive)
	b.Float("rss_overhead_ratio", ratio(d.UsedMemoryRSS, d.AllocatorResident), 2)
	b.Int("rss_overhead_bytes", d.UsedMemoryRSS-d.AllocatorResident)
	b.Float("mem_fragmentation_ratio", ratio(d.UsedMemoryRSS, d.UsedMemory), 2)
	b.Int("mem_fragmentation_bytes", d.UsedMemoryRSS-d.UsedMemory)
	b.Int("mem_not_counted_for_evict", 0)
	b.Int("mem_replication_backlog", 0)
	b.Int("mem_total_replication_buffers", 0)
	b.Int("mem_clients_slaves", 0)
	b.Int("mem_clients_normal", d.MemClientsNormal)
	b.Int("mem_cluster_links", 0)
	b.Int("mem_aof_buffer", 0)
	b.Str("mem_allocator", d.MemAllocator)
	b.Int("active_defrag_running", 0)
	b.Int("lazyfree_pending_objects", 0)
	b.Int("lazyfreed_objects", d.LazyfreedObjects)
	types := make([]string, 0, len(d.TypeMemory))
	for t := range d.TypeMemory {
		types = append(types, t)
	}
	sort.Strings(types)
	// Dragonfly's object_used_memory: the values' memory, all types
	// together (keys and per-entry overhead are not objects).
	var objects int64
	for _, t := range types {
		if t != "key" {
			objects += d.TypeMemory[t]
		}
	}
	b.Int("object_used_memory", objects)
	for _, t := range types {
		b.Int("type_used_memory_"+t, d.TypeMemory[t])
	}
}

func persistence(b *Builder, d *Data) {
	b.Section("Persistence")
	b.Bool("loading", d.Loading)
	b.Bool("async_loading", d.AsyncLoading)
	b.Int("current_cow_peak", d.CurrentCOWPeak)
	b.Int("current_cow_size", d.CurrentCOWSize)
	b.Int("current_cow_size_age", 0)
	b.Str("current_fork_perc", "0.00")
	b.Int("current_save_keys_processed", d.CurrentSaveKeysProcessed)
	b.Int("current_save_keys_total", d.CurrentSaveKeysTotal)
	b.Int("rdb_changes_since_last_save", d.RDBChangesSinceLastSave)
	b.Bool("rdb_bgsave_in_progress", d.RDBBgsaveInProgress)
	b.Int("rdb_last_save_time", d.RDBLastSaveTime)
	status := d.RDBLastBgsaveStatus
	if status == "" {
		status = "ok"
	}
	b.Str("rdb_last_bgsave_status", status)
	b.Int("rdb_last_bgsave_time_sec", d.RDBLastBgsaveTimeSec)
	b.Int("rdb_current_bgsave_time_sec", d.RDBCurrentBgsaveTimeSec)
	b.Int("rdb_saves", d.RDBSaves)
	b.Int("rdb_last_cow_size", d.RDBLastCOWSize)
	b.Int("rdb_last_load_keys_expired", d.RDBLastLoadKeysExpired)
	b.Int("rdb_last_load_keys_loaded", d.RDBLastLoadKeysLoaded)
	b.Int("aof_enabled", 0)
	b.Int("aof_rewrite_in_progress", 0)
	b.Int("aof_rewrite_scheduled", 0)
	b.Int("aof_last_rewrite_time_sec", -1)
	b.Int("aof_current_rewrite_time_sec", -1)
	b.Str("aof_last_bgrewrite_status", "ok")
	b.Int("aof_rewrites", 0)
	b.Int("aof_rewrites_consecutive_failures", 0)
	b.Str("aof_last_write_status", "ok")
	b.Int("aof_last_cow_size", 0)
	b.Int("module_fork_in_progress", 0)
	b.Int("module_fork_last_cow_size", 0)
	// Dragonfly's: whether a snapshot is being written (SAVE or BGSAVE),
	// which its tools poll.
	b.Bool("saving", d.RDBBgsaveInProgress)
	if d.Loading {
		// Redis's progress fields, which clients such as ioredis read to
		// decide how long to wait.
		perc, remaining := 0.0, int64(1)
		if d.LoadingTotalBytes > 0 {
			perc = float64(d.LoadingLoadedBytes) / float64(d.LoadingTotalBytes) * 100
			remaining = d.LoadingTotalBytes - d.LoadingLoadedBytes
		}
		eta := int64(1)
		if elapsed := time.Now().Unix() - d.LoadingStartTime; elapsed > 0 {
			eta = elapsed * remaining / (d.LoadingLoadedBytes + 1)
		}
		b.Int("loading_start_time", d.LoadingStartTime)
		b.Int("loading_total_bytes", d.LoadingTotalBytes)
		b.Int("loading_rdb_used_mem", d.LoadingRDBUsedMem)
		b.Int("loading_loaded_bytes", d.LoadingLoadedBytes)
		b.Str("loading_loaded_perc", strconv.FormatFloat(perc, 'f', 2, 64))
		b.Int("loading_eta_seconds", eta)
	}
}

func stats(b *Builder, d *Data) {
	b.Section("Stats")
	b.Int("total_connections_received", d.TotalConnectionsReceived)
	b.Int("total_commands_processed", d.TotalCommandsProcessed)
	b.Int("instantaneous_ops_per_sec", d.InstantaneousOpsPerSec)
	b.Int("total_net_input_bytes", d.TotalNetInputBytes)
	b.Int("total_net_output_bytes", d.TotalNetOutputBytes)
	b.Int("total_net_repl_input_bytes", 0)
	b.Int("total_net_repl_output_bytes", 0)
	b.Float("instantaneous_input_kbps", d.InstantaneousInputKbps, 2)
	b.Float("instantaneous_output_kbps", d.InstantaneousOutputKbps, 2)
	b.Str("instantaneous_input_repl_kbps", "0.00")
	b.Str("instantaneous_output_repl_kbps", "0.00")
	b.Int("rejected_connections", d.RejectedConnections)
	b.Int("sync_full", 0)
	b.Int("sync_partial_ok", 0)
	b.Int("sync_partial_err", 0)
	b.Int("expired_keys", d.ExpiredKeys)
	b.Str("expired_stale_perc", "0.00")
	b.Int("expired_time_cap_reached_count", 0)
	b.Int("expire_cycle_cpu_milliseconds", d.ExpireCycleCPUMs)
	b.Int("evicted_keys", d.EvictedKeys)
	b.Int("evicted_clients", 0)
	b.Int("total_eviction_exceeded_time", 0)
	b.Int("current_eviction_exceeded_time", 0)
	b.Int("keyspace_hits", d.KeyspaceHits)
	b.Int("keyspace_misses", d.KeyspaceMisses)
	b.Int("pubsub_channels", d.PubSubChannels)
	b.Int("pubsub_patterns", d.PubSubPatterns)
	b.Int("pubsubshard_channels", d.PubSubShardChans)
	b.Int("latest_fork_usec", 0)
	b.Int("total_forks", 0)
	b.Int("migrate_cached_sockets", 0)
	b.Int("slave_expires_tracked_keys", 0)
	b.Int("active_defrag_hits", 0)
	b.Int("active_defrag_misses", 0)
	b.Int("active_defrag_key_hits", 0)
	b.Int("active_defrag_key_misses", 0)
	b.Int("total_active_defrag_time", 0)
	b.Int("current_active_defrag_time", 0)
	b.Int("tracking_total_keys", d.TrackingTotalKeys)
	b.Int("tracking_total_items", d.TrackingTotalItems)
	b.Int("tracking_total_prefixes", d.TrackingTotalPrefixes)
	b.Int("unexpected_error_replies", 0)
	b.Int("total_error_replies", d.TotalErrorReplies)
	b.Int("dump_payload_sanitizations", 0)
	b.Int("total_reads_processed", d.TotalReadsProcessed)
	b.Int("total_writes_processed", d.TotalWritesProcessed)
	b.Int("io_threaded_reads_processed", 0)
	b.Int("io_threaded_writes_processed", 0)
	b.Int("reply_buffer_shrinks", 0)
	b.Int("reply_buffer_expands", 0)
	b.Int("total_protocol_errors", d.ProtocolErrors)
	b.Int("total_auth_failures", d.AuthFailures)
	b.Int("acl_access_denied_auth", d.AuthFailures)
	b.Int("acl_access_denied_cmd", d.ACLDeniedCmd)
	b.Int("acl_access_denied_key", d.ACLDeniedKey)
	b.Int("acl_access_denied_channel", d.ACLDeniedChannel)
}

func replication(b *Builder, d *Data) {
	b.Section("Replication")
	b.Str("role", "master")
	b.Int("connected_slaves", 0)
	b.Str("master_failover_state", "no-failover")
	b.Str("master_replid", d.MasterReplID)
	b.Str("master_replid2", "0000000000000000000000000000000000000000")
	b.Int("master_repl_offset", 0)
	b.Int("second_repl_offset", -1)
	b.Int("repl_backlog_active", 0)
	b.Int("repl_backlog_size", 1048576)
	b.Int("repl_backlog_first_byte_offset", 0)
	b.Int("repl_backlog_histlen", 0)
}

func cpu(b *Builder, d *Data) {
	b.Section("CPU")
	b.Float("used_cpu_sys", d.UsedCPUSys, 6)
	b.Float("used_cpu_user", d.UsedCPUUser, 6)
	b.Float("used_cpu_sys_children", 0, 6)
	b.Float("used_cpu_user_children", 0, 6)
	// Redis 7's main-thread figures (redis_exporter reads them). Damselfly
	// has no main thread: they are the process's, as for a Redis without
	// I/O threads.
	b.Float("used_cpu_sys_main_thread", d.UsedCPUSys, 6)
	b.Float("used_cpu_user_main_thread", d.UsedCPUUser, 6)
	b.Float("used_cpu_gc", d.UsedCPUGC, 6)
	b.Float("gc_cpu_fraction", d.GCCPUFraction, 6)
}
