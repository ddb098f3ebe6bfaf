package command

import (
	"sort"
	"strconv"
	"strings"

	"github.com/damselfly-db/damselfly/internal/cmddocs"
	"github.com/damselfly-db/damselfly/internal/glob"
	"github.com/damselfly-db/damselfly/internal/resp"
)

// COMMAND answers from two sources: Damselfly's own table for what it
// implements (names, arity, flags, key positions) and Redis's recorded
// metadata (internal/cmddocs) for what the table does not describe (key
// specifications, tips, argument trees, history). A command Redis does not
// know gets a key specification synthesised from its key positions.

type specMaker func(name string, arity int, flags Flag, h func(*Ctx), since, summary string, cats ...string) *Spec

func registerCommandCmd(t *Table, srv specMaker) {
	const f = Loading | Stale
	t.add(&Spec{
		Name: "command", Arity: -1, Flags: f | NoLock, Group: "server", Since: "2.8.13",
		Summary: "Returns detailed information about all commands.", Categories: []string{"connection"},
		Subcommands: []*Spec{
			srv("count", 2, f, func(c *Ctx) { c.W.Int(int64(len(c.Env.Table.byName))) }, "2.8.13", "Returns a count of commands.", "connection"),
			srv("docs", -2, f, cmdCommandDocs, "7.0.0", "Returns documentary information about one, multiple or all commands.", "connection"),
			srv("getkeys", -4, f, func(c *Ctx) { commandGetKeys(c, false) }, "2.8.13", "Extracts the key names from an arbitrary command.", "connection"),
			srv("getkeysandflags", -4, f, func(c *Ctx) { commandGetKeys(c, true) }, "7.0.0", "Extracts the key names and access flags for an arbitrary command.", "connection"),
			srv("info", -2, f, cmdCommandInfo, "2.8.13", "Returns information about one, multiple or all commands.", "connection"),
			srv("list", -2, f, cmdCommandList, "7.0.0", "Returns a list of command names.", "connection"),
			srv("help", 2, f, commandHelp, "5.0.0", "Returns helpful text about the different subcommands.", "connection"),
		},
		Handler: func(c *Ctx) {
			if len(c.Args) == 1 {
				all := c.Env.Table.All()
				c.W.Array(len(all))
				for _, s := range all {
					writeCommandInfo(c.W, s, nil)
				}
				return
			}
			runSub(c)
		},
	})
}

// lookupFull finds "get" or "config|get".
func (t *Table) lookupFull(name string) (s, parent *Spec) {
	if i := strings.IndexByte(name, '|'); i >= 0 {
		p := t.Lookup([]byte(name[:i]))
		if p == nil {
			return nil, nil
		}
		sub := p.Sub([]byte(name[i+1:]))
		if sub == nil {
			return nil, nil
		}
		return sub, p
	}
	return t.Lookup([]byte(name)), nil
}

func cmdCommandInfo(c *Ctx) {
	if len(c.Args) == 2 {
		all := c.Env.Table.All()
		c.W.Array(len(all))
		for _, s := range all {
			writeCommandInfo(c.W, s, nil)
		}
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		s, parent := c.Env.Table.lookupFull(string(a))
		if s == nil {
			c.W.NullArray()
			continue
		}
		writeCommandInfo(c.W, s, parent)
	}
}

// writeCommandInfo writes Redis 7's ten-element COMMAND INFO entry.
func writeCommandInfo(w *resp.Writer, s, parent *Spec) {
	name := s.FullName(parent)
	w.Array(10)
	w.BulkString(name)
	w.Int(int64(s.Arity))
	flags := s.FlagNames()
	if s.KeysFn != nil && !s.Has(MovableKeys) {
		flags = append(flags, "movablekeys")
	}
	sort.SliceStable(flags, func(i, j int) bool { return flagRank(flags[i]) < flagRank(flags[j]) })
	w.Set(len(flags))
	for _, f := range flags {
		w.Simple(f)
	}
	w.Int(int64(s.First))
	w.Int(int64(s.Last))
	w.Int(int64(s.Step))
	cats := specCategories(s, name)
	w.Set(len(cats))
	for _, cat := range cats {
		w.Simple("@" + cat)
	}
	tips := cmddocs.Tips(name)
	w.Set(len(tips))
	for _, t := range tips {
		w.BulkString(t)
	}
	if ks, ok := cmddocs.KeySpecs(name); ok {
		ks.Write(w)
	} else {
		synthKeySpecs(s).Write(w)
	}
	if len(s.Subcommands) == 0 {
		w.Set(0)
		return
	}
	w.Array(len(s.Subcommands))
	for _, sub := range s.Subcommands {
		writeCommandInfo(w, sub, s)
	}
}

// redisFlagOrder is the order in which Redis 7 lists command flags.
var redisFlagOrder = []string{
	"write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
	"loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
	"no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy",
}

func flagRank(f string) int {
	for i, x := range redisFlagOrder {
		if x == f {
			return i
		}
	}
	return len(redisFlagOrder)
}

// aclCategories is Redis's category table, in the order COMMAND INFO
// lists them.
var aclCategories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
	"dangerous", "connection", "transaction", "scripting",
}

func categoryBit(name string) uint32 {
	for i, c := range aclCategories {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// implicitCategories are the categories Redis derives from flags.
func implicitCategories(flags []string, explicit uint32) uint32 {
	var m uint32
	has := func(f string) bool {
		for _, x := range flags {
			if x == f {
				return true
			}
		}
		return false
	}
	if has("write") {
		m |= categoryBit("write")
	}
	if has("readonly") && explicit&categoryBit("scripting") == 0 {
		m |= categoryBit("read")
	}
	if has("admin") {
		m |= categoryBit("admin") | categoryBit("dangerous")
	}
	if has("pubsub") {
		m |= categoryBit("pubsub")
	}
	if has("fast") {
		m |= categoryBit("fast")
	}
	if has("blocking") {
		m |= categoryBit("blocking")
	}
	if (m|explicit)&categoryBit("fast") == 0 {
		m |= categoryBit("slow")
	}
	return m
}

// specCategories computes s's ACL categories: the explicit ones (the
// spec's own, plus those Redis lists that its flags do not imply) and the
// ones s's flags imply.
func specCategories(s *Spec, name string) []string {
	var explicit uint32
	for _, c := range s.Categories {
		explicit |= categoryBit(c)
	}
	if n, ok := cmddocs.Info(name); ok {
		var redisFlags []string
		for _, f := range n.Elems[2].Elems {
			redisFlags = append(redisFlags, f.Str)
		}
		var redisCats uint32
		for _, c := range cmddocs.Categories(name) {
			redisCats |= categoryBit(c)
		}
		explicit |= redisCats &^ implicitCategories(redisFlags, redisCats)
	}
	m := explicit | implicitCategories(s.FlagNames(), explicit)
	var out []string
	for i, c := range aclCategories {
		if m&(1<<i) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// keySpecFlags are the access flags a synthesised key spec gets.
func keySpecFlags(s *Spec) []string {
	if s.Has(Write) {
		return []string{"RW", "access", "update"}
	}
	return []string{"RO", "access"}
}

// synthKeySpecs builds a key specification from s's key positions, for
// commands Redis does not describe.
func synthKeySpecs(s *Spec) *cmddocs.Node {
	if s.First <= 0 {
		return &cmddocs.Node{Type: '~'}
	}
	bulk := func(v string) cmddocs.Node { return cmddocs.Node{Type: '$', Str: v} }
	num := func(v int) cmddocs.Node { return cmddocs.Node{Type: ':', Int: int64(v)} }
	var flags []cmddocs.Node
	for _, f := range keySpecFlags(s) {
		flags = append(flags, cmddocs.Node{Type: '+', Str: f})
	}
	last := s.Last
	if last >= 0 {
		last -= s.First
	}
	spec := cmddocs.Node{Type: '%', Elems: []cmddocs.Node{
		bulk("flags"), {Type: '~', Elems: flags},
		bulk("begin_search"), {Type: '%', Elems: []cmddocs.Node{
			bulk("type"), bulk("index"),
			bulk("spec"), {Type: '%', Elems: []cmddocs.Node{bulk("index"), num(s.First)}},
		}},
		bulk("find_keys"), {Type: '%', Elems: []cmddocs.Node{
			bulk("type"), bulk("range"),
			bulk("spec"), {Type: '%', Elems: []cmddocs.Node{bulk("lastkey"), num(last), bulk("keystep"), num(s.Step), bulk("limit"), num(0)}},
		}},
	}}
	return &cmddocs.Node{Type: '~', Elems: []cmddocs.Node{spec}}
}

func cmdCommandDocs(c *Ctx) {
	type entry struct{ s, parent *Spec }
	var list []entry
	if len(c.Args) == 2 {
		for _, s := range c.Env.Table.All() {
			list = append(list, entry{s, nil})
		}
	} else {
		for _, a := range c.Args[2:] {
			if s, p := c.Env.Table.lookupFull(string(a)); s != nil {
				list = append(list, entry{s, p})
			}
		}
	}
	c.W.Map(len(list))
	for _, e := range list {
		c.W.BulkString(e.s.FullName(e.parent))
		writeCommandDocs(c.W, e.s, e.parent)
	}
}

// writeCommandDocs writes the COMMAND DOCS map of one command, fields in
// Redis's order.
func writeCommandDocs(w *resp.Writer, s, parent *Spec) {
	name := s.FullName(parent)
	red, _ := cmddocs.Docs(name)
	type field struct {
		key   string
		str   string
		node  *cmddocs.Node
		write func()
	}
	var fields []field
	text := func(key, own string) {
		if own != "" {
			fields = append(fields, field{key: key, str: own})
		} else if n, ok := red.Get(key); ok {
			fields = append(fields, field{key: key, node: n})
		}
	}
	group := s.Group
	if group == "" && parent != nil {
		group = parent.Group
	}
	text("summary", s.Summary)
	text("since", s.Since)
	text("group", group)
	text("complexity", s.Complexity)
	for _, k := range []string{"doc_flags", "deprecated_since", "replaced_by", "history", "arguments"} {
		text(k, "")
	}
	if len(s.Subcommands) > 0 {
		fields = append(fields, field{key: "subcommands", write: func() {
			w.Map(len(s.Subcommands))
			for _, sub := range s.Subcommands {
				w.BulkString(sub.FullName(s))
				writeCommandDocs(w, sub, s)
			}
		}})
	}
	w.Map(len(fields))
	for _, f := range fields {
		w.BulkString(f.key)
		switch {
		case f.write != nil:
			f.write()
		case f.node != nil:
			f.node.Write(w)
		default:
			w.BulkString(f.str)
		}
	}
}

func cmdCommandList(c *Ctx) {
	var match func(name string, s *Spec) bool
	switch {
	case len(c.Args) == 2:
		match = func(string, *Spec) bool { return true }
	case len(c.Args) == 5 && strings.EqualFold(string(c.Args[2]), "filterby"):
		arg := string(c.Args[4])
		switch strings.ToLower(string(c.Args[3])) {
		case "module":
			match = func(string, *Spec) bool { return false }
		case "aclcat":
			bit := categoryBit(arg)
			match = func(name string, s *Spec) bool {
				if bit == 0 {
					return false
				}
				for _, cat := range specCategories(s, name) {
					if categoryBit(cat) == bit {
						return true
					}
				}
				return false
			}
		case "pattern":
			match = func(name string, _ *Spec) bool { return glob.MatchString(arg, name, true) }
		default:
			c.Err(ErrSyntax)
			return
		}
	default:
		c.Err(ErrSyntax)
		return
	}
	var names []string
	for _, s := range c.Env.Table.All() {
		if match(s.Name, s) {
			names = append(names, s.Name)
		}
		for _, sub := range s.Subcommands {
			if n := sub.FullName(s); match(n, sub) {
				names = append(names, n)
			}
		}
	}
	c.W.Array(len(names))
	for _, n := range names {
		c.W.BulkString(n)
	}
}

func commandGetKeys(c *Ctx, withFlags bool) {
	args := c.Args[2:]
	s := c.Env.Table.Lookup(args[0])
	var parent *Spec
	if s != nil && len(s.Subcommands) > 0 && len(args) > 1 {
		parent, s = s, s.Sub(args[1])
	}
	if s == nil {
		c.Err("ERR Invalid command specified")
		return
	}
	if !arityOK(s.Arity, len(args)) {
		c.Err("ERR Invalid number of arguments specified for command")
		return
	}
	name := s.FullName(parent)
	redisSpecs, haveRedis := cmddocs.KeySpecs(name)
	if s.First <= 0 && s.KeysFn == nil && !(haveRedis && len(redisSpecs.Elems) > 0) {
		c.Err("ERR The command has no key arguments")
		return
	}
	pos := s.KeyPositions(args)
	if len(pos) == 0 && s.First <= 0 && s.KeysFn == nil && haveRedis {
		// A command Redis gives keys to but our table does not locate.
		for p := range resolveKeySpecs(redisSpecs, args) {
			pos = append(pos, p)
		}
		sort.Ints(pos)
	}
	c.W.Array(len(pos))
	var flagsAt map[int][]string
	if withFlags && haveRedis {
		flagsAt = resolveKeySpecs(redisSpecs, args)
		variableKeyFlags(name, args, flagsAt)
	}
	for _, p := range pos {
		if !withFlags {
			c.W.Bulk(args[p])
			continue
		}
		c.W.Array(2)
		c.W.Bulk(args[p])
		flags, ok := flagsAt[p]
		if !ok {
			flags = keySpecFlags(s)
		}
		c.W.Set(len(flags))
		for _, f := range flags {
			c.W.Simple(f)
		}
	}
}

// variableKeyFlags refines the flags of key specs marked variable_flags
// from the arguments, as Redis's getkeys procedures for SET and BITFIELD do.
func variableKeyFlags(name string, args [][]byte, flags map[int][]string) {
	switch name {
	case "set":
		f := []string{"OW", "update"}
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "get") {
				f = []string{"RW", "access", "update"}
				break
			}
		}
		flags[1] = f
	case "bitfield":
		f := []string{"RO", "access"}
		for _, a := range args[2:] {
			if strings.EqualFold(string(a), "set") || strings.EqualFold(string(a), "incrby") {
				f = []string{"RW", "access", "update"}
				break
			}
		}
		flags[1] = f
	case "sort":
		// The STORE destination, which Redis's key spec cannot locate
		// (its getkeys procedure flags it as overwritten).
		for _, p := range sortKeys(args) {
			if p != 1 {
				flags[p] = []string{"OW", "update"}
			}
		}
	}
}

// resolveKeySpecs applies Redis key specifications to a command line and
// returns each key position's access flags (the first spec that finds a
// position wins).
func resolveKeySpecs(specs *cmddocs.Node, args [][]byte) map[int][]string {
	out := map[int][]string{}
	argc := len(args)
	for i := range specs.Elems {
		ks := &specs.Elems[i]
		var flags []string
		if fn, ok := ks.Get("flags"); ok {
			for _, f := range fn.Elems {
				flags = append(flags, f.Str)
			}
		}
		bs, ok1 := ks.Get("begin_search")
		fk, ok2 := ks.Get("find_keys")
		if !ok1 || !ok2 {
			continue
		}
		bt, _ := bs.Get("type")
		bspec, _ := bs.Get("spec")
		var first int
		switch bt.Str {
		case "index":
			n, _ := bspec.Get("index")
			first = int(n.Int)
		case "keyword":
			kw, _ := bspec.Get("keyword")
			sf, _ := bspec.Get("startfrom")
			start := int(sf.Int)
			found := -1
			if start >= 0 {
				for j := start; j < argc; j++ {
					if strings.EqualFold(string(args[j]), kw.Str) {
						found = j
						break
					}
				}
			} else {
				for j := argc + start; j > 0; j-- {
					if strings.EqualFold(string(args[j]), kw.Str) {
						found = j
						break
					}
				}
			}
			if found < 0 {
				continue
			}
			first = found + 1
		default:
			continue
		}
		ft, _ := fk.Get("type")
		fspec, _ := fk.Get("spec")
		get := func(k string) int {
			n, _ := fspec.Get(k)
			if n == nil {
				return 0
			}
			return int(n.Int)
		}
		var last, step int
		switch ft.Str {
		case "range":
			lastkey, limit := get("lastkey"), get("limit")
			step = get("keystep")
			switch {
			case lastkey >= 0:
				last = first + lastkey
			case limit <= 1:
				last = argc + lastkey
			default:
				last = first + (argc-first)/limit + lastkey
			}
		case "keynum":
			idx := first + get("keynumidx")
			if idx >= argc {
				continue
			}
			n, err := strconv.Atoi(string(args[idx]))
			if err != nil || n < 0 {
				continue
			}
			step = get("keystep")
			first += get("firstkey")
			last = first + (n-1)*step
		default:
			continue
		}
		if step <= 0 {
			step = 1
		}
		for p := first; p <= last && p < argc; p += step {
			if _, seen := out[p]; !seen && p > 0 {
				out[p] = flags
			}
		}
	}
	return out
}

func commandHelp(c *Ctx) {
	writeHelp(c, "COMMAND",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
		"HELP",
		"    Prints this help.",
	)
}
