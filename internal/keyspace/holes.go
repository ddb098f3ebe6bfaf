package keyspace

import (
	"math/bits"
	"unsafe"
)

// Holes: the bytes of dead records, reused by new records that fit.
//
// The arena is a log: a record is written at the end of the current page,
// and a deleted or replaced record leaves dead bytes that only compaction
// (compact.go) gives back, by copying a sparse page's live records out of
// it. A cache at its cap deletes a record for about every one it writes
// (evictions), at random places, so its pages went sparse everywhere at
// once: at a 100 MB cap under a 1:4 SET:GET load, 11-15 MB of the arena
// was dead bytes, a seventh of the memory the cache could have filled,
// and compacting pages at 7/8 live copied seven bytes for each one freed.
// A slab allocator (jemalloc, under Redis) puts the next record of a
// size class in a freed slot instead; so does the arena now: a dead record
// becomes a hole, filed by size class, and a record of its class, or of
// the class below, takes it in a later lock hold. What the record does not
// fill is written as a filler, a record with an empty key no entry points
// at, so pages stay walkable record by record and compaction counts it
// dead.
//
// A hole is reused only in a later lock hold than the one that made it,
// for the same reason pages are (arena.go): views taken in a hold stay
// unchanged for the rest of it. Holes on a page being compacted are not
// reused (new records never go to marked pages), nor those of a page
// dropped since (the page's generation tells).
type hole struct {
	l    loc
	size uint32
	gen  uint32 // the page's generation when the hole was made
	hold uint32 // the lock hold it was made in (low bits)
}

// holeClasses files holes by size: 8-byte steps to 128 bytes, then 8
// classes per power of two (a class's sizes differ by at most 1/8).
const (
	holeLinear  = 128
	holeClasses = holeLinear/8 + 8*(pageBits-2-7) + 8
	// minHole is the smallest dead record worth filing.
	minHole = 16
	// maxHoles bounds the holes an arena files (16 bytes each); past it
	// dead records are left to compaction.
	maxHoles = 1 << 16
)

func holeClass(n int) int {
	if n < holeLinear {
		return n >> 3
	}
	// The power of two under n and the eighth of it n falls in.
	p := 63 - bits.LeadingZeros64(uint64(n))
	return holeLinear/8 + (p-7)*8 + (n>>(p-3))&7
}

// holeList is one class's holes, oldest first.
type holeList struct {
	h    []hole
	head int
}

// fileHole records the dead record at l of n bytes, on page pi, for reuse.
func (a *arena) fileHole(pi uint32, l loc, n int) {
	if n < minHole || n > maxPageSize/4 || a.nholes >= maxHoles {
		return
	}
	if a.holes == nil {
		a.holes = make([]holeList, holeClasses)
		a.holeBytes = holeClasses * int64(unsafe.Sizeof(holeList{}))
	}
	hl := &a.holes[holeClass(n)]
	c := cap(hl.h)
	hl.h = append(hl.h, hole{l: l, size: uint32(n), gen: a.pages[pi].gen, hold: uint32(*a.holds)})
	a.holeBytes += int64(cap(hl.h)-c) * int64(unsafe.Sizeof(hole{}))
	a.nholes++
	a.pages[pi].holes++
}

// takeHole returns a hole of at least n bytes, n itself, up to maxPad
// more when padded (the record pads itself, arena.put) or enough more to
// write a filler in (minFiller), made in an earlier hold, on a page that
// is neither dropped nor being compacted. It looks at the oldest few holes of n's class, then
// of the next one up.
func (a *arena) takeHole(n int, padded bool) (loc, int, bool) {
	if a.nholes == 0 {
		return 0, 0, false
	}
	now := uint32(*a.holds)
	c := holeClass(n)
	for k := c; k <= c+1 && k < holeClasses; k++ {
		hl := &a.holes[k]
	scan:
		for i, gone := hl.head, 0; i < len(hl.h) && i < hl.head+holeLook; i++ {
			h := hl.h[i]
			p := &a.pages[h.l.page()]
			onPage := p.buf != nil && p.gen == h.gen
			switch {
			case !onPage || p.victim:
				// Gone (counted stale when its page dropped), or
				// compaction will free it.
				if onPage {
					p.holes--
				} else {
					a.stale--
				}
				hl.h[i] = hl.h[hl.head]
				a.popHole(hl)
				if gone++; gone == holeLook {
					break scan // purgeHoles does the bulk
				}
				i = hl.head - 1
			case h.hold == now:
				break scan // the rest are as new
			case int(h.size) == n || int(h.size) >= n+minFiller || padded && int(h.size)-n <= maxPad && int(h.size) > n:
				p.holes--
				hl.h[i] = hl.h[hl.head]
				a.popHole(hl)
				return h.l, int(h.size), true
			}
		}
	}
	return 0, 0, false
}

// holeLook is how many of a class's oldest holes takeHole considers: a
// class spans sizes within an eighth, and a hole too small for one record
// is kept for a smaller one rather than given up.
const holeLook = 8

func (a *arena) popHole(hl *holeList) {
	hl.h[hl.head] = hole{}
	hl.head++
	a.nholes--
	if hl.head == len(hl.h) {
		hl.h, hl.head = hl.h[:0], 0
	} else if hl.head > 64 && hl.head*2 > len(hl.h) {
		k := copy(hl.h, hl.h[hl.head:])
		hl.h, hl.head = hl.h[:k], 0
	}
}

// purgeHoles drops the holes of pages dropped since they were filed, once
// they are most of the file: a page that empties leaves its holes behind
// (drop counts them in stale), and takeHole only meets those at the head
// of a class, so after a burst of deletes (a TTL churn expiring) the file
// would keep them, and its memory, for good. Maintain calls it, outside
// commands: it costs a pass over the file.
func (a *arena) purgeHoles() {
	if a.stale < purgeMin || a.stale*2 < a.nholes {
		return
	}
	a.nholes = 0
	a.holeBytes = holeClasses * int64(unsafe.Sizeof(holeList{}))
	for k := range a.holes {
		hl := &a.holes[k]
		kept := hl.h[:0]
		for _, h := range hl.h[hl.head:] {
			if p := &a.pages[h.l.page()]; p.buf != nil && p.gen == h.gen {
				kept = append(kept, h)
			}
		}
		if cap(kept) > 2*len(kept)+64 {
			kept = append([]hole(nil), kept...)
		}
		clear(hl.h[len(kept):cap(hl.h)])
		hl.h, hl.head = kept, 0
		a.nholes += len(kept)
		a.holeBytes += int64(cap(kept)) * int64(unsafe.Sizeof(hole{}))
	}
	a.stale = 0
}

// purgeMin is the fewest stale holes worth a pass over the file.
const purgeMin = 1024

// minFiller is the smallest filler: a zero key header and a zero value
// length.
const minFiller = 2

// writeFiller formats b as a dead record that spans it exactly: an empty
// key (header 0), then the value length, in one byte up to 129 bytes and
// in three (a padded uvarint, which binary.Uvarint reads) beyond.
func writeFiller(b []byte) {
	b[0] = 0
	if n := len(b); n <= 1+1+0x7f {
		b[1] = byte(n - 2)
		return
	}
	v := uint64(len(b) - 4)
	b[1] = byte(v) | 0x80
	b[2] = byte(v>>7) | 0x80
	b[3] = byte(v >> 14)
}
