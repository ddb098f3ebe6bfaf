package acl

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Handle is a user as connections know it: its current rules (swapped
// whole by SETUSER) and whether it was deleted.
type Handle struct {
	name string
	u    atomic.Pointer[User]
}

// Load returns the user's current rules.
func (h *Handle) Load() *User { return h.u.Load() }

// Name is the user's name.
func (h *Handle) Name() string { return h.name }

// Users is the set of ACL users of a server.
type Users struct {
	cat *Catalog
	// allChannels: acl-pubsub-default is allchannels, so new users (and
	// "reset") may use every channel.
	allChannels atomic.Bool
	mu          sync.Mutex // serialises changes; readers use the handles
	// byName is replaced, never changed in place, so lookups need no lock.
	byName atomic.Pointer[map[string]*Handle]
	def    *Handle
}

// NewUsers returns the users of a fresh server: "default", on, nopass,
// allowed everything.
func NewUsers(cat *Catalog) *Users {
	us := &Users{cat: cat}
	us.def = &Handle{name: "default"}
	us.def.u.Store(defaultUser(cat))
	m := map[string]*Handle{"default": us.def}
	us.byName.Store(&m)
	return us
}

func defaultUser(cat *Catalog) *User {
	u := newUser("default", cat)
	if err := u.apply([]string{"on", "nopass", "~*", "&*", "+@all"}); err != nil {
		panic("acl: default user: " + err.Error())
	}
	return u
}

// Catalog is the command catalog rules refer to.
func (us *Users) Catalog() *Catalog { return us.cat }

// Default is the default user's handle.
func (us *Users) Default() *Handle { return us.def }

// AuthRequired reports whether new connections must authenticate: the
// default user has a password or is off.
func (us *Users) AuthRequired() bool {
	u := us.def.Load()
	return !u.NoPass || !u.Enabled
}

// Get finds a user's handle.
func (us *Users) Get(name string) *Handle { return (*us.byName.Load())[name] }

// Names lists the user names, sorted.
func (us *Users) Names() []string {
	m := *us.byName.Load()
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrBadName is SETUSER's refusal of a name with spaces or NULs.
var ErrBadName = errors.New("Usernames can't contain spaces or null characters")

// SetUser creates or changes a user by applying rules to a copy of it;
// on error nothing changes. It returns the handle and the user's rules
// before the change (nil for a new user).
func (us *Users) SetUser(name string, rules []string) (*Handle, *User, error) {
	if strings.ContainsAny(name, " \x00") {
		return nil, nil, ErrBadName
	}
	rules, err := MergeSelectors(rules)
	if err != nil {
		return nil, nil, err
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	h := us.Get(name)
	var old, u *User
	if h != nil {
		old = h.Load()
		u = old.clone()
	} else {
		u = us.newUser(name)
	}
	u.resetAllChannels = us.allChannels.Load()
	if err := u.apply(rules); err != nil {
		return nil, nil, err
	}
	if h == nil {
		h = &Handle{name: name}
		h.u.Store(u)
		us.replace(func(m map[string]*Handle) { m[name] = h })
	} else {
		h.u.Store(u)
	}
	return h, old, nil
}

// SetPubsubDefault applies acl-pubsub-default: whether new users may use
// every channel.
func (us *Users) SetPubsubDefault(all bool) { us.allChannels.Store(all) }

// newUser creates a user as Redis does: off, no password, no commands or
// keys, channels as acl-pubsub-default says.
func (us *Users) newUser(name string) *User {
	u := newUser(name, us.cat)
	if us.allChannels.Load() {
		u.root.allChannels = true
	}
	return u
}

// SetDefaultPassword applies requirepass: the default user gets exactly
// that password, or none ("nopass") when it is empty.
func (us *Users) SetDefaultPassword(pass string) {
	us.mu.Lock()
	defer us.mu.Unlock()
	u := us.def.Load().clone()
	rules := []string{"nopass"}
	if pass != "" {
		rules = []string{"resetpass", ">" + pass}
	}
	if err := u.apply(rules); err != nil {
		panic("acl: requirepass: " + err.Error())
	}
	us.def.u.Store(u)
}

// ErrDeleteDefault is DELUSER's refusal to delete "default".
var ErrDeleteDefault = errors.New("The 'default' user cannot be removed")

// DelUsers deletes users and returns the handles removed.
func (us *Users) DelUsers(names []string) ([]*Handle, error) {
	for _, n := range names {
		if n == "default" {
			return nil, ErrDeleteDefault
		}
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	var gone []*Handle
	us.replace(func(m map[string]*Handle) {
		for _, n := range names {
			if h, ok := m[n]; ok {
				gone = append(gone, h)
				delete(m, n)
			}
		}
	})
	return gone, nil
}

// replace copies the name map, lets fn change the copy, and publishes it.
func (us *Users) replace(fn func(m map[string]*Handle)) {
	old := *us.byName.Load()
	m := make(map[string]*Handle, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	fn(m)
	us.byName.Store(&m)
}

// List renders every user as ACL LIST does, sorted by name.
func (us *Users) List() []string {
	names := us.Names()
	out := make([]string, 0, len(names))
	for _, n := range names {
		if h := us.Get(n); h != nil {
			out = append(out, h.Load().Describe())
		}
	}
	return out
}
