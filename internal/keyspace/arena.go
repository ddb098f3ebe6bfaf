package keyspace

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"
)

// A loc names a record in a DB's arena: page index in the high bits, byte
// offset in the page in the low pageBits. A record larger than a page gets
// a page of its own, at offset 0.
type loc uint32

const (
	pageBits    = 20
	maxPageSize = 1 << pageBits // 1 MiB
	minPageSize = 4 << 10       // small databases start with small pages
	maxPages    = 1 << (32 - pageBits)
	offMask     = maxPageSize - 1
)

func (l loc) page() uint32 { return uint32(l) >> pageBits }
func (l loc) off() uint32  { return uint32(l) & offMask }

// page is one arena page: buf's length is the bytes written so far, its
// capacity the page size. live counts the bytes of records still in use.
type page struct {
	buf    []byte
	live   int
	victim bool   // being emptied by the running compaction pass
	gen    uint32 // tells a page from an earlier one at the same index (holes.go)
	holes  uint32 // holes filed on the page and not taken (holes.go)
}

// arena is a log of records in pages. Records are appended to the current
// page, or written into the hole a dead record left (holes.go), and never
// moved afterwards but by compaction (a string value of unchanged length
// is rewritten in place, DB.overwriteInPlace); a page emptied by deletes
// or compaction is dropped (its slot in pages reused for a new page), and
// its memory kept as a spare, or given back to the pool, in a later lock
// hold, so views handed out over it stay unchanged for the rest of the
// hold they were taken in.
type arena struct {
	pages     []page
	freePages []uint32 // dropped page indices, for reuse
	cur       int      // page taking appends; -1 when none
	bytes     int64    // sum of page capacities
	live      int64    // sum of live record bytes
	// spare holds dropped full-size pages for newPage to reuse, each
	// with the lock hold it was dropped in (*holds then): a page is
	// reused only in a later hold, so views taken before the drop stay
	// readable and unchanged for the rest of the hold they were taken
	// in, which is as long as a view may be used (doc.go, "String
	// views"). Reusing them spares a cache that turns its memory over
	// the collector's work and room for a megabyte of garbage per page.
	spare []sparePage
	holds *uint64
	// pool gives full-size pages from outside the Go heap and takes them
	// back (pages.go); nil: pages come from the Go heap.
	pool *PagePool
	// holes files dead records by size class for reuse (holes.go);
	// gens numbers the pages made.
	holes       []holeList
	holeBytes   int64 // the memory of the hole file (holeList slices)
	nholes      int
	stale       int // filed holes whose page was dropped since
	gens        uint32
	holesReused int64
}

type sparePage struct {
	buf  []byte
	hold uint64
}

// maxSpare bounds the pages kept for reuse (per database of a shard):
// enough for the pages a churning cache drops between two allocations of
// a new one, few enough that a shrinking dataset is not held back. With a
// pool the spares beyond it go back to the pool once their hold is over
// (trim), and a page from the pool costs its page faults on first write,
// so one spare is kept.
const (
	maxSpare     = 4
	maxPoolSpare = 1
)

func (a *arena) init(holds *uint64, pool *PagePool) { a.cur, a.holds, a.pool = -1, holds, pool }

// A record's first uvarint is its key length shifted left by two, with
// whether it has an expiry and a handle in the low bits: the entry's flags
// say the same, but compaction walks a page's records in order without
// knowing their entries, and must find each record's size alone. Keys
// under 32 bytes keep a one-byte header.
const (
	hdrExp    = 1 << 1
	hdrHandle = 1 << 0
)

func keyHeader(klen int, hasExp, hasHandle bool) uint64 {
	x := uint64(klen) << 2
	if hasExp {
		x |= hdrExp
	}
	if hasHandle {
		x |= hdrHandle
	}
	return x
}

// recSize is the encoded size of a record.
func recSize(klen, vlen int, hasExp bool, handle int32, hasHandle bool) int {
	n := uvarintLen(keyHeader(klen, hasExp, hasHandle)) + uvarintLen(uint64(vlen)) + klen + vlen
	if hasExp {
		n += 8
	}
	if hasHandle {
		n += uvarintLen(uint64(handle))
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// alloc reserves n bytes and returns their location and the slice to fill.
// With padded, the slice may be up to maxPad bytes longer (a hole a little
// too big, holes.go), for a record that spreads itself over it (put).
func (a *arena) alloc(n int, padded bool) (loc, []byte) {
	if n > maxPageSize/4 {
		// A big record gets its own page, so the current one is not
		// abandoned half full.
		pi := a.newPage(n)
		p := &a.pages[pi]
		p.buf = p.buf[:n]
		p.live += n
		a.live += int64(n)
		return loc(pi << pageBits), p.buf
	}
	if l, size, ok := a.takeHole(n, padded); ok {
		if padded && size-n <= maxPad {
			n = size
		}
		p := &a.pages[l.page()]
		p.live += n
		a.live += int64(n)
		a.holesReused++
		b := p.buf[l.off() : int(l.off())+size : int(l.off())+size]
		if size > n {
			writeFiller(b[n:])
		}
		return l, b[:n:n]
	}
	if a.cur < 0 || cap(a.pages[a.cur].buf)-len(a.pages[a.cur].buf) < n {
		size := minPageSize
		for size < maxPageSize && int64(size) < a.bytes/8 {
			size *= 2
		}
		for size < n {
			size *= 2
		}
		a.cur = int(a.newPage(size))
	}
	p := &a.pages[a.cur]
	off := len(p.buf)
	p.buf = p.buf[:off+n]
	p.live += n
	a.live += int64(n)
	return loc(uint32(a.cur)<<pageBits | uint32(off)), p.buf[off : off+n : off+n]
}

func (a *arena) newPage(size int) uint32 {
	var pi uint32
	if k := len(a.freePages); k > 0 {
		pi = a.freePages[k-1]
		a.freePages = a.freePages[:k-1]
	} else {
		if len(a.pages) >= maxPages {
			panic(fmt.Sprintf("keyspace: arena full (%d pages of up to %d bytes in one database of one shard); use more shards", maxPages, maxPageSize))
		}
		pi = uint32(len(a.pages))
		a.pages = append(a.pages, page{})
	}
	a.gens++
	a.pages[pi] = page{buf: a.pageBuf(size), gen: a.gens}
	a.bytes += int64(size)
	return pi
}

// pageBuf returns an empty buffer of capacity size: a spare page dropped
// in an earlier lock hold when there is one, else new memory.
func (a *arena) pageBuf(size int) []byte {
	if size == maxPageSize {
		for i := len(a.spare) - 1; i >= 0; i-- {
			if sp := a.spare[i]; sp.hold != *a.holds {
				last := len(a.spare) - 1
				a.spare[i] = a.spare[last]
				a.spare[last] = sparePage{}
				a.spare = a.spare[:last]
				return sp.buf[:0]
			}
		}
		if a.pool != nil {
			return a.pool.get()
		}
	}
	return make([]byte, 0, size)
}

// free marks n bytes of page pi dead. A page with nothing live that is not
// the current page is dropped at once.
func (a *arena) free(l loc, n int) {
	pi := l.page()
	p := &a.pages[pi]
	p.live -= n
	a.live -= int64(n)
	if p.live == 0 && int(pi) != a.cur {
		a.drop(pi)
	} else if !p.victim {
		a.fileHole(pi, l, n)
	}
}

func (a *arena) drop(pi uint32) {
	buf := a.pages[pi].buf
	a.bytes -= int64(cap(buf))
	a.stale += int(a.pages[pi].holes)
	switch {
	case cap(buf) != maxPageSize:
	case a.pool != nil:
		// A pool's page must go back to it, and only after this hold.
		a.spare = append(a.spare, sparePage{buf: buf[:0], hold: *a.holds})
		a.trim()
	case len(a.spare) < maxSpare:
		a.spare = append(a.spare, sparePage{buf: buf[:0], hold: *a.holds})
	}
	a.pages[pi] = page{}
	a.freePages = append(a.freePages, pi)
}

// trim returns to the pool the spares beyond maxPoolSpare that were
// dropped in an earlier hold than this one. Drops call it, and so does
// Maintain, so that the pages a burst of deletes dropped in one hold go
// back soon after it even if nothing is dropped later.
func (a *arena) trim() {
	if a.pool == nil || len(a.spare) <= maxPoolSpare {
		return
	}
	kept := a.spare[:0]
	extra := len(a.spare) - maxPoolSpare
	for _, sp := range a.spare {
		if extra > 0 && sp.hold != *a.holds {
			a.pool.put(sp.buf)
			extra--
			continue
		}
		kept = append(kept, sp)
	}
	clear(a.spare[len(kept):])
	a.spare = kept
}

// pooledPages lists every full-size page of a, records and spares: what
// goes back to the pool when the arena is dropped (DB.Clear).
func (a *arena) pooledPages() [][]byte {
	var bufs [][]byte
	for _, p := range a.pages {
		if cap(p.buf) == maxPageSize {
			bufs = append(bufs, p.buf[:0])
		}
	}
	for _, sp := range a.spare {
		bufs = append(bufs, sp.buf)
	}
	return bufs
}

// rec is a decoded record header.
type rec struct {
	key    []byte // view into the page
	val    []byte // view into the page (empty when out of line)
	exp    int64
	handle int32
	size   int
}

// at returns the bytes from l to the end of its page.
func (a *arena) at(l loc) []byte { return a.pages[l.page()].buf[l.off():] }

// decode reads the record at l; hasExp and hasHandle come from the entry.
func (a *arena) decode(l loc, hasExp, hasHandle bool) rec {
	b := a.at(l)
	var r rec
	kh, n1 := uvarint(b)
	klen := kh >> 2
	vlen, n2 := uvarint(b[n1:])
	i := n1 + n2
	if hasExp {
		r.exp = int64(binary.LittleEndian.Uint64(b[i:]))
		i += 8
	}
	if hasHandle {
		h, n := uvarint(b[i:])
		r.handle = int32(h)
		i += n
	}
	r.key = b[i : i+int(klen) : i+int(klen)]
	i += int(klen)
	r.val = b[i : i+int(vlen) : i+int(vlen)]
	r.size = i + int(vlen)
	return r
}

// setExp rewrites the expiry of the record at l, which must have one.
func (a *arena) setExp(l loc, at int64) {
	b := a.at(l)
	_, n1 := uvarint(b)
	_, n2 := uvarint(b[n1:])
	binary.LittleEndian.PutUint64(b[n1+n2:], uint64(at))
}

// keyAt is decode's fast path for the key alone.
func (a *arena) keyAt(l loc, hasExp, hasHandle bool) []byte {
	b := a.at(l)
	var klen uint64
	var i int
	if b[0] < 0x80 && b[1] < 0x80 {
		klen, i = uint64(b[0])>>2, 2
	} else {
		var n1, n2 int
		klen, n1 = uvarint(b)
		klen >>= 2
		_, n2 = uvarint(b[n1:])
		i = n1 + n2
	}
	if hasExp {
		i += 8
	}
	if hasHandle {
		for b[i] >= 0x80 {
			i++
		}
		i++
	}
	return b[i : i+int(klen) : i+int(klen)]
}

// walkRec reads the record at l from its header alone: its size and key.
func (a *arena) walkRec(l loc) (size int, key []byte) {
	b := a.at(l)
	kh, n1 := uvarint(b)
	vlen, n2 := uvarint(b[n1:])
	i := n1 + n2
	if kh&hdrExp != 0 {
		i += 8
	}
	if kh&hdrHandle != 0 {
		_, n := uvarint(b[i:])
		i += n
	}
	klen := int(kh >> 2)
	return i + klen + int(vlen), b[i : i+klen : i+klen]
}

func uvarint(b []byte) (uint64, int) {
	if b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return binary.Uvarint(b)
}

// put appends a record and returns its location and size.
// The value is v1 followed by v2 (APPEND writes old value and suffix).
func (a *arena) put(key, v1, v2 []byte, exp int64, hasExp bool, handle int32, hasHandle bool) (loc, int) {
	n := recSize(len(key), len(v1)+len(v2), hasExp, handle, hasHandle)
	l, b := a.alloc(slotSize(n), true)
	i := binary.PutUvarint(b, keyHeader(len(key), hasExp, hasHandle))
	i += putUvarintPadded(b[i:], uint64(len(v1)+len(v2)), len(b)-n)
	if hasExp {
		binary.LittleEndian.PutUint64(b[i:], uint64(exp))
		i += 8
	}
	if hasHandle {
		i += binary.PutUvarint(b[i:], uint64(handle))
	}
	i += copy(b[i:], key)
	i += copy(b[i:], v1)
	copy(b[i:], v2)
	return l, len(b)
}

// putUvarintPadded writes x as a uvarint made pad bytes (at most maxPad)
// longer than it needs: continuation bits, then a zero byte, which
// binary.Uvarint reads as the same number. A record spreads itself over
// its whole slot that way (slotSize), or over a hole a byte or a few
// bigger than itself, where no filler would fit.
func putUvarintPadded(b []byte, x uint64, pad int) int {
	i := binary.PutUvarint(b, x)
	if pad == 0 {
		return i
	}
	b[i-1] |= 0x80
	for ; pad > 1; pad-- {
		b[i] = 0x80
		i++
	}
	b[i] = 0
	return i + 1
}

// maxPad is the most padding a record's value length takes: a value's
// length (under 2^21, inline values being at most 16 KiB) needs at most
// three of a uvarint's ten bytes.
const maxPad = 7

// slotSize rounds a record's size up to its granule: none under 128
// bytes, then 2, 4 and from 512 bytes 8 (at most 1/64 of the record),
// written as padding. Records whose sizes differ by a few bytes (keys of
// one more digit, values of a few more characters) then fit each other's
// holes (holes.go) exactly, as jemalloc's size classes let Redis reuse
// them.
func slotSize(n int) int {
	if n < 128 {
		return n
	}
	g := 1 << min(3, bits.Len(uint(n))-7)
	return (n + g - 1) &^ (g - 1)
}

// viewString returns b as a string without copying. A record's key bytes
// are never overwritten (only a string value and its expiry are, by
// DB.overwriteInPlace), and its page is reused only in a later lock hold,
// so a key's string stays unchanged for the hold it was taken in.
func viewString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
