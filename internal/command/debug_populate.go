package command

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// populateOpts is Dragonfly's form of DEBUG POPULATE: count [prefix] [size]
// followed by any of RAND, TYPE t, ELEMENTS n, SLOTS a b, EXPIRE min max.
// Dragonfly's test suites fill servers with it.
type populateOpts struct {
	count    int64
	prefix   string
	size     int64
	rand     bool
	typ      string
	elements int64
	slots    [2]int // inclusive; slots[1] < 0 when not given
	ttl      [2]int64
}

// parsePopulateFlags reads the flags after count, prefix and size. It
// reports false after replying with an error.
func (c *Ctx) parsePopulateFlags(o *populateOpts, args [][]byte) bool {
	o.typ, o.elements, o.slots[1] = "STRING", 1, -1
	num := func(i int, max uint64) (uint64, bool) {
		if i >= len(args) {
			c.Err(ErrSyntax)
			return 0, false
		}
		n, err := strconv.ParseUint(string(args[i]), 10, 64)
		if err != nil || n > max {
			c.Err("ERR value is not an integer or out of range")
			return 0, false
		}
		return n, true
	}
	for i := 0; i < len(args); i++ {
		switch strings.ToUpper(string(args[i])) {
		case "RAND":
			o.rand = true
		case "TYPE":
			if i++; i >= len(args) {
				c.Err(ErrSyntax)
				return false
			}
			o.typ = strings.ToUpper(string(args[i]))
		case "ELEMENTS":
			n, ok := num(i+1, 1<<32-1)
			if !ok {
				return false
			}
			o.elements, i = int64(n), i+1
		case "SLOTS":
			a, ok := num(i+1, 16383)
			if !ok {
				return false
			}
			b, ok := num(i+2, 16383)
			if !ok {
				return false
			}
			o.slots, i = [2]int{int(a), int(b)}, i+2
		case "EXPIRE":
			a, ok := num(i+1, 1<<32-1)
			if !ok {
				return false
			}
			b, ok := num(i+2, 1<<32-1)
			if !ok {
				return false
			}
			if a >= b {
				c.Err("ERR expiry is out of range")
				return false
			}
			o.ttl, i = [2]int64{int64(a), int64(b)}, i+2
		default:
			c.Err(ErrSyntax)
			return false
		}
	}
	return true
}

// debugPopulateTyped creates o.count keys prefix:N (only those whose
// cluster slot is in o.slots, going past N = count as Dragonfly does)
// by running the type's own command on each, as Dragonfly does: SET of a
// value of o.size bytes ('x' repeated, or random hex with RAND); LPUSH,
// SADD, HSET (fields and values of size/2), ZADD (scores below size) or
// XADD of o.elements elements, in commands of at most 32 KB of elements;
// then EXPIRE with a TTL drawn from [min, max) seconds. Existing keys are
// written to, not skipped.
//
// A type without a command here (JSON, the probabilistic types) creates
// nothing, with a warning in the log, as Dragonfly does for a type it has
// no command for: its test tooling asks for every type it knows and
// compares fingerprints of each.
func debugPopulateTyped(c *Ctx, o *populateOpts) {
	switch o.typ {
	case "STRING", "LIST", "SET", "HASH", "ZSET", "STREAM":
	default:
		c.Env.Log.Warn("DEBUG POPULATE: no such type here, nothing created", "type", o.typ)
		c.W.OK()
		return
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(c.Client.ID)))
	// Without RAND every value of a size is the same bytes: the commands
	// copy what they keep, so one slice per size serves them all.
	xs := map[int64][]byte{}
	value := func(n int64) []byte {
		if !o.rand {
			if xs[n] == nil {
				xs[n] = bytes.Repeat([]byte{'x'}, int(n))
			}
			return xs[n]
		}
		b := make([]byte, (n+1)/2)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return []byte(hex.EncodeToString(b)[:n])
	}
	perCmd := max(int64(32<<10)/max(o.size, 1), 1)
	if o.typ == "STREAM" {
		perCmd = 4
	}
	var w resp.Writer
	run := func(args [][]byte) {
		spec := c.Env.Table.Lookup(args[0])
		sh := c.ShardOf(args[1])
		took := sh.Acquire(c.Client.ID, time.Now().UnixMilli())
		w.Buf = w.Buf[:0]
		inner := Ctx{Env: c.Env, Client: c.Client, W: &w, Args: args, Spec: spec, Now: time.Now().UnixMilli(), noBlock: true}
		c.Env.beforeWrite(&inner, spec)
		spec.Handler(&inner)
		c.Env.afterCommand(&inner, spec)
		sh.Release(took)
	}
	added := int64(0)
	for idx := int64(0); added < o.count; idx++ {
		key := []byte(o.prefix + ":" + strconv.FormatInt(idx, 10))
		if o.slots[1] >= 0 {
			if s := keyHashSlot(key); s < o.slots[0] || s > o.slots[1] {
				continue
			}
		}
		added++
		if o.typ == "STRING" {
			run([][]byte{[]byte("SET"), key, value(o.size)})
		}
		for left := o.elements; o.typ != "STRING" && left > 0; {
			n := min(left, perCmd)
			left -= n
			var args [][]byte
			switch o.typ {
			case "LIST":
				args = [][]byte{[]byte("LPUSH"), key}
				for range n {
					args = append(args, value(o.size))
				}
			case "SET":
				args = [][]byte{[]byte("SADD"), key}
				for range n {
					args = append(args, value(o.size))
				}
			case "HASH":
				args = [][]byte{[]byte("HSET"), key}
				for range n {
					args = append(args, value(max(o.size/2, 1)), value(o.size/2))
				}
			case "ZSET":
				args = [][]byte{[]byte("ZADD"), key}
				for range n {
					args = append(args, strconv.AppendUint(nil, rng.Uint64N(uint64(o.size)), 10), value(o.size))
				}
			case "STREAM":
				args = [][]byte{[]byte("XADD"), key, []byte("*")}
				for range n {
					args = append(args, value(max(o.size/2, 1)), value(o.size/2))
				}
			}
			run(args)
		}
		if o.ttl[1] > 0 {
			ttl := o.ttl[0] + rng.Int64N(o.ttl[1]-o.ttl[0])
			run([][]byte{[]byte("EXPIRE"), key, strconv.AppendInt(nil, ttl, 10)})
		}
	}
	c.W.OK()
}

// keyHashSlot is Redis Cluster's slot of a key: CRC16 (XMODEM) of its hash
// tag, the part between the first '{' and the next '}' when not empty.
func keyHashSlot(key []byte) int {
	if i := bytes.IndexByte(key, '{'); i >= 0 {
		if j := bytes.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for _, b := range key {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc & 16383)
}

// debugWatched is Dragonfly's DEBUG WATCHED: ["awaked", keys made ready
// whose blocked clients are not served yet, "watched", keys of the
// client's database that clients are blocked on, sorted], each as
// "[shard] key" for the first and the key for the second.
func debugWatched(c *Ctx) {
	var awaked, watched []string
	st := c.Env.Store
	for i := range st.N() {
		sh := st.Shard(i)
		took := sh.Acquire(c.Client.ID, time.Now().UnixMilli())
		watched = append(watched, sh.WatchedKeys(c.Client.DB)...)
		for _, k := range sh.PendingReady() {
			awaked = append(awaked, "["+strconv.Itoa(i)+"] "+k.Key)
		}
		sh.Release(took)
	}
	slices.Sort(watched)
	c.W.Array(4)
	c.W.BulkString("awaked")
	c.W.Array(len(awaked))
	for _, k := range awaked {
		c.W.BulkString(k)
	}
	c.W.BulkString("watched")
	c.W.Array(len(watched))
	for _, k := range watched {
		c.W.BulkString(k)
	}
}
