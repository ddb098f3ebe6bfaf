package keyspace

import (
	"sync"
	"sync/atomic"
)

// PagePool hands out the arena's full-size (1 MiB) pages from memory
// mapped outside the Go heap, and takes them back: a returned page's
// physical memory goes back to the kernel at once (MADV_DONTNEED), its
// addresses stay mapped and go to the next page asked for.
//
// Why outside the heap: a cache at its cap turns its pages over (evictions
// and compaction empty them, new records need new ones), and a Go heap page
// is only freed by a collection, then kept by the runtime until its
// scavenger hands it back. So ~5 MB of a 100 MB cache's RSS was garbage
// room and free spans (bench/README.md, "Arena pages off the Go heap"),
// memory the RSS watch had to take from the data. A mapped page costs RSS exactly while it is
// in an arena, and the collector never scans or frees it.
//
// Why kept mapped: views of the arena (doc.go, "String views") are plain
// pointers into its pages. A page is returned only in a later lock hold
// than the one that emptied it (arena.trim), so no correct view reads a
// returned page; and should a view outlive its hold by mistake, it reads
// zeros or a newer record, never unmapped memory.
//
// One pool serves all the shards of a store (pages move freely between
// databases and shards); its lock is taken once per megabyte of records
// written or dropped.
type PagePool struct {
	mu    sync.Mutex
	free  [][]byte // returned pages, their memory given back
	chunk []byte   // the unused rest of the last mapping
	// mapped is the address space mapped so far; resident the bytes of
	// the pages handed out and not returned.
	mapped   atomic.Int64
	resident atomic.Int64
}

// mapChunk is how much address space one mapping takes, carved into pages:
// few mappings for the kernel to keep, no memory until a page is written.
const mapChunk = 16 * maxPageSize

// NewPagePool returns a pool that maps pages outside the Go heap where the
// system allows it; elsewhere (offHeap false) it returns nil, and arenas
// given a nil pool take their pages from the Go heap.
func NewPagePool() *PagePool {
	if !offHeap {
		return nil
	}
	return &PagePool{}
}

// get returns an empty page of capacity maxPageSize.
func (p *PagePool) get() []byte {
	p.mu.Lock()
	var b []byte
	if k := len(p.free); k > 0 {
		b = p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
	} else {
		if len(p.chunk) < maxPageSize {
			p.chunk = mapPages(mapChunk)
			p.mapped.Add(mapChunk)
		}
		b = p.chunk[:maxPageSize:maxPageSize]
		p.chunk = p.chunk[maxPageSize:]
	}
	p.mu.Unlock()
	p.resident.Add(maxPageSize)
	return b[:0]
}

// put takes back a page from get. The caller guarantees that nothing
// reads it any more (arena.trim: it was emptied in an earlier lock hold).
func (p *PagePool) put(b []byte) {
	b = b[:maxPageSize]
	releasePages(b)
	p.resident.Add(-maxPageSize)
	p.mu.Lock()
	p.free = append(p.free, b[:0])
	p.mu.Unlock()
}

// Resident is the memory held by the pages handed out (records, dead
// bytes and spares): what the pool adds to RSS outside the Go runtime.
func (p *PagePool) Resident() int64 {
	if p == nil {
		return 0
	}
	return p.resident.Load()
}

// Mapped is the address space the pool has mapped.
func (p *PagePool) Mapped() int64 {
	if p == nil {
		return 0
	}
	return p.mapped.Load()
}
