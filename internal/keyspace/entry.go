package keyspace

import "github.com/damselfly-db/damselfly/internal/value"

// entry is one slot of the slab: 16 bytes, no pointers. The key, the
// string value and the expiry live in the arena record at loc; complex and
// out-of-line string values in side tables, named by a handle stored in
// the record.
type entry struct {
	next Ref    // bucket chain, or free list when the slot is free
	loc  loc    // the entry's arena record
	ver  uint32 // see Version and snapshot.go
	meta uint32 // access data (24 bits), kind (3 bits), flags (5 bits)
}

const entryBytes = 16

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
		d.free = d.ent(r).next
		return r
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
