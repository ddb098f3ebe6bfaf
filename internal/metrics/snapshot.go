package metrics

// Snapshot is everything /metrics reports, gathered by the command package
// at scrape time. Fields are plain numbers so rendering is pure.
type Snapshot struct {
	Version       string
	Master        bool
	UptimeSeconds int64
	MaxClients    int64

	// Clients, by Dragonfly's listener label: "main" is the client port,
	// "other" every other listener (the admin port).
	ConnectedMain, ConnectedOther int64
	BlockedClients                int64
	// ConnectionLibs counts clients by "libname:libver" (CLIENT SETINFO).
	ConnectionLibs map[string]int64

	Pipeline Pipeline

	MemoryUsed, MemoryPeak, MemoryMax int64
	RSS, Swap                         int64
	// Goroutines and HeapObjects are the Go runtime's own counts (not
	// Dragonfly families): leak checks watch them return to a baseline.
	Goroutines, HeapObjects int64
	ConnectionMemory        int64
	// TypeMemory is the memory held by values of each type ("string",
	// "hash"...), Dragonfly's type_used_memory.
	TypeMemory map[string]int64
	// MemoryByClass is dragonfly_memory_by_class_bytes: the named parts of
	// used memory.
	MemoryByClass []Class
	OOMInsert     int64 // writes refused for lack of memory inside a command
	OOMCmd        int64 // commands refused with -OOM

	ConnectionsReceived          int64
	CommandsMain, CommandsOther  int64
	Hits, Misses, Mutations      int64
	LuaInterpreters, LuaBlocked  int64
	LuaFreedMemory, LuaForcedGCs int64
	LuaMemory                    int64
	ScriptErrors                 int64

	Backups, FailedBackups   int64
	Restores, FailedRestores int64

	NetReads                      int64 // read calls that returned data
	NetInputBytes, NetOutputBytes int64
	IOBufResizes                  int64
	Replies                       int64 // write calls that sent replies
	ReplySeconds                  float64
	RejectedMaxClients            int64

	// DBs holds one entry per logical database that is worth reporting
	// (db0 always, others once they hold keys or have counted events).
	DBs []DB

	// Commands are per-command totals, names lowercase as Dragonfly
	// reports them (a container's subcommands count under its name).
	Commands []Command
}

// Pipeline are the counters of commands that arrived together in one read:
// Damselfly runs such a batch back to back on the connection's goroutine,
// so a "dispatch" is one batch and the queue wait is the time a command
// waited for the commands before it in its batch.
type Pipeline struct {
	Commands, DispatchCalls, DispatchCommands  int64
	Flushes                                    int64
	FlushSeconds, CommandsSeconds, WaitSeconds float64
	BlockingCommands                           int64
	// P95, P99 are the pipelined commands' latency quantiles, in seconds;
	// HaveQuantiles is false until a pipelined command was seen.
	P95, P99      float64
	HaveQuantiles bool
}

// Class is one dragonfly_memory_by_class_bytes sample.
type Class struct {
	Name  string
	Bytes int64
}

// DB is one logical database's numbers.
type DB struct {
	Index            int
	Keys, Expiring   int64
	Capacity         int64
	Hits, Misses     int64
	Expired, Evicted int64
}

// Command is one command's calls and total duration.
type Command struct {
	Name    string
	Calls   int64
	Seconds float64
}
