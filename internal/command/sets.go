package command

import (
	"sort"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/glob"
	"github.com/damselfly-db/damselfly/internal/value"
)

func registerSets(t *Table) {
	s := func(name string, arity int, flags Flag, first, last int, handler func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: first, Last: last, Step: 1, Handler: handler,
			Group: "set", Since: since, Summary: summary, Categories: []string{"set"}}
	}
	w, r := Write|DenyOOM, ReadOnly
	t.add(
		s("sadd", -3, w|Fast, 1, 1, cmdSAdd, "1.0.0", "Adds one or more members to a set. Creates the key if it doesn't exist."),
		s("srem", -3, Write|Fast, 1, 1, cmdSRem, "1.0.0", "Removes one or more members from a set. Deletes the set if the last member was removed."),
		s("smembers", 2, r, 1, 1, cmdSMembers, "1.0.0", "Returns all members of a set."),
		s("sismember", 3, r|Fast, 1, 1, cmdSIsMember, "1.0.0", "Determines whether a member belongs to a set."),
		s("smismember", -3, r|Fast, 1, 1, cmdSMIsMember, "6.2.0", "Determines whether multiple members belong to a set."),
		s("scard", 2, r|Fast, 1, 1, cmdSCard, "1.0.0", "Returns the number of members in a set."),
		s("spop", -2, Write|Fast, 1, 1, cmdSPop, "1.0.0", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped."),
		s("srandmember", -2, r, 1, 1, cmdSRandMember, "1.0.0", "Get one or multiple random members from a set"),
		s("smove", 4, Write|Fast, 1, 2, cmdSMove, "1.0.0", "Moves a member from one set to another."),
		s("sinter", -2, r, 1, -1, func(c *Ctx) { sinterGeneric(c, c.Args[1:], nil, false, 0) }, "1.0.0", "Returns the intersect of multiple sets."),
		s("sinterstore", -3, w, 1, -1, func(c *Ctx) { sinterGeneric(c, c.Args[2:], c.Args[1], false, 0) }, "1.0.0", "Stores the intersect of multiple sets in a key."),
		s("sunion", -2, r, 1, -1, func(c *Ctx) { sunionDiffGeneric(c, c.Args[1:], nil, false) }, "1.0.0", "Returns the union of multiple sets."),
		s("sunionstore", -3, w, 1, -1, func(c *Ctx) { sunionDiffGeneric(c, c.Args[2:], c.Args[1], false) }, "1.0.0", "Stores the union of multiple sets in a key."),
		s("sdiff", -2, r, 1, -1, func(c *Ctx) { sunionDiffGeneric(c, c.Args[1:], nil, true) }, "1.0.0", "Returns the difference of multiple sets."),
		s("sdiffstore", -3, w, 1, -1, func(c *Ctx) { sunionDiffGeneric(c, c.Args[2:], c.Args[1], true) }, "1.0.0", "Stores the difference of multiple sets in a key."),
		s("sscan", -3, r, 1, 1, cmdSScan, "2.8.0", "Iterates over members of a set."),
		&Spec{Name: "sintercard", Arity: -3, Flags: r | MovableKeys, KeysFn: numkeysAt1, Handler: cmdSInterCard,
			Group: "set", Since: "7.0.0", Summary: "Returns the number of members of the intersect of multiple sets.", Categories: []string{"set"}},
	)
}

// numkeysAt1 locates the keys of "CMD numkeys key [key ...] ...": none
// when numkeys is not usable (the handler rejects the command then).
func numkeysAt1(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	n, ok := parseInt(args[1])
	if !ok || n <= 0 || n > int64(len(args)-2) {
		return nil
	}
	pos := make([]int, n)
	for i := range pos {
		pos[i] = 2 + i
	}
	return pos
}

// setRead looks key up for reading: s is nil when the key does not exist,
// ok false when WRONGTYPE has been replied.
func (c *Ctx) setRead(key []byte) (s *value.SetValue, ok bool) {
	db, r, found := c.Lookup(key)
	if !found {
		return nil, true
	}
	if db.Kind(r) != value.Set {
		c.Err(ErrWrongType)
		return nil, false
	}
	return db.Obj(r).(*value.SetValue), true
}

func (c *Ctx) setWrite(key []byte) (collTarget[*value.SetValue], bool) {
	return lookupColl[*value.SetValue](c, key, value.Set)
}

func (c *Ctx) maxIntset() int { return clampInt(c.Env.Config.SetMaxIntsetEntries.Get()) }

func cmdSAdd(c *Ctx) {
	t, ok := c.setWrite(c.Args[1])
	if !ok {
		return
	}
	if !t.has {
		t.create(value.NewSetSized(c.Args[2], len(c.Args)-2))
	}
	maxInts := c.maxIntset()
	n := int64(0)
	for _, m := range c.Args[2:] {
		if t.obj.Add(m, maxInts) {
			n++
		}
	}
	t.done()
	if n > 0 {
		c.Notify(config.EventSet, "sadd", c.Args[1])
	}
	c.W.Int(n)
}

func cmdSRem(c *Ctx) {
	t, ok := c.setWrite(c.Args[1])
	if !ok {
		return
	}
	n := int64(0)
	if t.has {
		for _, m := range c.Args[2:] {
			if t.obj.Remove(m) {
				n++
				if t.obj.Len() == 0 {
					break
				}
			}
		}
		if removed := t.done(); n > 0 {
			c.Notify(config.EventSet, "srem", c.Args[1])
			if removed {
				c.Notify(config.EventGeneric, "del", c.Args[1])
			}
		}
	}
	c.W.Int(n)
}

// writeSet replies with every member of s (nil: none) as a RESP3 set.
func writeSet(c *Ctx, s *value.SetValue) {
	if s == nil {
		c.W.Set(0)
		return
	}
	c.W.Set(s.Len())
	s.Each(func(m []byte) bool {
		c.W.Bulk(m)
		return true
	})
}

func cmdSMembers(c *Ctx) {
	s, ok := c.setRead(c.Args[1])
	if !ok {
		return
	}
	writeSet(c, s)
}

func cmdSIsMember(c *Ctx) {
	s, ok := c.setRead(c.Args[1])
	if !ok {
		return
	}
	if s != nil && s.Has(c.Args[2]) {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

func cmdSMIsMember(c *Ctx) {
	s, ok := c.setRead(c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if s != nil && s.Has(m) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

func cmdSCard(c *Ctx) {
	s, ok := c.setRead(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Len()))
}

func cmdSPop(c *Ctx) {
	if len(c.Args) == 3 {
		spopWithCount(c)
		return
	}
	if len(c.Args) > 3 {
		c.Err(ErrSyntax)
		return
	}
	t, ok := c.setWrite(c.Args[1])
	if !ok {
		return
	}
	if !t.has {
		c.W.Null()
		return
	}
	var buf [24]byte
	c.W.Bulk(t.obj.Pop(buf[:]))
	c.Notify(config.EventSet, "spop", c.Args[1])
	if t.done() {
		c.Notify(config.EventGeneric, "del", c.Args[1])
	}
}

// positiveArg parses a non-negative count with the error text of Redis's
// getPositiveLongFromObjectOrReply (also for non-integers).
func (c *Ctx) positiveArg(i int, msg string) (int64, bool) {
	n, ok := parseInt(c.Args[i])
	if !ok || n < 0 {
		c.Err(msg)
		return 0, false
	}
	return n, true
}

func spopWithCount(c *Ctx) {
	n, ok := c.positiveArg(2, "ERR value is out of range, must be positive")
	if !ok {
		return
	}
	t, ok := c.setWrite(c.Args[1])
	if !ok {
		return
	}
	if !t.has || n == 0 {
		c.W.Set(0)
		return
	}
	if n > int64(t.obj.Len()) {
		n = int64(t.obj.Len())
	}
	c.W.Set(int(n))
	t.obj.PopMembers(int(n), func(m []byte) { c.W.Bulk(m) })
	c.Notify(config.EventSet, "spop", c.Args[1])
	if t.done() {
		c.Notify(config.EventGeneric, "del", c.Args[1])
	}
}

func cmdSRandMember(c *Ctx) {
	if len(c.Args) == 3 {
		srandmemberWithCount(c)
		return
	}
	if len(c.Args) > 3 {
		c.Err(ErrSyntax)
		return
	}
	s, ok := c.setRead(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	var buf [24]byte
	c.W.Bulk(s.Random(buf[:]))
}

func srandmemberWithCount(c *Ctx) {
	n, ok := c.countArg(2)
	if !ok {
		return
	}
	s, ok := c.setRead(c.Args[1])
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.W.Array(0)
		return
	}
	switch {
	case n < 0:
		c.W.Array(int(-n))
	case n >= int64(s.Len()):
		c.W.Array(s.Len())
	default:
		c.W.Array(int(n))
	}
	s.RandomMembers(n, func(m []byte) { c.W.Bulk(m) })
}

func cmdSMove(c *Ctx) {
	src, dst, member := c.Args[1], c.Args[2], c.Args[3]
	from, ok := c.setWrite(src)
	if !ok {
		return
	}
	if !from.has {
		// Redis checks the destination's type only once the source exists.
		c.W.Int(0)
		return
	}
	to, ok := c.setWrite(dst)
	if !ok {
		return
	}
	if string(src) == string(dst) {
		if from.obj.Has(member) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
		return
	}
	if !from.obj.Remove(member) {
		c.W.Int(0)
		return
	}
	c.Notify(config.EventSet, "srem", src)
	if from.done() {
		c.Notify(config.EventGeneric, "del", src)
	}
	if !to.has {
		to.create(value.NewSetSized(member, 1))
	}
	if to.obj.Add(member, c.maxIntset()) {
		c.Notify(config.EventSet, "sadd", dst)
	}
	to.done()
	c.W.Int(1)
}

// setsFor looks every key up in order, nil for a missing one, and replies
// WRONGTYPE (ok false) at the first key of another type.
func (c *Ctx) setsFor(keys [][]byte, write bool) ([]*value.SetValue, bool) {
	sets := make([]*value.SetValue, len(keys))
	for i, k := range keys {
		lookup := c.Lookup
		if write {
			lookup = c.LookupWrite
		}
		db, r, found := lookup(k)
		if !found {
			continue
		}
		if db.Kind(r) != value.Set {
			c.Err(ErrWrongType)
			return nil, false
		}
		sets[i] = db.Obj(r).(*value.SetValue)
	}
	return sets, true
}

// storeSet writes result under dst (deleting dst when it is empty) and
// replies with its cardinality; event is the keyspace event of a store.
func (c *Ctx) storeSet(dst []byte, result *value.SetValue, event string) {
	db := c.DB(dst)
	if result.Len() == 0 {
		if db.Delete(dst) {
			c.Notify(config.EventGeneric, "del", dst)
		}
		c.W.Int(0)
		return
	}
	db.SetObject(dst, result, false)
	c.Notify(config.EventSet, event, dst)
	c.W.Int(int64(result.Len()))
}

// sinterGeneric is SINTER, SINTERSTORE (dst set) and SINTERCARD (card).
func sinterGeneric(c *Ctx, keys [][]byte, dst []byte, card bool, limit int64) {
	sets, ok := c.setsFor(keys, dst != nil)
	if !ok {
		return
	}
	for _, s := range sets {
		if s == nil {
			// An intersection with an empty set is empty.
			switch {
			case dst != nil:
				c.storeSet(dst, value.NewSet(), "sinterstore")
			case card:
				c.W.Int(0)
			default:
				c.W.Set(0)
			}
			return
		}
	}
	// Walk the smallest set and probe the others.
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].Len() < sets[j].Len() })
	var out [][]byte
	var result *value.SetValue
	if dst != nil {
		result = value.NewSet()
	}
	maxInts := c.maxIntset()
	n := int64(0)
	sets[0].Each(func(m []byte) bool {
		for _, o := range sets[1:] {
			if o != sets[0] && !o.Has(m) {
				return true
			}
		}
		n++
		switch {
		case card:
			return limit == 0 || n < limit
		case dst != nil:
			result.Add(m, maxInts)
		default:
			out = append(out, append([]byte(nil), m...))
		}
		return true
	})
	switch {
	case card:
		c.W.Int(n)
	case dst != nil:
		c.storeSet(dst, result, "sinterstore")
	default:
		c.W.Set(len(out))
		for _, m := range out {
			c.W.Bulk(m)
		}
	}
}

func cmdSInterCard(c *Ctx) {
	n, ok := parseInt(c.Args[1])
	if !ok || n <= 0 {
		c.Err("ERR numkeys should be greater than 0")
		return
	}
	if n > int64(len(c.Args)-2) {
		c.Err("ERR Number of keys can't be greater than number of args")
		return
	}
	limit := int64(0)
	for i := 2 + int(n); i < len(c.Args); i++ {
		if lower(c.Args[i]) == "limit" && i+1 < len(c.Args) {
			if limit, ok = c.positiveArg(i+1, "ERR LIMIT can't be negative"); !ok {
				return
			}
			i++
			continue
		}
		c.Err(ErrSyntax)
		return
	}
	sinterGeneric(c, c.Args[2:2+n], nil, true, limit)
}

// sunionDiffGeneric is SUNION, SDIFF and their STORE forms. Like Redis, it
// builds the result as a new set (an intset while it can be one) and
// replies in that set's order; SDIFF picks between Redis's two algorithms
// with its cost estimate, which also decides the stored encoding.
func sunionDiffGeneric(c *Ctx, keys [][]byte, dst []byte, diff bool) {
	sets, ok := c.setsFor(keys, dst != nil)
	if !ok {
		return
	}
	maxInts := c.maxIntset()
	result := value.NewSet()
	add := func(m []byte) bool { result.Add(m, maxInts); return true }
	switch {
	case !diff:
		for _, s := range sets {
			if s != nil {
				s.Each(add)
			}
		}
	case sets[0] == nil:
	case sameSetAgain(sets):
		// Subtracting the first set from itself leaves nothing.
	default:
		one, two := 0, 0
		for _, s := range sets {
			if s != nil {
				one += sets[0].Len()
				two += s.Len()
			}
		}
		rest := sets[1:]
		if one/2 <= two {
			// Algorithm 1: keep the members of the first set that no other
			// set has, probing the biggest sets first.
			rest = append([]*value.SetValue(nil), rest...)
			sort.SliceStable(rest, func(i, j int) bool { return setLen(rest[i]) > setLen(rest[j]) })
			sets[0].Each(func(m []byte) bool {
				for _, o := range rest {
					if o != nil && o.Has(m) {
						return true
					}
				}
				return add(m)
			})
		} else {
			// Algorithm 2: copy the first set, then remove the others.
			sets[0].Each(add)
			for _, o := range rest {
				if result.Len() == 0 {
					break
				}
				if o != nil {
					o.Each(func(m []byte) bool { result.Remove(m); return true })
				}
			}
		}
	}
	if dst != nil {
		event := "sunionstore"
		if diff {
			event = "sdiffstore"
		}
		c.storeSet(dst, result, event)
		return
	}
	writeSet(c, result)
}

func setLen(s *value.SetValue) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

func sameSetAgain(sets []*value.SetValue) bool {
	for _, s := range sets[1:] {
		if s == sets[0] {
			return true
		}
	}
	return false
}

func cmdSScan(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		c.Err(ErrCursor)
		return
	}
	s, ok := c.setRead(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		writeScanReply(c, 0, nil)
		return
	}
	a, ok := c.parseScanOpts(3, false)
	if !ok {
		return
	}
	var items [][]byte
	visited := 0
	add := func(m []byte) {
		visited++
		if a.pattern != nil && !glob.Match(a.pattern, m, false) {
			return
		}
		items = append(items, append([]byte(nil), m...))
	}
	if s.IsIntset() {
		s.Scan(0, add)
		writeScanReply(c, 0, items)
		return
	}
	next := scanLoop(cursor, a.count, func(cur uint64) uint64 { return s.Scan(cur, add) }, func() int { return visited })
	writeScanReply(c, next, items)
}
