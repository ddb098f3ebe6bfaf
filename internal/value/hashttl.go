package value

import (
	"container/heap"
	"unsafe"
)

// Field expiry (Redis 7.4's HEXPIRE family). A hash with field TTLs keeps
// a map from field to expiry (unix ms) and a min-heap of (expiry, field)
// so that the fields due can be found without a walk. Heap items are not
// removed when a TTL changes or goes away: an item whose time no longer
// matches the map is stale and dropped when it surfaces, and the heap is
// rebuilt when stale items outnumber live ones.
type fieldTTLs struct {
	at   map[string]int64
	heap ttlHeap
}

type ttlItem struct {
	at    int64
	field string
}

type ttlHeap []ttlItem

func (h ttlHeap) Len() int           { return len(h) }
func (h ttlHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h ttlHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *ttlHeap) Push(x any)        { *h = append(*h, x.(ttlItem)) }
func (h *ttlHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func (t *fieldTTLs) size() int {
	if t == nil {
		return 0
	}
	return len(t.at)*48 + cap(t.heap)*int(unsafe.Sizeof(ttlItem{}))
}

func (t *fieldTTLs) clone() *fieldTTLs {
	if t == nil {
		return nil
	}
	n := &fieldTTLs{at: make(map[string]int64, len(t.at))}
	for f, at := range t.at {
		n.at[f] = at
		n.heap = append(n.heap, ttlItem{at, f})
	}
	heap.Init(&n.heap)
	return n
}

func (t *fieldTTLs) remove(field []byte) {
	delete(t.at, string(field))
	t.compact()
}

func (t *fieldTTLs) set(field string, at int64) {
	t.at[field] = at
	heap.Push(&t.heap, ttlItem{at, field})
	t.compact()
}

// compact rebuilds the heap from the map when it is mostly stale.
func (t *fieldTTLs) compact() {
	if len(t.heap) <= 2*len(t.at)+16 {
		return
	}
	t.heap = t.heap[:0]
	for f, at := range t.at {
		t.heap = append(t.heap, ttlItem{at, f})
	}
	heap.Init(&t.heap)
}

// FieldTTL returns field's expiry in unix ms: 0 when it has none, -1 when
// the field does not exist.
func (h *HashValue) FieldTTL(field []byte) int64 {
	if !h.Has(field) {
		return -1
	}
	if h.ttl == nil {
		return 0
	}
	return h.ttl.at[string(field)]
}

// HasFieldTTLs reports whether any field has an expiry.
func (h *HashValue) HasFieldTTLs() bool { return h.ttl != nil && len(h.ttl.at) > 0 }

// SetFieldTTL gives an existing field an expiry (unix ms, > 0).
func (h *HashValue) SetFieldTTL(field []byte, at int64) {
	if h.ttl == nil {
		h.ttl = &fieldTTLs{at: map[string]int64{}}
	}
	h.ttl.set(string(field), at)
}

// PersistField removes field's expiry and reports whether it had one.
func (h *HashValue) PersistField(field []byte) bool {
	if h.ttl == nil {
		return false
	}
	if _, ok := h.ttl.at[string(field)]; !ok {
		return false
	}
	h.ttl.remove(field)
	return true
}

// ExpireFields deletes the fields whose expiry is at or before now and
// returns how many it deleted.
func (h *HashValue) ExpireFields(now int64) int {
	t := h.ttl
	if t == nil {
		return 0
	}
	n := 0
	for len(t.heap) > 0 && t.heap[0].at <= now {
		it := heap.Pop(&t.heap).(ttlItem)
		if at, ok := t.at[it.field]; !ok || at != it.at {
			continue // stale
		}
		delete(t.at, it.field)
		if h.Delete(bytesOf(it.field)) {
			n++
		}
	}
	return n
}

// EachFieldTTL calls fn for every field that has an expiry (for the RDB
// writer).
func (h *HashValue) EachFieldTTL(fn func(field string, at int64)) {
	if h.ttl == nil {
		return
	}
	for f, at := range h.ttl.at {
		fn(f, at)
	}
}
