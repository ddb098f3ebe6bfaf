package command

import (
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/shard"
)

// registerServer adds the server family: INFO, CONFIG, COMMAND, TIME,
// LASTSAVE, SHUTDOWN, MONITOR, SLOWLOG, LATENCY, DEBUG, MEMORY (except
// USAGE, which belongs to the keys family), DBSIZE, FLUSHDB, FLUSHALL and
// SWAPDB. Summaries follow Redis 7.2+; arguments, key specs and tips come
// from the recorded Redis metadata (internal/cmddocs).
func registerServer(t *Table) {
	srv := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string, cats ...string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, Handler: h, Group: "server", Since: since, Summary: summary, Categories: cats}
	}
	const adm = Admin | NoScript | Loading | Stale
	help := func(since, summary string, h func(*Ctx)) *Spec {
		return srv("help", 2, Loading|Stale, h, since, summary)
	}
	t.add(
		srv("info", -1, Loading|Stale|NoLock, cmdInfo, "1.0.0", "Returns information and statistics about the server.", "dangerous"),
		srv("time", 1, Loading|Stale|Fast|NoLock, cmdTime, "2.6.0", "Returns the server time."),
		srv("lolwut", -1, ReadOnly|Fast|NoLock, cmdLolwut, "5.0.0", "Displays computer art and the Redis version", "read", "fast"),
		srv("lastsave", 1, Loading|Stale|Fast|NoLock, func(c *Ctx) { c.W.Int(c.Env.lastSave()) }, "1.0.0", "Returns the Unix timestamp of the last successful save to disk.", "admin", "dangerous"),
		srv("shutdown", -1, adm|NoMulti|AllowBusy|NoLock, cmdShutdown, "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server."),
		srv("monitor", 1, adm|NoLock, cmdMonitor, "1.0.0", "Listens for all requests received by the server in real-time."),
		srv("debug", -2, adm|NoLock, cmdDebug, "1.0.0", "A container for debugging commands."),
		srv("dfly", -2, adm|NoLock, cmdDfly, "1.0.0", "Dragonfly's node commands: THREAD, LOAD, EXPIRE, REPLICAOFFSET."),
		srv("dbsize", 1, ReadOnly|Fast|NoLock, cmdDBSize, "1.0.0", "Returns the number of keys in the database.", "keyspace"),
		srv("flushdb", -1, Write|AllShards, cmdFlushDB, "1.0.0", "Removes all keys from the current database.", "keyspace", "dangerous"),
		srv("flushall", -1, Write|AllShards, cmdFlushAll, "1.0.0", "Removes all keys from all databases.", "keyspace", "dangerous"),
		srv("swapdb", 3, Write|Fast|AllShards, cmdSwapDB, "4.0.0", "Swaps two Redis databases.", "keyspace", "dangerous"),
		&Spec{
			Name: "config", Arity: -2, Flags: NoLock, Group: "server", Since: "2.0.0", Summary: "A container for server configuration commands.",
			Subcommands: []*Spec{
				srv("get", -3, adm, cmdConfigGet, "2.0.0", "Returns the effective values of configuration parameters."),
				srv("set", -4, adm, cmdConfigSet, "2.0.0", "Sets configuration parameters in-flight."),
				srv("resetstat", 2, adm, cmdConfigResetStat, "2.0.0", "Resets the server's statistics."),
				srv("rewrite", 2, adm, cmdConfigRewrite, "2.8.0", "Persists the effective configuration to file."),
				help("5.0.0", "Returns helpful text about the different subcommands.", configHelp),
			},
			Handler: runSub,
		},
		&Spec{
			Name: "slowlog", Arity: -2, Flags: NoLock, Group: "server", Since: "2.2.12", Summary: "A container for slow log commands.",
			Subcommands: []*Spec{
				srv("get", -2, Admin|Loading|Stale, cmdSlowlogGet, "2.2.12", "Returns the slow log's entries."),
				srv("len", 2, Admin|Loading|Stale, func(c *Ctx) { c.W.Int(int64(c.Env.Slowlog.Len())) }, "2.2.12", "Returns the number of entries in the slow log."),
				srv("reset", 2, Admin|Loading|Stale, func(c *Ctx) { c.Env.Slowlog.Reset(); c.W.OK() }, "2.2.12", "Clears all entries from the slow log."),
				help("6.2.0", "Show helpful text about the different subcommands", slowlogHelp),
			},
			Handler: runSub,
		},
		&Spec{
			Name: "latency", Arity: -2, Flags: NoLock, Group: "server", Since: "2.8.13", Summary: "A container for latency diagnostics commands.",
			Subcommands: []*Spec{
				srv("doctor", 2, adm, cmdLatencyDoctor, "2.8.13", "Returns a human-readable latency analysis report."),
				srv("graph", 3, adm, cmdLatencyGraph, "2.8.13", "Returns a latency graph for an event."),
				srv("histogram", -2, adm, cmdLatencyHistogram, "7.0.0", "Returns the cumulative distribution of latencies of a subset or all commands."),
				srv("history", 3, adm, cmdLatencyHistory, "2.8.13", "Returns timestamp-latency samples for an event."),
				srv("latest", 2, adm, cmdLatencyLatest, "2.8.13", "Returns the latest latency samples for all events."),
				srv("reset", -2, adm, cmdLatencyReset, "2.8.13", "Resets the latency data for one or more events."),
				help("2.8.13", "Returns helpful text about the different subcommands.", latencyHelp),
			},
			Handler: runSub,
		},
	)
	registerCommandCmd(t, srv)
	registerMemory(t, srv)
}

// mergeContainer adds a container command, or, when another family has
// already registered one of that name (MEMORY: USAGE is the keys family's),
// adds the subcommands it lacks.
func mergeContainer(t *Table, s *Spec) {
	old, ok := t.byName[strings.ToLower(s.Name)]
	if !ok {
		t.add(s)
		return
	}
	for _, sub := range s.Subcommands {
		if old.Sub([]byte(sub.Name)) == nil {
			old.Subcommands = append(old.Subcommands, sub)
		}
	}
	if old.Handler == nil {
		old.Handler = s.Handler
	}
}

// writeHelp writes a HELP reply: the header line, then the given lines.
func writeHelp(c *Ctx, name string, lines ...string) {
	c.W.Array(len(lines) + 1)
	c.W.Simple(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.W.Simple(l)
	}
}

func cmdTime(c *Ctx) {
	now := time.Now()
	c.W.Array(2)
	c.W.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.W.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func cmdShutdown(c *Ctx) {
	var nosave, save, now, force, abort bool
	for _, a := range c.Args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save":
			save = true
		case "now":
			now = true
		case "force":
			force = true
		case "abort":
			abort = true
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	if (abort && (nosave || save || now || force)) || (nosave && save) {
		c.Err(ErrSyntax)
		return
	}
	if abort {
		// Shutdowns here are immediate: there is never one to abort.
		c.Err("ERR No shutdown in progress.")
		return
	}
	if c.Env.Shutdown == nil {
		c.Err("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	if err := c.Env.Shutdown(!nosave); err != nil {
		if !force {
			c.Env.Log.Warn("SHUTDOWN failed", "err", err)
			c.Err("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
	}
	// The reply is the closed connection, as with Redis.
	c.Client.RequestClose()
}

func cmdMonitor(c *Ctx) {
	// Inside MULTI/EXEC (c.noBlock: queued, then run by EXEC) Redis
	// refuses it before anything else; a second MONITOR inside one EXEC
	// got no reply at all, leaving EXEC's array a reply short.
	if c.Client.HasFlag(ClientMulti) || c.noBlock {
		c.Err("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.Client.HasFlag(ClientMonitor) {
		return // Redis ignores MONITOR from a monitor, without a reply
	}
	c.Client.SetFlag(ClientMonitor, true)
	c.W.OK()
}

func cmdDBSize(c *Ctx) {
	var n int64
	c.EachShard(func(sh *shard.Shard) { n += int64(sh.DB(c.Client.DB).Len()) })
	c.W.Int(n)
}

// flushMode checks FLUSHDB/FLUSHALL's optional ASYNC|SYNC. Both free the
// memory the same way here: the tables are dropped for the GC.
func flushMode(c *Ctx) bool {
	if len(c.Args) > 2 {
		c.Err(ErrSyntax)
		return false
	}
	if len(c.Args) == 2 && !strings.EqualFold(string(c.Args[1]), "async") && !strings.EqualFold(string(c.Args[1]), "sync") {
		c.Err(ErrSyntax)
		return false
	}
	return true
}

// cmdFlushDB runs with every shard locked (AllShards).
func cmdFlushDB(c *Ctx) {
	if !flushMode(c) {
		return
	}
	st := c.Env.Store
	async := c.Env.flushAsync(c)
	defer returnFlushedMemory(st.DatasetBytes())
	for i := 0; i < st.N(); i++ {
		db := st.Shard(i).DB(c.Client.DB)
		if async {
			c.Env.Stats.LazyfreedObjects.Add(int64(db.Len()))
		}
		db.Clear()
	}
	c.W.OK()
}

func cmdFlushAll(c *Ctx) {
	if !flushMode(c) {
		return
	}
	st := c.Env.Store
	async := c.Env.flushAsync(c)
	defer returnFlushedMemory(st.DatasetBytes())
	for i := 0; i < st.N(); i++ {
		sh := st.Shard(i)
		for d := 0; d < sh.NumDBs(); d++ {
			if async {
				c.Env.Stats.LazyfreedObjects.Add(int64(sh.DB(d).Len()))
			}
			sh.DB(d).Clear()
		}
	}
	c.W.OK()
}

func cmdSwapDB(c *Ctx) {
	a, errA := strconv.ParseInt(string(c.Args[1]), 10, 64)
	if errA != nil {
		c.Err("ERR invalid first DB index")
		return
	}
	b, errB := strconv.ParseInt(string(c.Args[2]), 10, 64)
	if errB != nil {
		c.Err("ERR invalid second DB index")
		return
	}
	n := int64(c.Env.Config.Databases)
	if a < 0 || a >= n || b < 0 || b >= n {
		c.Err(ErrDBIndex)
		return
	}
	if a != b {
		st := c.Env.Store
		for i := 0; i < st.N(); i++ {
			st.Shard(i).SwapDB(int(a), int(b))
		}
	}
	c.W.OK()
}

func cmdConfigGet(c *Ctx) {
	var out [][2]string
	seen := map[string]bool{}
	for _, p := range c.Args[2:] {
		for _, kv := range c.Env.Config.Get(string(p)) {
			if !seen[kv[0]] {
				seen[kv[0]] = true
				out = append(out, kv)
			}
		}
	}
	c.W.Map(len(out))
	for _, kv := range out {
		c.W.BulkString(kv[0])
		c.W.BulkString(kv[1])
	}
}

func cmdConfigSet(c *Ctx) {
	if len(c.Args)%2 != 0 {
		c.Err(ErrSyntax)
		return
	}
	pairs := make([][2]string, 0, (len(c.Args)-2)/2)
	for i := 2; i+1 < len(c.Args); i += 2 {
		pairs = append(pairs, [2]string{string(c.Args[i]), string(c.Args[i+1])})
	}
	if err := c.Env.Config.SetFrom(pairs, c.Client.Addr); err != nil {
		c.Err(err.Error())
		return
	}
	c.W.OK()
}

// cmdConfigResetStat clears what Redis's CONFIG RESETSTAT clears: command
// and error statistics, the server counters, keyspace hits, misses,
// expired and evicted keys, and the memory peak. The slow log and the
// latency monitor keep their data, as in Redis.
func cmdConfigResetStat(c *Ctx) {
	c.Env.ResetStats(c.Client.ID)
	c.W.OK()
}

// ResetStats is CONFIG RESETSTAT.
func (e *Env) ResetStats(owner int64) {
	e.resetCommandStats()
	e.Errors.Reset()
	st := &e.Stats
	for _, v := range []*atomic.Int64{&st.ConnectionsReceived, &st.RejectedConnections,
		&st.ExpiredKeysActive, &st.ProtocolErrors, &st.AuthFailures,
		&st.ACLDeniedCmd, &st.ACLDeniedKey, &st.ACLDeniedChannel, &st.LazyfreedObjects} {
		v.Store(0)
	}
	e.resetTotals()
	e.resetConnStats()
	now := time.Now().UnixMilli()
	for i := 0; i < e.Store.N(); i++ {
		sh := e.Store.Shard(i)
		took := sh.Acquire(owner, now)
		sh.Hits, sh.Misses, sh.EvictedKeys, sh.ExpireCycleMs = 0, 0, 0, 0
		for d := 0; d < sh.NumDBs(); d++ {
			db := sh.DB(d)
			db.ExpiredKeys, db.Hits, db.Misses, db.EvictedKeys = 0, 0, 0, 0
		}
		sh.Release(took)
	}
	e.State.ResetRates()
	e.State.ResetPeak(0)
	e.State.ResetPeak(e.Memory(owner).Used)
}

func cmdConfigRewrite(c *Ctx) {
	cfg := c.Env.Config
	if cfg.ConfigFile == "" {
		c.Err("ERR The server is running without a config file")
		return
	}
	rw, ok := any(cfg).(interface{ Rewrite() error })
	if !ok {
		c.Err("ERR Rewriting config file: operation not supported")
		return
	}
	if err := rw.Rewrite(); err != nil {
		c.Env.Log.Warn("CONFIG REWRITE failed", "err", err)
		c.Err("ERR Rewriting config file: " + err.Error())
		return
	}
	c.W.OK()
}

func configHelp(c *Ctx) {
	writeHelp(c, "CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
		"HELP",
		"    Prints this help.",
	)
}

// flushReturnMin is the dataset size from which a flush hands the freed
// memory back to the OS at once.
const flushReturnMin = 64 << 20

// returnFlushedMemory gives the memory a FLUSHALL or FLUSHDB freed back to
// the OS in the background when the dataset was big: Go's own scavenger
// would return hundreds of megabytes over minutes, and the server's idle
// purge waits for a second without commands, while jemalloc's background
// purge gives Redis's RSS back within seconds.
func returnFlushedMemory(datasetBefore int64) {
	if datasetBefore >= flushReturnMin {
		go debug.FreeOSMemory()
	}
}
