package command

import (
	"math"
	"strconv"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/glob"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/value"
)

func registerHashes(t *Table) {
	h := func(name string, arity int, flags Flag, handler func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: 1, Last: 1, Step: 1, Handler: handler,
			Group: "hash", Since: since, Summary: summary, Categories: []string{"hash"}}
	}
	w, r := Write|DenyOOM, ReadOnly
	t.add(
		h("hset", -4, w|Fast, func(c *Ctx) { hsetGeneric(c, false) }, "2.0.0", "Creates or modifies the value of a field in a hash."),
		h("hmset", -4, w|Fast, func(c *Ctx) { hsetGeneric(c, true) }, "2.0.0", "Sets the values of multiple fields."),
		h("hsetnx", 4, w|Fast, cmdHSetNX, "2.0.0", "Sets the value of a field in a hash only when the field doesn't exist."),
		h("hget", 3, r|Fast, cmdHGet, "2.0.0", "Returns the value of a field in a hash."),
		h("hmget", -3, r|Fast, cmdHMGet, "2.0.0", "Returns the values of all fields in a hash."),
		h("hgetall", 2, r, func(c *Ctx) { hgetallGeneric(c, true, true) }, "2.0.0", "Returns all fields and values in a hash."),
		h("hkeys", 2, r, func(c *Ctx) { hgetallGeneric(c, true, false) }, "2.0.0", "Returns all fields in a hash."),
		h("hvals", 2, r, func(c *Ctx) { hgetallGeneric(c, false, true) }, "2.0.0", "Returns all values in a hash."),
		h("hdel", -3, Write|Fast, cmdHDel, "2.0.0", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain."),
		h("hexists", 3, r|Fast, cmdHExists, "2.0.0", "Determines whether a field exists in a hash."),
		h("hlen", 2, r|Fast, cmdHLen, "2.0.0", "Returns the number of fields in a hash."),
		h("hstrlen", 3, r|Fast, cmdHStrlen, "3.2.0", "Returns the length of the value of a field."),
		h("hincrby", 4, w|Fast, cmdHIncrBy, "2.0.0", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist."),
		h("hincrbyfloat", 4, w|Fast, cmdHIncrByFloat, "2.6.0", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist."),
		h("hrandfield", -2, r, cmdHRandField, "6.2.0", "Returns one or more random fields from a hash."),
		h("hscan", -3, r, cmdHScan, "2.8.0", "Iterates over fields and values of a hash."),
		// Redis 7.4 field expiry.
		h("hexpire", -6, w|Fast, func(c *Ctx) { hexpireGeneric(c, 1000, false) }, "7.4.0", "Set expiry for hash field using relative time to expire (seconds)"),
		h("hpexpire", -6, w|Fast, func(c *Ctx) { hexpireGeneric(c, 1, false) }, "7.4.0", "Set expiry for hash field using relative time to expire (milliseconds)"),
		h("hexpireat", -6, w|Fast, func(c *Ctx) { hexpireGeneric(c, 1000, true) }, "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (seconds)"),
		h("hpexpireat", -6, w|Fast, func(c *Ctx) { hexpireGeneric(c, 1, true) }, "7.4.0", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)"),
		h("hpersist", -5, Write|Fast, cmdHPersist, "7.4.0", "Removes the expiration time for each specified field"),
		h("httl", -5, r|Fast, func(c *Ctx) { httlGeneric(c, false, false) }, "7.4.0", "Returns the TTL in seconds of a hash field."),
		h("hpttl", -5, r|Fast, func(c *Ctx) { httlGeneric(c, true, false) }, "7.4.0", "Returns the TTL in milliseconds of a hash field."),
		h("hexpiretime", -5, r|Fast, func(c *Ctx) { httlGeneric(c, false, true) }, "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in seconds."),
		h("hpexpiretime", -5, r|Fast, func(c *Ctx) { httlGeneric(c, true, true) }, "7.4.0", "Returns the expiration time of a hash field as a Unix timestamp, in msec."),
	)
}

// collTarget is a hash or set a write command is about to change: it
// creates the key on first use, reports the object's change in size to the
// keyspace, and deletes the key when the collection ends up empty.
type collTarget[T interface {
	value.Object
	Len() int
}] struct {
	db   *keyspace.DB
	ref  keyspace.Ref
	key  []byte
	obj  T // nil (zero) until the key exists
	has  bool
	size int
}

// lookupColl finds key for a write and checks its kind; ok is false when
// WRONGTYPE has been replied.
func lookupColl[T interface {
	value.Object
	Len() int
}](c *Ctx, key []byte, kind value.Kind) (t collTarget[T], ok bool) {
	db, r, found := c.LookupWrite(key)
	t.db, t.key = db, key
	if !found {
		return t, true
	}
	if db.Kind(r) != kind {
		c.Err(ErrWrongType)
		return t, false
	}
	if kind == value.Hash && !expireHashFields(db, r, c.Now) {
		return t, true // every field had expired: the key is gone
	}
	t.ref, t.obj, t.has, t.size = r, db.Obj(r).(T), true, db.Obj(r).Size()
	return t, true
}

// expireHashFields deletes the fields of r's hash whose TTL has passed
// (lazy field expiry, done on every access) and reports whether the key
// still exists.
func expireHashFields(db *keyspace.DB, r keyspace.Ref, now int64) bool {
	h := db.Obj(r).(*value.HashValue)
	if !h.HasFieldTTLs() {
		return true
	}
	before := h.Size()
	if h.ExpireFields(now) == 0 {
		return true
	}
	if h.Len() == 0 {
		db.DeleteRef(r)
		return false
	}
	db.Resized(h.Size() - before)
	return true
}

// create stores obj under the key, which does not exist yet (callers check
// t.has first, so that no object is built for an existing key).
func (t *collTarget[T]) create(obj T) {
	t.obj, t.has = obj, true
	t.ref = t.db.SetObject(t.key, obj, false)
	t.size = obj.Size()
}

// done accounts for the change in size and removes an emptied key, and
// reports whether it removed it (for the "del" event).
func (t *collTarget[T]) done() (removed bool) {
	if !t.has {
		return false
	}
	if t.obj.Len() == 0 {
		t.db.DeleteRef(t.ref)
		t.has = false
		return true
	}
	if s := t.obj.Size(); s != t.size {
		t.db.Resized(s - t.size)
		t.size = s
	}
	return false
}

// hashRead looks key up for reading: h is nil when the key does not exist,
// ok false when WRONGTYPE has been replied.
func (c *Ctx) hashRead(key []byte) (h *value.HashValue, ok bool) {
	db, r, found := c.Lookup(key)
	if !found {
		return nil, true
	}
	if db.Kind(r) != value.Hash {
		c.Err(ErrWrongType)
		return nil, false
	}
	if !expireHashFields(db, r, c.Now) {
		return nil, true
	}
	return db.Obj(r).(*value.HashValue), true
}

func (c *Ctx) hashWrite(key []byte) (collTarget[*value.HashValue], bool) {
	return lookupColl[*value.HashValue](c, key, value.Hash)
}

func (c *Ctx) hashLimits() value.HashLimits {
	return value.HashLimits{
		MaxEntries: clampInt(c.Env.Config.HashMaxListpackEntries.Get()),
		MaxValue:   clampInt(c.Env.Config.HashMaxListpackValue.Get()),
	}
}

func clampInt(v int64) int {
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(v)
}

func hsetGeneric(c *Ctx, hmset bool) {
	if len(c.Args)%2 == 1 {
		c.WrongArgs()
		return
	}
	t, ok := c.hashWrite(c.Args[1])
	if !ok {
		return
	}
	if !t.has {
		t.create(value.NewHash())
	}
	lim := c.hashLimits()
	added := int64(0)
	for i := 2; i < len(c.Args); i += 2 {
		if t.obj.Set(c.Args[i], c.Args[i+1], lim) {
			added++
		}
	}
	t.done()
	c.Notify(config.EventHash, "hset", c.Args[1])
	if hmset {
		c.W.OK()
	} else {
		c.W.Int(added)
	}
}

func cmdHSetNX(c *Ctx) {
	t, ok := c.hashWrite(c.Args[1])
	if !ok {
		return
	}
	if t.has && t.obj.Has(c.Args[2]) {
		c.W.Int(0)
		return
	}
	if !t.has {
		t.create(value.NewHash())
	}
	t.obj.Set(c.Args[2], c.Args[3], c.hashLimits())
	t.done()
	c.Notify(config.EventHash, "hset", c.Args[1])
	c.W.Int(1)
}

func cmdHGet(c *Ctx) {
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(c.Args[2]); found {
			c.W.Bulk(v)
			return
		}
	}
	c.W.Null()
}

func cmdHMGet(c *Ctx) {
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, f := range c.Args[2:] {
		if h != nil {
			if v, found := h.Get(f); found {
				c.W.Bulk(v)
				continue
			}
		}
		c.W.Null()
	}
}

func hgetallGeneric(c *Ctx, fields, values bool) {
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if fields && values {
		c.W.Map(n)
	} else {
		c.W.Array(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v []byte) bool {
		if fields {
			c.W.Bulk(f)
		}
		if values {
			c.W.Bulk(v)
		}
		return true
	})
}

func cmdHDel(c *Ctx) {
	t, ok := c.hashWrite(c.Args[1])
	if !ok {
		return
	}
	n := int64(0)
	if t.has {
		for _, f := range c.Args[2:] {
			if t.obj.Delete(f) {
				n++
				if t.obj.Len() == 0 {
					break
				}
			}
		}
		if removed := t.done(); n > 0 {
			c.Notify(config.EventHash, "hdel", c.Args[1])
			if removed {
				c.Notify(config.EventGeneric, "del", c.Args[1])
			}
		}
	}
	c.W.Int(n)
}

func cmdHExists(c *Ctx) {
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	if h != nil && h.Has(c.Args[2]) {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

func cmdHLen(c *Ctx) {
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(h.Len()))
}

func cmdHStrlen(c *Ctx) {
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(c.Args[2])
		n = len(v)
	}
	c.W.Int(int64(n))
}

func cmdHIncrBy(c *Ctx) {
	by, ok := c.intArg(3)
	if !ok {
		return
	}
	t, ok := c.hashWrite(c.Args[1])
	if !ok {
		return
	}
	cur := int64(0)
	if t.has {
		if v, found := t.obj.Get(c.Args[2]); found {
			if cur, ok = parseInt(v); !ok {
				c.Err("ERR hash value is not an integer")
				return
			}
		}
	}
	if (by > 0 && cur > math.MaxInt64-by) || (by < 0 && cur < math.MinInt64-by) {
		c.Err(ErrOverflow)
		return
	}
	cur += by
	var buf [24]byte
	if !t.has {
		t.create(value.NewHash())
	}
	t.obj.Update(c.Args[2], strconv.AppendInt(buf[:0], cur, 10), c.hashLimits())
	t.done()
	c.Notify(config.EventHash, "hincrby", c.Args[1])
	c.W.Int(cur)
}

func cmdHIncrByFloat(c *Ctx) {
	by, ok := parseLongDouble(c.Args[3])
	if !ok {
		c.Err(ErrNotFloat)
		return
	}
	if by.IsInf() {
		c.Err("ERR value is NaN or Infinity")
		return
	}
	t, ok := c.hashWrite(c.Args[1])
	if !ok {
		return
	}
	cur, _ := parseLongDouble([]byte("0"))
	if t.has {
		if v, found := t.obj.Get(c.Args[2]); found {
			if cur, ok = parseLongDouble(v); !ok {
				c.Err("ERR hash value is not a float")
				return
			}
		}
	}
	sum, ok := addLongDouble(cur, by)
	if !ok {
		c.Err(ErrIncrNaNOrInf)
		return
	}
	b := formatLongDouble(sum)
	if !t.has {
		t.create(value.NewHash())
	}
	t.obj.Update(c.Args[2], b, c.hashLimits())
	t.done()
	c.Notify(config.EventHash, "hincrbyfloat", c.Args[1])
	c.W.Bulk(b)
}

// countArg parses a HRANDFIELD/SRANDMEMBER count: an integer in
// [-LONG_MAX, LONG_MAX], with Redis's error texts.
func (c *Ctx) countArg(i int) (int64, bool) {
	n, ok := c.intArg(i)
	if !ok {
		return 0, false
	}
	if n == math.MinInt64 {
		c.Err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false
	}
	return n, true
}

func cmdHRandField(c *Ctx) {
	if len(c.Args) >= 3 {
		hrandfieldWithCount(c)
		return
	}
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.Null()
		return
	}
	f, _ := h.Random()
	c.W.Bulk(f)
}

func hrandfieldWithCount(c *Ctx) {
	n, ok := c.countArg(2)
	if !ok {
		return
	}
	withValues := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && lower(c.Args[3]) != "withvalues") {
		c.Err(ErrSyntax)
		return
	} else if len(c.Args) == 4 {
		withValues = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			c.Err("ERR value is out of range")
			return
		}
	}
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	if h == nil || n == 0 {
		c.W.Array(0)
		return
	}
	replies := n
	if n > 0 && n > int64(h.Len()) {
		replies = int64(h.Len())
	} else if n < 0 {
		replies = -n
	}
	switch {
	case !withValues:
		c.W.Array(int(replies))
	case c.W.Proto >= 3:
		c.W.Array(int(replies))
	default:
		c.W.Array(int(2 * replies))
	}
	h.RandomPairs(n, func(f, v []byte) {
		if withValues && c.W.Proto >= 3 {
			c.W.Array(2)
		}
		c.W.Bulk(f)
		if withValues {
			c.W.Bulk(v)
		}
	})
}

// parseScanCursor reads a SCAN-family cursor as Redis 7.0 does (strtoul
// in base 10): no leading blank, nothing after the digits, no overflow. An
// optional sign is allowed ("-N" wraps around) and "" is cursor 0.
func parseScanCursor(b []byte) (uint64, bool) {
	i := 0
	if len(b) > 0 && isBlank(b[0]) {
		return 0, false
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		// No digits: strtoul stops at the start, so only "" is accepted.
		return 0, len(b) == 0
	}
	var v uint64
	for ; i < len(b); i++ {
		d := b[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(d-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// scanArgs are the options of HSCAN, SSCAN (and ZSCAN).
type scanArgs struct {
	cursor   uint64
	count    int64
	pattern  []byte // nil: match everything
	noValues bool
}

// parseScanOpts reads the options after the cursor as Redis's
// scanGenericCommand does: COUNT (a positive integer) and MATCH, and for
// HSCAN the 7.4 NOVALUES flag.
func (c *Ctx) parseScanOpts(from int, allowNoValues bool) (scanArgs, bool) {
	a := scanArgs{count: 10}
	for i := from; i < len(c.Args); {
		more := len(c.Args) - i
		switch opt := lower(c.Args[i]); {
		case opt == "count" && more >= 2:
			n, ok := c.intArg(i + 1)
			if !ok {
				return a, false
			}
			if n < 1 {
				c.Err(ErrSyntax)
				return a, false
			}
			a.count = n
			i += 2
		case opt == "match" && more >= 2:
			a.pattern = c.Args[i+1]
			if len(a.pattern) == 1 && a.pattern[0] == '*' {
				a.pattern = nil
			}
			i += 2
		case opt == "novalues" && allowNoValues:
			a.noValues = true
			i++
		default:
			c.Err(ErrSyntax)
			return a, false
		}
	}
	return a, true
}

// scanLoop drives a collection's Scan like Redis: at most count*10 cursor
// steps, stopping once count entries (fields, for a hash) have been
// gathered or the walk is complete.
func scanLoop(cursor uint64, count int64, step func(cursor uint64) uint64, gathered func() int) uint64 {
	for budget := count * 10; ; {
		cursor = step(cursor)
		budget--
		if cursor == 0 || budget <= 0 || int64(gathered()) >= count {
			return cursor
		}
	}
}

func writeScanReply(c *Ctx, cursor uint64, items [][]byte) {
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(cursor, 10))
	c.W.Array(len(items))
	for _, it := range items {
		c.W.Bulk(it)
	}
}

func cmdHScan(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		c.Err(ErrCursor)
		return
	}
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	if h == nil {
		writeScanReply(c, 0, nil)
		return
	}
	a, ok := c.parseScanOpts(3, true)
	if !ok {
		return
	}
	var items [][]byte
	add := func(f, v []byte) {
		if a.pattern != nil && !glob.Match(a.pattern, f, false) {
			return
		}
		items = append(items, f)
		if !a.noValues {
			items = append(items, v)
		}
	}
	if h.IsCompact() {
		h.Scan(0, add)
		writeScanReply(c, 0, items)
		return
	}
	// Count what the walk visits before MATCH filters it, as Redis does.
	visited := 0
	next := scanLoop(cursor, a.count, func(cur uint64) uint64 {
		return h.Scan(cur, func(f, v []byte) {
			visited++
			add(f, v)
		})
	}, func() int { return visited })
	writeScanReply(c, next, items)
}

// maxFieldExpire is Redis 7.4's largest field expiry (unix ms, 2^48-1).
const maxFieldExpire = 1<<48 - 1

// hashFieldsArg reads "FIELDS numfields field ..." starting at argument i
// with Redis 7.4's checks and texts, and returns the fields.
func (c *Ctx) hashFieldsArg(i int) ([][]byte, bool) {
	if i >= len(c.Args) || lower(c.Args[i]) != "fields" {
		c.Err("ERR Mandatory argument FIELDS is missing or not at the right position")
		return nil, false
	}
	if i+1 >= len(c.Args) {
		c.WrongArgs()
		return nil, false
	}
	n, ok := parseInt(c.Args[i+1])
	if !ok || n < 1 {
		c.Err("ERR Number of fields must be a positive integer")
		return nil, false
	}
	if n != int64(len(c.Args)-i-2) {
		c.Err("ERR The `numfields` parameter must match the number of arguments")
		return nil, false
	}
	return c.Args[i+2:], true
}

// Field-expiry reply codes.
const (
	hfeNoField   = -2
	hfeNoTTL     = -1
	hfeNotMet    = 0
	hfeSet       = 1
	hfeDeleted   = 2
	hfePersisted = 1
)

// hexpireGeneric is HEXPIRE, HPEXPIRE, HEXPIREAT and HPEXPIREAT.
func hexpireGeneric(c *Ctx, unitMs int64, absolute bool) {
	t, ok := c.hashWrite(c.Args[1])
	if !ok {
		return
	}
	n, ok := c.intArg(2)
	if !ok {
		return
	}
	if n < 0 {
		c.Err("ERR invalid expire time, must be >= 0")
		return
	}
	if unitMs == 1000 {
		if n > maxFieldExpire/1000 {
			c.Err(errInvalidExpire(c.Spec.Name))
			return
		}
		n *= 1000
	}
	if n > maxFieldExpire {
		c.Err(errInvalidExpire(c.Spec.Name))
		return
	}
	at := n
	if !absolute {
		at += c.Now
		if at > maxFieldExpire {
			c.Err(errInvalidExpire(c.Spec.Name))
			return
		}
	}
	i := 3
	var nx, xx, gt, lt bool
	switch lower(c.Args[i]) {
	case "nx":
		nx = true
	case "xx":
		xx = true
	case "gt":
		gt = true
	case "lt":
		lt = true
	default:
		i--
	}
	i++
	fields, ok := c.hashFieldsArg(i)
	if !ok {
		return
	}
	c.W.Array(len(fields))
	set, deleted := false, false
	for _, f := range fields {
		if !t.has {
			c.W.Int(hfeNoField)
			continue
		}
		cur := t.obj.FieldTTL(f)
		switch {
		case cur < 0:
			c.W.Int(hfeNoField)
		case nx && cur != 0, xx && cur == 0, gt && (cur == 0 || at <= cur), lt && cur != 0 && at >= cur:
			c.W.Int(hfeNotMet)
		case at <= c.Now:
			t.obj.Delete(f)
			deleted = true
			c.W.Int(hfeDeleted)
		default:
			t.obj.SetFieldTTL(f, at)
			set = true
			c.W.Int(hfeSet)
		}
	}
	removed := t.done()
	if set {
		c.Notify(config.EventHash, "hexpire", c.Args[1])
	}
	if deleted {
		c.Notify(config.EventHash, "hdel", c.Args[1])
	}
	if removed {
		c.Notify(config.EventGeneric, "del", c.Args[1])
	}
}

func cmdHPersist(c *Ctx) {
	t, ok := c.hashWrite(c.Args[1])
	if !ok {
		return
	}
	fields, ok := c.hashFieldsArg(2)
	if !ok {
		return
	}
	c.W.Array(len(fields))
	persisted := false
	for _, f := range fields {
		switch {
		case !t.has || !t.obj.Has(f):
			c.W.Int(hfeNoField)
		case t.obj.PersistField(f):
			persisted = true
			c.W.Int(hfePersisted)
		default:
			c.W.Int(hfeNoTTL)
		}
	}
	t.done()
	if persisted {
		c.Notify(config.EventHash, "hpersist", c.Args[1])
	}
}

// httlGeneric is HTTL, HPTTL, HEXPIRETIME and HPEXPIRETIME.
func httlGeneric(c *Ctx, ms, abs bool) {
	h, ok := c.hashRead(c.Args[1])
	if !ok {
		return
	}
	fields, ok := c.hashFieldsArg(2)
	if !ok {
		return
	}
	c.W.Array(len(fields))
	for _, f := range fields {
		at := int64(-1)
		if h != nil {
			at = h.FieldTTL(f)
		}
		switch {
		case at < 0:
			c.W.Int(hfeNoField)
		case at == 0:
			c.W.Int(hfeNoTTL)
		default:
			v := at
			if !abs {
				v -= c.Now
			}
			if !ms {
				if abs {
					v /= 1000
				} else {
					v = (v + 999) / 1000
				}
			}
			c.W.Int(v)
		}
	}
}
