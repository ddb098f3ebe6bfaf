package keyspace

import (
	"fmt"

	"github.com/damselfly-db/damselfly/internal/value"
)

// entry is one slot of the slab: 16 bytes, no pointers. The key, the
// string value and the expiry live in the arena record at loc; complex and
// out-of-line string values in side tables, named by a handle stored in
// the record.
type entry struct {
	link uint32 // next slot of the bucket chain (or free list), and the key's hash tag
	loc  loc    // the entry's arena record
	ver  uint32 // see Version and snapshot.go
	meta uint32 // access data (24 bits), kind (3 bits), flags (5 bits)
}

const entryBytes = 16

// link layout: the low linkBits name the next slot (noLink: none), the
// high tagBits hold bits of the key's hash. A chain walk compares tags
// before keys, so it reads the arena record (a cache miss, often a TLB
// miss too) only for the entry that matches, and for one in 2^tagBits of
// the others, instead of for every entry ahead of it in the chain. The
// price is a cap of maxSlots keys per database of one shard, next to the
// arena's own 4 GiB.
const (
	linkBits = 26
	tagBits  = 32 - linkBits
	linkMask = 1<<linkBits - 1
	noLink   = linkMask
	maxSlots = noLink // slots 0..maxSlots-1
)

// tagOf is the tag of a key whose Hash is h: its top bits, which neither
// the bucket index (low bits) nor the shard router (bits 32 and up, modulo
// the shard count) depends on in practice.
func tagOf(h uint64) uint32 { return uint32(h>>(64-tagBits)) << linkBits }

func (e *entry) tag() uint32 { return e.link &^ linkMask }

func (e *entry) next() Ref {
	n := e.link & linkMask
	if n == noLink {
		return noRef
	}
	return Ref(n)
}

// setNext changes the chain link, keeping the tag.
func (e *entry) setNext(r Ref) { e.link = e.link&^linkMask | refLink(r) }

func refLink(r Ref) uint32 {
	if r == noRef {
		return noLink
	}
	return uint32(r)
}

// meta layout.
const (
	accessMask = lruMax // low 24 bits: LRU clock or LFU ldt+counter
	kindShift  = 24
	kindMask   = 7 << kindShift
	kindFree   = 7 // kind of a free slot

	flagRaw       uint32 = 1 << 27 // string modified in place: OBJECT ENCODING "raw"
	flagProbation uint32 = 1 << 28 // written but not read since created (2Q's probation queue)
	flagExp       uint32 = 1 << 29 // the record carries an expiry
	flagOOL       uint32 = 1 << 30 // string: value out of line (bigs), handle in the record
	flagPacked           = flagOOL // hash: listpack bytes inline in the record (pack.go)
	flagInExp     uint32 = 1 << 31 // the slot is listed in DB.exp (kept on free slots)
)

func (e *entry) kind() value.Kind { return value.Kind(e.meta >> kindShift & 7) }
func (e *entry) live() bool       { return e.meta&kindMask != kindFree<<kindShift }
func (e *entry) hasExp() bool     { return e.meta&flagExp != 0 }

// hasHandle: the record names a side-table value instead of holding it:
// an out-of-line string, or a complex value that is not packed.
func (e *entry) hasHandle() bool {
	isString := e.meta&kindMask == uint32(value.String)<<kindShift
	return isString == (e.meta&flagOOL != 0)
}

func (e *entry) packed() bool { return e.meta&flagPacked != 0 && e.kind() != value.String }
func (e *entry) isBig() bool  { return e.meta&flagOOL != 0 && e.kind() == value.String }

func (e *entry) setKind(k value.Kind) {
	e.meta = e.meta&^kindMask | uint32(k)<<kindShift
}

// The slab: entries in chunks of chunkSize, so growth never copies the
// whole slab (at 10 M keys a doubling append would copy 160 MB in one go).
// Only the first chunk grows by doubling, so small databases stay small.
const (
	chunkShift = 12
	chunkSize  = 1 << chunkShift
	chunkMask  = chunkSize - 1
)

func (d *DB) ent(r Ref) *entry { return &d.chunks[r>>chunkShift][r&chunkMask] }

// newSlot returns a free slot, from the free list or the end of the slab.
func (d *DB) newSlot() Ref {
	if d.free != noRef {
		r := d.free
		d.free = d.ent(r).next()
		return r
	}
	if d.nslots >= maxSlots {
		panic(fmt.Sprintf("keyspace: %d keys in one database of one shard, the most it holds; use more shards", maxSlots))
	}
	r := Ref(d.nslots)
	c := d.nslots >> chunkShift
	switch {
	case c == len(d.chunks):
		n := chunkSize
		if c == 0 {
			n = 64
		}
		d.chunks = append(d.chunks, make([]entry, n))
	case c == 0 && d.nslots == len(d.chunks[0]):
		grown := make([]entry, 2*len(d.chunks[0]))
		copy(grown, d.chunks[0])
		d.chunks[0] = grown
	}
	d.nslots++
	return r
}

func (d *DB) slabBytes() int64 {
	n := 0
	for _, c := range d.chunks {
		n += len(c)
	}
	return int64(n)*entryBytes + int64(cap(d.chunks))*24
}
