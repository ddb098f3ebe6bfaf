package acl

import (
	"sort"
	"strings"
	"sync"
)

// categoryNames is Redis's ACL category table, in Redis's order: ACL CAT
// lists them so and the rule describer tries them so.
var categoryNames = [...]string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
	"dangerous", "connection", "transaction", "scripting",
}

// CategoryNames returns the ACL categories in Redis's order.
func CategoryNames() []string { return categoryNames[:] }

// CategoryBit returns the bit of a category name (case-insensitive), or 0.
func CategoryBit(name string) uint32 {
	for i, c := range categoryNames {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// Command is one entry of the catalog: a command or a subcommand.
type Command struct {
	Name   string // "get", or "config|get" for a subcommand
	Cats   uint32 // category bits (CategoryBit)
	Parent int    // id of the container command, -1 for a top-level one
	Subs   []int  // ids of the subcommands
	// NoAuth commands (AUTH, HELLO...) are allowed to every user.
	NoAuth bool
}

// Catalog lists the commands ACL rules may name. Ids are dense, from 0.
type Catalog struct {
	cmds   []Command
	byName map[string]int
	top    []int // top-level ids sorted by name

	// Categories come from command metadata that is large to load, so
	// they are filled on first use (a rule naming a category, ACL CAT, a
	// description) rather than at start.
	fillOnce sync.Once
	fill     func(setCats func(id int, cats uint32))
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{byName: map[string]int{}} }

// SetCategoryLoader gives the function that fills every command's
// categories the first time they are needed.
func (c *Catalog) SetCategoryLoader(fill func(setCats func(id int, cats uint32))) { c.fill = fill }

// categories makes sure the categories are loaded.
func (c *Catalog) categories() {
	c.fillOnce.Do(func() {
		if c.fill != nil {
			c.fill(func(id int, cats uint32) { c.cmds[id].Cats = cats })
		}
	})
}

// Add registers a command (parent -1) or a subcommand and returns its id.
// name is lower case; a subcommand's is "parent|sub".
func (c *Catalog) Add(name string, cats uint32, parent int, noAuth bool) int {
	id := len(c.cmds)
	c.cmds = append(c.cmds, Command{Name: name, Cats: cats, Parent: parent, NoAuth: noAuth})
	c.byName[name] = id
	if parent >= 0 {
		c.cmds[parent].Subs = append(c.cmds[parent].Subs, id)
	} else {
		c.top = append(c.top, id)
		sort.Slice(c.top, func(i, j int) bool { return c.cmds[c.top[i]].Name < c.cmds[c.top[j]].Name })
	}
	return id
}

// Len is the number of ids.
func (c *Catalog) Len() int { return len(c.cmds) }

// Command returns the entry of id.
func (c *Catalog) Command(id int) *Command { return &c.cmds[id] }

// Lookup finds a command by its lower-case full name.
func (c *Catalog) Lookup(name string) (int, bool) {
	id, ok := c.byName[name]
	return id, ok
}

// InCategory lists the full names of the commands and subcommands of a
// category (ACL CAT <category>), top-level commands by name, each
// followed by its subcommands.
func (c *Catalog) InCategory(bit uint32) []string {
	c.categories()
	var out []string
	c.walk(func(id int) {
		if c.cmds[id].Cats&bit != 0 {
			out = append(out, c.cmds[id].Name)
		}
	})
	return out
}

// walk visits every id: top-level commands by name, each followed by its
// subcommands in registration order.
func (c *Catalog) walk(fn func(id int)) {
	for _, id := range c.top {
		fn(id)
		for _, s := range c.cmds[id].Subs {
			fn(s)
		}
	}
}
