package config

import (
	"sort"
	"sync"

	"github.com/damselfly-db/damselfly/internal/flags"
)

// Config holds every setting. Plain fields are fixed once Load returns;
// holder fields (Int, Bool, String, Memory, Value) may be changed by Set at
// any time and are safe to read concurrently without a lock.
//
// The registry_*.go files say what each field means, its names, default
// and limits. Obtain a Config from Load or Default; the zero value has no
// registry and its holders read as zero.
type Config struct {
	// ConfigFile is the first --flagfile given, reported as INFO config_file.
	ConfigFile string

	// Listening and threads (start-only).
	Port            int
	Bind            []string // empty: all interfaces
	TCPBacklog      int
	ProactorThreads int // 0: one per CPU
	ConnIOThreads   int // 0: all proactor threads
	EventLoop       bool
	PrometheusPort  int // 0: off
	AdminPort       int // 0: off
	// AdminNoPass: clients of the admin port need no password (RESP and
	// HTTP), Dragonfly's admin_nopass.
	AdminNoPass bool
	// RestrictedCommands (Dragonfly's restricted_commands) is a comma-
	// separated list of commands only admin-port clients may run.
	RestrictedCommands string
	// ExposeHTTPAPI serves Dragonfly's POST /api (a command as a JSON
	// array of strings, its reply as JSON) on the HTTP ports.
	ExposeHTTPAPI bool
	AdminBind     string
	Databases     int

	// Logging (start-only).
	LogLevel        string // debug|verbose|info|notice|warning|error|nothing
	MinLogLevel     int    // glog --minloglevel
	Verbosity       int    // glog --v
	LogToStderr     bool
	AlsoLogToStderr bool

	// Snapshot schedules (start-only); nil when not set.
	SaveSchedule *SaveSchedule
	SnapshotCron *Cron

	// Clients and protocol.
	RequirePass             String
	ACLFile                 String // users file for ACL SAVE/LOAD; empty: none
	ACLLogMaxLen            Int
	ACLPubsubDefault        String // allchannels|resetchannels: new users' channels
	MaxClients              Int
	Timeout                 Int // seconds idle before disconnect; 0: never
	TCPKeepalive            Int // seconds
	ProtoMaxBulkLen         Memory
	QueryBufferLimit        Memory
	ClientOutputBufferLimit Value[OutputBufferLimits]
	PipelineSquash          Int

	// Security (registry_security.go); start-only unless a holder.
	TLS bool
	// The TLS files can change at run time (certificate rotation, as
	// Redis's CONFIG SET tls-cert-file): a change is checked by the
	// validator the server registers (OnValidate) before it is kept.
	TLSCertFile            String
	TLSKeyFile             String
	TLSCACertFile          String
	TLSCACertDir           String
	NoTLSOnAdminPort       bool
	EnableDebugCommand     string // no|yes|local
	EnableModuleCommand    string
	EnableProtectedConfigs string
	ProtectedMode          Bool
	KeysOutputLimit        Int

	// Memory and eviction.
	MaxMemory Memory // 0: no explicit limit
	CacheMode Bool
	// RSSOOMDenyRatio is Dragonfly's rss_oom_deny_ratio: with RSS above
	// maxmemory times it, writes are refused; <= 0 disables it.
	RSSOOMDenyRatio  Value[float64]
	MaxMemoryPolicy  String
	MaxMemorySamples Int
	LFULogFactor     Int
	LFUDecayTime     Int

	// Persistence.
	Dir        String
	DBFilename String
	Save       Value[SaveParams]
	// StartEmptyOnCorruptSnapshot (start-only): a snapshot that fails to
	// load is renamed aside and the server starts empty instead of exiting.
	StartEmptyOnCorruptSnapshot bool
	// ShutdownTimeout bounds how long SIGTERM waits for clients' in-flight
	// commands before closing them (seconds).
	ShutdownTimeout Int

	// Timing and monitoring.
	HZ                      Int
	SlowlogSlowerThan       Int // microseconds; negative: off
	SlowlogMaxLen           Int
	LatencyMonitorThreshold Int  // milliseconds; 0: off
	LuaTimeLimit            Int  // milliseconds (busy-reply-threshold)
	LuaStrictKeys           bool // start-only: scripts lock only their declared keys
	NotifyKeyspaceEvents    Value[KeyspaceEvents]

	// Encoding thresholds.
	HashMaxListpackEntries Int
	HashMaxListpackValue   Memory
	ListMaxListpackSize    Int
	SetMaxIntsetEntries    Int
	SetMaxListpackEntries  Int
	SetMaxListpackValue    Memory
	ZSetMaxListpackEntries Int
	ZSetMaxListpackValue   Memory
	StreamNodeMaxBytes     Memory
	StreamNodeMaxEntries   Int
	HLLSparseMaxBytes      Memory

	mu       sync.Mutex // serialises Set; guards hooks
	settings []*setting // sorted by canonical name
	byName   map[string]*setting
	hooks    map[*setting][]func()
	// validators vet a CONFIG SET after its values are applied and before
	// its hooks run; an error rolls the values back (OnValidate).
	validators map[*setting][]*validator
	explicit   map[*setting]flags.Assignment
	order      []*setting // explicitly set settings, in the order applied
}

// Default returns a Config with every setting at its default, as if
// loaded from an empty command line.
func Default() *Config {
	c := &Config{
		byName:   make(map[string]*setting),
		hooks:    make(map[*setting][]func()),
		explicit: make(map[*setting]flags.Assignment),
	}
	for _, group := range [][]*setting{
		c.networkSettings(),
		c.clientSettings(),
		c.securitySettings(),
		c.memorySettings(),
		c.persistenceSettings(),
		c.loggingSettings(),
		c.monitoringSettings(),
		c.scriptingSettings(),
		c.encodingSettings(),
		c.redisCompatSettings(),
		c.dragonflyCompatSettings(),
	} {
		c.settings = append(c.settings, group...)
	}
	sort.Slice(c.settings, func(i, j int) bool {
		return flags.Normalize(c.settings[i].name) < flags.Normalize(c.settings[j].name)
	})
	for _, s := range c.settings {
		for _, n := range s.names() {
			key := flags.Normalize(n)
			if other, dup := c.byName[key]; dup && other != s {
				panic("config: " + n + " names two settings")
			}
			c.byName[key] = s
		}
	}
	return c
}

// lookup finds a setting by any of its names, in any case, with dashes and
// underscores interchangeable.
func (c *Config) lookup(name string) *setting {
	return c.byName[flags.Normalize(name)]
}

// WasSet reports whether the named setting was given explicitly on the
// command line, in a flagfile or in the environment.
func (c *Config) WasSet(name string) bool {
	s := c.lookup(name)
	if s == nil {
		return false
	}
	_, ok := c.explicit[s]
	return ok
}
