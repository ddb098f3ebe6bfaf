package command

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/glob"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/value"
)

// The sorted set family (Redis 7.0's t_zset.c behaviour, plus ZRANK and
// ZREVRANK WITHSCORE from 7.2). The data structure is value.SortedSet;
// this file parses arguments in Redis's order, so the same malformed
// command gets the same error, and shapes the replies (RESP2/RESP3).

func registerZSets(t *Table) {
	z := func(name string, arity int, flags Flag, first, last, step int, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: first, Last: last, Step: step, Handler: h,
			Group: "sorted-set", Since: since, Summary: summary, Categories: []string{"sortedset"}}
	}
	movable := func(s *Spec, fn func([][]byte) []int) *Spec {
		s.KeysFn = fn
		s.Flags |= MovableKeys
		return s
	}
	w, r := Write|DenyOOM, ReadOnly
	t.add(
		z("zadd", -4, w|Fast, 1, 1, 1, func(c *Ctx) { zaddGeneric(c, false) }, "1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist."),
		z("zincrby", 4, w|Fast, 1, 1, 1, func(c *Ctx) { zaddGeneric(c, true) }, "1.2.0", "Increments the score of a member in a sorted set."),
		z("zrem", -3, Write|Fast, 1, 1, 1, cmdZRem, "1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed."),
		z("zcard", 2, r|Fast, 1, 1, 1, cmdZCard, "1.2.0", "Returns the number of members in a sorted set."),
		z("zscore", 3, r|Fast, 1, 1, 1, cmdZScore, "1.2.0", "Returns the score of a member in a sorted set."),
		z("zmscore", -3, r|Fast, 1, 1, 1, cmdZMScore, "6.2.0", "Returns the score of one or more members in a sorted set."),
		z("zrank", -3, r|Fast, 1, 1, 1, func(c *Ctx) { zrankGeneric(c, false) }, "2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores."),
		z("zrevrank", -3, r|Fast, 1, 1, 1, func(c *Ctx) { zrankGeneric(c, true) }, "2.0.0", "Returns the index of a member in a sorted set ordered by descending scores."),
		z("zcount", 4, r|Fast, 1, 1, 1, cmdZCount, "2.0.0", "Returns the count of members in a sorted set that have scores within a range."),
		z("zlexcount", 4, r|Fast, 1, 1, 1, cmdZLexCount, "2.8.9", "Returns the number of members in a sorted set within a lexicographical range."),
		z("zrange", -4, r, 1, 1, 1, func(c *Ctx) { zrangeGeneric(c, 1, false, zrAuto, false, true) }, "1.2.0", "Returns members in a sorted set within a range of indexes."),
		z("zrangestore", -5, w, 1, 2, 1, func(c *Ctx) { zrangeGeneric(c, 2, true, zrAuto, false, true) }, "6.2.0", "Stores a range of members from sorted set in a key."),
		z("zrevrange", -4, r, 1, 1, 1, func(c *Ctx) { zrangeGeneric(c, 1, false, zrRank, true, false) }, "1.2.0", "Returns members in a sorted set within a range of indexes in reverse order."),
		z("zrangebyscore", -4, r, 1, 1, 1, func(c *Ctx) { zrangeGeneric(c, 1, false, zrScore, false, false) }, "1.0.5", "Returns members in a sorted set within a range of scores."),
		z("zrevrangebyscore", -4, r, 1, 1, 1, func(c *Ctx) { zrangeGeneric(c, 1, false, zrScore, true, false) }, "2.2.0", "Returns members in a sorted set within a range of scores in reverse order."),
		z("zrangebylex", -4, r, 1, 1, 1, func(c *Ctx) { zrangeGeneric(c, 1, false, zrLex, false, false) }, "2.8.9", "Returns members in a sorted set within a lexicographical range."),
		z("zrevrangebylex", -4, r, 1, 1, 1, func(c *Ctx) { zrangeGeneric(c, 1, false, zrLex, true, false) }, "2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order."),
		z("zremrangebyrank", 4, Write, 1, 1, 1, func(c *Ctx) { zremrangeGeneric(c, zrRank) }, "2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed."),
		z("zremrangebyscore", 4, Write, 1, 1, 1, func(c *Ctx) { zremrangeGeneric(c, zrScore) }, "1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed."),
		z("zremrangebylex", 4, Write, 1, 1, 1, func(c *Ctx) { zremrangeGeneric(c, zrLex) }, "2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed."),
		movable(z("zunionstore", -4, w, 1, 1, 1, func(c *Ctx) { zsetOpGeneric(c, 1, 2, zopUnion, false) }, "2.0.0", "Stores the union of multiple sorted sets in a key."), numkeysPositions(2, 1)),
		movable(z("zinterstore", -4, w, 1, 1, 1, func(c *Ctx) { zsetOpGeneric(c, 1, 2, zopInter, false) }, "2.0.0", "Stores the intersect of multiple sorted sets in a key."), numkeysPositions(2, 1)),
		movable(z("zdiffstore", -4, w, 1, 1, 1, func(c *Ctx) { zsetOpGeneric(c, 1, 2, zopDiff, false) }, "6.2.0", "Stores the difference of multiple sorted sets in a key."), numkeysPositions(2, 1)),
		movable(z("zunion", -3, r, 0, 0, 0, func(c *Ctx) { zsetOpGeneric(c, 0, 1, zopUnion, false) }, "6.2.0", "Returns the union of multiple sorted sets."), numkeysPositions(1)),
		movable(z("zinter", -3, r, 0, 0, 0, func(c *Ctx) { zsetOpGeneric(c, 0, 1, zopInter, false) }, "6.2.0", "Returns the intersect of multiple sorted sets."), numkeysPositions(1)),
		movable(z("zdiff", -3, r, 0, 0, 0, func(c *Ctx) { zsetOpGeneric(c, 0, 1, zopDiff, false) }, "6.2.0", "Returns the difference between multiple sorted sets."), numkeysPositions(1)),
		movable(z("zintercard", -3, r, 0, 0, 0, func(c *Ctx) { zsetOpGeneric(c, 0, 1, zopInter, true) }, "7.0.0", "Returns the number of members of the intersect of multiple sorted sets."), numkeysPositions(1)),
		z("zpopmin", -2, Write|Fast, 1, 1, 1, func(c *Ctx) { zpopCommand(c, false) }, "5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."),
		z("zpopmax", -2, Write|Fast, 1, 1, 1, func(c *Ctx) { zpopCommand(c, true) }, "5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."),
		movable(z("zmpop", -4, Write, 0, 0, 0, func(c *Ctx) { zmpopGeneric(c, 1, false) }, "7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped."), numkeysPositions(1)),
		z("bzpopmin", -3, Write|NoScript|Blocking|Fast, 1, -2, 1, func(c *Ctx) { cmdBZPop(c, false) }, "5.0.0", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped."),
		z("bzpopmax", -3, Write|NoScript|Blocking|Fast, 1, -2, 1, func(c *Ctx) { cmdBZPop(c, true) }, "5.0.0", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped."),
		movable(z("bzmpop", -5, Write|Blocking, 0, 0, 0, func(c *Ctx) { zmpopGeneric(c, 2, true) }, "7.0.0", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped."), numkeysPositions(2)),
		z("zrandmember", -2, r, 1, 1, 1, cmdZRandMember, "6.2.0", "Returns one or more random members from a sorted set."),
		z("zscan", -3, r, 1, 1, 1, cmdZScan, "2.8.0", "Iterates over members and scores of a sorted set."),
	)
}

// numkeysPositions finds the keys of a numkeys-style command: the count at
// args[numIdx] and that many keys after it, plus the fixed positions lead.
// A malformed count yields only lead; the handler rejects the command
// before touching any key.
func numkeysPositions(numIdx int, lead ...int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		pos := append([]int(nil), lead...)
		if numIdx >= len(args) {
			return pos
		}
		n, ok := parseInt(args[numIdx])
		if !ok || n < 1 {
			return pos
		}
		for i := numIdx + 1; i < len(args) && int64(i-numIdx) <= n; i++ {
			pos = append(pos, i)
		}
		return pos
	}
}

// Error replies of this family.
const (
	errZNaN         = "ERR resulting score is not a number (NaN)"
	errZMinMax      = "ERR min or max is not a float"
	errZLexMinMax   = "ERR min or max not valid string range item"
	errZWeight      = "ERR weight value is not a float"
	errZPositive    = "ERR value is out of range, must be positive"
	errZNumkeys     = "ERR numkeys should be greater than 0"
	errZCount       = "ERR count should be greater than 0"
	errZLimitNeg    = "ERR LIMIT can't be negative"
	errZOutOfRange  = "ERR value is out of range"
	errZLimitRank   = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZWithScLex   = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errZXXNX        = "ERR XX and NX options at the same time are not compatible"
	errZGTLTNX      = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZIncrOnePair = "ERR INCR option supports a single increment-element pair"
)

// isOpt compares an argument with a lower-case option name, ASCII
// case-insensitively (strcasecmp).
func isOpt(b []byte, opt string) bool {
	if len(b) != len(opt) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		if c != opt[i] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------
// Number parsing with C's strtod rules, which Redis uses for scores.

// strtod parses the longest prefix of b that C's strtod accepts, after
// leading blanks. It returns the value, the bytes consumed (0 when there
// is no number, as strtod then leaves its end pointer at the start), and
// whether the result overflowed or underflowed to zero (errno ERANGE).
// It accepts what glibc does: decimal and hexadecimal (with optional "p"
// exponent) forms, "inf", "infinity" and "nan[(...)]" in any case.
func strtod(b []byte) (f float64, n int, erange bool) {
	i := 0
	for i < len(b) && isBlank(b[i]) {
		i++
	}
	sign := ""
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		if b[i] == '-' {
			sign = "-"
		}
		i++
	}
	rest := b[i:]
	switch {
	case hasPrefixFold(rest, "inf"):
		n := 3
		if hasPrefixFold(rest, "infinity") {
			n = 8
		}
		f = math.Inf(1)
		if sign != "" {
			f = math.Inf(-1)
		}
		return f, i + n, false
	case hasPrefixFold(rest, "nan"):
		n := 3
		if n < len(rest) && rest[n] == '(' {
			j := n + 1
			for j < len(rest) && (isAlnum(rest[j]) || rest[j] == '_') {
				j++
			}
			if j < len(rest) && rest[j] == ')' {
				n = j + 1
			}
		}
		return math.NaN(), i + n, false
	case len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x':
		j, digits, nonzero := 2, 0, false
		for ; j < len(rest) && isHexDigit(rest[j]); j++ {
			digits++
			nonzero = nonzero || rest[j] != '0'
		}
		if j < len(rest) && rest[j] == '.' {
			for j++; j < len(rest) && isHexDigit(rest[j]); j++ {
				digits++
				nonzero = nonzero || rest[j] != '0'
			}
		}
		if digits == 0 {
			// Only the "0" is a number; the 'x' is left over.
			if sign != "" {
				return math.Copysign(0, -1), i + 1, false
			}
			return 0, i + 1, false
		}
		mant := string(rest[:j])
		exp := "p0"
		if j < len(rest) && rest[j]|0x20 == 'p' {
			k := j + 1
			if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
				k++
			}
			d := k
			for k < len(rest) && isDigit(rest[k]) {
				k++
			}
			if k > d {
				exp = string(rest[j:k])
				j = k
			}
		}
		if strings.HasSuffix(mant, ".") {
			mant += "0"
		}
		f, err := strconv.ParseFloat(sign+mant+exp, 64)
		return f, i + j, err != nil || (f == 0 && nonzero)
	}
	j, digits, nonzero := 0, 0, false
	for ; j < len(rest) && isDigit(rest[j]); j++ {
		digits++
		nonzero = nonzero || rest[j] != '0'
	}
	if j < len(rest) && rest[j] == '.' {
		for j++; j < len(rest) && isDigit(rest[j]); j++ {
			digits++
			nonzero = nonzero || rest[j] != '0'
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if j < len(rest) && rest[j]|0x20 == 'e' {
		k := j + 1
		if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
			k++
		}
		d := k
		for k < len(rest) && isDigit(rest[k]) {
			k++
		}
		if k > d {
			j = k
		}
	}
	f, err := strconv.ParseFloat(sign+string(rest[:j]), 64)
	return f, i + j, err != nil || (f == 0 && nonzero)
}

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && isOpt(b[:len(p)], p)
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlnum(c byte) bool    { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

// parseZFloat reads a score, increment or weight as Redis's string2d:
// the whole argument, no leading blank, no NaN, no overflow to infinity
// or underflow to zero.
func parseZFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isBlank(b[0]) {
		return 0, false
	}
	f, n, erange := strtod(b)
	if n != len(b) || math.IsNaN(f) || (erange && (math.IsInf(f, 0) || f == 0)) {
		return 0, false
	}
	return f, true
}

// parseRangeFloat reads a ZRANGEBYSCORE bound as Redis's zslParseRange:
// strtod up to the end of the C string (a NUL byte ends it), no NaN.
func parseRangeFloat(b []byte) (float64, bool) {
	f, n, _ := strtod(b)
	if (n < len(b) && b[n] != 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseScoreRange parses min and max, "(" marking an exclusive bound.
func parseScoreRange(min, max []byte) (r value.ZScoreRange, ok bool) {
	bound := func(b []byte) (float64, bool, bool) {
		if len(b) > 0 && b[0] == '(' {
			f, ok := parseRangeFloat(b[1:])
			return f, true, ok
		}
		f, ok := parseRangeFloat(b)
		return f, false, ok
	}
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = bound(min)
	r.Max, r.MaxEx, ok2 = bound(max)
	return r, ok1 && ok2
}

// parseLexRange parses a lexicographic range: "-", "+", "[member" or
// "(member".
func parseLexRange(min, max []byte) (r value.ZLexRange, ok bool) {
	item := func(b []byte) (value.ZLexBound, bool) {
		if len(b) == 0 {
			return value.ZLexBound{}, false
		}
		switch b[0] {
		case '+', '-':
			if len(b) > 1 && b[1] != 0 {
				return value.ZLexBound{}, false
			}
			if b[0] == '+' {
				return value.ZLexBound{Inf: 1, Excl: true}, true
			}
			return value.ZLexBound{Inf: -1, Excl: true}, true
		case '(':
			return value.ZLexBound{Val: b[1:], Excl: true}, true
		case '[':
			return value.ZLexBound{Val: b[1:]}, true
		}
		return value.ZLexBound{}, false
	}
	var ok1, ok2 bool
	r.Min, ok1 = item(min)
	r.Max, ok2 = item(max)
	return r, ok1 && ok2
}

// ---------------------------------------------------------------------
// Key access.

func (c *Ctx) zsetLimits() value.ZLimits {
	return value.ZLimits{
		Entries: int(c.Env.Config.ZSetMaxListpackEntries.Get()),
		Value:   int(c.Env.Config.ZSetMaxListpackValue.Get()),
	}
}

// zsetRead looks key up for reading. z is nil when the key is missing;
// ok is false when a WRONGTYPE error has been written.
func (c *Ctx) zsetRead(key []byte) (z *value.SortedSet, ok bool) {
	db, ref, found := c.Lookup(key)
	if !found {
		return nil, true
	}
	if db.Kind(ref) != value.ZSet {
		c.Err(ErrWrongType)
		return nil, false
	}
	return db.Obj(ref).(*value.SortedSet), true
}

// zsetWrite is zsetRead for a command that modifies the set.
func (c *Ctx) zsetWrite(key []byte) (db *keyspace.DB, ref keyspace.Ref, z *value.SortedSet, ok bool) {
	db, ref, found := c.LookupWrite(key)
	if !found {
		return db, ref, nil, true
	}
	if db.Kind(ref) != value.ZSet {
		c.Err(ErrWrongType)
		return db, ref, nil, false
	}
	return db, ref, db.Obj(ref).(*value.SortedSet), true
}

// zsetChanged accounts for a change of z's size and deletes the key when
// the set became empty, reporting whether it did.
func zsetChanged(db *keyspace.DB, ref keyspace.Ref, z *value.SortedSet, before int) (removed bool) {
	if z.Len() == 0 {
		db.DeleteRef(ref)
		return true
	}
	db.Resized(z.Size() - before)
	return false
}

// zsetNotify sends a sorted-set event for key, and "del" when the command
// removed the key.
func (c *Ctx) zsetNotify(event string, key []byte, removed bool) {
	c.Notify(config.EventZSet, event, key)
	if removed {
		c.Notify(config.EventGeneric, "del", key)
	}
}

// zreplyMember writes one member of a WITHSCORES reply: a [member, score]
// pair in RESP3 when pairs, else the flat member and score.
func (c *Ctx) zreplyMember(m []byte, s float64, withScores bool) {
	if withScores && c.W.Proto >= 3 {
		c.W.Array(2)
	}
	c.W.Bulk(m)
	if withScores {
		c.W.Double(s)
	}
}

// zreplyLen starts an array of n members, flat (2n) in RESP2 with scores.
func (c *Ctx) zreplyLen(n int, withScores bool) {
	if withScores && c.W.Proto < 3 {
		c.W.Array(2 * n)
		return
	}
	c.W.Array(n)
}

// ---------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK.

func zaddGeneric(c *Ctx, zincrby bool) {
	args := c.Args
	var flags value.ZAddFlags
	if zincrby {
		flags = value.ZAddIncr
	}
	ch := false
	i := 2
	// ZINCRBY runs the same option loop, as in Redis.
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case isOpt(a, "nx"):
			flags |= value.ZAddNX
		case isOpt(a, "xx"):
			flags |= value.ZAddXX
		case isOpt(a, "ch"):
			ch = true
		case isOpt(a, "incr"):
			flags |= value.ZAddIncr
		case isOpt(a, "gt"):
			flags |= value.ZAddGT
		case isOpt(a, "lt"):
			flags |= value.ZAddLT
		default:
			goto parsed
		}
	}
parsed:
	elements := len(args) - i
	if elements == 0 || elements%2 != 0 {
		c.Err(ErrSyntax)
		return
	}
	pairs := elements / 2
	nx, xx, gt, lt := flags&value.ZAddNX != 0, flags&value.ZAddXX != 0, flags&value.ZAddGT != 0, flags&value.ZAddLT != 0
	incr := flags&value.ZAddIncr != 0
	if nx && xx {
		c.Err(errZXXNX)
		return
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		c.Err(errZGTLTNX)
		return
	}
	if incr && pairs > 1 {
		c.Err(errZIncrOnePair)
		return
	}
	var small [8]float64
	scores := small[:0]
	for k := 0; k < pairs; k++ {
		f, ok := parseZFloat(args[i+2*k])
		if !ok {
			c.Err(ErrNotFloat)
			return
		}
		scores = append(scores, f)
	}
	key := args[1]
	db, _, z, ok := c.zsetWrite(key)
	if !ok {
		return
	}
	var added, updated, processed int64
	var score float64
	if z == nil && xx {
		goto reply
	}
	{
		lim := c.zsetLimits()
		isNew := z == nil
		if isNew {
			// Like Redis 7.0, a skiplist from the start when the first
			// member is too long for a listpack (or listpacks are off).
			z = value.NewZSetFor(1, len(args[i+1]), lim)
		}
		before := z.Size()
		for k := 0; k < pairs; k++ {
			res, ns := z.Add(args[i+2*k+1], scores[k], flags, lim)
			if res&value.ZNaN != 0 {
				if !isNew {
					db.Resized(z.Size() - before)
				}
				c.Err(errZNaN)
				return
			}
			if res&value.ZAdded != 0 {
				added++
			}
			if res&value.ZUpdated != 0 {
				updated++
			}
			if res&value.ZNop == 0 {
				processed++
			}
			score = ns
		}
		if isNew {
			db.SetObject(key, z, false)
		} else {
			db.Resized(z.Size() - before)
		}
		if added+updated > 0 {
			event := "zadd"
			if incr {
				event = "zincr"
			}
			c.Notify(config.EventZSet, event, key)
		}
	}
reply:
	if incr {
		if processed > 0 {
			c.W.Double(score)
		} else {
			c.W.Null()
		}
		return
	}
	if ch {
		added += updated
	}
	c.W.Int(added)
}

func cmdZRem(c *Ctx) {
	db, ref, z, ok := c.zsetWrite(c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	before := z.Size()
	var n int64
	for _, m := range c.Args[2:] {
		if z.Remove(m) {
			n++
			if z.Len() == 0 {
				break
			}
		}
	}
	removed := zsetChanged(db, ref, z, before)
	if n > 0 {
		c.zsetNotify("zrem", c.Args[1], removed)
	}
	c.W.Int(n)
}

func cmdZCard(c *Ctx) {
	z, ok := c.zsetRead(c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.Len()))
}

func cmdZScore(c *Ctx) {
	z, ok := c.zsetRead(c.Args[1])
	if !ok {
		return
	}
	if z != nil {
		if s, found := z.Score(c.Args[2]); found {
			c.W.Double(s)
			return
		}
	}
	c.W.Null()
}

func cmdZMScore(c *Ctx) {
	z, ok := c.zsetRead(c.Args[1])
	if !ok {
		return
	}
	members := c.Args[2:]
	c.W.Array(len(members))
	for _, m := range members {
		if z != nil {
			if s, found := z.Score(m); found {
				c.W.Double(s)
				continue
			}
		}
		c.W.Null()
	}
}

// zrankGeneric is ZRANK/ZREVRANK key member [WITHSCORE] (WITHSCORE: 7.2).
func zrankGeneric(c *Ctx, rev bool) {
	if len(c.Args) > 4 {
		c.WrongArgs()
		return
	}
	withScore := false
	if len(c.Args) == 4 {
		if !isOpt(c.Args[3], "withscore") {
			c.Err(ErrSyntax)
			return
		}
		withScore = true
	}
	none := func() {
		if withScore {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
	}
	z, ok := c.zsetRead(c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		none()
		return
	}
	rank, score, found := z.Rank(c.Args[2])
	if !found {
		none()
		return
	}
	if rev {
		rank = z.Len() - 1 - rank
	}
	if withScore {
		c.W.Array(2)
		c.W.Int(int64(rank))
		c.W.Double(score)
		return
	}
	c.W.Int(int64(rank))
}

// ---------------------------------------------------------------------
// Counting and ranges.

func cmdZCount(c *Ctx) {
	r, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.Err(errZMinMax)
		return
	}
	z, ok := c.zsetRead(c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	lo, hi := z.ScoreBounds(&r)
	c.W.Int(int64(max(hi-lo+1, 0)))
}

func cmdZLexCount(c *Ctx) {
	r, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.Err(errZLexMinMax)
		return
	}
	z, ok := c.zsetRead(c.Args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	lo, hi := z.LexBounds(&r, false)
	c.W.Int(int64(max(hi-lo+1, 0)))
}

type zrangeType uint8

const (
	zrAuto zrangeType = iota
	zrRank
	zrScore
	zrLex
)

// rankBounds turns Redis's start/end indexes (negative from the end) into
// ascending ranks, as genericZrangebyrankCommand does; hi < lo: empty.
func rankBounds(start, end int64, n int, rev bool) (lo, hi int) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, -1
	}
	if end >= ln {
		end = ln - 1
	}
	if rev {
		return int(ln - 1 - end), int(ln - 1 - start)
	}
	return int(start), int(end)
}

// applyLimit narrows the ascending ranks lo..hi to LIMIT offset count,
// counted from hi downward when rev. Like Redis, a negative offset selects
// nothing and a negative count means no limit.
func applyLimit(lo, hi int, rev bool, offset, count int64) (int, int) {
	if hi < lo || offset < 0 {
		return 0, -1
	}
	n := int64(hi - lo + 1)
	if offset >= n {
		return 0, -1
	}
	if count < 0 || count > n-offset {
		count = n - offset
	}
	if rev {
		hi -= int(offset)
		return hi - int(count) + 1, hi
	}
	lo += int(offset)
	return lo, lo + int(count) - 1
}

// zrangeGeneric implements ZRANGE, ZRANGESTORE, ZREVRANGE and the
// BYSCORE/BYLEX commands (Redis's zrangeGenericCommand). argStart is the
// source key's index; REV/BYSCORE/BYLEX are accepted only by the commands
// that leave them open (auto).
func zrangeGeneric(c *Ctx, argStart int, store bool, typ zrangeType, rev bool, auto bool) {
	args := c.Args
	minIdx, maxIdx := argStart+1, argStart+2
	withScores := false
	var offset, limit int64 = 0, -1
	hasLimit := false
	revSet := !auto
	for j := argStart + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !store && isOpt(a, "withscores"):
			withScores = true
		case isOpt(a, "limit") && left >= 2:
			var ok bool
			if offset, ok = parseInt(args[j+1]); !ok {
				c.Err(ErrNotInt)
				return
			}
			if limit, ok = parseInt(args[j+2]); !ok {
				c.Err(ErrNotInt)
				return
			}
			hasLimit = true
			j += 2
		case !revSet && isOpt(a, "rev"):
			rev, revSet = true, true
		case typ == zrAuto && isOpt(a, "bylex"):
			typ = zrLex
		case typ == zrAuto && isOpt(a, "byscore"):
			typ = zrScore
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	if typ == zrAuto {
		typ = zrRank
	}
	if hasLimit && limit != -1 && typ == zrRank {
		c.Err(errZLimitRank)
		return
	}
	if withScores && typ == zrLex {
		c.Err(errZWithScLex)
		return
	}
	if rev && typ != zrRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var sr value.ZScoreRange
	var lr value.ZLexRange
	switch typ {
	case zrRank:
		var ok bool
		if start, ok = parseInt(args[minIdx]); !ok {
			c.Err(ErrNotInt)
			return
		}
		if end, ok = parseInt(args[maxIdx]); !ok {
			c.Err(ErrNotInt)
			return
		}
	case zrScore:
		var ok bool
		if sr, ok = parseScoreRange(args[minIdx], args[maxIdx]); !ok {
			c.Err(errZMinMax)
			return
		}
	case zrLex:
		var ok bool
		if lr, ok = parseLexRange(args[minIdx], args[maxIdx]); !ok {
			c.Err(errZLexMinMax)
			return
		}
	}
	src := args[argStart]
	z, ok := c.zsetRead(src)
	if !ok {
		return
	}
	lo, hi := 0, -1
	if z != nil {
		switch typ {
		case zrRank:
			lo, hi = rankBounds(start, end, z.Len(), rev)
		case zrScore:
			lo, hi = z.ScoreBounds(&sr)
			lo, hi = applyLimit(lo, hi, rev, offset, limit)
		case zrLex:
			lo, hi = z.LexWalk(&lr, rev, clampInt(offset), clampInt(limit))
		}
	}
	if store {
		dst := args[1]
		if hi < lo {
			if c.DB(dst).Delete(dst) {
				c.Notify(config.EventGeneric, "del", dst)
			}
			c.W.Int(0)
			return
		}
		lim := c.zsetLimits()
		// Redis sizes the destination for a rank range (its length is
		// known) and starts a score or lex range compact.
		out := value.NewZSet()
		if typ == zrRank {
			out = value.NewZSetFor(hi-lo+1, 0, lim)
		}
		z.Range(lo, hi, rev, func(m []byte, s float64) bool {
			out.Set(m, s, lim)
			return true
		})
		c.DB(dst).SetObject(dst, out, false)
		c.W.Int(int64(out.Len()))
		c.Notify(config.EventZSet, "zrangestore", dst)
		return
	}
	if hi < lo {
		c.W.Array(0)
		return
	}
	c.zreplyLen(hi-lo+1, withScores)
	z.Range(lo, hi, rev, func(m []byte, s float64) bool {
		c.zreplyMember(m, s, withScores)
		return true
	})
}

func zremrangeGeneric(c *Ctx, typ zrangeType) {
	args := c.Args
	var start, end int64
	var sr value.ZScoreRange
	var lr value.ZLexRange
	var ok bool
	switch typ {
	case zrRank:
		if start, ok = parseInt(args[2]); ok {
			end, ok = parseInt(args[3])
		}
		if !ok {
			c.Err(ErrNotInt)
			return
		}
	case zrScore:
		if sr, ok = parseScoreRange(args[2], args[3]); !ok {
			c.Err(errZMinMax)
			return
		}
	case zrLex:
		if lr, ok = parseLexRange(args[2], args[3]); !ok {
			c.Err(errZLexMinMax)
			return
		}
	}
	db, ref, z, ok := c.zsetWrite(args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	var lo, hi int
	switch typ {
	case zrRank:
		lo, hi = rankBounds(start, end, z.Len(), false)
	case zrScore:
		lo, hi = z.ScoreBounds(&sr)
	case zrLex:
		lo, hi = z.LexBounds(&lr, false)
	}
	if hi < lo {
		c.W.Int(0)
		return
	}
	before := z.Size()
	n := z.RemoveRange(lo, hi)
	removed := zsetChanged(db, ref, z, before)
	c.zsetNotify("zremrangeby"+[...]string{zrRank: "rank", zrScore: "score", zrLex: "lex"}[typ], args[1], removed)
	c.W.Int(int64(n))
}

// ---------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD.

type zsetOp uint8

const (
	zopUnion zsetOp = iota
	zopInter
	zopDiff
)

// setInput is what ZUNION & co. need from a set key, whose members count
// with score 1 (the set family's value type provides it).
type setInput interface {
	Len() int
	Has(member []byte) bool
	Each(fn func(member []byte) bool)
}

// zopSource is one input of a set operation.
type zopSource struct {
	z      *value.SortedSet
	set    setInput
	obj    value.Object
	weight float64
}

func (s *zopSource) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.set != nil:
		return s.set.Len()
	}
	return 0
}

func (s *zopSource) each(fn func(m []byte, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.Each(fn)
	case s.set != nil:
		s.set.Each(func(m []byte) bool { return fn(m, 1) })
	}
}

func (s *zopSource) score(m []byte) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score(m)
	case s.set != nil:
		if s.set.Has(m) {
			return 1, true
		}
	}
	return 0, false
}

type zsetAggregate uint8

const (
	aggSum zsetAggregate = iota
	aggMin
	aggMax
)

// aggregate folds val into *target (Redis's zunionInterAggregate): a sum
// of +inf and -inf counts as 0.
func (a zsetAggregate) fold(target *float64, val float64) {
	switch a {
	case aggSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggMin:
		if val < *target {
			*target = val
		}
	case aggMax:
		if val > *target {
			*target = val
		}
	}
}

type zentry struct {
	m string
	s float64
}

func zentryCmp(a, b zentry) int {
	switch {
	case a.s < b.s:
		return -1
	case a.s > b.s:
		return 1
	}
	return strings.Compare(a.m, b.m)
}

// zsetOpGeneric is Redis's zunionInterDiffGenericCommand. dstIdx is the
// destination's index (0: reply instead of storing); numIdx is numkeys'.
func zsetOpGeneric(c *Ctx, dstIdx, numIdx int, op zsetOp, cardOnly bool) {
	args := c.Args
	setnum, ok := parseInt(args[numIdx])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	if setnum < 1 {
		c.Err("ERR at least 1 input key is needed for '" + c.Spec.Name + "' command")
		return
	}
	if setnum > int64(len(args)-numIdx-1) {
		c.Err(ErrSyntax)
		return
	}
	n := int(setnum)
	srcs := make([]zopSource, n)
	j := numIdx + 1
	for i := range srcs {
		var db *keyspace.DB
		var ref keyspace.Ref
		var found bool
		if dstIdx > 0 {
			db, ref, found = c.LookupWrite(args[j])
		} else {
			db, ref, found = c.Lookup(args[j])
		}
		srcs[i].weight = 1
		if found {
			obj := db.Obj(ref)
			switch db.Kind(ref) {
			case value.ZSet:
				srcs[i].z = obj.(*value.SortedSet)
			case value.Set:
				si, isSet := obj.(setInput)
				if !isSet {
					c.Err(ErrWrongType)
					return
				}
				srcs[i].set = si
			default:
				c.Err(ErrWrongType)
				return
			}
			srcs[i].obj = obj
		}
		j++
	}
	agg := aggSum
	withScores := false
	var limit int64
	for j < len(args) {
		remaining := len(args) - j
		a := args[j]
		switch {
		case op != zopDiff && !cardOnly && remaining >= n+1 && isOpt(a, "weights"):
			j++
			for i := range srcs {
				w, ok := parseZFloat(args[j])
				if !ok {
					c.Err(errZWeight)
					return
				}
				srcs[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && remaining >= 2 && isOpt(a, "aggregate"):
			switch b := args[j+1]; {
			case isOpt(b, "sum"):
				agg = aggSum
			case isOpt(b, "min"):
				agg = aggMin
			case isOpt(b, "max"):
				agg = aggMax
			default:
				c.Err(ErrSyntax)
				return
			}
			j += 2
		case dstIdx == 0 && !cardOnly && isOpt(a, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && isOpt(a, "limit"):
			l, ok := parseInt(args[j+1])
			if !ok || l < 0 {
				c.Err(errZLimitNeg)
				return
			}
			limit = l
			j += 2
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	if op != zopDiff {
		// Smallest input first, as Redis sorts them (the order of the
		// aggregation can matter to the last bit of a sum).
		slices.SortStableFunc(srcs, func(a, b zopSource) int { return a.len() - b.len() })
	}

	var result []zentry
	var card int64
	switch op {
	case zopInter:
		if srcs[0].len() == 0 {
			break
		}
		srcs[0].each(func(m []byte, s float64) bool {
			score := srcs[0].weight * s
			if math.IsNaN(score) {
				score = 0
			}
			k := 1
			for ; k < n; k++ {
				var v float64
				if srcs[k].obj == srcs[0].obj {
					v = s * srcs[k].weight
				} else if sv, found := srcs[k].score(m); found {
					v = sv * srcs[k].weight
				} else {
					break
				}
				agg.fold(&score, v)
			}
			if k < n {
				return true
			}
			if cardOnly {
				card++
				return limit == 0 || card < limit
			}
			result = append(result, zentry{string(m), score})
			return true
		})
	case zopUnion:
		acc := map[string]float64{}
		var order []string
		for i := range srcs {
			w := srcs[i].weight
			srcs[i].each(func(m []byte, s float64) bool {
				score := w * s
				if math.IsNaN(score) {
					score = 0
				}
				if cur, found := acc[string(m)]; found {
					agg.fold(&cur, score)
					acc[string(m)] = cur
				} else {
					k := string(m)
					acc[k] = score
					order = append(order, k)
				}
				return true
			})
		}
		result = make([]zentry, 0, len(order))
		for _, k := range order {
			result = append(result, zentry{k, acc[k]})
		}
	case zopDiff:
		srcs[0].each(func(m []byte, s float64) bool {
			for k := 1; k < n; k++ {
				if srcs[k].obj == srcs[0].obj {
					return false // the set minus itself is empty
				}
				if _, found := srcs[k].score(m); found {
					return true
				}
			}
			result = append(result, zentry{string(m), s})
			return true
		})
	}
	if cardOnly {
		c.W.Int(card)
		return
	}
	if op == zopUnion || srcs[0].set != nil {
		slices.SortFunc(result, zentryCmp)
	} else if op == zopInter {
		// Walked in the order of a sorted set, but weights (negative,
		// or an aggregate) may have changed the order.
		if !slices.IsSortedFunc(result, zentryCmp) {
			slices.SortFunc(result, zentryCmp)
		}
	}
	if dstIdx > 0 {
		dst := args[dstIdx]
		db := c.DB(dst)
		if len(result) == 0 {
			if db.Delete(dst) {
				c.Notify(config.EventGeneric, "del", dst)
			}
			c.W.Int(0)
			return
		}
		maxLen := 0
		for _, e := range result {
			maxLen = max(maxLen, len(e.m))
		}
		lim := c.zsetLimits()
		out := value.NewZSetFor(len(result), maxLen, lim)
		for _, e := range result {
			out.Set(sbytes(e.m), e.s, lim)
		}
		db.SetObject(dst, out, false)
		c.W.Int(int64(out.Len()))
		c.Notify(config.EventZSet, [...]string{zopUnion: "zunionstore", zopInter: "zinterstore", zopDiff: "zdiffstore"}[op], dst)
		return
	}
	c.zreplyLen(len(result), withScores)
	for _, e := range result {
		c.zreplyMember(sbytes(e.m), e.s, withScores)
	}
}

// ---------------------------------------------------------------------
// ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.

// zpopReply pops up to count members from z at key and writes the reply
// in one of Redis's shapes: emitKey adds the key in front (BZPOP*,
// ZMPOP), nested puts each member and score in its own array.
func (c *Ctx) zpopReply(db *keyspace.DB, ref keyspace.Ref, z *value.SortedSet, key []byte, max bool, count int64, emitKey, nested bool) {
	n := int64(z.Len())
	if count < n {
		n = count
	}
	switch {
	case !nested && !emitKey:
		c.W.Array(int(2 * n))
	case nested && !emitKey:
		c.W.Array(int(n))
	case !nested && emitKey:
		c.W.Array(int(2*n + 1))
		c.W.Bulk(key)
	default:
		c.W.Array(2)
		c.W.Bulk(key)
		c.W.Array(int(n))
	}
	before := z.Size()
	z.Pop(int(n), max, func(m []byte, s float64) {
		if nested {
			c.W.Array(2)
		}
		c.W.Bulk(m)
		c.W.Double(s)
	})
	event := "zpopmin"
	if max {
		event = "zpopmax"
	}
	c.zsetNotify(event, key, zsetChanged(db, ref, z, before))
}

// zpopCommand is ZPOPMIN/ZPOPMAX key [count].
func zpopCommand(c *Ctx, max bool) {
	if len(c.Args) > 3 {
		c.Err(ErrSyntax)
		return
	}
	count := int64(-1)
	if len(c.Args) == 3 {
		n, ok := parseInt(c.Args[2])
		if !ok || n < 0 {
			c.Err(errZPositive)
			return
		}
		count = n
	}
	// RESP3 nests the pairs only when a count was given.
	nested := c.W.Proto >= 3 && count != -1
	key := c.Args[1]
	db, ref, z, ok := c.zsetWrite(key)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.W.Array(0)
		return
	}
	if count == -1 {
		count = 1
	}
	c.zpopReply(db, ref, z, key, max, count, false, nested)
}

// zmpopGeneric is ZMPOP numkeys key... MIN|MAX [COUNT n] and BZMPOP timeout
// numkeys ... (numIdx 2).
func zmpopGeneric(c *Ctx, numIdx int, block bool) {
	args := c.Args
	numkeys, ok := parseInt(args[numIdx])
	if !ok || numkeys < 1 {
		c.Err(errZNumkeys)
		return
	}
	if numkeys >= int64(len(args)-numIdx-1) {
		c.Err(ErrSyntax)
		return
	}
	whereIdx := numIdx + int(numkeys) + 1
	var max bool
	switch {
	case isOpt(args[whereIdx], "min"):
	case isOpt(args[whereIdx], "max"):
		max = true
	default:
		c.Err(ErrSyntax)
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(args); j++ {
		if count == -1 && isOpt(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := parseInt(args[j])
			if !ok || n < 1 {
				c.Err(errZCount)
				return
			}
			count = n
			continue
		}
		c.Err(ErrSyntax)
		return
	}
	if count == -1 {
		count = 1
	}
	keys := args[numIdx+1 : whereIdx]
	if block {
		timeout, ok := c.parseBlockTimeout(args[1], false)
		if !ok {
			return
		}
		zblockingPop(c, keys, max, count, true, timeout)
		return
	}
	for _, key := range keys {
		db, ref, z, ok := c.zsetWrite(key)
		if !ok {
			return
		}
		if z != nil {
			c.zpopReply(db, ref, z, key, max, count, true, true)
			return
		}
	}
	c.W.NullArray()
}

// cmdBZPop is BZPOPMIN/BZPOPMAX key [key ...] timeout.
func cmdBZPop(c *Ctx, max bool) {
	timeout, ok := c.parseBlockTimeout(c.Args[len(c.Args)-1], false)
	if !ok {
		return
	}
	zblockingPop(c, c.Args[1:len(c.Args)-1], max, 1, false, timeout)
}

// zblockingPop serves a blocking pop from the first non-empty sorted set
// among keys, or blocks. Re-run for a blocked client (retry mode), it looks
// only at the key that became ready and skips it unless it is a sorted set,
// as Redis 7.0 serves a blocked client from the sorted set that got data.
func zblockingPop(c *Ctx, keys [][]byte, max bool, count int64, zmpop bool, timeout time.Duration) {
	for _, key := range c.ReadyKeys(keys) {
		db, ref, found := c.LookupWrite(key)
		if !found {
			continue
		}
		if db.Kind(ref) != value.ZSet {
			if c.retrying {
				continue
			}
			c.Err(ErrWrongType)
			return
		}
		z := db.Obj(ref).(*value.SortedSet)
		c.zpopReply(db, ref, z, key, max, count, true, zmpop)
		return
	}
	if !c.CanBlock() {
		c.W.NullArray()
		return
	}
	c.BlockPerKey(keys, timeout)
}

// ---------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN.

func cmdZRandMember(c *Ctx) {
	args := c.Args
	if len(args) == 2 {
		z, ok := c.zsetRead(args[1])
		if !ok {
			return
		}
		if z == nil {
			c.W.Null()
			return
		}
		m, _ := z.At(rand.IntN(z.Len()))
		c.W.Bulk(m)
		return
	}
	l, ok := parseInt(args[2])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	if l == math.MinInt64 {
		c.Err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !isOpt(args[3], "withscores")) {
		c.Err(ErrSyntax)
		return
	}
	if len(args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.Err(errZOutOfRange)
			return
		}
	}
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z == nil || l == 0 {
		c.W.Array(0)
		return
	}
	size := z.Len()
	if l < 0 {
		// Repetitions allowed: count independent draws.
		count := -l
		c.zreplyLen(int(count), withScores)
		for ; count > 0; count-- {
			m, s := z.At(rand.IntN(size))
			c.zreplyMember(m, s, withScores)
		}
		return
	}
	if l >= int64(size) {
		// The whole set, which Redis 7.0 returns from the highest rank.
		c.zreplyLen(size, withScores)
		z.Range(0, size-1, true, func(m []byte, s float64) bool {
			c.zreplyMember(m, s, withScores)
			return true
		})
		return
	}
	count := int(l)
	var picks []int
	if count*3 > size {
		// Many: a partial Fisher-Yates shuffle of all ranks.
		perm := make([]int, size)
		for i := range perm {
			perm[i] = i
		}
		for i := 0; i < count; i++ {
			k := i + rand.IntN(size-i)
			perm[i], perm[k] = perm[k], perm[i]
		}
		picks = perm[:count]
	} else {
		// Few: draw until count distinct ranks.
		seen := make(map[int]struct{}, count)
		for len(picks) < count {
			k := rand.IntN(size)
			if _, dup := seen[k]; !dup {
				seen[k] = struct{}{}
				picks = append(picks, k)
			}
		}
	}
	c.zreplyLen(count, withScores)
	for _, k := range picks {
		m, s := z.At(k)
		c.zreplyMember(m, s, withScores)
	}
}

func cmdZScan(c *Ctx) {
	args := c.Args
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.Err(ErrCursor)
		return
	}
	z, ok := c.zsetRead(args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Array(2)
		c.W.BulkString("0")
		c.W.Array(0)
		return
	}
	a, ok := c.parseScanOpts(3, false)
	if !ok {
		return
	}
	count, pattern := a.count, a.pattern
	var out []zentry
	next := z.Scan(cursor, int(min(count, math.MaxInt32)), func(m []byte, s float64) {
		if pattern != nil && !glob.Match(pattern, m, false) {
			return
		}
		out = append(out, zentry{string(m), s})
	})
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(2 * len(out))
	var buf [32]byte
	compact := z.IsCompact()
	for _, e := range out {
		c.W.BulkString(e.m)
		if compact && e.s == math.Trunc(e.s) && math.Abs(e.s) <= 1<<62 {
			// A listpack keeps an integral score as an integer, and
			// ZSCAN returns the listpack's text.
			c.W.Bulk(strconv.AppendInt(buf[:0], int64(e.s), 10))
			continue
		}
		c.W.Bulk(value.AppendScore(buf[:0], e.s))
	}
}

// sbytes views s as bytes without copying, for readers only (the reply
// writer, lookups).
func sbytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
