package command

import (
	"fmt"
	"github.com/damselfly-db/damselfly/internal/acl"
	"sort"
	"strings"
	"sync"
)

// Table is the set of commands the server knows.
type Table struct {
	byName map[string]*Spec
	// ACL is the catalog of command ids and categories ACL rules use.
	ACL          *acl.Catalog
	aclSpecs     []*Spec
	keyPlansOnce sync.Once
	// specs is the number of commands and subcommands (Spec.idx).
	specs int
}

// NewTable builds the table from every command family.
func NewTable() *Table {
	t := &Table{byName: map[string]*Spec{}}
	for _, register := range []func(*Table){
		registerConnection,
		registerStrings,
		registerLists,
		registerKeys,
		registerServer,
		registerReplication,
		registerModule,
		registerStreams,
		registerMulti,
		registerScripting,
		registerPubSub,
		registerHashes,
		registerSets,
		registerZSets,
		registerBitmaps,
		registerHyperLogLog,
		registerSort,
		registerGeo,
		registerPersistence,
		registerMigrate,
		registerACL,
		registerCluster,
	} {
		register(t)
	}
	for _, s := range t.All() {
		s.fullName = s.Name
		s.idx = t.specs
		t.specs++
		for _, sub := range s.Subcommands {
			sub.fullName = s.Name + "|" + strings.ToLower(sub.Name)
			sub.idx = t.specs
			t.specs++
		}
	}
	t.buildACLCatalog()
	if t.specs > statBlocks*statBlockSize {
		panic("command: raise statBlocks for the command table's size")
	}
	return t
}

func (t *Table) add(specs ...*Spec) {
	for _, s := range specs {
		s.Name = strings.ToLower(s.Name)
		if s.Step == 0 && s.First > 0 {
			s.Step = 1
		}
		if _, dup := t.byName[s.Name]; dup {
			panic("command: duplicate " + s.Name)
		}
		t.byName[s.Name] = s
	}
}

// Lookup finds a command by name, case-insensitively, without allocating
// for names up to 32 bytes.
func (t *Table) Lookup(name []byte) *Spec {
	var buf [32]byte
	if len(name) > len(buf) {
		return t.byName[strings.ToLower(string(name))]
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		buf[i] = c
	}
	return t.byName[string(buf[:len(name)])]
}

// sameCommand reports whether name, in any case, is the lower-case
// command name lower.
func sameCommand(name []byte, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// All returns the specs sorted by name.
func (t *Table) All() []*Spec {
	out := make([]*Spec, 0, len(t.byName))
	for _, s := range t.byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Sub finds a subcommand of s by name.
func (s *Spec) Sub(name []byte) *Spec {
	for _, sub := range s.Subcommands {
		if strings.EqualFold(sub.Name, string(name)) {
			return sub
		}
	}
	return nil
}

// errRestricted is Dragonfly's reply to a restricted command run outside
// the admin port.
const errRestricted = "ERR Cannot execute restricted command (admin only)"

// Restrict marks commands (names, case-insensitive, blanks trimmed) as
// runnable only by admin-port clients (restricted_commands). An unknown
// name is an error: a typo would leave the command open.
func (t *Table) Restrict(names []string) error {
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		s := t.Lookup([]byte(n))
		if s == nil {
			return fmt.Errorf("unknown command %q", n)
		}
		s.restricted = true
	}
	return nil
}
