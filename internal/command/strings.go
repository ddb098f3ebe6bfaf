package command

import (
	"math"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/value"
)

func registerStrings(t *Table) {
	str := func(name string, arity int, flags Flag, first, last, step int, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: first, Last: last, Step: step, Handler: h,
			Group: "string", Since: since, Summary: summary, Categories: []string{"string"}}
	}
	w, r := Write|DenyOOM, ReadOnly
	t.add(
		str("get", 2, r|Fast, 1, 1, 1, cmdGet, "1.0.0", "Returns the string value of a key."),
		str("set", -3, w, 1, 1, 1, cmdSet, "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),
		str("setnx", 3, w|Fast, 1, 1, 1, cmdSetNX, "1.0.0", "Set the string value of a key only when the key doesn't exist."),
		str("setex", 4, w, 1, 1, 1, func(c *Ctx) { setWithTTL(c, 1000) }, "2.0.0", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist."),
		str("psetex", 4, w, 1, 1, 1, func(c *Ctx) { setWithTTL(c, 1) }, "2.6.0", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist."),
		str("getex", -2, Write|Fast, 1, 1, 1, cmdGetEx, "6.2.0", "Returns the string value of a key after setting its expiration time."),
		str("getdel", 2, Write|Fast, 1, 1, 1, cmdGetDel, "6.2.0", "Returns the string value of a key after deleting the key."),
		str("getset", 3, w|Fast, 1, 1, 1, cmdGetSet, "1.0.0", "Returns the previous string value of a key after setting it to a new value."),
		str("mget", -2, r|Fast, 1, -1, 1, cmdMGet, "1.0.0", "Atomically returns the string values of one or more keys."),
		str("mset", -3, w, 1, -1, 2, cmdMSet, "1.0.1", "Atomically creates or modifies the string values of one or more keys."),
		str("msetnx", -3, w, 1, -1, 2, cmdMSetNX, "1.0.1", "Atomically modifies the string values of one or more keys only when all keys don't exist."),
		str("append", 3, w|Fast, 1, 1, 1, cmdAppend, "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist."),
		str("strlen", 2, r|Fast, 1, 1, 1, cmdStrlen, "2.2.0", "Returns the length of a string value."),
		str("getrange", 4, r, 1, 1, 1, cmdGetRange, "2.4.0", "Returns a substring of the string stored at a key."),
		str("substr", 4, r, 1, 1, 1, cmdGetRange, "1.0.0", "Returns a substring from a string value."),
		str("setrange", 4, w, 1, 1, 1, cmdSetRange, "2.2.0", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist."),
		str("incr", 2, w|Fast, 1, 1, 1, func(c *Ctx) { incrBy(c, 1) }, "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
		str("decr", 2, w|Fast, 1, 1, 1, func(c *Ctx) { incrBy(c, -1) }, "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
		str("incrby", 3, w|Fast, 1, 1, 1, cmdIncrBy, "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
		str("decrby", 3, w|Fast, 1, 1, 1, cmdDecrBy, "1.0.0", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist."),
		str("incrbyfloat", 3, w|Fast, 1, 1, 1, cmdIncrByFloat, "2.6.0", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
		str("lcs", -3, r, 1, 2, 1, cmdLCS, "7.0.0", "Finds the longest common substring."),
	)
}

// getString looks key up for reading and checks it holds a string. ok is
// false when the reply has been written (nil or WRONGTYPE).
func (c *Ctx) getString(key []byte) (val []byte, found, ok bool) {
	db, ref, exists := c.Lookup(key)
	if !exists {
		return nil, false, true
	}
	if db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return nil, true, false
	}
	return db.Str(ref), true, true
}

func cmdGet(c *Ctx) {
	v, found, ok := c.getString(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.Null()
		return
	}
	c.W.Bulk(v)
}

// Option bits of SET and GETEX, as Redis's parseExtendedStringArgumentsOrReply
// names them.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT
)

const optAnyExpire = optEX | optPX | optEXAT | optPXAT

// parseStringOptions reads SET's (forSet) or GETEX's options from args[from:]
// with Redis's rules: a repeated option is allowed (the last expire wins),
// conflicting ones are a syntax error, and the expire value is only
// validated after the whole syntax has been accepted.
func (c *Ctx) parseStringOptions(from int, forSet bool) (flags int, expire []byte, ok bool) {
	args := c.Args
	for i := from; i < len(args); i++ {
		opt := lower(args[i])
		next := i+1 < len(args)
		var bit int
		switch opt {
		case "ex":
			bit = optEX
		case "px":
			bit = optPX
		case "exat":
			bit = optEXAT
		case "pxat":
			bit = optPXAT
		}
		switch {
		case opt == "nx" && forSet && flags&optXX == 0:
			flags |= optNX
		case opt == "xx" && forSet && flags&optNX == 0:
			flags |= optXX
		case opt == "get" && forSet:
			flags |= optGet
		case opt == "keepttl" && forSet && flags&(optPersist|optAnyExpire) == 0:
			flags |= optKeepTTL
		case opt == "persist" && !forSet && flags&(optAnyExpire|optKeepTTL) == 0:
			flags |= optPersist
		case bit != 0 && next && flags&(optKeepTTL|optPersist|(optAnyExpire&^bit)) == 0:
			flags |= bit
			expire = args[i+1]
			i++
		default:
			c.Err(ErrSyntax)
			return 0, nil, false
		}
	}
	return flags, expire, true
}

// expireMs turns an EX/PX/EXAT/PXAT argument into an absolute unix ms time
// with Redis's checks (getExpireMillisecondsOrReply).
func (c *Ctx) expireMs(arg []byte, flags int) (int64, bool) {
	n, ok := parseInt(arg)
	if !ok {
		c.Err(ErrNotInt)
		return 0, false
	}
	seconds := flags&(optEX|optEXAT) != 0
	if n <= 0 || (seconds && n > math.MaxInt64/1000) {
		c.Err(errInvalidExpire(c.Spec.Name))
		return 0, false
	}
	if seconds {
		n *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		if n > math.MaxInt64-c.Now {
			c.Err(errInvalidExpire(c.Spec.Name))
			return 0, false
		}
		n += c.Now
	}
	return n, true
}

// expireArg validates a relative TTL for SETEX/PSETEX.
func (c *Ctx) expireArg(arg []byte, unitMs int64) (int64, bool) {
	flags := optPX
	if unitMs == 1000 {
		flags = optEX
	}
	return c.expireMs(arg, flags)
}

func cmdSet(c *Ctx) {
	flags, expire, ok := c.parseStringOptions(3, true)
	if !ok {
		return
	}
	var expireAt int64
	if expire != nil {
		if expireAt, ok = c.expireMs(expire, flags); !ok {
			return
		}
	}
	args := c.Args
	key := args[1]
	db := c.DB(key)
	h := c.hashOf(key)
	ref, exists := db.FindHashed(key, h)
	if flags&optGet != 0 {
		if exists && db.Kind(ref) != value.String {
			c.Err(ErrWrongType)
			return
		}
		if exists {
			c.W.Bulk(db.Str(ref))
		} else {
			c.W.Null()
		}
	}
	if (flags&optNX != 0 && exists) || (flags&optXX != 0 && !exists) {
		if flags&optGet == 0 {
			c.W.Null()
		}
		return
	}
	if expire != nil && expireAt <= c.Now {
		// An absolute expiry already in the past: the key vanishes at once.
		if exists {
			db.DeleteRef(ref)
		}
		c.Notify(config.EventString, "set", key)
		c.Notify(config.EventGeneric, "del", key)
	} else {
		// One chain walk: the entry Find just returned is the one to set.
		if c.keep(args[2]) {
			db.AdoptStringAt(ref, key, h, args[2], expireAt, flags&optKeepTTL != 0)
		} else {
			db.SetStringAt(ref, key, h, args[2], expireAt, flags&optKeepTTL != 0)
		}
		c.Notify(config.EventString, "set", key)
		if expire != nil {
			c.Notify(config.EventGeneric, "expire", key)
		}
	}
	if flags&optGet == 0 {
		c.W.OK()
	}
}

func cmdSetNX(c *Ctx) {
	key := c.Args[1]
	db := c.DB(key)
	h := c.hashOf(key)
	if _, exists := db.FindHashed(key, h); exists {
		c.W.Int(0)
		return
	}
	db.SetStringAt(keyspace.NoRef, key, h, c.Args[2], 0, false)
	c.Notify(config.EventString, "set", c.Args[1])
	c.W.Int(1)
}

func setWithTTL(c *Ctx, unit int64) {
	at, ok := c.expireArg(c.Args[2], unit)
	if !ok {
		return
	}
	c.DB(c.Args[1]).SetString(c.Args[1], c.Args[3], at, false)
	c.Notify(config.EventString, "set", c.Args[1])
	c.Notify(config.EventGeneric, "expire", c.Args[1])
	c.W.OK()
}

func cmdGetEx(c *Ctx) {
	flags, expire, ok := c.parseStringOptions(2, false)
	if !ok {
		return
	}
	key := c.Args[1]
	db, ref, found := c.Lookup(key)
	if !found {
		c.W.Null()
		return
	}
	if db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return
	}
	var expireAt int64
	if expire != nil {
		if expireAt, ok = c.expireMs(expire, flags); !ok {
			return
		}
	}
	c.W.Bulk(db.Str(ref))
	switch {
	case flags&optPersist != 0:
		if db.ExpireAt(ref) != 0 {
			db.SetExpireAt(ref, 0)
			c.Notify(config.EventGeneric, "persist", key)
		}
	case expire != nil && expireAt <= c.Now:
		db.DeleteRef(ref)
		c.Notify(config.EventGeneric, "del", key)
	case expire != nil:
		db.SetExpireAt(ref, expireAt)
		c.Notify(config.EventGeneric, "expire", key)
	}
}

func cmdGetDel(c *Ctx) {
	db, ref, found := c.Lookup(c.Args[1])
	if !found {
		c.W.Null()
		return
	}
	if db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return
	}
	c.W.Bulk(db.Str(ref))
	db.DeleteRef(ref)
	c.Notify(config.EventGeneric, "del", c.Args[1])
}

func cmdGetSet(c *Ctx) {
	db, ref, found := c.Lookup(c.Args[1])
	if found && db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return
	}
	if found {
		c.W.Bulk(db.Str(ref))
	} else {
		c.W.Null()
	}
	db.SetString(c.Args[1], c.Args[2], 0, false)
	c.Notify(config.EventString, "set", c.Args[1])
}

func cmdMGet(c *Ctx) {
	keys := c.Args[1:]
	c.W.Array(len(keys))
	for _, k := range keys {
		db, ref, found := c.Lookup(k)
		if !found || db.Kind(ref) != value.String {
			c.W.Null()
			continue
		}
		c.W.Bulk(db.Str(ref))
	}
}

func cmdMSet(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.WrongArgs()
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		c.DB(c.Args[i]).SetString(c.Args[i], c.Args[i+1], 0, false)
		c.Notify(config.EventString, "set", c.Args[i])
	}
	c.W.OK()
}

func cmdMSetNX(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.WrongArgs()
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		if _, exists := c.DB(c.Args[i]).Find(c.Args[i]); exists {
			c.W.Int(0)
			return
		}
	}
	for i := 1; i < len(c.Args); i += 2 {
		c.DB(c.Args[i]).SetString(c.Args[i], c.Args[i+1], 0, false)
		c.Notify(config.EventString, "set", c.Args[i])
	}
	c.W.Int(1)
}

// checkStringLength enforces proto-max-bulk-len on values built by the
// server (APPEND, SETRANGE), as Redis's checkStringLength does.
func (c *Ctx) checkStringLength(size int64) bool {
	if size > c.Env.Config.ProtoMaxBulkLen.Get() {
		c.Err(ErrStringTooLong)
		return false
	}
	return true
}

func cmdAppend(c *Ctx) {
	key := c.Args[1]
	db := c.DB(key)
	ref, exists := db.Find(key)
	if !exists {
		db.SetString(key, c.Args[2], 0, false)
		c.Notify(config.EventString, "append", key)
		c.W.Int(int64(len(c.Args[2])))
		return
	}
	if db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return
	}
	if !c.checkStringLength(int64(len(db.Str(ref)) + len(c.Args[2]))) {
		return
	}
	db.AppendString(ref, c.Args[2])
	c.Notify(config.EventString, "append", key)
	c.W.Int(int64(len(db.Str(ref))))
}

func cmdStrlen(c *Ctx) {
	v, _, ok := c.getString(c.Args[1])
	if ok {
		c.W.Int(int64(len(v)))
	}
}

func cmdGetRange(c *Ctx) {
	start, ok := c.intArg(2)
	if !ok {
		return
	}
	end, ok := c.intArg(3)
	if !ok {
		return
	}
	v, _, ok := c.getString(c.Args[1])
	if !ok {
		return
	}
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		c.W.BulkString("")
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.W.BulkString("")
		return
	}
	c.W.Bulk(v[start : end+1])
}

func cmdSetRange(c *Ctx) {
	key := c.Args[1]
	off, ok := c.intArg(2)
	if !ok {
		return
	}
	if off < 0 {
		c.Err(ErrOffsetRange)
		return
	}
	val := c.Args[3]
	db := c.DB(key)
	ref, exists := db.Find(key)
	if exists && db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return
	}
	if len(val) == 0 {
		if exists {
			c.W.Int(int64(len(db.Str(ref))))
		} else {
			c.W.Int(0)
		}
		return
	}
	if off > c.Env.Config.ProtoMaxBulkLen.Get()-int64(len(val)) {
		c.Err(ErrStringTooLong)
		return
	}
	if !exists {
		ref = db.SetString(key, nil, 0, false)
	}
	buf := db.MutableString(ref, int(off)+len(val))
	copy(buf[off:], val)
	c.Notify(config.EventString, "setrange", key)
	c.W.Int(int64(len(buf)))
}

// incrTarget finds key for INCR-style commands: its current integer value,
// or 0 when absent.
func (c *Ctx) incrTarget(key []byte) (db *keyspace.DB, ref keyspace.Ref, exists bool, cur int64, ok bool) {
	db = c.DB(key)
	ref, exists = db.FindHashed(key, c.hashOf(key))
	if !exists {
		return db, ref, false, 0, true
	}
	if db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return db, ref, true, 0, false
	}
	cur, ok = parseInt(db.Str(ref))
	if !ok {
		c.Err(ErrNotInt)
	}
	return db, ref, true, cur, ok
}

func incrBy(c *Ctx, by int64) {
	key := c.Args[1]
	db, ref, exists, cur, ok := c.incrTarget(key)
	if !ok {
		return
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		c.Err(ErrOverflow)
		return
	}
	n := cur + by
	var tmp [24]byte
	b := appendInt(tmp[:0], n)
	if exists {
		db.ReplaceString(ref, b)
	} else {
		db.SetStringAt(keyspace.NoRef, key, c.hashOf(key), b, 0, false)
	}
	c.Notify(config.EventString, "incrby", key)
	c.W.Int(n)
}

func cmdIncrBy(c *Ctx) {
	if by, ok := c.intArg(2); ok {
		incrBy(c, by)
	}
}

func cmdDecrBy(c *Ctx) {
	by, ok := c.intArg(2)
	if !ok {
		return
	}
	if by == math.MinInt64 {
		c.Err("ERR decrement would overflow")
		return
	}
	incrBy(c, -by)
}

func cmdIncrByFloat(c *Ctx) {
	key := c.Args[1]
	db := c.DB(key)
	ref, exists := db.Find(key)
	cur, _ := parseLongDouble([]byte("0"))
	if exists {
		if db.Kind(ref) != value.String {
			c.Err(ErrWrongType)
			return
		}
		var ok bool
		if cur, ok = parseLongDouble(db.Str(ref)); !ok {
			c.Err(ErrNotFloat)
			return
		}
	}
	by, ok := parseLongDouble(c.Args[2])
	if !ok {
		c.Err(ErrNotFloat)
		return
	}
	sum, ok := addLongDouble(cur, by)
	if !ok {
		c.Err(ErrIncrNaNOrInf)
		return
	}
	b := formatLongDouble(sum)
	if exists {
		db.ReplaceString(ref, b)
	} else {
		db.SetString(key, b, 0, false)
	}
	c.Notify(config.EventString, "incrbyfloat", key)
	c.W.Bulk(b)
}
