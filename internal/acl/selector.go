package acl

import (
	"errors"
	"strings"
)

// Perm is what a key pattern allows: reading, writing, or both.
type Perm uint8

// Key permissions (%R~, %W~, ~).
const (
	PermRead  Perm = 1
	PermWrite Perm = 2
	PermAll        = PermRead | PermWrite
)

// KeyPattern is one key pattern of a selector.
type KeyPattern struct {
	Pattern string
	Perm    Perm
	pat     []byte // Pattern, for matching without a conversion per key
}

func (k KeyPattern) String() string {
	switch k.Perm {
	case PermRead:
		return "%R~" + k.Pattern
	case PermWrite:
		return "%W~" + k.Pattern
	}
	return "~" + k.Pattern
}

// Errors of single rules; SETUSER wraps them with the rule's text.
var (
	errSyntax       = errors.New("Syntax error")
	errUnknown      = errors.New("Unknown command or category name in ACL")
	errKeysAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errChanAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errBadHash      = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errNoSuchPass   = errors.New("The password you are trying to remove from the user does not exist")
)

// Selector is one set of permissions: the root one of a user, or one of
// the extra selectors written "(...)". A command is allowed when one
// selector allows the command, all its keys and all its channels.
type Selector struct {
	cat  *Catalog
	cmds []uint64 // allowed command ids
	// allCommands: every command is allowed (+@all and nothing taken away
	// since); future: +@all was given and -@all not since, so commands the
	// catalog gains later would be allowed too (it picks "+@all" or
	// "-@all" as the start of the description).
	allCommands, future bool
	// firstArgs: for a command not allowed as a whole, the first arguments
	// it may still run with ("+select|0").
	firstArgs   map[int][]string
	keys        []KeyPattern
	allKeys     bool
	channels    []string
	allChannels bool
}

func newSelector(cat *Catalog) *Selector {
	return &Selector{cat: cat, cmds: make([]uint64, (cat.Len()+63)/64)}
}

func (s *Selector) clone() *Selector {
	n := *s
	n.cmds = append([]uint64(nil), s.cmds...)
	n.keys = append([]KeyPattern(nil), s.keys...)
	n.channels = append([]string(nil), s.channels...)
	if s.firstArgs != nil {
		n.firstArgs = make(map[int][]string, len(s.firstArgs))
		for k, v := range s.firstArgs {
			n.firstArgs[k] = append([]string(nil), v...)
		}
	}
	return &n
}

func (s *Selector) bit(id int) bool { return s.cmds[id/64]&(1<<(id%64)) != 0 }

func (s *Selector) setBit(id int, on bool) {
	if on {
		s.cmds[id/64] |= 1 << (id % 64)
	} else {
		s.cmds[id/64] &^= 1 << (id % 64)
	}
}

// setCommand allows or denies a command and all its subcommands, and
// forgets its first-argument exceptions.
func (s *Selector) setCommand(id int, on bool) {
	s.setBit(id, on)
	delete(s.firstArgs, id)
	for _, sub := range s.cat.cmds[id].Subs {
		s.setCommand(sub, on)
	}
}

// setCategory allows or denies every command and subcommand in a category.
func (s *Selector) setCategory(bit uint32, on bool) {
	s.cat.categories()
	s.cat.walk(func(id int) {
		if s.cat.cmds[id].Cats&bit != 0 {
			s.setCommand(id, on)
		}
	})
}

func (s *Selector) setAll(on bool) {
	for i := range s.cmds {
		if on {
			s.cmds[i] = ^uint64(0)
		} else {
			s.cmds[i] = 0
		}
	}
	s.allCommands, s.future = on, on
	s.firstArgs = nil
}

// apply applies one selector rule (keys, channels, commands).
func (s *Selector) apply(op string) error {
	lower := strings.ToLower(op)
	switch lower {
	case "allkeys":
		s.allKeys, s.keys = true, nil
		return nil
	case "resetkeys":
		s.allKeys, s.keys = false, nil
		return nil
	case "allchannels":
		s.allChannels, s.channels = true, nil
		return nil
	case "resetchannels":
		s.allChannels, s.channels = false, nil
		return nil
	case "allcommands", "+@all":
		s.setAll(true)
		return nil
	case "nocommands", "-@all":
		s.setAll(false)
		return nil
	}
	if op == "" {
		return errSyntax
	}
	switch op[0] {
	case '~', '%':
		return s.addKeyPattern(op)
	case '&':
		if s.allChannels {
			return errChanAfterAll
		}
		pat := op[1:]
		if pat == "*" {
			s.allChannels, s.channels = true, nil
			return nil
		}
		for _, c := range s.channels {
			if c == pat {
				return nil
			}
		}
		s.channels = append(s.channels, pat)
		return nil
	case '+', '-':
		return s.applyCommand(op[0] == '+', lower[1:])
	}
	return errSyntax
}

func (s *Selector) addKeyPattern(op string) error {
	if s.allKeys {
		return errKeysAfterAll
	}
	// "~pat", or "%" then R and/or W then "~pat"; the pattern may be
	// empty, as in Redis.
	perm := PermAll
	i := 1
	if op[0] == '%' {
		perm = 0
		tilde := false
		for ; i < len(op) && !tilde; i++ {
			c := op[i]
			switch {
			case (c == 'R' || c == 'r') && perm&PermRead == 0:
				perm |= PermRead
			case (c == 'W' || c == 'w') && perm&PermWrite == 0:
				perm |= PermWrite
			case c == '~':
				tilde = true
			default:
				return errSyntax
			}
		}
		if !tilde || perm == 0 {
			return errSyntax
		}
	}
	pat := op[i:]
	if pat == "*" && perm == PermAll {
		s.allKeys, s.keys = true, nil
		return nil
	}
	for j := range s.keys {
		if s.keys[j].Pattern == pat {
			s.keys[j].Perm |= perm
			if pat == "*" && s.keys[j].Perm == PermAll {
				s.allKeys, s.keys = true, nil
			}
			return nil
		}
	}
	s.keys = append(s.keys, KeyPattern{Pattern: pat, Perm: perm, pat: []byte(pat)})
	return nil
}

func (s *Selector) applyCommand(allow bool, name string) error {
	if strings.HasPrefix(name, "@") {
		bit := CategoryBit(name[1:])
		if bit == 0 {
			return errUnknown
		}
		s.setCategory(bit, allow)
		if !allow {
			s.allCommands = false
		}
		return nil
	}
	if id, ok := s.cat.Lookup(name); ok {
		s.setCommand(id, allow)
		if !allow {
			s.allCommands = false
		}
		return nil
	}
	// "cmd|arg": a subcommand, or a first argument of a command that has
	// no subcommands, which may only be allowed.
	bar := strings.IndexByte(name, '|')
	if bar <= 0 || bar == len(name)-1 {
		return errUnknown
	}
	parent, ok := s.cat.Lookup(name[:bar])
	if !ok || !allow || len(s.cat.cmds[parent].Subs) > 0 || s.cat.cmds[parent].Parent >= 0 {
		return errUnknown
	}
	arg := name[bar+1:]
	if strings.IndexByte(arg, '|') >= 0 {
		return errUnknown
	}
	if s.bit(parent) {
		return nil
	}
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	for _, a := range s.firstArgs[parent] {
		if a == arg {
			return nil
		}
	}
	s.firstArgs[parent] = append(s.firstArgs[parent], arg)
	return nil
}

// unrestricted reports whether the selector allows everything.
func (s *Selector) unrestricted() bool { return s.allCommands && s.allKeys && s.allChannels }
