package config

import (
	"strings"

	"github.com/damselfly-db/damselfly/internal/flags"
	"github.com/damselfly-db/damselfly/internal/glob"
)

// status says whether a setting does anything yet, for help and for
// LogAccepted.
type status int

const (
	// live settings are honoured.
	live status = iota
	// pending settings are accepted and validated, but the machinery that
	// would honour them is not built yet. Flip to live as it lands.
	pending
	// compat settings exist so that command lines and tools written for
	// Redis or Dragonfly work; they have no effect by design.
	compat
)

// spec is the type-independent description of a setting.
type spec struct {
	name      string   // canonical spelling
	aliases   []string // other spellings; dash/underscore variants need not be listed
	help      string   // one line
	mutable   bool     // CONFIG SET may change it
	protected bool     // CONFIG SET refuses it as Redis refuses protected configs
	sensitive bool     // its value is never logged
	// setCheck, when set, vets a CONFIG SET value beyond its codec: a
	// check that would be wrong at start (a --dir the process creates).
	setCheck func(string) error
	status   status
	// hidden settings answer CONFIG GET by exact name only, never a glob
	// (Redis's HIDDEN_CONFIG, such as key-load-delay).
	hidden bool
	// acceptCurrent: Redis can change this setting at run time and we
	// cannot, but CONFIG SET to the value in force succeeds as a no-op,
	// so writing back what CONFIG GET * said works as on Redis.
	acceptCurrent bool
}

// setting is one registry entry with its value bound to a Config.
type setting struct {
	spec
	typ    string
	isBool bool
	def    string // the default, as help shows it
	// parse validates text and returns a function that stores the value.
	// Keeping the two apart is what lets a multi-setting CONFIG SET check
	// everything before changing anything.
	parse func(string) (apply func(), err error)
	get   func() string
}

// slot is where a setting's value lives: a Config field or holder.
type slot[T any] struct {
	load  func() T
	store func(T)
}

func field[T any](p *T) slot[T] {
	return slot[T]{func() T { return *p }, func(v T) { *p = v }}
}

// intField adapts a plain int field to the int64 the codecs use; the
// codec's bounds keep values within int.
func intField(p *int) slot[int64] {
	return slot[int64]{func() int64 { return int64(*p) }, func(v int64) { *p = int(v) }}
}

func intHolder(h *Int) slot[int64]           { return slot[int64]{h.Get, h.store} }
func memoryHolder(h *Memory) slot[int64]     { return slot[int64]{h.Get, h.store} }
func boolHolder(h *Bool) slot[bool]          { return slot[bool]{h.Get, h.store} }
func stringHolder(h *String) slot[string]    { return slot[string]{h.Get, h.store} }
func valueHolder[T any](h *Value[T]) slot[T] { return slot[T]{h.Get, h.store} }

// newSetting binds a spec and codec to a slot and stores the default.
func newSetting[T any](sp spec, cd codec[T], def T, at slot[T]) *setting {
	load, store := at.load, at.store
	store(def)
	show := cd.show
	if show == nil {
		show = cd.format
	}
	return &setting{
		spec:   sp,
		typ:    cd.typ,
		isBool: cd.isBool,
		def:    show(def),
		parse: func(text string) (func(), error) {
			v, err := cd.parse(text)
			if err != nil {
				return nil, err
			}
			return func() { store(v) }, nil
		},
		get: func() string { return cd.format(load()) },
	}
}

// names lists the canonical name first, then the aliases.
func (s *setting) names() []string {
	return append([]string{s.name}, s.aliases...)
}

// globNames returns the setting's names that pattern matches, each tried
// in its dash and underscore spellings: like Redis, a glob lists a
// setting under each of its names (*of gives replicaof and slaveof).
// Hidden settings match no glob. A start-only Dragonfly or glog
// spelling (tcp_backlog, admin_port, v) matches only a glob written in
// Dragonfly's style, with an underscore: CONFIG GET * and *port list
// Redis's names alone, so writing their answer back with CONFIG SET, as
// tools and Redis's own tests do, meets no setting that only Damselfly
// refuses to change.
func (s *setting) globNames(pattern string) []string {
	if s.hidden {
		return nil
	}
	dragonflyGlob := strings.Contains(pattern, "_")
	var out []string
	for _, n := range s.names() {
		if !s.mutable && !s.acceptCurrent && !isRedisName(n) && !dragonflyGlob {
			continue
		}
		for _, form := range []string{n, strings.ReplaceAll(n, "_", "-"), strings.ReplaceAll(n, "-", "_")} {
			if glob.MatchString(pattern, form, true) {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// isRedisName tells Redis's spellings from Dragonfly's and glog's, which
// use underscores or are among a few single words.
func isRedisName(n string) bool {
	if strings.Contains(n, "_") {
		return false
	}
	switch n {
	case "v", "minloglevel", "logtostderr", "alsologtostderr", "tls", "dbnum":
		return false
	}
	return true
}

// flag describes the setting to the command-line parser.
func (s *setting) flag() flags.Flag {
	usage := s.help
	switch s.status {
	case pending:
		usage += " (Accepted, but not implemented yet.)"
	case compat:
		usage += " (Accepted for compatibility; no effect.)"
	}
	if s.mutable {
		usage += " Changeable with CONFIG SET."
	}
	return flags.Flag{
		Name:    s.name,
		Aliases: s.aliases,
		Type:    s.typ,
		Default: s.def,
		Usage:   usage,
		Bool:    s.isBool,
		Set: func(text string) error {
			apply, err := s.parse(text)
			if err != nil {
				return forHumans(err)
			}
			apply()
			return nil
		},
	}
}
