package command

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/damselfly-db/damselfly/internal/digest"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/shard"
	"github.com/damselfly-db/damselfly/internal/value"
)

// cmdDebug is DEBUG: the subset of Redis's debugging subcommands that its
// test suite and client test suites use. Like Redis, DEBUG is one command
// whose first argument picks the action, not a container.
func cmdDebug(c *Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	n := len(c.Args)
	switch {
	case sub == "help" && n == 2:
		debugHelp(c)
	case sub == "sleep" && n == 3:
		debugSleep(c)
	case sub == "set-disable-deny-scripts" && n == 3:
		v, _ := strconv.Atoi(string(c.Args[2])) // atoi, as Redis
		c.Env.DisableDenyScripts.Store(v != 0)
		c.W.OK()
	case sub == "set-active-expire" && n == 3:
		v, _ := strconv.Atoi(string(c.Args[2])) // atoi, as Redis
		if c.Env.ActiveExpire != nil {
			c.Env.ActiveExpire.Store(v != 0)
		}
		c.W.OK()
	case sub == "object" && n == 3:
		debugObject(c)
	case sub == "sdslen" && n == 3:
		debugSDSLen(c)
	case sub == "digest" && n == 2:
		debugDigest(c)
	case sub == "digest-value" && n >= 2:
		debugDigestValue(c)
	case sub == "populate" && n >= 3:
		debugPopulate(c)
	case sub == "watched" && n == 2:
		debugWatched(c)
	case sub == "log" && n == 3:
		c.Env.Log.Warn("DEBUG LOG: " + string(c.Args[2]))
		c.W.OK()
	case sub == "reload":
		debugReload(c)
	case sub == "change-repl-id" && n == 2:
		c.Env.State.NewReplID()
		c.W.OK()
	case sub == "quicklist-packed-threshold" && n == 3:
		sz, ok := parseMemory(string(c.Args[2]))
		if !ok || sz > 4<<30 {
			c.Err("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
			return
		}
		c.W.OK()
	case (sub == "stringmatch-len" || sub == "stringmatch-test") && n == 2:
		c.W.Simple("Apparently Redis did not crash: test passed")
	case sub == "protocol" && n == 3:
		debugProtocol(c)
	case sub == "error" && n == 3:
		c.Err(string(c.Args[2]))
	case sub == "set-skip-checksum-validation" && n == 3,
		sub == "pause-cron" && n == 3,
		sub == "replybuffer" && n == 4,
		sub == "set-disable-deny-scripts" && n == 3,
		sub == "dict-resizing" && n == 3:
		// Knobs for Redis internals Damselfly does not have.
		c.W.OK()
	default:
		c.subcommandSyntaxError()
	}
}

func debugHelp(c *Ctx) {
	writeHelp(c, "DEBUG",
		"CHANGE-REPL-ID",
		"    Change the replication IDs of the instance.",
		"    Dangerous: should be used only for testing the replication subsystem.",
		"DIGEST",
		"    Output a hex signature representing the current DB content.",
		"DIGEST-VALUE <key> [<key> ...]",
		"    Output a hex signature of the values of all the specified keys.",
		"ERROR <string>",
		"    Return a Redis protocol error with <string> as message. Useful for clients",
		"    unit tests to simulate Redis errors.",
		"LOG <message>",
		"    Write <message> to the server log.",
		"OBJECT <key>",
		"    Show low level info about `key` and associated value.",
		"POPULATE <count> [<prefix>] [<size>]",
		"    Create <count> string keys named key:<num>. If <prefix> is specified then",
		"    it is used instead of the 'key' prefix. These are not propagated to",
		"    replicas. Cluster slots are not respected so keys not belonging to the",
		"    current node can be created in cluster mode.",
		"POPULATE <count> <prefix> <size> [RAND] [TYPE <type>] [ELEMENTS <n>] [SLOTS <start> <end>] [EXPIRE <min> <max>]",
		"    Dragonfly's form: values of <size> 'x' bytes (random hex with RAND); TYPE",
		"    STRING, LIST, SET, HASH, ZSET or STREAM with <n> elements each; only keys",
		"    whose slot is in the range; a TTL drawn from [<min>, <max>) seconds.",
		"WATCHED",
		"    Dragonfly's: the keys of this database clients are blocked on ('watched'),",
		"    and keys made ready whose clients are not served yet ('awaked').",
		"PROTOCOL <type>",
		"    Reply with a test value of the specified type. <type> can be: string,",
		"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
		"    true, false.",
		"RELOAD [option ...]",
		"    Save the RDB on disk and reload it back to memory. By default it will save",
		"    the RDB file and load it back.",
		"    The option NOFLUSH can be used to load the RDB without flushing the",
		"    dataset; MERGE replaces the existing keys instead of failing on them.",
		"    NOSAVE reloads the last saved file without saving first.",
		"SDSLEN <key>",
		"    Show low level SDS string info representing `key` and value.",
		"SET-ACTIVE-EXPIRE <0|1>",
		"    Setting it to 0 disables expiring keys in background when they are not",
		"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
		"    default.",
		"SET-DISABLE-DENY-SCRIPTS <0|1>",
		"    Let scripts call commands that are normally refused to them (1), or not (0).",
		"QUICKLIST-PACKED-THRESHOLD <size>",
		"    Sets the threshold for elements to be inserted as plain vs packed nodes",
		"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
		"SLEEP <seconds>",
		"    Stop the server for <seconds>. Decimals allowed.",
		"STRINGMATCH-LEN",
		"    Run a fuzz tester against the stringmatchlen() function.",
		"HELP",
		"    Prints this help.",
	)
}

// debugSleep stops the server as Redis's single thread would: every shard
// stays locked for the duration, so commands on keys wait.
func debugSleep(c *Ctx) {
	secs, _ := strconv.ParseFloat(strings.TrimSpace(string(c.Args[2])), 64) // strtod: junk is 0
	if secs > 0 && !math.IsInf(secs, 0) {
		st := c.Env.Store
		for i := 0; i < st.N(); i++ {
			defer st.Shard(i).Release(c.lock(st.Shard(i)))
		}
		time.Sleep(time.Duration(secs * float64(time.Second)))
	}
	c.W.OK()
}

// withKey runs fn with the shard of key locked.
func (c *Ctx) withKey(key []byte, fn func(sh *shard.Shard, db *keyspace.DB)) {
	sh := c.ShardOf(key)
	defer sh.Release(c.lock(sh))
	fn(sh, sh.DB(c.Client.DB))
}

func debugObject(c *Ctx) {
	key := c.Args[2]
	c.withKey(key, func(sh *shard.Shard, db *keyspace.DB) {
		r, ok := db.PeekRaw(key)
		if !ok {
			c.Err(ErrNoSuchKey)
			return
		}
		enc, refcount, extra := "", int64(1), ""
		var serialized int64
		if db.Kind(r) == value.String {
			s := db.Str(r)
			enc = value.StringEncoding(s, db.IsRaw(r))
			if enc == "int" {
				if v, _ := strconv.ParseInt(string(s), 10, 64); v >= 0 && v < 10000 {
					refcount = math.MaxInt32 // Redis's shared integers
				}
			}
			serialized = rdbStringLen(s)
		} else {
			obj := db.Obj(r)
			enc = obj.Encoding()
			serialized = int64(obj.Size())
			if x, ok := obj.(interface{ DebugObjectExtra() string }); ok {
				extra = " " + x.DebugObjectExtra()
			}
		}
		idle := db.LRUIdleMs(r) / 1000
		addr := uint64(0x7f0000000000) | uint64(sh.ID)<<32 | uint64(r)<<4
		c.W.Simple("Value at:0x" + strconv.FormatUint(addr, 16) +
			" refcount:" + strconv.FormatInt(refcount, 10) +
			" encoding:" + enc +
			" serializedlength:" + strconv.FormatInt(serialized, 10) +
			" lru:" + strconv.FormatInt(int64(db.LRU(r)), 10) +
			" lru_seconds_idle:" + strconv.FormatInt(idle, 10) + extra)
	})
}

// rdbStringLen is the size of a string in an RDB file without LZF
// compression: integers that fit 8, 16 or 32 bits are stored as such,
// anything else as a length-prefixed string.
func rdbStringLen(s []byte) int64 {
	if len(s) <= 11 && len(s) > 0 {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && strconv.FormatInt(v, 10) == string(s) {
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				return 2
			case v >= math.MinInt16 && v <= math.MaxInt16:
				return 3
			case v >= math.MinInt32 && v <= math.MaxInt32:
				return 5
			}
		}
	}
	n := int64(len(s))
	switch {
	case n < 1<<6:
		return 1 + n
	case n < 1<<14:
		return 2 + n
	case n <= math.MaxUint32:
		return 5 + n
	}
	return 9 + n
}

func debugSDSLen(c *Ctx) {
	key := c.Args[2]
	c.withKey(key, func(_ *shard.Shard, db *keyspace.DB) {
		r, ok := db.Peek(key)
		if !ok {
			c.Err(ErrNoSuchKey)
			return
		}
		if db.Kind(r) != value.String || value.StringEncoding(db.Str(r), db.IsRaw(r)) == "int" {
			c.Err("ERR Not an sds encoded string.")
			return
		}
		s := db.Str(r)
		i := func(n int) string { return strconv.Itoa(n) }
		c.W.Simple("key_sds_len:" + i(len(key)) + ", key_sds_avail:0, key_zmalloc: " + i(len(key)) +
			", val_sds_len:" + i(len(s)) + ", val_sds_avail:" + i(cap(s)-len(s)) + ", val_zmalloc: " + i(cap(s)))
	})
}

// mixValue is Redis's xorObjectDigest: it folds the value's type, the
// value by its type's rule, and a marker when the key has an expiry into d
// (which holds the key's digest when a whole dataset is digested).
func mixValue(d *digest.Sum, db *keyspace.DB, r keyspace.Ref) {
	var t [4]byte
	typ := uint32(db.Kind(r))
	if db.Kind(r) == value.Stream {
		typ = 6 // OBJ_STREAM: Redis numbers OBJ_MODULE 5
	}
	binary.BigEndian.PutUint32(t[:], typ)
	d.Mix(t[:])
	if db.Kind(r) == value.String {
		d.Mix(db.Str(r))
	} else if dg, ok := db.Obj(r).(digest.Digester); ok {
		dg.Digest(d)
	} else {
		// A type without a digest rule yet: at least its encoding and
		// size, so a change of either shows.
		obj := db.Obj(r)
		d.Mix([]byte(obj.Encoding() + ":" + strconv.Itoa(obj.Size())))
	}
	if db.ExpireAt(r) != 0 {
		d.Xor([]byte("!!expire!!"))
	}
}

// debugDigest is Redis's computeDatasetDigest over every database, with
// all shards locked so the digest is of one point in time.
func debugDigest(c *Ctx) {
	st := c.Env.Store
	for i := 0; i < st.N(); i++ {
		defer st.Shard(i).Release(c.lock(st.Shard(i)))
	}
	var final digest.Sum
	ndb := st.Shard(0).NumDBs()
	for j := 0; j < ndb; j++ {
		empty := true
		for i := 0; i < st.N(); i++ {
			if st.Shard(i).DB(j).Len() > 0 {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		var aux [4]byte
		binary.BigEndian.PutUint32(aux[:], uint32(j))
		final.Mix(aux[:])
		for i := 0; i < st.N(); i++ {
			db := st.Shard(i).DB(j)
			db.Each(func(r keyspace.Ref) bool {
				var kd digest.Sum
				kd.Mix([]byte(db.Key(r)))
				mixValue(&kd, db, r)
				final.XorSum(&kd)
				return true
			})
		}
	}
	c.W.Simple(final.Hex())
}

func debugDigestValue(c *Ctx) {
	c.W.Array(len(c.Args) - 2)
	for _, key := range c.Args[2:] {
		var d digest.Sum
		c.withKey(key, func(_ *shard.Shard, db *keyspace.DB) {
			if r, ok := db.Peek(key); ok {
				mixValue(&d, db, r)
			}
		})
		c.W.Simple(d.Hex())
	}
}

// debugPopulate creates count keys prefix:N holding "value:N" (cut or
// zero-padded to size when given), skipping keys that exist, as Redis does.
// With flags after the size it is Dragonfly's form (debug_populate.go).
func debugPopulate(c *Ctx) {
	count, err := strconv.ParseInt(string(c.Args[2]), 10, 64)
	if err != nil || count < 0 {
		c.Err("ERR value is out of range, must be positive")
		return
	}
	prefix := "key"
	if len(c.Args) > 3 {
		prefix = string(c.Args[3])
	}
	size := int64(-1)
	if len(c.Args) > 4 {
		size, err = strconv.ParseInt(string(c.Args[4]), 10, 64)
		if err != nil || size < 0 {
			c.Err("ERR value is out of range, must be positive")
			return
		}
	}
	if len(c.Args) > 5 {
		o := populateOpts{count: count, prefix: prefix, size: size}
		if !c.parsePopulateFlags(&o, c.Args[5:]) {
			return
		}
		if size == 0 {
			c.Err("ERR val_size must be positive")
			return
		}
		debugPopulateTyped(c, &o)
		return
	}
	st := c.Env.Store
	key := make([]byte, 0, len(prefix)+24)
	val := make([]byte, 0, 32)
	var padded []byte // the keyspace copies values, so one buffer serves all
	for j := int64(0); j < count; j++ {
		key = strconv.AppendInt(append(append(key[:0], prefix...), ':'), j, 10)
		val = strconv.AppendInt(append(val[:0], "value:"...), j, 10)
		v := val
		if size >= 0 {
			if int64(cap(padded)) < size {
				padded = make([]byte, size)
			}
			v = padded[:size]
			clear(v[copy(v, val):])
		}
		sh := st.Shard(st.Of(key))
		took := sh.Acquire(c.Client.ID, time.Now().UnixMilli())
		db := sh.DB(c.Client.DB)
		if _, exists := db.Peek(key); !exists {
			db.SetString(key, v, 0, false)
		}
		sh.Release(took)
	}
	c.W.OK()
}

// parseMemory reads a memory amount: a number with an optional k, kb, m,
// mb, g or gb suffix (Redis's memtoull).
func parseMemory(s string) (uint64, bool) {
	s = strings.ToLower(s)
	mul := uint64(1)
	for _, u := range []struct {
		suffix string
		mul    uint64
	}{{"kb", 1024}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mul = strings.TrimSuffix(s, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || (n != 0 && n*mul/mul != n) {
		return 0, false
	}
	return n * mul, true
}

// debugProtocol replies with a sample of each RESP type, as Redis does for
// client test suites.
func debugProtocol(c *Ctx) {
	w := c.W
	switch strings.ToLower(string(c.Args[2])) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		if w.Proto >= 3 {
			w.Raw([]byte(",3.141\r\n"))
		} else {
			w.BulkString("3.141")
		}
	case "bignum":
		w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array":
		w.Array(3)
		for i := int64(0); i < 3; i++ {
			w.Int(i)
		}
	case "set":
		w.Set(3)
		for i := int64(0); i < 3; i++ {
			w.Int(i)
		}
	case "map":
		w.Map(3)
		for i := int64(0); i < 3; i++ {
			w.Int(i)
			w.Bool(i == 1)
		}
	case "attrib":
		if w.Proto >= 3 {
			w.Raw([]byte("|1\r\n"))
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto < 3 {
			c.Err("ERR RESP2 is not supported by this command")
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("This is a verbatim\nstring")
	default:
		c.Err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// debugReload is DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless
// NOSAVE), then, with every shard locked, empty the databases (unless
// NOFLUSH) and load the file back.
func debugReload(c *Ctx) {
	merge, flush, save := false, true, true
	for _, a := range c.Args[2:] {
		switch strings.ToLower(string(a)) {
		case "merge":
			merge = true
		case "noflush":
			flush = false
		case "nosave":
			save = false
		default:
			c.Err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	p := c.Env.Persist
	if p == nil {
		c.Err("ERR snapshots are not configured")
		return
	}
	if save {
		if err := p.Save(c.holdsAllShards(), ""); err != nil {
			c.Err("ERR Error trying to save the DB: " + err.Error())
			return
		}
	}
	st := c.Env.Store
	for i := 0; i < st.N(); i++ {
		defer st.Shard(i).Release(c.lock(st.Shard(i)))
	}
	if flush {
		clearAllDBs(st)
		// Redis empties the function libraries too.
		c.Env.Scripts().FlushFunctions()
	}
	// Without MERGE, a library already loaded makes the load fail, as a
	// key already present would.
	c.Env.reloadKeepLibraries.Store(!merge)
	err := p.ReloadLocked(merge)
	c.Env.reloadKeepLibraries.Store(false)
	if err != nil {
		c.Err("ERR Error trying to load the RDB dump")
		c.Env.Log.Error("DEBUG RELOAD failed", "err", err)
		return
	}
	c.W.OK()
}
