package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// User is one ACL user. A User is never changed once published: SETUSER
// builds a new one and swaps it into the user's Handle, so connections
// read it without locks.
type User struct {
	Name    string
	Enabled bool
	NoPass  bool
	// sanitize is 0 (not set), 1 (sanitize-payload) or 2
	// (skip-sanitize-payload); Damselfly does not check RESTORE payloads
	// more either way, but the flag is kept and shown as Redis does.
	sanitize  int
	passwords []string // hex SHA-256, in the order added
	root      *Selector
	selectors []*Selector
	// unrestricted: the root selector allows every command, key and
	// channel, so the dispatch check stops at this flag.
	unrestricted bool
	// resetAllChannels: "reset" grants every channel (acl-pubsub-default
	// allchannels). Set by Users before rules apply; not shown.
	resetAllChannels bool
}

// newUser returns a user as Redis creates one: off, no password, no
// commands, keys or channels.
func newUser(name string, cat *Catalog) *User {
	return &User{Name: name, root: newSelector(cat)}
}

func (u *User) clone() *User {
	n := *u
	n.passwords = append([]string(nil), u.passwords...)
	n.root = u.root.clone()
	n.selectors = make([]*Selector, len(u.selectors))
	for i, s := range u.selectors {
		n.selectors[i] = s.clone()
	}
	return &n
}

// Unrestricted reports whether the user may run anything on anything.
func (u *User) Unrestricted() bool { return u.unrestricted }

// Root is the user's root selector.
func (u *User) Root() *Selector { return u.root }

// Selectors are the user's extra selectors.
func (u *User) Selectors() []*Selector { return u.selectors }

// Passwords returns the SHA-256 digests, in hex.
func (u *User) Passwords() []string { return append([]string(nil), u.passwords...) }

// Flags lists the user's flags as GETUSER shows them.
func (u *User) Flags() []string {
	out := []string{"off"}
	if u.Enabled {
		out[0] = "on"
	}
	if u.NoPass {
		out = append(out, "nopass")
	}
	switch u.sanitize {
	case 1:
		out = append(out, "sanitize-payload")
	case 2:
		out = append(out, "skip-sanitize-payload")
	}
	return out
}

// HashPassword returns the hex SHA-256 digest ACLs store for a password.
func HashPassword(pass string) string {
	sum := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(sum[:])
}

// CheckPassword reports whether pass opens an enabled user.
func (u *User) CheckPassword(pass string) bool {
	if !u.Enabled {
		return false
	}
	if u.NoPass {
		return true
	}
	h := []byte(HashPassword(pass))
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare(h, []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

// Describe renders the user as ACL LIST and the ACL file do.
func (u *User) Describe() string {
	var b strings.Builder
	b.WriteString("user ")
	b.WriteString(u.Name)
	for _, f := range u.Flags() {
		b.WriteByte(' ')
		b.WriteString(f)
	}
	for _, p := range u.passwords {
		b.WriteString(" #")
		b.WriteString(p)
	}
	b.WriteByte(' ')
	b.WriteString(u.root.describe())
	for _, s := range u.selectors {
		b.WriteString(" (")
		b.WriteString(s.describe())
		b.WriteByte(')')
	}
	return b.String()
}

// RuleError is a rule SETUSER could not apply.
type RuleError struct {
	Rule string
	Err  error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("Error in ACL SETUSER modifier '%s': %s", e.Rule, e.Err)
}

// apply applies rules to u in order, stopping at the first bad one.
func (u *User) apply(rules []string) error {
	for _, r := range rules {
		if err := u.applyOne(r); err != nil {
			return &RuleError{Rule: r, Err: err}
		}
	}
	u.unrestricted = u.root.unrestricted()
	return nil
}

func (u *User) applyOne(op string) error {
	if len(op) >= 2 && op[0] == '(' && op[len(op)-1] == ')' {
		s := newSelector(u.root.cat)
		for _, r := range strings.Fields(op[1 : len(op)-1]) {
			if err := s.apply(r); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, s)
		return nil
	}
	switch strings.ToLower(op) {
	case "on":
		u.Enabled = true
		return nil
	case "off":
		u.Enabled = false
		return nil
	case "nopass":
		u.NoPass, u.passwords = true, nil
		return nil
	case "resetpass":
		u.NoPass, u.passwords = false, nil
		return nil
	case "sanitize-payload":
		u.sanitize = 1
		return nil
	case "skip-sanitize-payload":
		u.sanitize = 2
		return nil
	case "clearselectors":
		u.selectors = nil
		return nil
	case "reset":
		rules := []string{"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "clearselectors", "-@all"}
		if u.resetAllChannels {
			rules[2] = "allchannels"
		}
		for _, r := range rules {
			if err := u.applyOne(r); err != nil {
				return err
			}
		}
		return nil
	}
	switch op[0] {
	case '>':
		h := HashPassword(op[1:])
		u.addPassword(h)
		return nil
	case '#':
		if !validHash(op[1:]) {
			return errBadHash
		}
		u.addPassword(op[1:])
		return nil
	case '<', '!':
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword(h)
		} else if !validHash(h) {
			return errBadHash
		}
		for i, p := range u.passwords {
			if p == h {
				u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
				return nil
			}
		}
		return errNoSuchPass
	}
	return u.root.apply(op)
}

func (u *User) addPassword(h string) {
	u.NoPass = false
	for _, p := range u.passwords {
		if p == h {
			return
		}
	}
	u.passwords = append(u.passwords, h)
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// MergeSelectors joins SETUSER arguments that a selector spans: "(~a",
// "+get)" become "(~a +get)". It fails on a parenthesis left open, with
// Redis's text.
func MergeSelectors(args []string) ([]string, error) {
	var out []string
	var open []string
	for _, a := range args {
		if open != nil {
			open = append(open, a)
			if strings.HasSuffix(a, ")") {
				out = append(out, strings.Join(open, " "))
				open = nil
			}
			continue
		}
		if strings.HasPrefix(a, "(") && !strings.HasSuffix(a, ")") {
			open = []string{a}
			continue
		}
		out = append(out, a)
	}
	if open != nil {
		return nil, fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", strings.Join(open, " "))
	}
	return out, nil
}
