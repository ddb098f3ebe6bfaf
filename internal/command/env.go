package command

import (
	"github.com/damselfly-db/damselfly/internal/acl"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/info"
	"github.com/damselfly-db/damselfly/internal/metrics"
	"github.com/damselfly-db/damselfly/internal/pubsub"
	"github.com/damselfly-db/damselfly/internal/shard"
)

// Env is the server-wide state that handlers reach through their Ctx. The
// server package builds one per process; nothing here is a package global.
type Env struct {
	Config  *config.Config
	Store   *shard.Store
	Table   *Table
	Clients *Registry
	Log     *slog.Logger
	Version string
	Start   time.Time
	Stats   Stats
	Monitor MonitorHub
	Slowlog Slowlog
	Latency Latency

	// Hooks the server fills in.
	Shutdown func(save bool) error
	// ResetHook undoes connection state the server owns (MONITOR, pub/sub)
	// for RESET.
	ResetHook func(c *Client)
	Pause     Pause
	Watching  Watching
	PubSub    pubsub.Hub
	Tracking  Tracking
	// Listeners describes the bound addresses for INFO/CLIENT.
	TCPPort int
	RunID   string
	Errors  ErrorStats
	// ActiveExpire switches the background expiry cycle (DEBUG
	// SET-ACTIVE-EXPIRE).
	ActiveExpire *atomic.Bool
	// DisableDenyScripts is DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may
	// then call commands flagged noscript (Redis's test hook).
	DisableDenyScripts atomic.Bool
	// latencyOff is latency-tracking no; latencyPercentiles is
	// latency-tracking-info-percentiles (latencytracking.go).
	latencyOff         atomic.Bool
	latencyPercentiles atomic.Pointer[[]float64]
	// InfoHooks let other subsystems (snapshots, pub/sub, scripting,
	// blocking commands) fill their fields of INFO; they run after the
	// command package has gathered its own, in order.
	InfoHooks []func(d *info.Data)
	// MetricHooks let subsystems fill their part of /metrics (Lua
	// interpreters, snapshot counters); they run after the gathering.
	MetricHooks []func(s *metrics.Snapshot)
	// Snapshots reports the persistence state for the admin console; nil
	// until the snapshot subsystem sets it.
	Snapshots func() SnapshotInfo
	// Persist runs saves (SAVE, BGSAVE, DEBUG RELOAD); nil when the
	// server has no snapshot subsystem.
	Persist Persistence
	// reloadKeepLibraries: DEBUG RELOAD without MERGE is loading, so a
	// library of the file that is already loaded is an error.
	reloadKeepLibraries atomic.Bool
	// Loading is set while a snapshot loads: commands without the
	// "loading" flag are refused with -LOADING.
	Loading atomic.Bool
	// State is the server commands' own state: instantaneous metrics,
	// memory peak, replication id (server_state.go).
	State ServerState
	// Scripting is the Lua engine and the running scripts (scripting.go).
	Scripting Scripting
	// ACL is the set of users; ACLLog the denials ACL LOG shows;
	// authWarn rate-limits the server log's failed-AUTH warnings.
	ACL      *acl.Users
	ACLLog   acl.Log
	authWarn acl.Limiter

	// connMu orders RemoveClient against a scrape's sum of ConnStats
	// and of the command statistics.
	connMu sync.Mutex
	// looseStats are the command statistics of closed connections and of
	// unregistered clients (cmdstats.go).
	looseStats statTable
	// census is the background per-type memory count (census.go).
	census census
}

// Stats are server-wide counters, updated at connection granularity or on
// rare events, never per command or per batch. The per-batch totals
// (commands, network bytes) live in each Client and are summed when read
// (Env.Totals); the fields here hold only the part of those totals that
// no live client holds.
type Stats struct {
	ConnectionsReceived atomic.Int64
	RejectedConnections atomic.Int64
	// CommandsProcessed, NetInput, NetOutput and CommandsOther: the
	// closed connections' counts, minus the live ones' at the last
	// CONFIG RESETSTAT. Read them through Env.Totals.
	CommandsProcessed atomic.Int64
	NetInput          atomic.Int64
	NetOutput         atomic.Int64
	ExpiredKeysActive atomic.Int64
	ProtocolErrors    atomic.Int64
	AuthFailures      atomic.Int64
	// Commands refused by ACL rules, by reason (INFO acl_access_denied_*).
	ACLDeniedCmd     atomic.Int64
	ACLDeniedKey     atomic.Int64
	ACLDeniedChannel atomic.Int64
	BlockedClients   atomic.Int64
	// LazyfreedObjects counts what Redis would have freed in the
	// background (INFO lazyfreed_objects; lazyfree.go).
	LazyfreedObjects atomic.Int64
	// CommandsOther counts the commands of CommandsProcessed that came
	// through a listener other than the main one (the admin port), for
	// dragonfly_commands_processed_total{listener="other"}.
	CommandsOther atomic.Int64
	// Closed holds the ConnStats of connections that have gone.
	Closed ConnStats
}

// ErrorStats counts error replies by their first word (INFO errorstats).
type ErrorStats struct {
	mu     sync.Mutex
	counts map[string]int64
	total  int64
}

// Add records one error reply.
func (e *ErrorStats) Add(msg string) {
	code := msg
	for i := 0; i < len(msg); i++ {
		if msg[i] == ' ' {
			code = msg[:i]
			break
		}
	}
	e.mu.Lock()
	if e.counts == nil {
		e.counts = map[string]int64{}
	}
	e.counts[code]++
	e.total++
	e.mu.Unlock()
}

// Snapshot returns a copy of the counts and the total.
func (e *ErrorStats) Snapshot() (map[string]int64, int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int64, len(e.counts))
	for k, v := range e.counts {
		out[k] = v
	}
	return out, e.total
}

// Reset clears the counts (CONFIG RESETSTAT).
func (e *ErrorStats) Reset() {
	e.mu.Lock()
	e.counts = nil
	e.total = 0
	e.mu.Unlock()
}

// CommandStats is a read of one command's counters.
type CommandStats struct {
	Calls, Usec, Failed, Rejected int64
}
