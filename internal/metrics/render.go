// Package metrics writes the /metrics page: Dragonfly's metric families
// (src/server/metrics.cc, Metrics::Print), with their names, labels and
// order, in the Prometheus text format written by hand.
//
// Why by hand: Dragonfly's page has families that mix an unlabelled total
// with per-database samples (dragonfly_keyspace_hits_total and
// dragonfly_keyspace_hits_total{db="db0"}), which the Prometheus client
// library refuses, and dashboards depend on both. The format is small.
//
// Two deliberate differences from Dragonfly's page, so that `promtool check
// metrics` is clean while every name and label a dashboard or alert can
// query stays the same:
//
//   - Dragonfly declares some counters whose names do not end in _total
//     (dragonfly_uptime_in_seconds, dragonfly_commands_duration_seconds,
//     dragonfly_reply_duration_seconds...). promtool rejects that, so those
//     families are declared untyped; their values still only grow, and
//     PromQL's rate() does not look at the declared type.
//   - dragonfly_lua_gc_duration_total_sec and dragonfly_fibers_count are
//     left out: promtool rejects an abbreviated unit and a gauge named
//     _count, and Damselfly has neither a separate Lua GC to time nor
//     fibers.
//
// Every family has a HELP text (Dragonfly leaves many empty; promtool
// wants one). Families Damselfly has no machinery for (tiered storage,
// defragmentation, command squashing, fibers) are reported as zero, because
// Dragonfly's own dashboard queries several of them and an absent series
// shows as "No data" rather than as the truth, which is zero.
//
// Rendering is pure: the command package gathers a Snapshot, Render turns
// it into bytes.
package metrics

import (
	"sort"
	"strconv"
	"strings"
)

// Render writes the page for s.
func Render(s *Snapshot) []byte {
	w := &Writer{b: make([]byte, 0, 16*1024)}

	w.Family("version", "Server version", Gauge)
	w.Int("version", 1, "version", s.Version)
	w.gauge("master", "1 if master 0 if replica", b2i(s.Master))
	w.counter("uptime_in_seconds", "Seconds since the server started", s.UptimeSeconds)

	// Clients.
	w.gauge("max_clients", "Maximal number of clients", s.MaxClients)
	w.Family("connected_clients", "Number of connected clients by listener", Gauge)
	w.Int("connected_clients", s.ConnectedMain, "listener", "main")
	w.Int("connected_clients", s.ConnectedOther, "listener", "other")
	w.Family("tls_handshakes_total", "Total TLS handshakes by status", Counter)
	w.Int("tls_handshakes_total", 0, "status", "started")
	w.Int("tls_handshakes_total", 0, "status", "completed")
	w.gauge("blocked_clients", "Clients blocked on a blocking command", s.BlockedClients)
	w.gauge("pipeline_queue_length", "Commands parsed but not yet dispatched", 0)
	w.gaugeF("send_delay_seconds", "Age of the oldest reply waiting to be sent", 0)
	w.counter("pipeline_throttle_total", "Times a connection stopped reading because its pipeline queue was full", 0)
	w.Family("pubsub_backpressure_events_total", "Pub/Sub back-pressure and slow-subscriber protection events by type", Counter)
	for _, e := range []string{"soft_limit", "hard_limit", "forced_disconnect", "messages_discarded"} {
		w.Int("pubsub_backpressure_events_total", 0, "event", e)
	}
	p := &s.Pipeline
	w.counter("pipeline_commands_total", "Commands that arrived in a pipeline (more than one in a read)", p.Commands)
	w.counter("pipeline_dispatch_calls_total", "Pipelined batches dispatched", p.DispatchCalls)
	w.counter("pipeline_dispatch_commands_total", "Commands in pipelined batches dispatched", p.DispatchCommands)
	w.counter("pipeline_dispatch_flush_total", "Reply flushes at the end of a pipelined batch", p.Flushes)
	w.counterF("pipeline_dispatch_flush_duration_seconds", "Time spent flushing the replies of pipelined batches", p.FlushSeconds)
	w.counterF("pipeline_commands_duration_seconds", "Total latency of pipelined commands, from the batch's start to each command's end", p.CommandsSeconds)
	w.counterF("pipeline_queue_wait_duration_seconds", "Total time pipelined commands waited for the commands before them", p.WaitSeconds)
	w.counter("pipeline_blocking_commands_total", "Blocking commands that arrived in a pipeline", p.BlockingCommands)
	w.Family("pipeline_latency_seconds", "Pipeline command latency distribution", Summary)
	if p.HaveQuantiles {
		w.Float("pipeline_latency_seconds", p.P95, "quantile", "0.95")
		w.Float("pipeline_latency_seconds", p.P99, "quantile", "0.99")
	}
	w.Float("pipeline_latency_seconds_sum", p.CommandsSeconds)
	w.Int("pipeline_latency_seconds_count", p.Commands)
	w.counter("cmd_squash_hop_total", "Squashed multi-shard hops (Damselfly runs commands under shard locks and does not squash)", 0)
	w.counter("cmd_squash_commands_total", "Commands executed in squashed hops", 0)
	w.counterF("cmd_squash_hop_duration_seconds", "Time spent in squashed hops", 0)
	w.counterF("cmd_squash_hop_reply_seconds", "Time spent replying from squashed hops", 0)
	// Dragonfly's dashboard still queries this counter from older releases.
	w.counter("cmd_squash_stats_ignored_total", "Pipelined batches not counted in the squash statistics", 0)
	if len(s.ConnectionLibs) > 0 {
		w.Family("connections_libs", "Total number of connections by libname:ver", Gauge)
		for _, k := range sortedKeys(s.ConnectionLibs) {
			w.Int("connections_libs", s.ConnectionLibs[k], "lib", k)
		}
	}

	// Memory.
	w.gauge("memory_used_bytes", "Memory used by the server (Damselfly's account: startup, dataset, clients, runtime)", s.MemoryUsed)
	w.gauge("memory_used_peak_bytes", "Peak of memory_used_bytes", s.MemoryPeak)
	w.gauge("connection_memory_bytes", "Approximate memory used by client connections", s.ConnectionMemory)
	w.gauge("blocked_tasks", "Tasks waiting for a shard queue", 0)
	w.gauge("memory_max_bytes", "maxmemory; 0 means no limit", s.MemoryMax)
	w.Family("oom_errors_total", "Rejected requests due to out of memory errors", Counter)
	w.Int("oom_errors_total", s.OOMInsert, "type", "insert")
	w.Int("oom_errors_total", s.OOMCmd, "type", "cmd")
	w.gauge("used_memory_rss_bytes", "Resident set size of the process", s.RSS)
	w.gauge("swap_memory_bytes", "Swap used by the process", s.Swap)
	w.gauge("goroutines", "Goroutines in the process (Go runtime; one per connection plus a fixed set)", s.Goroutines)
	w.gauge("heap_objects_bytes", "Bytes of live and not yet swept heap objects (Go runtime)", s.HeapObjects)
	if hasPositive(s.TypeMemory) {
		w.Family("type_used_memory", "Memory used per type", Gauge)
		for _, k := range sortedKeys(s.TypeMemory) {
			if v := s.TypeMemory[k]; v > 0 {
				w.Int("type_used_memory", v, "type", k)
			}
		}
	}

	// Stats.
	w.counter("connections_received_total", "Connections accepted", s.ConnectionsReceived)
	w.Family("commands_processed_total", "Commands processed by listener", Counter)
	w.Int("commands_processed_total", s.CommandsMain, "listener", "main")
	w.Int("commands_processed_total", s.CommandsOther, "listener", "other")
	// Dragonfly prints the per-db samples of these two families further
	// down the page; the text format wants a family in one block, so they
	// follow their total here.
	w.Family("keyspace_hits_total", "Successful key lookups, in total and by db", Counter)
	w.Int("keyspace_hits_total", s.Hits)
	for _, d := range s.DBs {
		w.Int("keyspace_hits_total", d.Hits, "db", dbLabel(d.Index))
	}
	w.Family("keyspace_misses_total", "Failed key lookups, in total and by db", Counter)
	w.Int("keyspace_misses_total", s.Misses)
	for _, d := range s.DBs {
		w.Int("keyspace_misses_total", d.Misses, "db", dbLabel(d.Index))
	}
	w.counter("keyspace_mutations_total", "Successful write commands", s.Mutations)
	w.gauge("lua_interpreter_cnt", "Lua interpreters", s.LuaInterpreters)
	w.counter("freed_memory_lua", "Memory freed by Lua garbage collection", s.LuaFreedMemory)
	w.counter("lua_blocked_total", "Times a script waited for a free interpreter", s.LuaBlocked)
	w.counter("lua_gc_interpreter_return", "Interpreters collected when returned to the pool", 0)
	w.counter("lua_force_gc_calls", "Forced Lua garbage collections", s.LuaForcedGCs)
	w.counter("backups_total", "Snapshots saved", s.Backups)
	w.counter("failed_backups_total", "Snapshots that failed", s.FailedBackups)
	w.counter("restores_total", "Snapshots loaded", s.Restores)
	w.counter("failed_restores_total", "Snapshot loads that failed", s.FailedRestores)

	// Network.
	w.counter("net_input_recv_total", "Read calls that received data", s.NetReads)
	w.counter("net_read_yields_total", "Reads that yielded to other connections", 0)
	w.counter("iobuf_capacity_change_count", "Times a connection's read buffer changed size", s.IOBufResizes)
	w.counter("proactor_reads_total", "Reads that drained bytes", s.NetReads)
	w.counter("proactor_parse_total", "Reads after which at least one command was parsed", s.NetReads)
	w.counter("net_input_bytes_total", "Bytes read from clients", s.NetInputBytes)
	w.counter("net_output_bytes_total", "Bytes written to clients", s.NetOutputBytes)
	w.counterF("reply_duration_seconds", "Time spent writing replies", s.ReplySeconds)
	w.counter("reply_total", "Write calls that sent replies", s.Replies)
	w.counter("script_error_total", "Errors raised by scripts", s.ScriptErrors)
	w.Family("listener_accept_error_total", "Listener accept errors", Counter)
	w.Int("listener_accept_error_total", s.RejectedMaxClients, "reason", "limit_reached")
	w.Int("listener_accept_error_total", 0, "reason", "tls_error")
	w.Family("expired_keys_total", "Keys expired, by db", Counter)
	for _, d := range s.DBs {
		w.Int("expired_keys_total", d.Expired, "db", dbLabel(d.Index))
	}
	w.Family("evicted_keys_total", "Keys evicted, by db", Counter)
	for _, d := range s.DBs {
		w.Int("evicted_keys_total", d.Evicted, "db", dbLabel(d.Index))
	}

	// Memory by class. Dragonfly appends the replication classes later on
	// the page; they belong to this block.
	w.Family("memory_by_class_bytes", "Memory metrics", Gauge)
	for _, c := range s.MemoryByClass {
		w.Int("memory_by_class_bytes", c.Bytes, "class", c.Name)
	}
	w.gauge("interned_string_entries", "Number of unique interned strings", 0)
	w.counter("interned_string_hits_total", "Interned string pool hits", 0)
	w.counter("interned_string_misses_total", "Interned string pool misses", 0)
	w.gaugeF("interned_string_entries_dedup_factor", "Deduplication achieved by interned strings", 0)

	if len(s.Commands) > 0 {
		w.Family("commands_total", "Total number of commands executed", Counter)
		for _, c := range s.Commands {
			w.Int("commands_total", c.Calls, "cmd", c.Name)
		}
		w.Family("commands_duration_seconds", "Duration of commands in seconds", Untyped)
		for _, c := range s.Commands {
			w.Float("commands_duration_seconds", c.Seconds, "cmd", c.Name)
		}
	}

	// Replication (master side; Damselfly has no replicas). The two byte
	// gauges are Dragonfly's legacy format, which its dashboard queries.
	w.gauge("replication_streaming_bytes", "Stable sync replication memory usage", 0)
	w.gauge("replication_full_sync_bytes", "Full sync memory usage", 0)
	w.counter("replication_psync_count", "Psync count", 0)
	w.Family("connected_replica_lag_records", "Lag in records of a connected replica.", Gauge)

	w.counter("fiber_switch_total", "Fiber switches (Damselfly uses goroutines: always 0)", 0)
	w.counterF("fiber_switch_delay_seconds_total", "Time fibers waited to run after being woken", 0)
	w.counter("fiber_longrun_total", "Fibers that ran too long without yielding", 0)
	w.counterF("fiber_longrun_seconds", "Time spent by long-running fibers", 0)
	w.gauge("tx_queue_len", "Transactions queued on a shard", 0)

	// Keyspace by db.
	w.Family("db_keys", "Total number of keys by DB", Gauge)
	for _, d := range s.DBs {
		w.Int("db_keys", d.Keys, "db", dbLabel(d.Index))
	}
	w.Family("db_keys_expiring", "Total number of expiring keys by DB", Gauge)
	for _, d := range s.DBs {
		w.Int("db_keys_expiring", d.Expiring, "db", dbLabel(d.Index))
	}
	// Older Dragonfly releases labelled the table "prime"; its dashboard
	// still selects type="prime", and the extra label matches both.
	w.Family("db_capacity", "Table capacity by DB", Gauge)
	for _, d := range s.DBs {
		w.Int("db_capacity", d.Capacity, "db", dbLabel(d.Index), "type", "prime")
	}

	w.counter("defrag_invocations", "Defrag invocations", 0)
	w.counter("defrag_attempts", "Objects examined", 0)
	w.counter("defrag_objects_moved", "Objects moved", 0)
	w.Family("defrag_skipped_total", "Defrag tasks skipped", Counter)
	for _, r := range []string{"mem_under_threshold", "within_check_interval", "not_enough_fragmentation"} {
		w.Int("defrag_skipped_total", 0, "reason", r)
	}
	w.counter("huffman_tables_built", "Huffman tables built", 0)
	w.labelled("list_reads", "List Reads Patterns", Untyped, "type", "total", "interior")
	w.labelled("list_compression_attempts", "List compression attempts", Untyped, "type", "total", "fail")
	w.labelled("list_compressed_bytes", "List compressed bytes", Gauge, "type", "compressed", "raw")

	// Tiered storage: Damselfly keeps everything in memory.
	w.gauge("tiered_entries", "Tiered entries", 0)
	w.labelled("tiered_bytes", "Tiered bytes", Gauge, "type", "used", "cold", "allocated", "capacity")
	w.labelled("tiered_events", "Tiered events", Untyped, "type", "stash", "fetch", "upload", "cancel", "delete")
	w.labelled("tiered_hits", "Tiered hits", Untyped, "type", "ram", "cool", "disk")
	w.labelled("tiered_overload", "Potential problems due to overloading", Untyped, "type", "client throttling", "stash overflows")
	w.labelled("tiered_list_events", "Tiered List Events", Untyped, "type", "offload", "onload")
	return w.b
}

// counter writes a one-sample counter family. Dragonfly counters whose
// names lack the _total suffix are declared untyped (see the package doc).
func (w *Writer) counter(name, help string, v int64) {
	w.Family(name, help, counterType(name))
	w.Int(name, v)
}

func (w *Writer) counterF(name, help string, v float64) {
	w.Family(name, help, counterType(name))
	w.Float(name, v)
}

func counterType(name string) Type {
	if strings.HasSuffix(name, "_total") {
		return Counter
	}
	return Untyped
}

func (w *Writer) gauge(name, help string, v int64) {
	w.Family(name, help, Gauge)
	w.Int(name, v)
}

func (w *Writer) gaugeF(name, help string, v float64) {
	w.Family(name, help, Gauge)
	w.Float(name, v)
}

// labelled writes a family of zero samples, one per value of label.
func (w *Writer) labelled(name, help string, t Type, label string, values ...string) {
	w.Family(name, help, t)
	for _, v := range values {
		w.Int(name, 0, label, v)
	}
}

func dbLabel(i int) string { return "db" + strconv.Itoa(i) }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func hasPositive(m map[string]int64) bool {
	for _, v := range m {
		if v > 0 {
			return true
		}
	}
	return false
}
