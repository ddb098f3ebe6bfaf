package command

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/value"
)

// HyperLogLog commands. The value is a string in Redis's HLL format (see
// internal/value/hll.go), so GET/SET move it between servers unchanged.

func registerHyperLogLog(t *Table) {
	hll := func(name string, arity int, flags Flag, first, last int, h func(*Ctx), since, summary string, cats ...string) *Spec {
		step := 0
		if first > 0 {
			step = 1
		}
		return &Spec{Name: name, Arity: arity, Flags: flags, First: first, Last: last, Step: step, Handler: h,
			Group: "hyperloglog", Since: since, Summary: summary, Categories: append([]string{"hyperloglog"}, cats...)}
	}
	t.add(
		hll("pfadd", -2, Write|DenyOOM|Fast, 1, 1, cmdPFAdd, "2.8.9", "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist."),
		hll("pfcount", -2, ReadOnly, 1, -1, cmdPFCount, "2.8.9", "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s)."),
		hll("pfmerge", -2, Write|DenyOOM, 1, -1, cmdPFMerge, "2.8.9", "Merges one or more HyperLogLog values into a single key."),
		hll("pfdebug", 3, Write|DenyOOM|Admin, 2, 2, cmdPFDebug, "2.8.9", "Internal commands for debugging HyperLogLog values.", "admin", "dangerous"),
		hll("pfselftest", 1, Admin, 0, 0, cmdPFSelfTest, "2.8.9", "An internal command for testing HyperLogLog values.", "admin", "dangerous"),
	)
}

const (
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL = "INVALIDOBJ Corrupted HLL object detected"
)

// hllCheck checks that ref holds a string in HLL format, replying with
// Redis's error when not.
func (c *Ctx) hllCheck(db *keyspace.DB, ref keyspace.Ref) bool {
	if db.Kind(ref) != value.String {
		c.Err(ErrWrongType)
		return false
	}
	if !value.IsHLL(db.Str(ref)) {
		c.Err(errNotHLL)
		return false
	}
	return true
}

// hllStore writes s back as ref's value when it was reallocated, keeping
// the "raw" encoding Redis gives HLL strings.
func hllStore(db *keyspace.DB, ref keyspace.Ref, s []byte) {
	if cur := db.Str(ref); len(cur) != len(s) || (len(s) > 0 && &cur[0] != &s[0]) {
		db.ReplaceString(ref, s)
	}
	db.MutableString(ref, 0)
}

func (c *Ctx) hllMaxSparse() int64 { return c.Env.Config.HLLSparseMaxBytes.Get() }

func cmdPFAdd(c *Ctx) {
	key := c.Args[1]
	db, ref, exists := c.LookupWrite(key)
	updated := false
	var s []byte
	if !exists {
		ref = db.SetString(key, value.NewHLL(), 0, false)
		updated = true
	} else if !c.hllCheck(db, ref) {
		return
	}
	s = db.MutableString(ref, 0)
	maxSparse := c.hllMaxSparse()
	for _, ele := range c.Args[2:] {
		out, changed, err := value.HLLAdd(s, ele, maxSparse)
		if err != nil {
			hllStore(db, ref, s)
			c.Err(errCorruptHLL)
			return
		}
		s = out
		updated = updated || changed
	}
	if updated {
		value.HLLInvalidateCache(s)
	}
	hllStore(db, ref, s)
	if updated {
		c.Notify(config.EventString, "pfadd", key)
	}
	c.W.Int(b2i(updated))
}

func cmdPFCount(c *Ctx) {
	if len(c.Args) > 2 {
		regs := make([]uint8, value.HLLRegisters)
		for _, key := range c.Args[1:] {
			db, ref, ok := c.Lookup(key)
			if !ok {
				continue
			}
			if !c.hllCheck(db, ref) {
				return
			}
			if value.HLLMergeInto(regs, db.Str(ref)) != nil {
				c.Err(errCorruptHLL)
				return
			}
		}
		c.W.Int(int64(value.HLLCountRegisters(regs)))
		return
	}
	db, ref, ok := c.Lookup(c.Args[1])
	if !ok {
		c.W.Int(0)
		return
	}
	if !c.hllCheck(db, ref) {
		return
	}
	// A valid cache is read without touching the value (a WATCH on the key
	// stays intact, as in Redis); a stale one is recomputed and stored.
	if card, valid := value.HLLCached(db.Str(ref)); valid {
		c.W.Int(int64(card))
		return
	}
	s := db.MutableString(ref, 0)
	card, err := value.HLLCount(s)
	if err != nil {
		c.Err(errCorruptHLL)
		return
	}
	value.HLLSetCache(s, card)
	// The cache is part of the value: like Redis, tell client-side caches.
	c.Env.invalidate(c, c.Args[1], c.Client.ID)
	c.W.Int(int64(card))
}

func cmdPFMerge(c *Ctx) {
	regs := make([]uint8, value.HLLRegisters)
	dense := false
	for _, key := range c.Args[1:] {
		db, ref, ok := c.Lookup(key)
		if !ok {
			continue
		}
		if !c.hllCheck(db, ref) {
			return
		}
		s := db.Str(ref)
		if value.HLLEncoding(s) == value.HLLDense {
			dense = true
		}
		if value.HLLMergeInto(regs, s) != nil {
			c.Err(errCorruptHLL)
			return
		}
	}
	key := c.Args[1]
	db, ref, exists := c.LookupWrite(key)
	var cur []byte
	if exists {
		cur = append([]byte(nil), db.Str(ref)...)
	}
	s, err := value.HLLFromRegisters(cur, regs, dense, c.hllMaxSparse())
	if err != nil {
		c.Err(errCorruptHLL)
		return
	}
	if !exists {
		ref = db.SetString(key, s, 0, false)
	}
	hllStore(db, ref, s)
	c.Notify(config.EventString, "pfadd", key)
	c.W.OK()
}

func cmdPFDebug(c *Ctx) {
	sub := lower(c.Args[1])
	key := c.Args[2]
	db, ref, ok := c.LookupWrite(key)
	if !ok {
		c.Err("ERR The specified key does not exist")
		return
	}
	if !c.hllCheck(db, ref) {
		return
	}
	s := db.MutableString(ref, 0)
	toDense := func() ([]byte, bool) {
		d, err := value.HLLToDense(s)
		if err != nil {
			c.Err(errCorruptHLL)
			return nil, false
		}
		hllStore(db, ref, d)
		return d, true
	}
	switch sub {
	case "getreg":
		d, ok := toDense()
		if !ok {
			return
		}
		c.W.Array(value.HLLRegisters)
		for i := 0; i < value.HLLRegisters; i++ {
			c.W.Int(int64(value.HLLDenseGet(d, i)))
		}
	case "decode":
		if value.HLLEncoding(s) != value.HLLSparse {
			c.Err("ERR HLL encoding is not sparse")
			return
		}
		c.W.BulkString(value.HLLDecode(s))
	case "encoding":
		if value.HLLEncoding(s) == value.HLLDense {
			c.W.Simple("dense")
		} else {
			c.W.Simple("sparse")
		}
	case "todense":
		conv := value.HLLEncoding(s) == value.HLLSparse
		if _, ok := toDense(); ok {
			c.W.Int(b2i(conv))
		}
	default:
		c.Err("ERR Unknown PFDEBUG subcommand '" + string(c.Args[1]) + "'")
	}
}

// cmdPFSelfTest checks the dense register packing and the estimator's
// error, and that sparse and dense encodings agree, as Redis's PFSELFTEST.
func cmdPFSelfTest(c *Ctx) {
	dense := make([]byte, value.HLLDenseSize)
	copy(dense, value.NewHLL()[:value.HLLHeaderSize])
	dense[4] = value.HLLDense
	want := make([]uint8, value.HLLRegisters)
	for cycle := 0; cycle < 1000; cycle++ {
		for i := range want {
			want[i] = uint8(rand.IntN(64))
			value.HLLSetRegister(dense, i, want[i])
		}
		for i := range want {
			if v := value.HLLDenseGet(dense, i); v != want[i] {
				c.Err("TESTFAILED Register " + strconv.Itoa(i) + " should be " + strconv.Itoa(int(want[i])) + " but is " + strconv.Itoa(int(v)))
				return
			}
		}
	}
	clear(dense[value.HLLHeaderSize:])
	sparse := value.NewHLL()
	maxSparse := c.hllMaxSparse()
	relErr := 1.04 / math.Sqrt(value.HLLRegisters)
	seed := rand.Uint64()
	var ele [8]byte
	checkpoint := int64(1)
	for j := int64(1); j <= 10000000; j++ {
		v := uint64(j) ^ seed
		for k := range ele {
			ele[k] = byte(v >> (8 * k))
		}
		dense, _, _ = value.HLLAdd(dense, ele[:], maxSparse)
		sparse, _, _ = value.HLLAdd(sparse, ele[:], maxSparse)
		if j != checkpoint {
			continue
		}
		if j < maxSparse/2 && value.HLLEncoding(sparse) != value.HLLSparse {
			c.Err("TESTFAILED sparse encoding not used")
			return
		}
		dc, _ := value.HLLCount(dense)
		sc, _ := value.HLLCount(sparse)
		if dc != sc {
			c.Err("TESTFAILED dense/sparse disagree")
			return
		}
		abserr := checkpoint - int64(dc)
		maxerr := uint64(math.Ceil(relErr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > int64(maxerr) {
			c.Err("TESTFAILED Too big error. card:" + strconv.FormatInt(checkpoint, 10) + " abserr:" + strconv.FormatInt(abserr, 10))
			return
		}
		checkpoint *= 10
	}
	c.W.OK()
}
