package config

// (Not registry_dragonfly.go: a _dragonfly suffix builds for DragonFly BSD only.)

import (
	"fmt"
	"math"
)

// dragonflyCompatSettings are Dragonfly's documented flags that Damselfly
// has no machinery for (tiering, replication, cluster, io_uring, fiber
// scheduling, S3 and GCS snapshots, search, allocator tuning...). A
// command line or flagfile written for Dragonfly, or Dragonfly's own test
// harness (which passes --noversion_check, --vmodule, --jsonpathv2,
// --fiber_safety_margin...), must start Damselfly rather than stop at the
// first unknown name: each flag is accepted with Dragonfly's default,
// logged at start as having no effect when set, and answered by CONFIG GET
// of its exact name. A glob (CONFIG GET *) leaves them out, so the answer
// stays Redis's parameters and Damselfly's own: Redis's suite sets back
// every parameter CONFIG GET * lists and expects each to be settable.
//
// A few promise something a user would rely on and not notice missing: a
// listener (memcached_port), cluster mode, tiered storage, renamed or
// admin-only commands (a security measure), dropping privileges. For those
// only the default is accepted; anything else stops start-up with the
// reason, as --appendonly yes does.
func (c *Config) dragonflyCompatSettings() []*setting {
	out := make([]*setting, 0, len(dragonflyCompat))
	for _, p := range dragonflyCompat {
		sp := spec{name: p.name, status: compat, hidden: true, help: "Dragonfly compatibility (" + p.area() + "); no effect here."}
		var check func(string) error
		if p.refuse != "" {
			sp.help = "Dragonfly compatibility; only " + quoteDefault(p.def) + " is accepted: " + p.refuse + "."
			def, why := p.def, p.refuse
			check = func(s string) error {
				if s != def {
					return fmt.Errorf("%s; only %s is accepted", why, quoteDefault(def))
				}
				return nil
			}
		}
		switch p.kind {
		case dfBool:
			out = append(out, newSetting(sp, boolCodec("true", "false"), p.def == "true", boolHolder(new(Bool))))
		case dfInt:
			cd := intCodec(math.MinInt64, math.MaxInt64)
			if check != nil {
				parse := cd.parse
				cd.parse = func(s string) (int64, error) {
					n, err := parse(s)
					if err == nil {
						err = check(fmt.Sprint(n))
					}
					return n, err
				}
			}
			out = append(out, newSetting(sp, cd, mustInt(p.def), intHolder(new(Int))))
		default:
			out = append(out, newSetting(sp, stringCodec(check), p.def, stringHolder(new(String))))
		}
	}
	return out
}

func quoteDefault(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

type dfKind uint8

const (
	dfString dfKind = iota
	dfBool
	dfInt
)

type dragonflyParam struct {
	name string
	def  string
	kind dfKind
	// refuse, when set, is why only the default is accepted.
	refuse string
}

// area names the Dragonfly feature a flag belongs to, for --help.
func (p dragonflyParam) area() string {
	for _, f := range []struct{ prefix, what string }{
		{"tiered", "tiered storage"}, {"list_tiering", "tiered storage"}, {"backing_file", "tiered storage"},
		{"s3_", "S3 snapshots"}, {"gcs_", "GCS snapshots"},
		{"replica", "replication"}, {"replication", "replication"}, {"master_", "replication"}, {"break_replication", "replication"},
		{"experimental_replicaof", "replication"}, {"journal", "replication"}, {"shard_repl", "replication"}, {"announce", "replication"},
		{"cluster", "cluster"}, {"migration", "cluster"}, {"slot_migration", "cluster"}, {"experimental_cluster", "cluster"}, {"availability_zone", "cluster"},
		{"lua", "Lua"}, {"interpreter", "Lua"}, {"default_lua", "Lua"}, {"multi_eval", "Lua"},
		{"tls_", "TLS"}, {"mem_defrag", "defragmentation"}, {"disable_json_defrag", "defragmentation"},
		{"uring", "io_uring"}, {"epoll", "io_uring"}, {"force_epoll", "io_uring"}, {"registered_buffer", "io_uring"},
		{"fiber", "fibers"}, {"scheduler", "fibers"}, {"background_", "fibers"}, {"proactor", "threads"}, {"conn_", "threads"}, {"shard_thread", "threads"},
		{"log", "logging"}, {"stderr", "logging"}, {"max_log", "logging"}, {"omit_basic", "logging"}, {"vmodule", "logging"},
		{"search", "search"}, {"subset_knn", "search"}, {"serialize_hnsw", "search"}, {"deserialize_hnsw", "search"}, {"use_numeric", "search"},
		{"json", "JSON"}, {"experimental_flat_json", "JSON"},
		{"pipeline", "pipelining"}, {"squash", "pipelining"}, {"max_squashed", "pipelining"}, {"max_busy", "pipelining"}, {"always_flush", "pipelining"}, {"async_dispatch", "pipelining"},
		{"serialization", "snapshots"}, {"rdb_", "snapshots"}, {"df_snapshot", "snapshots"}, {"compression", "snapshots"},
		{"enable_heartbeat", "eviction"}, {"max_eviction", "eviction"}, {"max_segment", "eviction"}, {"eviction", "eviction"},
	} {
		if len(p.name) >= len(f.prefix) && p.name[:len(f.prefix)] == f.prefix {
			return f.what
		}
	}
	return "process and tuning"
}

// dragonflyCompat: Dragonfly's flags (its documentation's list) that
// Damselfly does not otherwise define, with Dragonfly's defaults.
var dragonflyCompat = []dragonflyParam{
	{name: "cluster_mode", def: "", kind: dfString, refuse: "cluster mode is not supported: Damselfly runs one node"},
	{name: "max_client_iobuf_len", def: "64.0KiB", kind: dfString},
	{name: "max_multi_bulk_len", def: "65536", kind: dfInt},
	{name: "migrate_connections", def: "true", kind: dfBool},
	{name: "publish_buffer_limit", def: "128.00MiB", kind: dfString},
	{name: "primary_port_http_enabled", def: "true", kind: dfBool},
	{name: "request_cache_limit", def: "64.00MiB", kind: dfString},
	{name: "tcp_nodelay", def: "true", kind: dfBool},
	{name: "conn_io_thread_start", def: "0", kind: dfInt},
	{name: "conn_use_incoming_cpu", def: "false", kind: dfBool},
	{name: "container_iteration_yield_interval_usec", def: "0", kind: dfInt},
	{name: "rename_command", def: "", kind: dfString, refuse: "commands cannot be renamed; deny them with ACL rules (ACL SETUSER default -flushall) instead"},
	{name: "lock_on_hashtags", def: "false", kind: dfBool},
	{name: "enable_heartbeat_eviction", def: "true", kind: dfBool},
	{name: "max_eviction_per_heartbeat", def: "100", kind: dfInt},
	{name: "max_segment_to_consider", def: "4", kind: dfInt},
	{name: "force_epoll", def: "false", kind: dfBool},
	{name: "version_check", def: "true", kind: dfBool},
	{name: "mem_defrag_page_utilization_threshold", def: "0.8", kind: dfString},
	{name: "mem_defrag_threshold", def: "0.7", kind: dfString},
	{name: "mem_defrag_waste_threshold", def: "0.2", kind: dfString},
	{name: "shard_round_robin_prefix", def: "", kind: dfString},
	{name: "tiered_prefix", def: "", kind: dfString, refuse: "tiered storage (values offloaded to disk) is not supported"},
	{name: "tiered_offload_threshold", def: "0.5", kind: dfString},
	{name: "tiered_upload_threshold", def: "0.1", kind: dfString},
	{name: "tiered_min_value_size", def: "64", kind: dfInt},
	{name: "tiered_max_pending_stash_bytes", def: "256.0KiB", kind: dfString},
	{name: "backing_file_direct", def: "true", kind: dfBool},
	{name: "listpack_max_bytes", def: "1024", kind: dfInt},
	{name: "listpack_max_field_len", def: "64", kind: dfInt},
	{name: "memcached_port", def: "0", kind: dfInt, refuse: "the memcached protocol is not supported"},
	{name: "multi_eval_squash_buffer", def: "4096", kind: dfInt},
	{name: "multi_exec_squash", def: "true", kind: dfBool},
	{name: "num_shards", def: "0", kind: dfInt},
	{name: "compression_level", def: "2", kind: dfInt},
	{name: "compression_mode", def: "3", kind: dfString},
	{name: "master_connect_timeout_ms", def: "20000", kind: dfInt},
	{name: "master_reconnect_timeout_ms", def: "1000", kind: dfInt},
	{name: "replica_partial_sync", def: "true", kind: dfBool},
	{name: "replication_acks_interval", def: "1000", kind: dfInt},
	{name: "default_lua_flags", def: "", kind: dfString},
	{name: "lua_auto_async", def: "false", kind: dfBool},
	{name: "df_snapshot_format", def: "true", kind: dfBool},
	{name: "epoll_file_threads", def: "0", kind: dfInt},
	{name: "s3_ec2_metadata", def: "false", kind: dfBool},
	{name: "s3_endpoint", def: "", kind: dfString},
	{name: "s3_sign_payload", def: "true", kind: dfBool},
	{name: "s3_use_https", def: "true", kind: dfBool},
	{name: "s3_use_helio_client", def: "true", kind: dfBool},
	{name: "interpreter_per_thread", def: "10", kind: dfInt},
	{name: "serialization_max_chunk_size", def: "65536", kind: dfInt},
	{name: "serialization_tagged_chunks", def: "false", kind: dfBool},
	{name: "cluster_coordinator_connect_timeout_ms", def: "3000", kind: dfInt},
	{name: "cluster_coordinator_response_timeout_ms", def: "3000", kind: dfInt},
	{name: "shard_repl_backlog_len", def: "8192", kind: dfInt},
	{name: "proactor_affinity_mode", def: "on", kind: dfString},
	{name: "log_dir", def: "", kind: dfString},
	{name: "logbuflevel", def: "0", kind: dfInt},
	{name: "logbufsecs", def: "30", kind: dfInt},
	{name: "max_log_size", def: "200", kind: dfInt},
	{name: "stderrthreshold", def: "2", kind: dfInt},
	{name: "command_alias", def: "", kind: dfString, refuse: "command aliases are not supported"},
	{name: "allocation_tracker", def: "", kind: dfString},
	{name: "always_flush_pipeline", def: "false", kind: dfBool},
	{name: "announce_port", def: "0", kind: dfInt},
	{name: "async_dispatch_quota", def: "100", kind: dfInt},
	{name: "availability_zone", def: "", kind: dfString},
	{name: "background_debug_jobs", def: "false", kind: dfBool},
	{name: "background_heartbeat", def: "false", kind: dfBool},
	{name: "background_snapshotting", def: "false", kind: dfBool},
	{name: "break_replication_on_master_restart", def: "false", kind: dfBool},
	{name: "cluster_flush_decommit_memory", def: "false", kind: dfBool},
	{name: "cluster_node_id", def: "", kind: dfString},
	{name: "cluster_search", def: "false", kind: dfBool},
	{name: "deserialize_hnsw_index", def: "false", kind: dfBool},
	{name: "disable_json_defragmentation", def: "false", kind: dfBool},
	{name: "enable_heartbeat_rss_eviction", def: "true", kind: dfBool},
	{name: "enable_memcache_io_loop_v2", def: "true", kind: dfBool},
	{name: "enable_resp_io_loop_v2", def: "false", kind: dfBool},
	{name: "enable_tcp_defer_accept", def: "true", kind: dfBool},
	{name: "eviction_memory_budget_threshold", def: "0.1", kind: dfString},
	{name: "experimental_cluster_shard_by_slot", def: "false", kind: dfBool},
	{name: "experimental_flat_json", def: "false", kind: dfBool},
	{name: "experimental_replicaof_v2", def: "true", kind: dfBool},
	{name: "fiber_run_warning_threshold_ms", def: "0", kind: dfInt},
	{name: "fiber_safety_margin", def: "1024", kind: dfInt},
	{name: "gcs_auth_token", def: "", kind: dfString},
	{name: "gcs_dry_upload", def: "false", kind: dfBool},
	{name: "huffman_table", def: "", kind: dfString},
	{name: "info_replication_valkey_compatible", def: "true", kind: dfBool},
	{name: "journal_omit_redundant_writes", def: "true", kind: dfBool},
	{name: "jsonpathv2", def: "true", kind: dfBool},
	{name: "keep_legacy_memory_metrics", def: "true", kind: dfBool},
	{name: "list_experimental_zstd_dict_threshold", def: "0", kind: dfInt},
	{name: "list_tiering_threshold", def: "0", kind: dfInt},
	{name: "locktag_delimiter", def: "", kind: dfString},
	{name: "locktag_prefix", def: "", kind: dfString},
	{name: "locktag_skip_n_end_delimiters", def: "0", kind: dfInt},
	{name: "log_squash_info_threshold_usec", def: "2147483648", kind: dfInt},
	{name: "lua_allow_undeclared_auto_correct", def: "false", kind: dfBool},
	{name: "lua_enable_redis_log", def: "false", kind: dfBool},
	{name: "lua_float_as_int_shas", def: "", kind: dfString},
	{name: "lua_mem_gc_threshold", def: "10000000", kind: dfInt},
	{name: "lua_resp2_legacy_float", def: "false", kind: dfBool},
	{name: "lua_undeclared_keys_shas", def: "", kind: dfString},
	{name: "luagc", def: "", kind: dfString},
	{name: "managed_service_info", def: "false", kind: dfBool},
	{name: "max_bulk_len", def: "2147483648", kind: dfInt},
	{name: "max_busy_read_usec", def: "200", kind: dfInt},
	{name: "max_busy_squash_usec", def: "1000", kind: dfInt},
	{name: "max_squashed_cmd_num", def: "100", kind: dfInt},
	{name: "mem_defrag_check_sec_interval", def: "60", kind: dfInt},
	{name: "mget_dedup_keys", def: "false", kind: dfBool},
	{name: "migration_buckets_cpu_budget", def: "0.2", kind: dfString},
	{name: "migration_buckets_serialization_threshold", def: "10", kind: dfInt},
	{name: "migration_buckets_sleep_usec", def: "500", kind: dfInt},
	{name: "migration_finalization_timeout_ms", def: "30000", kind: dfInt},
	{name: "omit_basic_usage", def: "false", kind: dfBool},
	{name: "oom_deny_commands", def: "", kind: dfString},
	{name: "pause_wait_timeout", def: "1", kind: dfInt},
	{name: "pipeline_buffer_limit", def: "128.00MiB", kind: dfString},
	{name: "pipeline_queue_limit", def: "10000", kind: dfInt},
	{name: "pipeline_squash_limit", def: "1073741824", kind: dfInt},
	{name: "pipeline_wait_batch_usec", def: "0", kind: dfInt},
	{name: "rdb_ignore_expiry", def: "false", kind: dfBool},
	{name: "rdb_load_dry_run", def: "false", kind: dfBool},
	{name: "rdb_sbf_chunked", def: "true", kind: dfBool},
	{name: "registered_buffer_size", def: "524288", kind: dfInt},
	{name: "replica_delete_expired", def: "true", kind: dfBool},
	{name: "replicaof_no_one_start_journal", def: "true", kind: dfBool},
	{name: "replication_dispatch_threshold", def: "1500", kind: dfInt},
	{name: "replication_stream_output_limit", def: "1048576", kind: dfInt},
	{name: "replication_timeout", def: "30000", kind: dfInt},
	{name: "scheduler_background_budget", def: "50000", kind: dfInt},
	{name: "scheduler_background_sleep_prob", def: "50", kind: dfInt},
	{name: "scheduler_background_warrant", def: "5", kind: dfInt},
	{name: "search_query_string_bytes", def: "10240", kind: dfInt},
	{name: "search_reject_legacy_field", def: "true", kind: dfBool},
	{name: "send_timeout", def: "0", kind: dfInt},
	{name: "serialize_hnsw_index", def: "false", kind: dfBool},
	{name: "shard_thread_busy_polling_usec", def: "0", kind: dfInt},
	{name: "slot_migration_connection_timeout_ms", def: "2000", kind: dfInt},
	{name: "slot_migration_throttle_us", def: "0", kind: dfInt},
	{name: "squash_stats_latency_lower_limit", def: "0", kind: dfInt},
	{name: "squashed_reply_size_limit", def: "0", kind: dfInt},
	{name: "subset_knn_search_threshold", def: "8192", kind: dfInt},
	{name: "table_growth_margin", def: "0.4", kind: dfString},
	{name: "tcp_user_timeout", def: "0", kind: dfInt},
	{name: "tiered_experimental_cooling", def: "true", kind: dfBool},
	{name: "tiered_experimental_hash_support", def: "false", kind: dfBool},
	{name: "tiered_experimental_list_support", def: "false", kind: dfBool},
	{name: "tiered_max_file_size", def: "0B", kind: dfString},
	{name: "tls_cipher_suites", def: "", kind: dfString},
	{name: "tls_ciphers", def: "DEFAULT:!MEDIUM", kind: dfString},
	{name: "tls_prefer_server_ciphers", def: "false", kind: dfBool},
	{name: "tls_session_cache_size", def: "20480", kind: dfInt},
	{name: "tls_session_cache_timeout", def: "300", kind: dfInt},
	{name: "tls_session_caching", def: "false", kind: dfBool},
	{name: "tx_queue_warning_len", def: "96", kind: dfInt},
	{name: "unlink_experimental_async", def: "true", kind: dfBool},
	{name: "uring_direct_table_len", def: "0", kind: dfInt},
	{name: "uring_disable_iowait", def: "false", kind: dfBool},
	{name: "uring_recv_buffer_cnt", def: "0", kind: dfInt},
	{name: "use_numeric_range_tree", def: "true", kind: dfBool},
	{name: "use_oah_set", def: "false", kind: dfBool},
	{name: "user", def: "", kind: dfString, refuse: "dropping privileges after binding is not supported; start Damselfly as that user"},
	// Flags of Dragonfly's own test harness, not in its documentation's list.
	{name: "vmodule", def: "", kind: dfString},
	{name: "list_experimental_v2", def: "true", kind: dfBool},
	// And flags its tests pass that the reference leaves out.
	{name: "iobuf_min_shrink_interval_sec", def: "0", kind: dfInt},
	{name: "pubsub_slow_subscriber_timeout_ms", def: "0", kind: dfInt},
	{name: "enable_pipeline_squashing_v2", def: "false", kind: dfBool},
	{name: "get_zero_copy", def: "false", kind: dfBool},
	{name: "write_connection_throttling_sleep_usec", def: "0", kind: dfInt},
}
