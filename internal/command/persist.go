package command

import (
	"strings"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/rdb"
	"github.com/damselfly-db/damselfly/internal/snapshot"
	"github.com/damselfly-db/damselfly/internal/value"
)

// Persistence is the snapshot subsystem as the commands see it
// (snapshot.Manager; nil when the server has none).
type Persistence interface {
	// Save saves and waits. held: the caller holds every shard (inside
	// MULTI/EXEC or a script), so the save runs in the caller's
	// goroutine, stopping the world as Redis's SAVE does. basename,
	// when not empty, replaces dbfilename for this save.
	Save(held bool, basename string) error
	// BGSave starts a background save (basename as for Save).
	BGSave(schedule, held bool, basename string) (string, error)
	// LastSave is the unix time of the last successful save.
	LastSave() int64
	// ReloadLocked loads the last file saved (or the newest matching the
	// configuration); the caller holds every shard and has flushed what
	// it wanted.
	ReloadLocked(merge bool) error
	// LoadFileLocked loads the RDB file at path (DFLY LOAD); with
	// replace, its keys replace existing ones. The caller holds every
	// shard.
	LoadFileLocked(path string, replace bool) error
}

// LoadingError is Redis's reply to commands refused while a snapshot
// loads.
const LoadingError = "LOADING Redis is loading the dataset in memory"

func registerPersistence(t *Table) {
	srv := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, Handler: h, Group: "server", Since: since, Summary: summary, Categories: []string{"admin", "dangerous"}}
	}
	key := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: 1, Last: 1, Step: 1, Handler: h,
			Group: "generic", Since: since, Summary: summary, Categories: []string{"keyspace"}}
	}
	t.add(
		srv("save", -1, Admin|NoScript|NoMulti|NoLock, cmdSave, "1.0.0", "Synchronously saves the database(s) to disk."),
		srv("bgsave", -1, Admin|NoScript|NoLock, cmdBGSave, "1.0.0", "Asynchronously saves the database(s) to disk."),
		key("dump", 2, ReadOnly, cmdDump, "2.6.0", "Returns a serialized representation of the value stored at a key."),
		key("restore", -4, Write|DenyOOM, cmdRestore, "2.6.0", "Creates a key from the serialized representation of a value."),
	)
}

// holdsAllShards reports whether the client runs inside MULTI/EXEC or a
// script that locked every shard.
func (c *Ctx) holdsAllShards() bool {
	return c.Env.Store.Shard(0).OwnedBy(c.Client.ID)
}

func cmdSave(c *Ctx) {
	basename, ok := c.saveFormat(c.Args[1:], "ERR wrong number of arguments for 'save' command")
	if !ok {
		return
	}
	p := c.Env.Persist
	if p == nil {
		c.Err("ERR snapshots are not configured")
		return
	}
	if err := p.Save(c.holdsAllShards(), basename); err != nil {
		c.Err(errText(err))
		return
	}
	c.W.OK()
}

func cmdBGSave(c *Ctx) {
	args := c.Args[1:]
	schedule := len(args) > 0 && strings.EqualFold(string(args[0]), "schedule")
	if schedule {
		args = args[1:]
	}
	basename, ok := c.saveFormat(args, ErrSyntax)
	if !ok {
		return
	}
	p := c.Env.Persist
	if p == nil {
		c.Err("ERR snapshots are not configured")
		return
	}
	msg, err := p.BGSave(schedule, c.holdsAllShards(), basename)
	if err != nil {
		c.Err(errText(err))
		return
	}
	c.W.Simple(msg)
}

// errText is an error's reply text, with ERR in front unless it already
// has an error code.
func errText(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, ' '); i > 0 && strings.ToUpper(s[:i]) == s[:i] {
		return s
	}
	return "ERR " + s
}

// cmdDump is DUMP key: the value in RDB form, the RDB version and a CRC64.
func cmdDump(c *Ctx) {
	key := c.Args[1]
	db, r, ok := c.Lookup(key)
	if !ok {
		c.W.Null()
		return
	}
	var e rdb.Encoder
	var str []byte
	var obj value.Object
	if db.Kind(r) == value.String {
		str = db.Str(r)
	} else {
		obj = db.Obj(r)
	}
	snapshot.EncodeValue(&e, db.Kind(r), str, obj)
	c.W.Bulk(rdb.DumpFooter(e.Buf))
}

// cmdRestore is RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s]
// [FREQ f], with Redis 7.0's checks in its order.
func cmdRestore(c *Ctx) {
	key := c.Args[1]
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		switch opt := lower(c.Args[j]); {
		case opt == "replace":
			replace = true
		case opt == "absttl":
			absTTL = true
		case opt == "idletime" && more >= 1 && freq == -1:
			v, ok := c.intArg(j + 1)
			if !ok {
				return
			}
			if v < 0 {
				c.Err("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = v
			j++
		case opt == "freq" && more >= 1 && idle == -1:
			v, ok := c.intArg(j + 1)
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				c.Err("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = v
			j++
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	db := c.DB(key)
	if _, exists := db.Find(key); exists && !replace {
		c.Err("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := c.intArg(2)
	if !ok {
		return
	}
	if ttl < 0 {
		c.Err("ERR Invalid TTL value, must be >= 0")
		return
	}
	if _, ok := rdb.VerifyDump(c.Args[3]); !ok {
		c.Err("ERR DUMP payload version or checksum are wrong")
		return
	}
	// Like Redis, decode from the whole payload, footer included (a value
	// that claims more bytes than its body has reads into the footer).
	v, err := rdb.DecodeValue(c.Args[3])
	if err != nil {
		c.Err("ERR Bad data format")
		return
	}
	kind, str, obj, built, err := snapshot.Build(v, c.limits(), c.Now)
	if err != nil || !built {
		c.Err("ERR Bad data format")
		return
	}
	deleted := false
	if replace {
		deleted = db.Delete(key)
	}
	if ttl != 0 && !absTTL {
		ttl += c.Now
	}
	if ttl != 0 && ttl <= c.Now {
		// Already expired: the key is (only) deleted.
		if deleted {
			c.Env.notify(config.EventGeneric, "del", key, c.Client.DB)
		}
		c.W.OK()
		return
	}
	var r keyspace.Ref
	if kind == value.String {
		r = db.SetString(key, str, ttl, false)
	} else {
		r = db.SetObject(key, obj, false)
		if ttl != 0 {
			db.SetExpireAt(r, ttl)
		}
	}
	atime := c.Now
	if idle >= 0 {
		atime = c.Now - idle*1000
	}
	db.SetAccess(r, atime, int(freq))
	c.Env.notify(config.EventGeneric, "restore", key, c.Client.DB)
	c.W.OK()
}

// limits are the encoding thresholds in force, for values built from RDB.
func (c *Ctx) limits() snapshot.Limits {
	l := snapshot.DefaultLimits
	l.Hash = c.hashLimits()
	l.ZSet = c.zsetLimits()
	l.Stream = c.streamLimits()
	l.MaxIntset = c.maxIntset()
	l.ListFill = int(c.Env.Config.ListMaxListpackSize.Get())
	return l
}

// countChanges adds a write command's changes to its shards' Dirty
// counters (INFO rdb_changes_since_last_save and the --save rules): one
// per key it names, one for a keyless write (FLUSHALL, SWAPDB). Redis
// counts elements for some commands (HSET of three fields is 3); this
// counts keys. The shards are locked by the caller.
func (e *Env) countChanges(c *Ctx, spec *Spec) {
	if c.failed {
		return
	}
	st := e.Store
	if spec.KeysFn != nil {
		pos := spec.KeysFn(c.Args)
		for _, p := range pos {
			e.noteDirty(c, c.Args[p])
		}
		if len(pos) > 0 {
			return
		}
	} else if spec.First > 0 {
		// Spec.KeyPositions without its allocation: this runs for every
		// write command.
		last := spec.Last
		if last < 0 {
			last += len(c.Args)
		}
		n := 0
		for i := spec.First; i <= last && i < len(c.Args); i += spec.Step {
			e.noteDirty(c, c.Args[i])
			n++
		}
		if n > 0 {
			return
		}
	}
	st.Shard(0).Dirty.Add(1)
}

// noteDirty counts a change to key. The key a single-key command was
// routed by has its shard locked by the dispatcher, which releases it
// with Shard.Unlock: that one counts without an atomic operation per
// command. Other keys' shards may be held in other ways (or, for a
// command that locked and released them itself, not at all).
func (e *Env) noteDirty(c *Ctx, key []byte) {
	if len(key) > 0 && len(key) == len(c.routedKey) && &key[0] == &c.routedKey[0] {
		e.Store.Shard(c.routedShard).NoteDirty()
		return
	}
	e.Store.Shard(c.shardIndex(key)).Dirty.Add(1)
}

// FunctionLibraries returns the code of the loaded function libraries,
// which snapshots save (FUNCTION2 records).
func (e *Env) FunctionLibraries() [][]byte {
	var out [][]byte
	for _, l := range e.Scripts().Libraries() {
		out = append(out, []byte(l.Code))
	}
	return out
}

// RestoreFunctionLibrary loads a library read from a snapshot, replacing
// one of the same name (DEBUG RELOAD).
func (e *Env) RestoreFunctionLibrary(code []byte) error {
	_, err := e.Scripts().LoadLibrary(string(code), !e.reloadKeepLibraries.Load())
	return err
}

// saveFormat reads Dragonfly's SAVE/BGSAVE arguments after Redis's:
// [RDB|DF] [basename]. RDB is the only format here (Dragonfly's DF format
// is refused, with the reason); basename replaces dbfilename for this
// save, macros and ".rdb" as for dbfilename. Anything else gets Redis's
// reply for extra arguments (redisErr). It reports false after replying.
func (c *Ctx) saveFormat(args [][]byte, redisErr string) (basename string, ok bool) {
	if len(args) == 0 {
		return "", true
	}
	switch strings.ToUpper(string(args[0])) {
	case "RDB":
	case "DF":
		c.Err("ERR the DF snapshot format is not supported: Damselfly writes RDB files (SAVE RDB)")
		return "", false
	default:
		c.Err(redisErr)
		return "", false
	}
	switch len(args) {
	case 1:
		return "", true
	case 2:
		name := string(args[1])
		if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
			c.Err("ERR the snapshot name must be a file name inside dir")
			return "", false
		}
		return name, true
	}
	c.Err(ErrSyntax)
	return "", false
}
