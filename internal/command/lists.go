package command

import (
	"bytes"
	"strconv"
	"time"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/value"
)

// The list family: Redis 7.0's t_list.c commands, with its checks in its
// order (arguments parsed before or after the key lookup exactly as Redis
// does, so the same malformed command gets the same error).

func registerLists(t *Table) {
	list := func(name string, arity int, flags Flag, first, last, step int, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: first, Last: last, Step: step, Handler: h,
			Group: "list", Since: since, Summary: summary, Categories: []string{"list"}}
	}
	w, r := Write|DenyOOM, ReadOnly
	lmpop := list("lmpop", -4, Write|MovableKeys, 0, 0, 0, cmdLMPop, "7.0.0", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.")
	lmpop.KeysFn = numKeysPositions(1)
	blmpop := list("blmpop", -5, Write|Blocking|MovableKeys, 0, 0, 0, cmdBLMPop, "7.0.0", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.")
	blmpop.KeysFn = numKeysPositions(2)
	t.add(
		list("lpush", -3, w|Fast, 1, 1, 1, func(c *Ctx) { pushGeneric(c, true, false) }, "1.0.0", "Prepends one or more elements to a list. Creates the key if it doesn't exist."),
		list("rpush", -3, w|Fast, 1, 1, 1, func(c *Ctx) { pushGeneric(c, false, false) }, "1.0.0", "Appends one or more elements to a list. Creates the key if it doesn't exist."),
		list("lpushx", -3, w|Fast, 1, 1, 1, func(c *Ctx) { pushGeneric(c, true, true) }, "2.2.0", "Prepends one or more elements to a list only when the list exists."),
		list("rpushx", -3, w|Fast, 1, 1, 1, func(c *Ctx) { pushGeneric(c, false, true) }, "2.2.0", "Appends an element to a list only when the list exists."),
		list("linsert", 5, w, 1, 1, 1, cmdLInsert, "2.2.0", "Inserts an element before or after another element in a list."),
		list("lpop", -2, Write|Fast, 1, 1, 1, func(c *Ctx) { popGeneric(c, true) }, "1.0.0", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped."),
		list("rpop", -2, Write|Fast, 1, 1, 1, func(c *Ctx) { popGeneric(c, false) }, "1.0.0", "Returns and removes the last elements of a list. Deletes the list if the last element was popped."),
		list("llen", 2, r|Fast, 1, 1, 1, cmdLLen, "1.0.0", "Returns the length of a list."),
		list("lindex", 3, r, 1, 1, 1, cmdLIndex, "1.0.0", "Returns an element from a list by its index."),
		list("lset", 4, w, 1, 1, 1, cmdLSet, "1.0.0", "Sets the value of an element in a list by its index."),
		list("lrange", 4, r, 1, 1, 1, cmdLRange, "1.0.0", "Returns a range of elements from a list."),
		list("ltrim", 4, Write, 1, 1, 1, cmdLTrim, "1.0.0", "Removes elements from both ends a list. Deletes the list if all elements were trimmed."),
		list("lrem", 4, Write, 1, 1, 1, cmdLRem, "1.0.0", "Removes elements from a list. Deletes the list if the last element was removed."),
		list("lpos", -3, r, 1, 1, 1, cmdLPos, "6.0.6", "Returns the index of matching elements in a list."),
		list("lmove", 5, w, 1, 2, 1, cmdLMove, "6.2.0", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved."),
		list("rpoplpush", 3, w, 1, 2, 1, cmdRPopLPush, "1.2.0", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped."),
		lmpop,
		list("blpop", -3, Write|NoScript|Blocking, 1, -2, 1, func(c *Ctx) { cmdBPop(c, true) }, "2.0.0", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped."),
		list("brpop", -3, Write|NoScript|Blocking, 1, -2, 1, func(c *Ctx) { cmdBPop(c, false) }, "2.0.0", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped."),
		list("blmove", 6, w|NoScript|Blocking, 1, 2, 1, cmdBLMove, "6.2.0", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved."),
		list("brpoplpush", 4, w|NoScript|Blocking, 1, 2, 1, cmdBRPopLPush, "2.2.0", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped."),
		blmpop,
	)
}

// numKeysPositions locates the keys of a "numkeys key [key ...]" command
// whose numkeys is argument idx. A malformed count yields no keys: the
// handler rejects such a command before touching any key.
func numKeysPositions(idx int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		if idx >= len(args) {
			return nil
		}
		n, ok := parseInt(args[idx])
		if !ok || n <= 0 || n > int64(len(args)-idx-1) {
			return nil
		}
		pos := make([]int, n)
		for i := range pos {
			pos[i] = idx + 1 + i
		}
		return pos
	}
}

const errOutOfRangePositive = "ERR value is out of range, must be positive"

// listRef is a list found in the keyspace, with its size before the
// command changed it.
type listRef struct {
	db     *keyspace.DB
	ref    keyspace.Ref
	l      *value.Quicklist
	before int
}

// done accounts for the list's new size and deletes key once the list is
// empty, as Redis does (with a "del" event).
func (lr *listRef) done(c *Ctx, key []byte) {
	lr.db.Resized(lr.l.Size() - lr.before)
	if lr.l.Len() == 0 {
		lr.db.DeleteRef(lr.ref)
		c.Notify(config.EventGeneric, "del", key)
	}
}

// listEvent names the keyspace event of a push or pop at one end.
func listEvent(left bool, push bool) string {
	switch {
	case push && left:
		return "lpush"
	case push:
		return "rpush"
	case left:
		return "lpop"
	}
	return "rpop"
}

// listWrite looks key up for a write. found is false for a missing key;
// ok is false when the key holds another type (the error is written).
func (c *Ctx) listWrite(key []byte) (lr listRef, found, ok bool) {
	db, ref, exists := c.LookupWrite(key)
	return c.asList(db, ref, exists)
}

// listRead is listWrite for reads: it counts keyspace hits and misses.
func (c *Ctx) listRead(key []byte) (lr listRef, found, ok bool) {
	db, ref, exists := c.Lookup(key)
	return c.asList(db, ref, exists)
}

func (c *Ctx) asList(db *keyspace.DB, ref keyspace.Ref, exists bool) (listRef, bool, bool) {
	if !exists {
		return listRef{db: db}, false, true
	}
	if db.Kind(ref) != value.List {
		c.Err(ErrWrongType)
		return listRef{}, true, false
	}
	l := db.Obj(ref).(*value.Quicklist)
	return listRef{db: db, ref: ref, l: l, before: l.Size()}, true, true
}

// newList creates an empty list under key and returns it.
func (c *Ctx) newList(db *keyspace.DB, key []byte) listRef {
	l := value.NewQuicklist(int(c.Env.Config.ListMaxListpackSize.Get()))
	ref := db.SetObject(key, l, false)
	return listRef{db: db, ref: ref, l: l, before: l.Size()}
}

// listPosition parses LEFT or RIGHT (true for LEFT).
func (c *Ctx) listPosition(arg []byte) (left, ok bool) {
	switch lower(arg) {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	c.Err(ErrSyntax)
	return false, false
}

// rangeLong parses an integer within [min, max] like Redis's
// getRangeLongFromObjectOrReply: msg (when set) replaces both the
// not-an-integer and the out-of-range errors.
func (c *Ctx) rangeLong(arg []byte, min, max int64, msg string) (int64, bool) {
	n, ok := parseInt(arg)
	if !ok {
		if msg == "" {
			msg = ErrNotInt
		}
		c.Err(msg)
		return 0, false
	}
	if n < min || n > max {
		if msg == "" {
			msg = "ERR value is out of range, value must between " + strconv.FormatInt(min, 10) + " and " + strconv.FormatInt(max, 10)
		}
		c.Err(msg)
		return 0, false
	}
	return n, true
}

func pushGeneric(c *Ctx, left, xx bool) {
	key := c.Args[1]
	lr, found, ok := c.listWrite(key)
	if !ok {
		return
	}
	if !found {
		if xx {
			c.W.Int(0)
			return
		}
		lr = c.newList(lr.db, key)
	}
	for _, v := range c.Args[2:] {
		if left {
			lr.l.PushFront(v)
		} else {
			lr.l.PushBack(v)
		}
	}
	c.W.Int(int64(lr.l.Len()))
	c.Notify(config.EventList, listEvent(left, true), key)
	lr.done(c, key)
}

func cmdLInsert(c *Ctx) {
	var after bool
	switch lower(c.Args[2]) {
	case "after":
		after = true
	case "before":
	default:
		c.Err(ErrSyntax)
		return
	}
	lr, found, ok := c.listWrite(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.Int(0)
		return
	}
	if !lr.l.Insert(c.Args[3], c.Args[4], after) {
		c.W.Int(-1)
		return
	}
	c.W.Int(int64(lr.l.Len()))
	c.Notify(config.EventList, "linsert", c.Args[1])
	lr.done(c, c.Args[1])
}

func popGeneric(c *Ctx, left bool) {
	if len(c.Args) > 3 {
		c.WrongArgs()
		return
	}
	hasCount := len(c.Args) == 3
	var count int64
	if hasCount {
		var ok bool
		if count, ok = c.rangeLong(c.Args[2], 0, maxLong, errOutOfRangePositive); !ok {
			return
		}
	}
	lr, found, ok := c.listWrite(c.Args[1])
	if !ok {
		return
	}
	if !found {
		if hasCount {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
		return
	}
	if !hasCount {
		if left {
			c.W.Bulk(lr.l.Front())
			lr.l.DropFront()
		} else {
			c.W.Bulk(lr.l.Back())
			lr.l.DropBack()
		}
		c.Notify(config.EventList, listEvent(left, false), c.Args[1])
		lr.done(c, c.Args[1])
		return
	}
	if count == 0 {
		c.W.Array(0)
		return
	}
	popRangeReply(c, lr.l, left, count)
	c.Notify(config.EventList, listEvent(left, false), c.Args[1])
	lr.done(c, c.Args[1])
}

const maxLong = int64(^uint64(0) >> 1)

// popRangeReply pops up to count elements from one end and replies with
// them as an array, in popping order.
func popRangeReply(c *Ctx, l *value.Quicklist, left bool, count int64) {
	n := l.Len()
	if count < int64(n) {
		n = int(count)
	}
	c.W.Array(n)
	if left {
		it := l.Iter(0, false)
		for i := 0; i < n; i++ {
			v, _ := it.Next()
			c.W.Bulk(v)
		}
		l.DropFrontN(n)
	} else {
		it := l.Iter(l.Len()-1, true)
		for i := 0; i < n; i++ {
			v, _ := it.Next()
			c.W.Bulk(v)
		}
		l.DropBackN(n)
	}
}

func cmdLLen(c *Ctx) {
	lr, found, ok := c.listRead(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(lr.l.Len()))
}

func cmdLIndex(c *Ctx) {
	lr, found, ok := c.listRead(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.Null()
		return
	}
	idx, ok := c.intArg(2)
	if !ok {
		return
	}
	n := int64(lr.l.Len())
	if idx < 0 {
		idx += n
	}
	if idx < 0 || idx >= n {
		c.W.Null()
		return
	}
	v, _ := lr.l.Index(int(idx))
	c.W.Bulk(v)
}

func cmdLSet(c *Ctx) {
	lr, found, ok := c.listWrite(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.Err(ErrNoSuchKey)
		return
	}
	idx, ok := c.intArg(2)
	if !ok {
		return
	}
	n := int64(lr.l.Len())
	if idx < 0 {
		idx += n
	}
	if idx < 0 || idx >= n {
		c.Err("ERR index out of range")
		return
	}
	lr.l.Set(int(idx), c.Args[3])
	c.W.OK()
	c.Notify(config.EventList, "lset", c.Args[1])
	lr.done(c, c.Args[1])
}

// listRange normalises Redis's start/stop indexes against length n. ok is
// false for an empty range.
func listRange(start, stop, n int64) (int64, int64, bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, true
}

func cmdLRange(c *Ctx) {
	start, ok := c.intArg(2)
	if !ok {
		return
	}
	stop, ok := c.intArg(3)
	if !ok {
		return
	}
	lr, found, ok := c.listRead(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.Array(0)
		return
	}
	s, e, ok := listRange(start, stop, int64(lr.l.Len()))
	if !ok {
		c.W.Array(0)
		return
	}
	c.W.Array(int(e - s + 1))
	lr.l.Range(int(s), int(e), func(v []byte) bool {
		c.W.Bulk(v)
		return true
	})
}

func cmdLTrim(c *Ctx) {
	start, ok := c.intArg(2)
	if !ok {
		return
	}
	stop, ok := c.intArg(3)
	if !ok {
		return
	}
	lr, found, ok := c.listWrite(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.OK()
		return
	}
	s, e, ok := listRange(start, stop, int64(lr.l.Len()))
	if !ok {
		lr.l.DropFrontN(lr.l.Len())
	} else {
		lr.l.Trim(int(s), int(e))
	}
	c.W.OK()
	c.Notify(config.EventList, "ltrim", c.Args[1])
	lr.done(c, c.Args[1])
}

func cmdLRem(c *Ctx) {
	count, ok := c.intArg(2)
	if !ok {
		return
	}
	lr, found, ok := c.listWrite(c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.W.Int(0)
		return
	}
	// A count beyond the list's length removes every match.
	if n := int64(lr.l.Len()); count > n || count < -n {
		if count > 0 {
			count = n
		} else {
			count = -n
		}
	}
	removed := lr.l.Remove(c.Args[3], int(count))
	c.W.Int(int64(removed))
	if removed > 0 {
		c.Notify(config.EventList, "lrem", c.Args[1])
	}
	lr.done(c, c.Args[1])
}

func cmdLPos(c *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	args := c.Args
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch opt := lower(args[j]); {
		case opt == "rank" && more:
			j++
			// Redis takes any long here: -LONG_MIN stays negative.
			n, ok := c.intArg(j)
			if !ok {
				return
			}
			if n == 0 {
				c.Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = n
		case opt == "count" && more:
			j++
			n, ok := c.rangeLong(args[j], 0, maxLong, "ERR COUNT can't be negative")
			if !ok {
				return
			}
			count = n
		case opt == "maxlen" && more:
			j++
			n, ok := c.rangeLong(args[j], 0, maxLong, "ERR MAXLEN can't be negative")
			if !ok {
				return
			}
			maxlen = n
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	rev := rank < 0
	if rev {
		rank = -rank
	}
	lr, found, ok := c.listRead(args[1])
	if !ok {
		return
	}
	if !found {
		if count != -1 {
			c.W.Array(0)
		} else {
			c.W.Null()
		}
		return
	}
	l := lr.l
	n := int64(l.Len())
	var it value.ListIter
	if rev {
		it = l.Iter(l.Len()-1, true)
	} else {
		it = l.Iter(0, false)
	}
	ele := args[2]
	var matches int64
	var found2 []int64
	single := int64(-1)
	for idx := int64(0); maxlen == 0 || idx < maxlen; idx++ {
		v, ok := it.Next()
		if !ok {
			break
		}
		if !bytes.Equal(v, ele) {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		pos := idx
		if rev {
			pos = n - idx - 1
		}
		if count == -1 {
			single = pos
			break
		}
		found2 = append(found2, pos)
		if count != 0 && matches-rank+1 >= count {
			break
		}
	}
	if count == -1 {
		if single < 0 {
			c.W.Null()
		} else {
			c.W.Int(single)
		}
		return
	}
	c.W.Array(len(found2))
	for _, p := range found2 {
		c.W.Int(p)
	}
}

func cmdLMove(c *Ctx) {
	from, ok := c.listPosition(c.Args[3])
	if !ok {
		return
	}
	to, ok := c.listPosition(c.Args[4])
	if !ok {
		return
	}
	lmoveGeneric(c, from, to)
}

func cmdRPopLPush(c *Ctx) { lmoveGeneric(c, false, true) }

// lmoveGeneric pops from Args[1] (the head when from is set) and pushes to
// Args[2] (the head when to is set), replying with the element; a missing
// source replies nil.
func lmoveGeneric(c *Ctx, from, to bool) {
	src, dst := c.Args[1], c.Args[2]
	sr, found, ok := c.listWrite(src)
	if !ok {
		return
	}
	if !found {
		c.W.Null()
		return
	}
	moveElement(c, sr, src, dst, from, to)
}

// moveElement moves one element of the non-empty list sr (key src) to dst
// and replies with it. A dst of another type is an error, and nothing
// moves.
func moveElement(c *Ctx, sr listRef, src, dst []byte, from, to bool) bool {
	dr, dfound, ok := c.listWrite(dst)
	if !ok {
		return false
	}
	var v []byte
	if from {
		v = bytes.Clone(sr.l.Front())
		sr.l.DropFront()
	} else {
		v = bytes.Clone(sr.l.Back())
		sr.l.DropBack()
	}
	same := bytes.Equal(src, dst)
	if same {
		dr = sr
	} else if !dfound {
		dr = c.newList(dr.db, dst)
	}
	if to {
		dr.l.PushFront(v)
	} else {
		dr.l.PushBack(v)
	}
	c.W.Bulk(v)
	c.Notify(config.EventList, listEvent(to, true), dst)
	if !same {
		dr.done(c, dst)
	}
	c.Notify(config.EventList, listEvent(from, false), src)
	sr.done(c, src)
	return true
}

func cmdLMPop(c *Ctx) { mpopGeneric(c, 1, false) }

func cmdBLMPop(c *Ctx) { mpopGeneric(c, 2, true) }

// mpopGeneric parses LMPOP (numkeys at Args[1]) and BLMPOP (timeout at
// Args[1], numkeys at Args[2]) in Redis's order: numkeys, LEFT|RIGHT,
// COUNT, then the timeout.
func mpopGeneric(c *Ctx, numIdx int, block bool) {
	args := c.Args
	numkeys, ok := c.rangeLong(args[numIdx], 1, maxLong, "ERR numkeys should be greater than 0")
	if !ok {
		return
	}
	whereIdx := int64(numIdx) + numkeys + 1
	if whereIdx >= int64(len(args)) || whereIdx < 0 {
		c.Err(ErrSyntax)
		return
	}
	left, ok := c.listPosition(args[whereIdx])
	if !ok {
		return
	}
	count := int64(-1)
	for j := int(whereIdx) + 1; j < len(args); j++ {
		if count == -1 && lower(args[j]) == "count" && j+1 < len(args) {
			j++
			if count, ok = c.rangeLong(args[j], 1, maxLong, "ERR count should be greater than 0"); !ok {
				return
			}
			continue
		}
		c.Err(ErrSyntax)
		return
	}
	if count == -1 {
		count = 1
	}
	keys := args[numIdx+1 : whereIdx]
	if !block {
		for _, k := range keys {
			lr, found, ok := c.listWrite(k)
			if !ok {
				return
			}
			if !found {
				continue
			}
			mpopReply(c, lr, k, left, count)
			return
		}
		c.W.NullArray()
		return
	}
	timeout, ok := c.parseBlockTimeout(args[1], false)
	if !ok {
		return
	}
	blockingPop(c, keys, left, count, timeout)
}

// mpopReply pops up to count elements from lr and replies [key, [elements]].
func mpopReply(c *Ctx, lr listRef, key []byte, left bool, count int64) {
	c.W.Array(2)
	c.W.Bulk(key)
	popRangeReply(c, lr.l, left, count)
	c.Notify(config.EventList, listEvent(left, false), key)
	lr.done(c, key)
}

func cmdBPop(c *Ctx, left bool) {
	args := c.Args
	timeout, ok := c.parseBlockTimeout(args[len(args)-1], false)
	if !ok {
		return
	}
	blockingPop(c, args[1:len(args)-1], left, -1, timeout)
}

// blockingPop serves BLPOP/BRPOP (count -1: reply [key, element]) and
// BLMPOP (reply [key, [elements]]) from the first non-empty list of keys,
// or blocks. Re-run for a waiting client, it looks only at the key that
// became ready, and skips keys of another type rather than failing, as
// Redis serves blocked clients.
func blockingPop(c *Ctx, keys [][]byte, left bool, count int64, timeout time.Duration) {
	for _, k := range c.ReadyKeys(keys) {
		db, ref, exists := c.LookupWrite(k)
		if !exists {
			continue
		}
		if db.Kind(ref) != value.List {
			if c.retrying {
				continue
			}
			c.Err(ErrWrongType)
			return
		}
		lr, _, _ := c.asList(db, ref, true)
		if count != -1 {
			mpopReply(c, lr, k, left, count)
			return
		}
		c.W.Array(2)
		c.W.Bulk(k)
		if left {
			c.W.Bulk(lr.l.Front())
			lr.l.DropFront()
		} else {
			c.W.Bulk(lr.l.Back())
			lr.l.DropBack()
		}
		c.Notify(config.EventList, listEvent(left, false), k)
		lr.done(c, k)
		return
	}
	if !c.CanBlock() {
		c.W.NullArray()
		return
	}
	c.BlockPerKey(keys, timeout)
}

func cmdBLMove(c *Ctx) {
	from, ok := c.listPosition(c.Args[3])
	if !ok {
		return
	}
	to, ok := c.listPosition(c.Args[4])
	if !ok {
		return
	}
	timeout, ok := c.parseBlockTimeout(c.Args[5], false)
	if !ok {
		return
	}
	blmoveGeneric(c, from, to, timeout)
}

func cmdBRPopLPush(c *Ctx) {
	timeout, ok := c.parseBlockTimeout(c.Args[3], false)
	if !ok {
		return
	}
	blmoveGeneric(c, false, true, timeout)
}

// blmoveGeneric is LMOVE when the source has elements; otherwise it
// blocks on the source (inside MULTI it replies nil at once).
func blmoveGeneric(c *Ctx, from, to bool, timeout time.Duration) {
	src := c.Args[1]
	db, ref, exists := c.LookupWrite(src)
	if exists && db.Kind(ref) != value.List {
		if !c.retrying {
			c.Err(ErrWrongType)
			return
		}
		exists = false
	}
	if exists {
		sr, _, _ := c.asList(db, ref, true)
		moveElement(c, sr, src, c.Args[2], from, to)
		return
	}
	if !c.CanBlock() {
		c.W.Null()
		return
	}
	c.BlockPerKey(c.Args[1:2], timeout)
}
