package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// redisCompatSettings are the Redis 7.0 parameters that have no effect
// here (replication, cluster, AOF, defragmentation, process management…)
// but that tools, client libraries and test suites read or set: CONFIG GET
// answers them with redis-server 7.0.15's defaults and CONFIG SET accepts
// valid values (immutable ones are refused as Redis refuses them), so a
// script written for Redis doesn't stop at the first unknown name.
func (c *Config) redisCompatSettings() []*setting {
	out := make([]*setting, 0, len(redisCompat))
	for _, p := range redisCompat {
		sp := spec{name: p.name, aliases: p.aliases, mutable: p.mutable, status: compat, hidden: p.hidden,
			help: "Redis compatibility (" + p.what() + "); no effect here."}
		if p.use != "" {
			sp.status, sp.help = live, p.use
		}
		switch p.kind {
		case kBool:
			h := new(Bool)
			out = append(out, newSetting(sp, boolCodec("yes", "no"), p.def == "yes", boolHolder(h)))
		case kInt:
			h := new(Int)
			out = append(out, newSetting(sp, intCodec(math.MinInt64, math.MaxInt64), mustInt(p.def), intHolder(h)))
		case kMemory:
			h := new(Memory)
			out = append(out, newSetting(sp, memoryCodec(0, math.MaxInt64), mustInt(p.def), memoryHolder(h)))
		case kEnum:
			h := new(String)
			out = append(out, newSetting(sp, enumCodec(p.values...), p.def, stringHolder(h)))
		case kMemoryOrPercent:
			h := new(String)
			out = append(out, newSetting(sp, memoryOrPercentCodec(), p.def, stringHolder(h)))
		default:
			h := new(String)
			out = append(out, newSetting(sp, stringCodec(p.check), p.def, stringHolder(h)))
		}
	}
	return out
}

type compatKind uint8

const (
	kString compatKind = iota
	kBool
	kInt
	kMemory
	kEnum
	kMemoryOrPercent // "10%" of maxmemory, or a memory size
)

type compatParam struct {
	name    string
	def     string
	kind    compatKind
	mutable bool
	aliases []string
	values  []string
	// hidden: CONFIG GET answers it by exact name only (Redis's hidden
	// test configs).
	hidden bool
	// use, when set, is what the parameter does here: it is read by name
	// (Config.Get) where it takes effect, so it is not a no-op.
	use string
	// check validates a kString value, with Redis's reason.
	check func(string) error
}

// what names the Redis feature a parameter belongs to, for --help.
func (p compatParam) what() string {
	for _, f := range []struct{ prefix, what string }{
		{"active-defrag", "active defragmentation"}, {"activedefrag", "active defragmentation"},
		{"aof", "append-only file"}, {"append", "append-only file"}, {"auto-aof", "append-only file"}, {"no-appendfsync", "append-only file"},
		{"cluster", "cluster"}, {"repl", "replication"}, {"replica", "replication"}, {"min-replicas", "replication"}, {"masterauth", "replication"}, {"masteruser", "replication"},
		{"lazyfree", "lazy freeing"}, {"rdb", "RDB files"}, {"sanitize", "RESTORE payload checks"}, {"syslog", "syslog"},
	} {
		if len(p.name) >= len(f.prefix) && p.name[:len(f.prefix)] == f.prefix {
			return f.what
		}
	}
	return "process and tuning"
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic("config: bad default " + s)
	}
	return n
}

// redisCompat: names and defaults as redis-server 7.0.15's CONFIG GET *.
var redisCompat = []compatParam{
	{name: "active-defrag-cycle-max", def: "25", kind: kInt, mutable: true},
	{name: "active-defrag-cycle-min", def: "1", kind: kInt, mutable: true},
	{name: "active-defrag-ignore-bytes", def: "104857600", kind: kMemory, mutable: true},
	{name: "active-defrag-max-scan-fields", def: "1000", kind: kInt, mutable: true},
	{name: "active-defrag-threshold-lower", def: "10", kind: kInt, mutable: true},
	{name: "active-defrag-threshold-upper", def: "100", kind: kInt, mutable: true},
	{name: "active-expire-effort", def: "1", kind: kInt, mutable: true},
	{name: "key-load-delay", def: "0", kind: kInt, mutable: true, hidden: true},
	{name: "rdb-key-save-delay", def: "0", kind: kInt, mutable: true, hidden: true},
	{name: "loading-process-events-interval-bytes", def: "2097152", kind: kInt, mutable: true, hidden: true},
	{name: "maxmemory-clients", def: "0", kind: kMemoryOrPercent, mutable: true},
	{name: "activedefrag", def: "no", kind: kBool, mutable: true},
	{name: "activerehashing", def: "yes", kind: kBool, mutable: true},
	{name: "always-show-logo", def: "no", kind: kBool, mutable: false},
	{name: "aof-disable-auto-gc", def: "no", kind: kBool, mutable: true},
	{name: "aof-load-truncated", def: "yes", kind: kBool, mutable: true},
	{name: "aof-rewrite-incremental-fsync", def: "yes", kind: kBool, mutable: true},
	{name: "aof-timestamp-enabled", def: "no", kind: kBool, mutable: true},
	{name: "aof-use-rdb-preamble", def: "yes", kind: kBool, mutable: true},
	{name: "aof_rewrite_cpulist", def: "", kind: kString, mutable: false},
	{name: "appenddirname", def: "appendonlydir", kind: kString, mutable: false},
	{name: "appendfilename", def: "appendonly.aof", kind: kString, mutable: true},
	{name: "appendfsync", def: "everysec", kind: kEnum, mutable: true, values: []string{"always", "everysec", "no"}},
	{name: "auto-aof-rewrite-min-size", def: "67108864", kind: kMemory, mutable: true},
	{name: "auto-aof-rewrite-percentage", def: "100", kind: kInt, mutable: true},
	{name: "bgsave_cpulist", def: "", kind: kString, mutable: false},
	{name: "bind-source-addr", def: "", kind: kString, mutable: true},
	{name: "bio_cpulist", def: "", kind: kString, mutable: false},
	{name: "cluster-allow-pubsubshard-when-down", def: "yes", kind: kBool, mutable: true},
	{name: "cluster-allow-reads-when-down", def: "no", kind: kBool, mutable: true},
	{name: "cluster-allow-replica-migration", def: "yes", kind: kBool, mutable: true},
	{name: "cluster-announce-bus-port", def: "0", kind: kInt, mutable: true},
	{name: "cluster-announce-hostname", def: "", kind: kString, mutable: true},
	{name: "cluster-announce-ip", def: "", kind: kString, mutable: true},
	{name: "cluster-announce-port", def: "0", kind: kInt, mutable: true},
	{name: "cluster-announce-tls-port", def: "0", kind: kInt, mutable: true},
	{name: "cluster-config-file", def: "nodes.conf", kind: kString, mutable: false},
	{name: "cluster-enabled", def: "no", kind: kBool, mutable: false},
	{name: "cluster-link-sendbuf-limit", def: "0", kind: kMemory, mutable: true},
	{name: "cluster-migration-barrier", def: "1", kind: kInt, mutable: true},
	{name: "cluster-node-timeout", def: "15000", kind: kInt, mutable: true},
	{name: "cluster-port", def: "0", kind: kInt, mutable: false},
	{name: "cluster-preferred-endpoint-type", def: "ip", kind: kEnum, mutable: true, values: []string{"ip", "hostname", "unknown-endpoint"}},
	{name: "cluster-replica-no-failover", def: "no", kind: kBool, mutable: true, aliases: []string{"cluster-slave-no-failover"}},
	{name: "cluster-replica-validity-factor", def: "10", kind: kInt, mutable: true, aliases: []string{"cluster-slave-validity-factor"}},
	{name: "cluster-require-full-coverage", def: "yes", kind: kBool, mutable: true},
	{name: "crash-log-enabled", def: "yes", kind: kBool, mutable: true},
	{name: "crash-memcheck-enabled", def: "yes", kind: kBool, mutable: true},
	{name: "daemonize", def: "no", kind: kBool, mutable: false, use: "Run in the background (a new session, standard streams on /dev/null; the log goes to logfile if set)."},
	{name: "disable-thp", def: "yes", kind: kBool, mutable: false},
	{name: "dynamic-hz", def: "yes", kind: kBool, mutable: true},
	{name: "ignore-warnings", def: "", kind: kString, mutable: true},
	{name: "io-threads-do-reads", def: "no", kind: kBool, mutable: false},
	{name: "jemalloc-bg-thread", def: "yes", kind: kBool, mutable: true},
	{name: "latency-tracking", def: "yes", kind: kBool, mutable: true, use: "Record each call's latency in its command's histogram (INFO latencystats, LATENCY HISTOGRAM); Dragonfly's latency_tracking is the same switch."},
	{name: "latency-tracking-info-percentiles", def: "50 99 99.9", kind: kString, mutable: true, use: "The percentiles INFO latencystats prints, separated by spaces.", check: checkPercentiles},
	{name: "lazyfree-lazy-eviction", def: "no", kind: kBool, mutable: true},
	{name: "lazyfree-lazy-expire", def: "no", kind: kBool, mutable: true},
	{name: "lazyfree-lazy-server-del", def: "no", kind: kBool, mutable: true},
	{name: "lazyfree-lazy-user-del", def: "no", kind: kBool, mutable: true},
	{name: "lazyfree-lazy-user-flush", def: "no", kind: kBool, mutable: true, use: "FLUSHALL/FLUSHDB without an option flush asynchronously (counted in lazyfreed_objects)."},
	{name: "list-compress-depth", def: "0", kind: kInt, mutable: true},
	{name: "logfile", def: "", kind: kString, mutable: false, use: "File the log is appended to; empty: standard error."},
	{name: "masterauth", def: "", kind: kString, mutable: true},
	{name: "masteruser", def: "", kind: kString, mutable: true},
	{name: "min-replicas-max-lag", def: "10", kind: kInt, mutable: true, aliases: []string{"min-slaves-max-lag"}},
	{name: "min-replicas-to-write", def: "0", kind: kInt, mutable: true, aliases: []string{"min-slaves-to-write"}},
	{name: "no-appendfsync-on-rewrite", def: "no", kind: kBool, mutable: true},
	{name: "oom-score-adj", def: "no", kind: kEnum, mutable: true, values: []string{"no", "yes", "relative", "absolute"}},
	{name: "oom-score-adj-values", def: "0 200 800", kind: kString, mutable: true},
	{name: "pidfile", def: "", kind: kString, mutable: false, use: "File the server writes its process id to at start and removes at exit; empty: none."},
	{name: "proc-title-template", def: "{title} {listen-addr} {server-mode}", kind: kString, mutable: true},
	{name: "propagation-error-behavior", def: "ignore", kind: kEnum, mutable: true, values: []string{"ignore", "panic", "panic-on-replicas"}},
	{name: "rdb-del-sync-files", def: "no", kind: kBool, mutable: true},
	{name: "rdb-save-incremental-fsync", def: "yes", kind: kBool, mutable: true},
	{name: "rdbchecksum", def: "yes", kind: kBool, mutable: true},
	{name: "rdbcompression", def: "yes", kind: kBool, mutable: true},
	{name: "repl-backlog-size", def: "1048576", kind: kMemory, mutable: true},
	{name: "repl-backlog-ttl", def: "3600", kind: kInt, mutable: true},
	{name: "repl-disable-tcp-nodelay", def: "no", kind: kBool, mutable: true},
	{name: "repl-diskless-load", def: "disabled", kind: kEnum, mutable: true, values: []string{"disabled", "on-empty-db", "swapdb"}},
	{name: "repl-diskless-sync", def: "yes", kind: kBool, mutable: true},
	{name: "repl-diskless-sync-delay", def: "5", kind: kInt, mutable: true},
	{name: "repl-diskless-sync-max-replicas", def: "0", kind: kInt, mutable: true},
	{name: "repl-ping-replica-period", def: "10", kind: kInt, mutable: true, aliases: []string{"repl-ping-slave-period"}},
	{name: "repl-timeout", def: "60", kind: kInt, mutable: true},
	{name: "replica-announce-ip", def: "", kind: kString, mutable: true, aliases: []string{"slave-announce-ip"}},
	{name: "replica-announce-port", def: "0", kind: kInt, mutable: true, aliases: []string{"slave-announce-port"}},
	{name: "replica-announced", def: "yes", kind: kBool, mutable: true},
	{name: "replica-ignore-disk-write-errors", def: "no", kind: kBool, mutable: true},
	{name: "replica-ignore-maxmemory", def: "yes", kind: kBool, mutable: true, aliases: []string{"slave-ignore-maxmemory"}},
	{name: "replica-lazy-flush", def: "no", kind: kBool, mutable: true, aliases: []string{"slave-lazy-flush"}},
	{name: "replica-priority", def: "100", kind: kInt, mutable: true, aliases: []string{"slave-priority"}},
	{name: "replica-read-only", def: "yes", kind: kBool, mutable: true, aliases: []string{"slave-read-only"}},
	{name: "replica-serve-stale-data", def: "yes", kind: kBool, mutable: true, aliases: []string{"slave-serve-stale-data"}},
	{name: "replicaof", def: "", kind: kString, mutable: true, aliases: []string{"slaveof"}},
	{name: "sanitize-dump-payload", def: "yes", kind: kBool, mutable: true},
	{name: "server_cpulist", def: "", kind: kString, mutable: false},
	{name: "set-proc-title", def: "yes", kind: kBool, mutable: false},
	{name: "stop-writes-on-bgsave-error", def: "yes", kind: kBool, mutable: true},
	{name: "socket-mark-id", def: "0", kind: kInt, mutable: true},
	{name: "supervised", def: "no", kind: kEnum, mutable: false, values: []string{"upstart", "systemd", "auto", "no"}},
	{name: "syslog-enabled", def: "no", kind: kBool, mutable: false},
	{name: "syslog-facility", def: "local0", kind: kEnum, mutable: false, values: []string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}},
	{name: "syslog-ident", def: "redis", kind: kString, mutable: false},
	{name: "tracking-table-max-keys", def: "1000000", kind: kInt, mutable: true, use: "Most keys the client-side caching table remembers (0: no limit); past it keys are forgotten with an invalidation."},
	{name: "unixsocket", def: "", kind: kString, mutable: false},
	{name: "unixsocketperm", def: "0", kind: kString, mutable: false},
}

// memoryOrPercentCodec is Redis's maxmemory-clients value: a percentage
// of maxmemory ("10%", shown as given) or a memory size (shown in bytes).
func memoryOrPercentCodec() codec[string] {
	return codec[string]{
		typ: "memory or percent",
		parse: func(s string) (string, error) {
			if rest, ok := strings.CutSuffix(s, "%"); ok {
				n, err := strconv.ParseInt(rest, 10, 64)
				switch {
				case err != nil || n < 0:
					return "", errors.New("argument must be a memory or percent value")
				case n > 100:
					return "", errors.New("percentage argument must be less or equal to 100")
				}
				return strconv.FormatInt(n, 10) + "%", nil
			}
			n, err := ParseMemory(s)
			if err != nil || n < 0 {
				return "", errors.New("argument must be a memory or percent value")
			}
			return strconv.FormatInt(n, 10), nil
		},
		format: func(v string) string { return v },
	}
}

// checkPercentiles is Redis's check of latency-tracking-info-percentiles.
func checkPercentiles(s string) error {
	for _, f := range strings.Fields(s) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return errors.New("Invalid latency-tracking-info-percentiles parameters")
		}
		if x < 0 || x > 100 {
			return errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
	}
	return nil
}
