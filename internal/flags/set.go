package flags

import (
	"errors"
	"fmt"
	"strings"
)

// Set is a collection of flags to be filled by Parse.
type Set struct {
	program string
	summary string
	flags   []*Flag
	byName  map[string]*Flag // normalized name or alias -> flag
	envSkip map[string]bool  // normalized names of DFLY_ variables that are not flags
}

// New returns an empty Set. program and summary head the help text.
func New(program, summary string) *Set {
	return &Set{
		program: program,
		summary: summary,
		byName:  make(map[string]*Flag),
		envSkip: make(map[string]bool),
	}
}

// Add registers f. Names are compared after Normalize, so "tcp-backlog" and
// "tcp_backlog" collide between flags; within one flag such a spelling may
// still be listed as an alias, for help to show.
func (s *Set) Add(f Flag) error {
	if f.Name == "" {
		return errors.New("flags: flag without a name")
	}
	if f.Set == nil {
		return fmt.Errorf("flags: flag --%s has no Set function", f.Name)
	}
	p := &f
	for _, n := range append([]string{f.Name}, f.Aliases...) {
		key := Normalize(n)
		if isBuiltin(key) {
			return fmt.Errorf("flags: --%s is reserved", n)
		}
		if other, dup := s.byName[key]; dup && other != p {
			return fmt.Errorf("flags: --%s of flag --%s is already used by --%s", n, f.Name, other.Name)
		}
		s.byName[key] = p
	}
	s.flags = append(s.flags, p)
	return nil
}

// IgnoreEnv names DFLY_ variables that are not flags (DFLY_PASSWORD,
// DFLY_DEV_ENV) so that Parse does not reject them as unknown.
func (s *Set) IgnoreEnv(names ...string) {
	for _, n := range names {
		s.envSkip[Normalize(n)] = true
	}
}

// lookup finds a flag by any spelling; negated reports a --noname form of a
// boolean flag.
func (s *Set) lookup(name string) (f *Flag, negated bool) {
	key := Normalize(name)
	if f := s.byName[key]; f != nil {
		return f, false
	}
	if rest, ok := strings.CutPrefix(key, "no"); ok {
		// --no-cache-mode as well as --nocache_mode.
		if f := s.byName[strings.TrimPrefix(rest, "_")]; f != nil && f.Bool {
			return f, true
		}
	}
	return nil, false
}

// isBuiltin reports names Parse handles itself; registering them would
// make --help or --flagfile mean something else.
func isBuiltin(key string) bool {
	switch key {
	case "flagfile", "help", "h", "helpfull", "helpshort", "version":
		return true
	}
	return false
}
