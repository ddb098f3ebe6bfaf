package command

import (
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"sort"
	"strconv"
	"strings"

	"github.com/damselfly-db/damselfly/internal/info"
	"github.com/damselfly-db/damselfly/internal/metrics"
)

// MetricsSnapshot gathers what /metrics reports. It reuses INFO's
// gathering (each shard locked in turn for a few counter reads per
// database, never a walk of the keys), the memory account, the command
// table's counters and the connections' own counters; the per-type memory
// comes from the background census. Subsystems that own other numbers
// (scripting, snapshots) add them through MetricHooks.
func (e *Env) MetricsSnapshot() *metrics.Snapshot {
	d := e.GatherInfo(info.Selection{}, 0)
	mem := e.Memory(0)
	s := &metrics.Snapshot{
		Version:             e.Version,
		Master:              true,
		UptimeSeconds:       d.UptimeSeconds,
		MaxClients:          d.MaxClients,
		BlockedClients:      d.BlockedClients,
		MemoryUsed:          mem.Used,
		MemoryPeak:          mem.Peak,
		MemoryMax:           d.MaxMemory,
		RSS:                 mem.RSS,
		Goroutines:          int64(runtime.NumGoroutine()),
		HeapObjects:         heapObjects(),
		Swap:                readSwap(),
		ConnectionMemory:    mem.Clients,
		TypeMemory:          e.typeMemory(true),
		ConnectionsReceived: d.TotalConnectionsReceived,
		Hits:                d.KeyspaceHits,
		Misses:              d.KeyspaceMisses,
		NetInputBytes:       d.TotalNetInputBytes,
		NetOutputBytes:      d.TotalNetOutputBytes,
		RejectedMaxClients:  d.RejectedConnections,
		Backups:             d.RDBSaves,
		LuaMemory:           d.UsedMemoryLua,
	}
	s.OOMCmd = d.Errors["OOM"]
	other := e.Totals().CommandsOther
	s.CommandsOther = other
	s.CommandsMain = max(d.TotalCommandsProcessed-other, 0)

	for _, cl := range e.Clients.List() {
		if cl.Listener == "main" || cl.Listener == "" {
			s.ConnectedMain++
		} else {
			s.ConnectedOther++
		}
		if name, ver := cl.Lib(); name != "" {
			if s.ConnectionLibs == nil {
				s.ConnectionLibs = map[string]int64{}
			}
			s.ConnectionLibs[name+":"+ver]++
		}
	}

	cs := e.connTotals()
	s.NetReads = cs.Reads.Load()
	s.IOBufResizes = cs.BufResizes.Load()
	s.Replies = cs.Replies.Load()
	s.ReplySeconds = float64(cs.ReplyNanos.Load()) / 1e9
	p := &s.Pipeline
	p.Commands = cs.PipeCmds.Load()
	p.DispatchCalls = cs.PipeBatches.Load()
	p.DispatchCommands = p.Commands
	p.Flushes = cs.PipeFlushes.Load()
	p.FlushSeconds = float64(cs.PipeFlushNs.Load()) / 1e9
	p.CommandsSeconds = float64(cs.PipeLatNs.Load()) / 1e9
	p.WaitSeconds = float64(cs.PipeWaitNs.Load()) / 1e9
	p.BlockingCommands = cs.PipeBlocked.Load()
	if h := cs.hist.Load(); h != nil {
		p.HaveQuantiles = true
		p.P95 = h.Percentile(95) / 1e6
		p.P99 = h.Percentile(99) / 1e6
	}

	for _, k := range d.Keyspace {
		if k.Index == 0 || k.Keys != 0 || k.Hits != 0 || k.Misses != 0 || k.Expired != 0 || k.Evicted != 0 {
			s.DBs = append(s.DBs, metrics.DB{Index: k.Index, Keys: k.Keys, Expiring: k.Expires,
				Capacity: k.Capacity, Hits: k.Hits, Misses: k.Misses, Expired: k.Expired, Evicted: k.Evicted})
		}
	}

	cmds := e.CommandStats()
	for _, spec := range e.Table.All() {
		st := cmds.Of(spec)
		calls, usec := st.Calls, st.Usec
		mutations := int64(0)
		if spec.Has(Write) {
			mutations += st.Calls - st.Failed
		}
		for _, sub := range spec.Subcommands {
			ss := cmds.Of(sub)
			calls += ss.Calls
			usec += ss.Usec
			if sub.Has(Write) {
				mutations += ss.Calls - ss.Failed
			}
		}
		s.Mutations += max(mutations, 0)
		if calls > 0 {
			s.Commands = append(s.Commands, metrics.Command{Name: strings.ToLower(spec.Name), Calls: calls, Seconds: float64(usec) / 1e6})
		}
	}
	sort.Slice(s.Commands, func(i, j int) bool { return s.Commands[i].Name < s.Commands[j].Name })

	clientRead := int64(e.Clients.Len()) * clientRBS
	s.MemoryByClass = []metrics.Class{
		{Name: "used_lua", Bytes: d.UsedMemoryLua},
		{Name: "fiberstack_vms", Bytes: 0},
		{Name: "tls", Bytes: 0},
		{Name: "commands_squashing_replies", Bytes: 0},
		{Name: "pipeline_cmd_cache", Bytes: 0},
		{Name: "pipeline_queue", Bytes: 0},
		{Name: "dispatch_queue", Bytes: 0},
		{Name: "client_read_buffer", Bytes: clientRead},
		{Name: "connection", Bytes: max(mem.Clients-clientRead, 0)},
		{Name: "table_used", Bytes: mem.KeyOverhead},
		{Name: "object_used", Bytes: mem.Dataset},
		{Name: "conn_stored_commands", Bytes: 0},
		{Name: "search_used", Bytes: 0},
		{Name: "interned_string_pool", Bytes: 0},
		{Name: "interned_string_table", Bytes: 0},
		{Name: "repl_backlog_buffer", Bytes: 0},
		{Name: "replication_streaming", Bytes: 0},
		{Name: "replication_full_sync", Bytes: 0},
	}
	for _, h := range e.MetricHooks {
		h(s)
	}
	return s
}

// heapObjects reads the heap's object bytes from runtime/metrics, which,
// unlike runtime.ReadMemStats, does not stop the world.
func heapObjects() int64 {
	sample := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(sample)
	if sample[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return int64(sample[0].Value.Uint64())
}

// Metrics renders the /metrics page.
func (e *Env) Metrics() []byte { return metrics.Render(e.MetricsSnapshot()) }

// readSwap reads VmSwap from /proc/self/status, in bytes.
func readSwap() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmSwap:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
