package command

import "strings"

// Flag describes a command's behaviour, as in Redis's command table.
type Flag uint32

// Command flags. Names follow Redis's COMMAND INFO flags.
const (
	Write Flag = 1 << iota
	ReadOnly
	DenyOOM
	Admin
	PubSub
	NoScript
	Blocking
	Loading
	Stale
	SkipMonitor
	SkipSlowlog
	Fast
	NoAuth
	AllowBusy
	NoMulti
	// NoLock: the handler locks what it needs itself (keyless commands that
	// walk every shard, like KEYS and DBSIZE, or commands with no data).
	NoLock
	// AllShards: lock every shard (FLUSHALL, SWAPDB, RANDOMKEY).
	AllShards
	// Movable keys: the KeysFn finds them.
	MovableKeys
	// NoMandatoryKeys: the command may have no key at all (EVAL, FCALL).
	NoMandatoryKeys
)

var flagNames = []struct {
	f    Flag
	name string
}{
	{Write, "write"}, {ReadOnly, "readonly"}, {DenyOOM, "denyoom"}, {Admin, "admin"},
	{PubSub, "pubsub"}, {NoScript, "noscript"}, {Blocking, "blocking"}, {Loading, "loading"},
	{Stale, "stale"}, {SkipMonitor, "skip_monitor"}, {SkipSlowlog, "skip_slowlog"},
	{Fast, "fast"}, {NoAuth, "no_auth"}, {AllowBusy, "allow_busy"}, {NoMulti, "no_multi"},
	{NoMandatoryKeys, "no_mandatory_keys"}, {MovableKeys, "movablekeys"},
}

// Spec is one command's row in the table.
type Spec struct {
	Name  string // lower case
	Arity int    // Redis arity: n = exactly n args with the name, -n = at least n
	Flags Flag
	// Key positions: First, Last (negative counts from the end), Step.
	First, Last, Step int
	// KeysFn returns key positions for commands whose keys move (numkeys
	// forms like ZUNIONSTORE, LMPOP, EVAL). It must not fail; a malformed
	// command is left for the handler to reject.
	KeysFn func(args [][]byte) []int
	// Group, Summary, Since and Complexity answer COMMAND DOCS.
	Group, Summary, Since, Complexity string
	// ACL categories for COMMAND INFO (without the leading '@').
	Categories []string
	// Subcommands, for container commands such as CONFIG and CLIENT.
	Subcommands []*Spec
	Handler     func(c *Ctx)

	// fullName is "get" or "client|info": CLIENT LIST's cmd= field.
	fullName string
	// aclID is the command's id in the ACL catalog; aclKeys says what
	// the command does with each key, for key permissions.
	aclID   int
	aclKeys keyPlan

	// idx numbers every command and subcommand densely, for the
	// per-connection statistics tables (cmdstats.go).
	idx int
	// restricted: only admin-port clients may run it (restricted_commands).
	restricted bool
}

// FlagNames lists the flags for COMMAND INFO.
func (s *Spec) FlagNames() []string {
	var out []string
	for _, fn := range flagNames {
		if s.Flags&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Has reports whether the spec has all of flags f.
func (s *Spec) Has(f Flag) bool { return s.Flags&f == f }

// KeyPositions returns the argument indexes that are keys.
func (s *Spec) KeyPositions(args [][]byte) []int {
	return s.keyPositionsInto(args, nil)
}

// keyPositionsInto is KeyPositions appending to pos, so the dispatcher
// can pass a stack buffer and not allocate for fixed key positions.
func (s *Spec) keyPositionsInto(args [][]byte, pos []int) []int {
	if s.KeysFn != nil {
		return s.KeysFn(args)
	}
	if s.First <= 0 {
		return nil
	}
	last := s.Last
	if last < 0 {
		last = len(args) + last
	}
	for i := s.First; i <= last && i < len(args); i += s.Step {
		pos = append(pos, i)
	}
	return pos
}

// FullName is "config|get" style for subcommands.
func (s *Spec) FullName(parent *Spec) string {
	if parent == nil {
		return s.Name
	}
	return parent.Name + "|" + strings.ToLower(s.Name)
}
