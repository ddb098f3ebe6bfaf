package command

import (
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/damselfly-db/damselfly/internal/info"
)

var executable = func() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	return p
}()

// cmdInfo is INFO [section ...].
func cmdInfo(c *Ctx) {
	args := make([]string, 0, len(c.Args)-1)
	for _, a := range c.Args[1:] {
		args = append(args, string(a))
	}
	sel := info.Select(args)
	c.W.Verbatim(info.Render(c.Env.GatherInfo(sel, c.Client.ID), sel))
}

// GatherInfo collects what INFO reports. Shards are locked one at a time;
// the expensive parts (memory, per-command tables) are read only when their
// section is selected. It is exported for the metrics endpoint.
func (e *Env) GatherInfo(sel info.Selection, owner int64) *info.Data {
	return e.gatherInfo(sel, owner, true)
}

// GatherInfoUnwatched is GatherInfo for the server's own periodic readers
// (the admin console's once-a-second sample): it does not count as
// someone watching the per-type memory, so the census keeps its idle pace
// (census.go). Counting it made the census walk the keyspace at full
// speed for ever: 3-4 % of the CPU under a SET load.
func (e *Env) GatherInfoUnwatched(sel info.Selection, owner int64) *info.Data {
	return e.gatherInfo(sel, owner, false)
}

func (e *Env) gatherInfo(sel info.Selection, owner int64, watched bool) *info.Data {
	now := time.Now()
	cfg := e.Config
	totals := e.Totals()
	d := &info.Data{
		RedisVersion:        RedisVersion,
		Version:             e.Version,
		GoVersion:           runtime.Version(),
		OS:                  unameOnce(),
		ArchBits:            32 << (^uint(0) >> 63),
		PID:                 os.Getpid(),
		RunID:               e.RunID,
		TCPPort:             e.TCPPort,
		ServerTimeUsec:      now.UnixMicro(),
		UptimeSeconds:       int64(now.Sub(e.Start).Seconds()),
		HZ:                  cfg.HZ.Get(),
		ConfiguredHZ:        cfg.HZ.Get(),
		LRUClock:            lruClock(now.UnixMilli()),
		Executable:          executable,
		ConfigFile:          cfg.ConfigFile,
		Threads:             runtime.GOMAXPROCS(0),
		Shards:              e.Store.N(),
		MaxClients:          cfg.MaxClients.Get(),
		MaxMemory:           e.Store.MaxMemory(),
		MaxMemoryPolicy:     e.Store.Policy().String(),
		MemAllocator:        "go-" + runtime.Version(),
		RDBLastSaveTime:     e.Start.Unix(),
		RDBLastBgsaveStatus: "ok",
		MasterReplID:        e.State.ReplID(),

		RDBLastBgsaveTimeSec:    -1,
		RDBCurrentBgsaveTimeSec: -1,

		TotalConnectionsReceived: e.Stats.ConnectionsReceived.Load(),
		TotalCommandsProcessed:   totals.Commands,
		TotalNetInputBytes:       totals.NetInput,
		TotalNetOutputBytes:      totals.NetOutput,
		RejectedConnections:      e.Stats.RejectedConnections.Load(),
		ProtocolErrors:           e.Stats.ProtocolErrors.Load(),
		AuthFailures:             e.Stats.AuthFailures.Load(),
		ACLDeniedCmd:             e.Stats.ACLDeniedCmd.Load(),
		ACLDeniedKey:             e.Stats.ACLDeniedKey.Load(),
		ACLDeniedChannel:         e.Stats.ACLDeniedChannel.Load(),
	}
	d.InstantaneousOpsPerSec, d.InstantaneousInputKbps, d.InstantaneousOutputKbps = e.State.Rates()
	d.UsedCPUSys, d.UsedCPUUser = cpuTimes()
	d.UsedCPUGC, d.GCCPUFraction = gcCPU()
	d.Errors, d.TotalErrorReplies = e.Errors.Snapshot()
	d.TrackingTotalKeys, d.TrackingTotalItems, d.TrackingTotalPrefixes = e.Tracking.Counts()
	d.LazyfreedObjects = e.Stats.LazyfreedObjects.Load()

	for _, cl := range e.Clients.List() {
		d.ConnectedClients++
		if cl.HasFlag(ClientBlocked) {
			d.BlockedClients++
		}
		if cl.HasFlag(ClientPubSub) {
			d.PubSubClients++
		}
		if cl.trackingOn.Load() {
			d.TrackingClients++
		}
		if q := cl.QueryBufLen.Load(); q > d.ClientRecentMaxInput {
			d.ClientRecentMaxInput = q
		}
		if o := cl.OutBufLen.Load(); o > d.ClientRecentMaxOutput {
			d.ClientRecentMaxOutput = o
		}
		d.MemClientsNormal += clientMem(cl)
	}

	// Keyspace and the per-shard counters, one shard at a time.
	ndb := 0
	if e.Store.N() > 0 {
		ndb = e.Store.Shard(0).NumDBs()
	}
	dbs := make([]info.DBStat, ndb)
	for i := 0; i < e.Store.N(); i++ {
		sh := e.Store.Shard(i)
		took := sh.Acquire(owner, now.UnixMilli())
		d.KeyspaceHits += sh.Hits
		d.KeyspaceMisses += sh.Misses
		d.EvictedKeys += sh.EvictedKeys
		d.ExpireCycleCPUMs += sh.ExpireCycleMs
		for j := 0; j < sh.NumDBs() && j < ndb; j++ {
			db := sh.DB(j)
			dbs[j].Index = j
			dbs[j].Keys += int64(db.Len())
			dbs[j].Expires += int64(db.ExpiresLen())
			dbs[j].Hits += db.Hits
			dbs[j].Misses += db.Misses
			dbs[j].Expired += db.ExpiredKeys
			dbs[j].Evicted += db.EvictedKeys
			dbs[j].Capacity += int64(db.Capacity())
			d.ExpiredKeys += db.ExpiredKeys
		}
		sh.Release(took)
	}
	d.Keyspace = dbs

	if sel.Has("memory") {
		m := e.Memory(owner)
		d.UsedMemory = m.Used
		d.UsedMemoryRSS = m.RSS
		d.UsedMemoryPeak = m.Peak
		d.UsedMemoryStartup = m.Startup
		d.UsedMemoryDataset = m.Dataset
		d.AllocatorAllocated = m.HeapObjects
		d.AllocatorActive = m.HeapActive
		d.AllocatorResident = m.HeapResident
		d.TotalSystemMemory = totalSystemMemory()
		d.MemClientsNormal = m.Clients
		d.TypeMemory = e.typeMemory(watched)
	}
	if sel.Has("commandstats") || sel.Has("latencystats") {
		cmds := e.CommandStats()
		d.Percentiles = e.infoPercentiles()
		e.eachSpec(func(name string, s *Spec) {
			st := cmds.Of(s)
			d.Commands = append(d.Commands, info.CommandStat{Name: name, Calls: st.Calls, Usec: st.Usec, Rejected: st.Rejected, Failed: st.Failed})
			if h := cmds.Histogram(s); h != nil {
				vals := make([]float64, len(d.Percentiles))
				for i, p := range d.Percentiles {
					vals[i] = h.Percentile(p)
				}
				d.Latency = append(d.Latency, info.LatencyStat{Name: name, Values: vals})
			}
		})
	}
	for _, h := range e.InfoHooks {
		h(d)
	}
	return d
}

// eachSpec calls fn for every command and subcommand, sorted by full name.
func (e *Env) eachSpec(fn func(name string, s *Spec)) {
	type named struct {
		name string
		s    *Spec
	}
	var all []named
	for _, s := range e.Table.All() {
		all = append(all, named{s.Name, s})
		for _, sub := range s.Subcommands {
			all = append(all, named{sub.FullName(s), sub})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	for _, n := range all {
		fn(n.name, n.s)
	}
}

// lruClock is Redis's LRU clock: seconds, wrapping at 24 bits.
func lruClock(ms int64) int64 { return (ms / 1000) & (1<<24 - 1) }

// lastSave is LASTSAVE's answer: the snapshot hooks' last save time, or the
// start time while nothing has been saved.
func (e *Env) lastSave() int64 {
	if e.Persist != nil {
		return e.Persist.LastSave()
	}
	d := &info.Data{RDBLastSaveTime: e.Start.Unix()}
	for _, h := range e.InfoHooks {
		h(d)
	}
	return d.RDBLastSaveTime
}
