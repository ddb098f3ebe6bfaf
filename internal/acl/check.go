package acl

import (
	"bytes"
	"strings"

	"github.com/damselfly-db/damselfly/internal/glob"
)

// Denial says why a command was refused. The values are ordered as in
// Redis: with several selectors, the refusal reported is the highest one.
type Denial int

// Check results.
const (
	Allowed Denial = iota
	DeniedCommand
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// Reason is the ACL LOG "reason" of a denial.
func (d Denial) Reason() string {
	switch d {
	case DeniedCommand:
		return "command"
	case DeniedKey:
		return "key"
	case DeniedAuth:
		return "auth"
	case DeniedChannel:
		return "channel"
	}
	return ""
}

// KeyRef is a key a command names and what the command does with it.
// Perm 0 (a key the command neither reads nor writes, like EXISTS's) only
// needs a pattern that matches.
type KeyRef struct {
	Key  []byte
	Perm Perm
}

// Request describes one command for a check.
type Request struct {
	ID       int    // catalog id of the command or subcommand
	FirstArg []byte // args[1], for first-argument rules; nil when absent
	Keys     []KeyRef
	// Channels published or subscribed to; Patterns when they are
	// PSUBSCRIBE patterns, matched literally against the user's.
	Channels [][]byte
	Patterns bool
}

// Check decides whether the user may run r. On refusal it returns the
// reason and the index of the refused key or channel (in r.Keys or
// r.Channels).
func (u *User) Check(r *Request) (Denial, int) {
	if u.unrestricted {
		return Allowed, 0
	}
	d, idx := u.root.check(r)
	if d == Allowed {
		return Allowed, 0
	}
	for _, s := range u.selectors {
		sd, si := s.check(r)
		if sd == Allowed {
			return Allowed, 0
		}
		if sd > d || (sd == d && si > idx) {
			d, idx = sd, si
		}
	}
	return d, idx
}

func (s *Selector) check(r *Request) (Denial, int) {
	if !s.allCommands && !s.cat.cmds[r.ID].NoAuth && !s.bit(r.ID) {
		if r.FirstArg == nil || !s.firstArgAllowed(r.ID, r.FirstArg) {
			return DeniedCommand, 0
		}
	}
	if !s.allKeys {
		for i, k := range r.Keys {
			if !s.keyAllowed(k) {
				return DeniedKey, i
			}
		}
	}
	if !s.allChannels {
		for i, ch := range r.Channels {
			if !s.channelAllowed(ch, r.Patterns) {
				return DeniedChannel, i
			}
		}
	}
	return Allowed, 0
}

func (s *Selector) firstArgAllowed(id int, arg []byte) bool {
	for _, a := range s.firstArgs[id] {
		if strings.EqualFold(a, string(arg)) {
			return true
		}
	}
	return false
}

func (s *Selector) keyAllowed(k KeyRef) bool {
	for _, p := range s.keys {
		if p.Perm&k.Perm != k.Perm {
			continue
		}
		if glob.Match(p.pat, k.Key, false) {
			return true
		}
	}
	return false
}

func (s *Selector) channelAllowed(ch []byte, isPattern bool) bool {
	for _, p := range s.channels {
		if isPattern {
			if bytes.Equal([]byte(p), ch) {
				return true
			}
		} else if glob.Match([]byte(p), ch, false) {
			return true
		}
	}
	return false
}

// ChannelAllowed reports whether a user may receive messages of a channel
// (or, with isPattern, a pattern): some selector must allow it. Used to
// decide which subscribers lose their connection when rules change.
func (u *User) ChannelAllowed(ch []byte, isPattern bool) bool {
	if u.root.allChannels || u.root.channelAllowed(ch, isPattern) {
		return true
	}
	for _, s := range u.selectors {
		if s.allChannels || s.channelAllowed(ch, isPattern) {
			return true
		}
	}
	return false
}
