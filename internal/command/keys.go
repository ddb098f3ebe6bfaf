package command

import (
	"math"
	"strings"

	"github.com/damselfly-db/damselfly/internal/config"
	"math/rand/v2"
	"strconv"

	"github.com/damselfly-db/damselfly/internal/glob"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/shard"
	"github.com/damselfly-db/damselfly/internal/value"
)

func registerKeys(t *Table) {
	key := func(name string, arity int, flags Flag, first, last, step int, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: first, Last: last, Step: step, Handler: h,
			Group: "generic", Since: since, Summary: summary, Categories: []string{"keyspace"}}
	}
	t.add(
		key("del", -2, Write, 1, -1, 1, cmdDel, "1.0.0", "Deletes one or more keys."),
		key("unlink", -2, Write|Fast, 1, -1, 1, cmdUnlink, "4.0.0", "Asynchronously deletes one or more keys."),
		key("exists", -2, ReadOnly|Fast, 1, -1, 1, cmdExists, "1.0.0", "Determines whether one or more keys exist."),
		key("touch", -2, ReadOnly|Fast, 1, -1, 1, cmdTouch, "3.2.1", "Returns the number of existing keys out of those specified after updating the time they were last accessed."),
		key("type", 2, ReadOnly|Fast, 1, 1, 1, cmdType, "1.0.0", "Determines the type of value stored at a key."),
		key("expire", -3, Write|Fast, 1, 1, 1, func(c *Ctx) { expireGeneric(c, 1000, false) }, "1.0.0", "Sets the expiration time of a key in seconds."),
		key("pexpire", -3, Write|Fast, 1, 1, 1, func(c *Ctx) { expireGeneric(c, 1, false) }, "2.6.0", "Sets the expiration time of a key in milliseconds."),
		key("expireat", -3, Write|Fast, 1, 1, 1, func(c *Ctx) { expireGeneric(c, 1000, true) }, "1.2.0", "Sets the expiration time of a key to a Unix timestamp."),
		key("pexpireat", -3, Write|Fast, 1, 1, 1, func(c *Ctx) { expireGeneric(c, 1, true) }, "2.6.0", "Sets the expiration time of a key to a Unix milliseconds timestamp."),
		key("ttl", 2, ReadOnly|Fast, 1, 1, 1, func(c *Ctx) { ttlGeneric(c, false, false) }, "1.0.0", "Returns the expiration time in seconds of a key."),
		key("pttl", 2, ReadOnly|Fast, 1, 1, 1, func(c *Ctx) { ttlGeneric(c, true, false) }, "2.6.0", "Returns the expiration time in milliseconds of a key."),
		key("expiretime", 2, ReadOnly|Fast, 1, 1, 1, func(c *Ctx) { ttlGeneric(c, false, true) }, "7.0.0", "Returns the expiration time of a key as a Unix timestamp."),
		key("pexpiretime", 2, ReadOnly|Fast, 1, 1, 1, func(c *Ctx) { ttlGeneric(c, true, true) }, "7.0.0", "Returns the expiration time of a key as a Unix milliseconds timestamp."),
		key("persist", 2, Write|Fast, 1, 1, 1, cmdPersist, "2.2.0", "Removes the expiration time of a key."),
		key("rename", 3, Write, 1, 2, 1, func(c *Ctx) { renameGeneric(c, false) }, "1.0.0", "Renames a key and overwrites the destination."),
		key("renamenx", 3, Write|Fast, 1, 2, 1, func(c *Ctx) { renameGeneric(c, true) }, "1.0.0", "Renames a key only when the target key name doesn't exist."),
		key("copy", -3, Write|DenyOOM, 1, 2, 1, cmdCopy, "6.2.0", "Copies the value of a key to a new key."),
		key("move", 3, Write|Fast, 1, 1, 1, cmdMove, "1.0.0", "Moves a key to another database."),
		key("keys", 2, ReadOnly|NoLock, 0, 0, 0, cmdKeys, "1.0.0", "Returns all key names that match a pattern."),
		key("scan", -2, ReadOnly|NoLock, 0, 0, 0, cmdScan, "2.8.0", "Iterates over the key names in the database."),
		key("randomkey", 1, ReadOnly|NoLock, 0, 0, 0, cmdRandomKey, "1.0.0", "Returns a random key name from the database."),
		&Spec{Name: "object", Arity: -2, Flags: NoLock, Group: "generic", Since: "2.2.3", Summary: "A container for object introspection commands.",
			Subcommands: []*Spec{
				{Name: "encoding", Arity: 3, Flags: ReadOnly, First: 2, Last: 2, Step: 1, Summary: "Returns the internal encoding of a Redis object.", Handler: objectEncoding},
				{Name: "refcount", Arity: 3, Flags: ReadOnly, First: 2, Last: 2, Step: 1, Summary: "Returns the reference count of a value of a key.", Handler: objectRefcount},
				{Name: "idletime", Arity: 3, Flags: ReadOnly, First: 2, Last: 2, Step: 1, Summary: "Returns the time since the last access to a Redis object.", Handler: objectIdletime},
				{Name: "freq", Arity: 3, Flags: ReadOnly, First: 2, Last: 2, Step: 1, Summary: "Returns the logarithmic access frequency counter of a Redis object.", Handler: objectFreq},
				{Name: "help", Arity: 2, Summary: "Returns helpful text about the different subcommands.", Handler: objectHelp},
			},
			Handler: func(c *Ctx) { runSubLocked(c) }},
		&Spec{Name: "memory", Arity: -2, Flags: NoLock, Group: "server", Since: "4.0.0", Summary: "A container for memory diagnostics commands.",
			Subcommands: []*Spec{
				{Name: "usage", Arity: -3, Flags: ReadOnly, First: 2, Last: 2, Step: 1, Summary: "Estimates the memory usage of a key.", Handler: memoryUsage},
			},
			Handler: func(c *Ctx) { runSubLocked(c) }},
	)
}

// runSubLocked dispatches a subcommand that names one key at argument 2,
// holding that key's shard lock while it runs.
func runSubLocked(c *Ctx) {
	sub := c.Spec.Sub(c.Args[1])
	if sub == nil || !arityOK(sub.Arity, len(c.Args)) || sub.First == 0 {
		runSub(c)
		return
	}
	sh := c.ShardOf(c.Args[2])
	took := c.lock(sh)
	defer sh.Release(took)
	sub.Handler(c)
}

func cmdDel(c *Ctx) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if c.DB(k).Delete(k) {
			c.Notify(config.EventGeneric, "del", k)
			n++
		}
	}
	c.W.Int(n)
}

func cmdExists(c *Ctx) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if _, ok := c.DB(k).Peek(k); ok {
			n++
		}
	}
	c.W.Int(n)
}

func cmdTouch(c *Ctx) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if _, ok := c.DB(k).Find(k); ok {
			n++
		}
	}
	c.W.Int(n)
}

func cmdType(c *Ctx) {
	db := c.DB(c.Args[1])
	r, ok := db.Peek(c.Args[1])
	if !ok {
		c.W.Simple("none")
		return
	}
	c.W.Simple(db.Kind(r).String())
}

// expireGeneric implements EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with
// Redis 7's NX/XX/GT/LT options.
func expireGeneric(c *Ctx, unitMs int64, absolute bool) {
	var nx, xx, gt, lt bool
	for _, a := range c.Args[3:] {
		switch lower(a) {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "gt":
			gt = true
		case "lt":
			lt = true
		default:
			c.Err("ERR Unsupported option " + string(a))
			return
		}
	}
	if nx && (xx || gt || lt) {
		c.Err("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if gt && lt {
		c.Err("ERR GT and LT options at the same time are not compatible")
		return
	}
	n, ok := c.intArg(2)
	if !ok {
		return
	}
	when := n
	if unitMs == 1000 {
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			c.Err(errInvalidExpire(c.Spec.Name))
			return
		}
		when = n * 1000
	}
	if !absolute {
		if (when > 0 && c.Now > math.MaxInt64-when) || (when < 0 && c.Now < math.MinInt64-when) {
			c.Err(errInvalidExpire(c.Spec.Name))
			return
		}
		when += c.Now
	}
	db := c.DB(c.Args[1])
	r, exists := db.Find(c.Args[1])
	if !exists {
		c.W.Int(0)
		return
	}
	cur := db.ExpireAt(r)
	switch {
	case nx && cur != 0, xx && cur == 0:
		c.W.Int(0)
		return
	case gt && (cur == 0 || when <= cur):
		c.W.Int(0)
		return
	case lt && cur != 0 && when >= cur:
		c.W.Int(0)
		return
	}
	if when <= c.Now {
		db.DeleteRef(r)
		c.Notify(config.EventGeneric, "del", c.Args[1])
		c.W.Int(1)
		return
	}
	db.SetExpireAt(r, when)
	c.Notify(config.EventGeneric, "expire", c.Args[1])
	c.W.Int(1)
}

func ttlGeneric(c *Ctx, ms, abs bool) {
	db := c.DB(c.Args[1])
	r, ok := db.Peek(c.Args[1])
	if !ok {
		c.W.Int(-2)
		return
	}
	at := db.ExpireAt(r)
	if at == 0 {
		c.W.Int(-1)
		return
	}
	v := at
	if !abs {
		v = at - c.Now
		if v < 0 {
			v = 0
		}
	}
	if !ms {
		v = (v + 500) / 1000
	}
	c.W.Int(v)
}

func cmdPersist(c *Ctx) {
	db := c.DB(c.Args[1])
	r, ok := db.Find(c.Args[1])
	if !ok || db.ExpireAt(r) == 0 {
		c.W.Int(0)
		return
	}
	db.SetExpireAt(r, 0)
	c.Notify(config.EventGeneric, "persist", c.Args[1])
	c.W.Int(1)
}

// copyValue writes src's value (and expiry) under dst in db dstDB.
func copyValue(src *keyspace.DB, r keyspace.Ref, dstDB *keyspace.DB, dst []byte) {
	exp := src.ExpireAt(r)
	if src.Kind(r) == value.String {
		nr := dstDB.SetString(dst, src.Str(r), exp, false)
		if src.IsRaw(r) {
			dstDB.AppendString(nr, nil)
		}
		return
	}
	nr := dstDB.SetObject(dst, src.Obj(r).Clone(), false)
	dstDB.SetExpireAt(nr, exp)
}

func renameGeneric(c *Ctx, nx bool) {
	src, dst := c.Args[1], c.Args[2]
	sdb := c.DB(src)
	r, ok := sdb.Find(src)
	if !ok {
		c.Err(ErrNoSuchKey)
		return
	}
	if string(src) == string(dst) {
		if nx {
			c.W.Int(0)
		} else {
			c.W.OK()
		}
		return
	}
	ddb := c.DB(dst)
	if _, exists := ddb.Find(dst); exists && nx {
		c.W.Int(0)
		return
	}
	if sdb == ddb && sdb.Kind(r) != value.String {
		// Same table: move the object without cloning it.
		obj, exp := sdb.Obj(r), sdb.ExpireAt(r)
		sdb.DeleteRef(r)
		nr := ddb.SetObject(dst, obj, false)
		ddb.SetExpireAt(nr, exp)
	} else {
		copyValue(sdb, r, ddb, dst)
		sdb.Delete(src)
	}
	c.Notify(config.EventGeneric, "rename_from", src)
	c.Notify(config.EventGeneric, "rename_to", dst)
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
}

func cmdCopy(c *Ctx) {
	src, dst := c.Args[1], c.Args[2]
	dbIdx := c.Client.DB
	replace := false
	for i := 3; i < len(c.Args); i++ {
		switch opt := lower(c.Args[i]); {
		case opt == "replace":
			replace = true
		case opt == "db" && i+1 < len(c.Args):
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			if n < 0 || n >= int64(c.Env.Config.Databases) {
				c.Err(ErrDBIndex)
				return
			}
			dbIdx = int(n)
			i++
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	if string(src) == string(dst) && dbIdx == c.Client.DB {
		c.Err(ErrSameObject)
		return
	}
	sdb := c.DB(src)
	r, ok := sdb.Find(src)
	if !ok {
		c.W.Int(0)
		return
	}
	ddb := c.ShardOf(dst).DB(dbIdx)
	if _, exists := ddb.Find(dst); exists {
		if !replace {
			c.W.Int(0)
			return
		}
		ddb.Delete(dst)
	}
	copyValue(sdb, r, ddb, dst)
	c.Env.notify(config.EventGeneric, "copy_to", dst, dbIdx)
	c.W.Int(1)
}

func cmdMove(c *Ctx) {
	key := c.Args[1]
	n, ok := c.intArg(2)
	if !ok {
		return
	}
	if n < 0 || n >= int64(c.Env.Config.Databases) {
		c.Err(ErrDBIndex)
		return
	}
	if int(n) == c.Client.DB {
		c.Err(ErrSameObject)
		return
	}
	sh := c.ShardOf(key)
	src, dst := sh.DB(c.Client.DB), sh.DB(int(n))
	r, found := src.Find(key)
	if !found {
		c.W.Int(0)
		return
	}
	if _, exists := dst.Find(key); exists {
		c.W.Int(0)
		return
	}
	if src.Kind(r) == value.String {
		copyValue(src, r, dst, key)
	} else {
		obj, exp := src.Obj(r), src.ExpireAt(r)
		nr := dst.SetObject(key, obj, false)
		dst.SetExpireAt(nr, exp)
	}
	src.Delete(key)
	c.Notify(config.EventGeneric, "move_from", key)
	c.Env.notify(config.EventGeneric, "move_to", key, int(n))
	c.W.Int(1)
}

func cmdKeys(c *Ctx) {
	pattern := c.Args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	var out []string
	if !all && glob.IsLiteral(pattern) {
		sh := c.ShardOf(pattern)
		took := c.lock(sh)
		if _, ok := sh.DB(c.Client.DB).Peek(pattern); ok {
			out = append(out, string(pattern))
		}
		sh.Release(took)
	} else {
		// Dragonfly's keys_output_limit: a huge keyspace must not turn one
		// KEYS into a reply of unbounded size, so the reply stops at the
		// limit (0: none) and the truncation is logged.
		limit := int(c.Env.Config.KeysOutputLimit.Get())
		full := false
		c.EachShard(func(sh *shard.Shard) {
			if full {
				return
			}
			db := sh.DB(c.Client.DB)
			db.Each(func(r keyspace.Ref) bool {
				k := db.Key(r)
				if all || glob.Match(pattern, []byte(k), false) {
					if limit > 0 && len(out) >= limit {
						full = true
						return false
					}
					// A copy: the reply is written after the shard is
					// released, and a key view is only good while it
					// is held (keyspace's doc.go, "String views").
					out = append(out, strings.Clone(k))
				}
				return true
			})
		})
		if full {
			c.Env.Log.Warn("KEYS reply cut at keys_output_limit", "pattern", truncate(string(pattern), 128), "limit", limit, "client", c.Client.Addr)
		}
	}
	c.W.Array(len(out))
	for _, k := range out {
		c.W.BulkString(k)
	}
}

// SCAN cursors carry the shard index in their low bits and the table's
// reverse-binary cursor above them, so one cursor walks every shard in turn.
const shardBits = 7

func cmdScan(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[1])
	if !ok {
		c.Err(ErrCursor)
		return
	}
	var pattern []byte
	count := int64(10)
	var typ value.Kind
	hasType := false
	for i := 2; i < len(c.Args); i++ {
		opt := lower(c.Args[i])
		if i+1 >= len(c.Args) {
			c.Err(ErrSyntax)
			return
		}
		switch opt {
		case "match":
			pattern = c.Args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
		case "count":
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			if n < 1 {
				c.Err(ErrSyntax)
				return
			}
			count = n
		case "type":
			k, ok := value.ParseKind(string(c.Args[i+1]))
			if !ok {
				// Redis 7.0 answers an unknown type with an empty scan; a
				// kind that can never match does the same.
				k = value.Kind(255)
			}
			typ, hasType = k, true
		default:
			c.Err(ErrSyntax)
			return
		}
		i++
	}
	st := c.Env.Store
	idx := int(cursor & (1<<shardBits - 1))
	inner := cursor >> shardBits
	var keys []string
	if idx >= st.N() {
		c.W.Array(2)
		c.W.BulkString("0")
		c.W.Array(0)
		return
	}
	// Visit at most count*10 buckets, like Redis, so a sparse table or a
	// selective pattern cannot make one call walk the whole keyspace.
	budget := count * 10
	for budget > 0 && int64(len(keys)) < count {
		sh := st.Shard(idx)
		took := c.lock(sh)
		db := sh.DB(c.Client.DB)
		for {
			inner = db.Scan(inner, func(r keyspace.Ref) {
				if hasType && db.Kind(r) != typ {
					return
				}
				k := db.Key(r)
				if pattern != nil && !glob.Match(pattern, []byte(k), false) {
					return
				}
				keys = append(keys, strings.Clone(k)) // outlives the hold
			})
			budget--
			if inner == 0 || budget <= 0 || int64(len(keys)) >= count {
				break
			}
		}
		sh.Release(took)
		if inner == 0 {
			idx++
			if idx >= st.N() {
				idx = 0
				break
			}
		}
	}
	next := uint64(0)
	if !(inner == 0 && idx == 0) {
		next = inner<<shardBits | uint64(idx)
	}
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(len(keys))
	for _, k := range keys {
		c.W.BulkString(k)
	}
}

func cmdRandomKey(c *Ctx) {
	st := c.Env.Store
	sizes := make([]int, st.N())
	total := 0
	c.EachShard(func(sh *shard.Shard) {
		sizes[sh.ID] = sh.DB(c.Client.DB).Len()
		total += sizes[sh.ID]
	})
	for attempt := 0; total > 0 && attempt < 8; attempt++ {
		x := rand.IntN(total)
		i := 0
		for ; x >= sizes[i]; i++ {
			x -= sizes[i]
		}
		sh := st.Shard(i)
		took := c.lock(sh)
		db := sh.DB(c.Client.DB)
		r, ok := db.RandomRef()
		var k string
		if ok {
			k = strings.Clone(db.Key(r)) // outlives the hold
		}
		sh.Release(took)
		if ok {
			c.W.BulkString(k)
			return
		}
	}
	c.W.Null()
}

func (c *Ctx) peekArg2() (*keyspace.DB, keyspace.Ref, bool) {
	db := c.DB(c.Args[2])
	r, ok := db.Peek(c.Args[2])
	if !ok {
		c.W.Null()
	}
	return db, r, ok
}

func objectEncoding(c *Ctx) {
	db, r, ok := c.peekArg2()
	if !ok {
		return
	}
	if db.Kind(r) == value.String {
		c.W.BulkString(value.StringEncoding(db.Str(r), db.IsRaw(r)))
		return
	}
	c.W.BulkString(db.Obj(r).Encoding())
}

// sharedIntRefcount is what Redis reports for its shared integer objects.
const sharedIntRefcount = math.MaxInt32

func objectRefcount(c *Ctx) {
	db, r, ok := c.peekArg2()
	if !ok {
		return
	}
	if db.Kind(r) == value.String {
		if n, isInt := parseInt(db.Str(r)); isInt && n >= 0 && n < 10000 && !c.lfuOrLRU() {
			c.W.Int(sharedIntRefcount)
			return
		}
	}
	c.W.Int(1)
}

func (c *Ctx) maxmemoryPolicy() string {
	if kv := c.Env.Config.Get("maxmemory-policy"); len(kv) == 1 {
		return kv[0][1]
	}
	return "noeviction"
}

func (c *Ctx) lfuOrLRU() bool {
	p := c.maxmemoryPolicy()
	return len(p) > 4 && (p[len(p)-3:] == "lru" || p[len(p)-3:] == "lfu")
}

func (c *Ctx) lfuPolicy() bool {
	p := c.maxmemoryPolicy()
	return len(p) > 3 && p[len(p)-3:] == "lfu"
}

func objectIdletime(c *Ctx) {
	db, r, ok := c.peekArg2()
	if !ok {
		return
	}
	if c.lfuPolicy() {
		c.Err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	// Whole seconds on both clocks, as Redis subtracts its seconds LRU
	// clock readings.
	idle := c.Now/1000 - db.AccessTime(r)/1000
	if idle < 0 {
		idle = 0
	}
	c.W.Int(idle)
}

func objectFreq(c *Ctx) {
	db, r, ok := c.peekArg2()
	if !ok {
		return
	}
	if !c.lfuPolicy() {
		c.Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.W.Int(int64(db.Freq(r)))
}

func objectHelp(c *Ctx) {
	lines := []string{
		"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		"HELP",
		"    Print this help.",
	}
	c.W.Array(len(lines))
	for _, l := range lines {
		c.W.Simple(l)
	}
}

// keyOverhead approximates the bytes Redis would count for a key's dict
// entry and object headers, so MEMORY USAGE reads like Redis's.
const keyOverhead = 48

func memoryUsage(c *Ctx) {
	if len(c.Args) != 3 && !(len(c.Args) == 5 && lower(c.Args[3]) == "samples") {
		c.Err(ErrSyntax)
		return
	}
	if len(c.Args) == 5 {
		if _, ok := c.intArg(4); !ok {
			return
		}
	}
	db, r, ok := c.peekArg2()
	if !ok {
		return
	}
	size := int64(keyOverhead + len(db.Key(r)))
	if db.Kind(r) == value.String {
		size += int64(cap(db.Str(r)))
	} else {
		size += int64(db.Obj(r).Size())
	}
	c.W.Int(size)
}
