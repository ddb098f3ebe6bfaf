package command

import (
	"bytes"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/value"
)

// SORT and SORT_RO: sort a list, set or sorted set numerically (each
// element read as a double, as C's strtod reads it) or ALPHA, optionally
// by weights read from other keys (BY pattern, "*" replaced by the
// element, "key->field" for a hash field), take a LIMIT window, and return
// the elements or values read from other keys (GET pattern, "#" for the
// element itself), or store them as a list (STORE).
//
// BY and GET read keys that are not arguments, anywhere in the keyspace,
// so both commands lock every shard (AllShards), as Redis serialises them.

func registerSort(t *Table) {
	cats := []string{"set", "sortedset", "list", "dangerous"}
	t.add(
		&Spec{Name: "sort", Arity: -2, Flags: Write | DenyOOM | MovableKeys | AllShards, First: 1, Last: 1, Step: 1, KeysFn: sortKeys,
			Handler: func(c *Ctx) { sortGeneric(c, false) }, Group: "generic", Since: "1.0.0", Categories: cats,
			Summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result."},
		&Spec{Name: "sort_ro", Arity: -2, Flags: ReadOnly | MovableKeys | AllShards, First: 1, Last: 1, Step: 1,
			KeysFn:  func(args [][]byte) []int { return []int{1} },
			Handler: func(c *Ctx) { sortGeneric(c, true) }, Group: "generic", Since: "7.0.0", Categories: cats,
			Summary: "Returns the sorted elements of a list, a set, or a sorted set."},
	)
}

// sortKeys finds SORT's keys like Redis's sortGetKeys: the sorted key and
// the last STORE destination, skipping LIMIT's, GET's and BY's arguments.
func sortKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	keys := []int{1}
	store := -1
	for i := 2; i < len(args); i++ {
		switch lower(args[i]) {
		case "limit":
			i += 2
		case "get", "by":
			i++
		case "store":
			if i+1 < len(args) {
				store = i + 1
			}
		}
	}
	if store > 0 {
		keys = append(keys, store)
	}
	return keys
}

type sortItem struct {
	obj   []byte
	score float64
	cmp   []byte // ALPHA with BY: the weight, nil when missing
	hasW  bool
}

func sortGeneric(c *Ctx, readOnly bool) {
	args := c.Args
	var (
		desc, alpha, dontSort bool
		limitStart            int64
		limitCount            int64 = -1
		sortBy, storeKey      []byte
		gets                  [][]byte
	)
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch opt := lower(args[j]); {
		case opt == "asc":
			desc = false
		case opt == "desc":
			desc = true
		case opt == "alpha":
			alpha = true
		case opt == "limit" && left >= 2:
			var ok bool
			if limitStart, ok = c.intArg(j + 1); !ok {
				return
			}
			if limitCount, ok = c.intArg(j + 2); !ok {
				return
			}
			j += 2
		case opt == "store" && left >= 1 && !readOnly:
			storeKey = args[j+1]
			j++
		case opt == "by" && left >= 1:
			sortBy = args[j+1]
			// A constant pattern means no sorting; like Redis, a later BY
			// with a "*" does not undo that.
			if bytes.IndexByte(sortBy, '*') < 0 {
				dontSort = true
			}
			j++
		case opt == "get" && left >= 1:
			gets = append(gets, args[j+1])
			j++
		default:
			c.Err(ErrSyntax)
			return
		}
	}

	db, ref, exists := c.Lookup(args[1])
	var src sortSource
	if exists {
		var ok bool
		if src, ok = sortSourceOf(db, ref); !ok {
			c.Err(ErrWrongType)
			return
		}
	}
	kind := value.List
	if exists {
		kind = db.Kind(ref)
	}
	// Without sorting, a set's order is its hash order: when the result is
	// stored (or computed in a script) sort it so that it is deterministic.
	if dontSort && kind == value.Set && (storeKey != nil || sortInScript(c)) {
		dontSort, alpha, sortBy = false, true, nil
	}

	n := 0
	if src != nil {
		n = src.Len()
	}
	vlen := int64(n)
	start := min(max(limitStart, 0), vlen)
	limitCount = min(max(limitCount, -1), vlen)
	end := vlen - 1
	if limitCount >= 0 {
		end = start + limitCount - 1
	}
	if start >= vlen {
		start, end = vlen-1, vlen-2
	}
	if end >= vlen {
		end = vlen - 1
	}

	// Load the elements. Lists and sorted sets keep their own order when
	// nothing is sorted, and then only the LIMIT window is read.
	// Elements are copied into one arena: an iterator may reuse its buffer,
	// and BY/GET/STORE must not see a value that changes under them.
	var items []sortItem
	var arena []byte
	load := func(e []byte) {
		if len(arena)+len(e) > cap(arena) {
			arena = make([]byte, 0, max(4096, 2*cap(arena), len(e)))
		}
		at := len(arena)
		arena = append(arena, e...)
		items = append(items, sortItem{obj: arena[at:len(arena):len(arena)]})
	}
	switch {
	case src == nil:
	case dontSort && kind != value.Set:
		if end >= start {
			items = make([]sortItem, 0, end-start+1)
			src.Range(int(start), int(end-start+1), desc, load)
		}
		end -= start
		start = 0
	default:
		items = make([]sortItem, 0, n)
		src.Each(load)
	}

	var keyBuf []byte // BY/GET key names are built here
	convErr := false
	if !dontSort {
		for i := range items {
			it := &items[i]
			var w []byte
			if sortBy != nil {
				v, ok := c.sortLookup(sortBy, it.obj, &keyBuf)
				if !ok {
					continue
				}
				w = v
			} else {
				w = it.obj
			}
			if alpha {
				if sortBy != nil {
					it.cmp, it.hasW = w, true
				}
				continue
			}
			f, ok := sortStrtod(w)
			if !ok {
				convErr = true
			}
			it.score = f
		}
		store := storeKey != nil
		byPattern := sortBy != nil
		if alpha && !store {
			// Without STORE, ALPHA compares like strcoll in the C locale:
			// up to the first NUL. Cut the keys once.
			for i := range items {
				it := &items[i]
				if !byPattern {
					it.cmp = it.obj
				}
				if j := bytes.IndexByte(it.cmp, 0); j >= 0 {
					it.cmp = it.cmp[:j]
				}
			}
		}
		// Sort indexes, not the items (no pointer moves), with the input
		// position as the last key: the stable order Redis's merge sort
		// gives equal elements.
		order := make([]int32, len(items))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(ia, ib int32) int {
			x, y := &items[ia], &items[ib]
			var r int
			switch {
			case !alpha:
				switch {
				case x.score > y.score:
					r = 1
				case x.score < y.score:
					r = -1
				default:
					r = bytes.Compare(x.obj, y.obj)
				}
			case byPattern:
				switch {
				case !x.hasW || !y.hasW:
					if x.hasW == y.hasW {
						r = 0
					} else if !x.hasW {
						r = -1
					} else {
						r = 1
					}
				default:
					r = bytes.Compare(x.cmp, y.cmp)
				}
			case store:
				r = bytes.Compare(x.obj, y.obj)
			default:
				r = bytes.Compare(x.cmp, y.cmp)
			}
			if desc {
				r = -r
			}
			if r == 0 {
				r = int(ia - ib)
			}
			return r
		})
		// Only the LIMIT window is read back.
		if end >= start {
			window := make([]sortItem, end-start+1)
			for i := range window {
				window[i] = items[order[start+int64(i)]]
			}
			items = window
			end -= start
			start = 0
		}
	}

	count := end - start + 1
	outLen := count
	if len(gets) > 0 {
		outLen = int64(len(gets)) * count
	}
	if convErr {
		c.Err("ERR One or more scores can't be converted into double")
		return
	}
	if storeKey == nil {
		c.W.Array(int(outLen))
		for i := start; i <= end; i++ {
			if len(gets) == 0 {
				c.W.Bulk(items[i].obj)
			}
			for _, g := range gets {
				if v, ok := c.sortLookup(g, items[i].obj, &keyBuf); ok {
					c.W.Bulk(v)
				} else {
					c.W.Null()
				}
			}
		}
		return
	}
	var out [][]byte
	for i := start; i <= end; i++ {
		if len(gets) == 0 {
			out = append(out, items[i].obj)
		}
		for _, g := range gets {
			v, _ := c.sortLookup(g, items[i].obj, &keyBuf)
			out = append(out, append([]byte{}, v...))
		}
	}
	sdb := c.DB(storeKey)
	if outLen > 0 {
		sortStoreList(c, sdb, storeKey, out)
		c.Notify(config.EventList, "sortstore", storeKey)
	} else if sdb.Delete(storeKey) {
		c.Notify(config.EventGeneric, "del", storeKey)
	}
	c.W.Int(outLen)
}

// sortLookup resolves a BY or GET pattern for element e: "#" is e itself;
// otherwise the first "*" is replaced by e to name a string key, or, with
// "->field" after the "*", a hash key and its field. A pattern without
// "*" names nothing.
func (c *Ctx) sortLookup(pattern, e []byte, buf *[]byte) ([]byte, bool) {
	if len(pattern) == 1 && pattern[0] == '#' {
		return e, true
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, false
	}
	var field []byte
	keyEnd := len(pattern)
	if a := bytes.Index(pattern[star+1:], []byte("->")); a >= 0 && star+1+a+2 < len(pattern) {
		keyEnd = star + 1 + a
		field = pattern[keyEnd+2:]
	}
	key := (*buf)[:0]
	key = append(key, pattern[:star]...)
	key = append(key, e...)
	key = append(key, pattern[star+1:keyEnd]...)
	*buf = key
	db, ref, ok := c.Lookup(key)
	if !ok {
		return nil, false
	}
	if field != nil {
		if db.Kind(ref) != value.Hash {
			return nil, false
		}
		return sortHashField(db.Obj(ref), field)
	}
	if db.Kind(ref) != value.String {
		return nil, false
	}
	return db.Str(ref), true
}

// sortStrtod reads b as SORT does: C's strtod over the C string (up to a NUL),
// which must be consumed entirely; leading blanks are allowed, an empty
// string is 0, and NaN, overflow and inexact underflow are errors.
func sortStrtod(b []byte) (float64, bool) {
	if n, ok := parseInt(b); ok && n > -1<<53 && n < 1<<53 {
		return float64(n), true // the common case, exact
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return 0, true
	}
	s := string(b)
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	s = s[i:]
	neg := false
	body := s
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	lb := strings.ToLower(body)
	switch {
	case lb == "inf" || lb == "infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case strings.HasPrefix(lb, "nan"):
		return 0, false
	}
	hex := strings.HasPrefix(lb, "0x")
	if !validStrtod(lb, hex) {
		return 0, false
	}
	text := s
	if hex && !strings.ContainsAny(lb, "p") {
		text += "p0"
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false // out of range: ERANGE
	}
	if a := math.Abs(f); a < 0x1p-1022 && !allZeroMantissa(lb, hex) {
		// Underflow: glibc reports ERANGE unless the value is exact.
		if a == 0 || !hex {
			return 0, false
		}
		exact, _, err := big.ParseFloat(text, 0, 4096, big.ToNearestEven)
		if err != nil || exact.Cmp(new(big.Float).SetFloat64(f)) != 0 {
			return 0, false
		}
	}
	return f, true
}

// validStrtod checks a strtod number without sign: decimal digits with an
// optional point and exponent, or 0x hex digits with an optional point and
// binary exponent; at least one mantissa digit.
func validStrtod(s string, hex bool) bool {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isHex := func(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') }
	digit := isDigit
	expChar := byte('e')
	if hex {
		s = s[2:]
		digit, expChar = isHex, 'p'
	}
	i, nd := 0, 0
	for i < len(s) && digit(s[i]) {
		i, nd = i+1, nd+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && digit(s[i]) {
			i, nd = i+1, nd+1
		}
	}
	if nd == 0 {
		return false
	}
	if i < len(s) && s[i] == expChar {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ne := 0
		for i < len(s) && isDigit(s[i]) {
			i, ne = i+1, ne+1
		}
		if ne == 0 {
			return false
		}
	}
	return i == len(s)
}

// allZeroMantissa reports a mantissa of zeros only (the value is exactly 0).
func allZeroMantissa(s string, hex bool) bool {
	if hex {
		s = s[2:]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'e' && !hex || c == 'p' {
			break
		}
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}

// sortInScript reports a SORT run by a script (Redis sorts unordered sets
// there too).
func sortInScript(c *Ctx) bool { return c.inScript }

// sortSource is what SORT reads from the key it sorts.
type sortSource interface {
	Len() int
	// Each visits every element (list order, set iteration order, any
	// order for a sorted set).
	Each(fn func(e []byte))
	// Range visits n elements from position start, counted from the first
	// element, or from the last when desc (lists and sorted sets).
	Range(start, n int, desc bool, fn func(e []byte))
}

// sortSourceOf adapts a list, set or sorted set; false for other types.
func sortSourceOf(db *keyspace.DB, ref keyspace.Ref) (sortSource, bool) {
	switch v := db.Obj(ref).(type) {
	case *value.Quicklist:
		return listSortSource{v}, true
	case *value.SetValue:
		return setSortSource{v}, true
	case *value.SortedSet:
		// Redis converts a compact sorted set to a skiplist for good when
		// it sorts it.
		if v.IsCompact() {
			before := v.Size()
			v.ToSkiplist()
			db.Resized(v.Size() - before)
		}
		return zsetSortSource{v}, true
	}
	return nil, false
}

type zsetSortSource struct{ z *value.SortedSet }

func (s zsetSortSource) Len() int { return s.z.Len() }
func (s zsetSortSource) Each(fn func(e []byte)) {
	s.z.Each(func(m []byte, _ float64) bool { fn(m); return true })
}
func (s zsetSortSource) Range(start, n int, desc bool, fn func(e []byte)) {
	each := func(m []byte, _ float64) bool { fn(m); return true }
	if desc {
		l := s.z.Len()
		s.z.Range(l-start-n, l-start-1, true, each)
		return
	}
	s.z.Range(start, start+n-1, false, each)
}

type listSortSource struct{ l *value.Quicklist }

func (s listSortSource) Len() int { return s.l.Len() }
func (s listSortSource) Each(fn func(e []byte)) {
	it := s.l.Iter(0, false)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		fn(e)
	}
}
func (s listSortSource) Range(start, n int, desc bool, fn func(e []byte)) {
	from := start
	if desc {
		from = s.l.Len() - start - 1
	}
	it := s.l.Iter(from, desc)
	for e, ok := it.Next(); ok && n > 0; e, ok = it.Next() {
		fn(e)
		n--
	}
}

type setSortSource struct{ s *value.SetValue }

func (s setSortSource) Len() int { return s.s.Len() }
func (s setSortSource) Each(fn func(e []byte)) {
	s.s.Each(func(m []byte) bool { fn(m); return true })
}
func (s setSortSource) Range(start, n int, desc bool, fn func(e []byte)) {
	panic("sort: sets have no order")
}

// sortHashField reads a hash field for a "key->field" pattern.
func sortHashField(obj value.Object, field []byte) ([]byte, bool) {
	if h, ok := obj.(*value.HashValue); ok {
		return h.Get(field)
	}
	return nil, false
}

// sortStoreList stores elems as a new list under key, replacing any value
// and its expiry.
func sortStoreList(c *Ctx, db *keyspace.DB, key []byte, elems [][]byte) {
	l := value.NewQuicklist(int(c.Env.Config.ListMaxListpackSize.Get()))
	for _, e := range elems {
		l.PushBack(e)
	}
	db.SetObject(key, l, false)
}
