package value

import "sort"

// PEL is an ordered map from stream IDs to pending entries: a consumer
// group's pending entries list, or one consumer's share of it. It is a
// sorted list of small sorted chunks, so lookups are O(log n) and the
// usual pattern (IDs delivered in increasing order, acknowledged roughly
// in order) appends to the last chunk and empties the first.
type PEL struct {
	chunks []*pelChunk
	n      int
}

type pelChunk struct {
	ids []StreamID
	pe  []*PendingEntry
}

const pelChunkMax = 128

// PendingEntry is a delivered, not yet acknowledged entry (a "NACK").
type PendingEntry struct {
	DeliveryTime  int64 // unix ms of the last delivery
	DeliveryCount uint64
	Consumer      *Consumer
}

// Len is the number of entries.
func (p *PEL) Len() int { return p.n }

// chunkFor returns the index of the chunk that holds or would hold id.
func (p *PEL) chunkFor(id StreamID) int {
	i := sort.Search(len(p.chunks), func(i int) bool { return id.Less(p.chunks[i].ids[0]) }) - 1
	if i < 0 {
		i = 0
	}
	return i
}

// Get returns the entry for id.
func (p *PEL) Get(id StreamID) *PendingEntry {
	if p.n == 0 {
		return nil
	}
	c := p.chunks[p.chunkFor(id)]
	i := sort.Search(len(c.ids), func(i int) bool { return !c.ids[i].Less(id) })
	if i < len(c.ids) && c.ids[i] == id {
		return c.pe[i]
	}
	return nil
}

// Insert adds id with entry e unless id is present. It reports whether it
// added.
func (p *PEL) Insert(id StreamID, e *PendingEntry) bool {
	if p.n == 0 {
		p.chunks = append(p.chunks[:0], &pelChunk{ids: []StreamID{id}, pe: []*PendingEntry{e}})
		p.n = 1
		return true
	}
	ci := p.chunkFor(id)
	c := p.chunks[ci]
	i := sort.Search(len(c.ids), func(i int) bool { return !c.ids[i].Less(id) })
	if i < len(c.ids) && c.ids[i] == id {
		return false
	}
	if i == len(c.ids) {
		c.ids = append(c.ids, id)
		c.pe = append(c.pe, e)
	} else {
		c.ids = append(c.ids, StreamID{})
		copy(c.ids[i+1:], c.ids[i:])
		c.ids[i] = id
		c.pe = append(c.pe, nil)
		copy(c.pe[i+1:], c.pe[i:])
		c.pe[i] = e
	}
	p.n++
	if len(c.ids) > pelChunkMax {
		// Split; an append-only pattern leaves the left chunk full.
		h := len(c.ids) / 2
		if ci == len(p.chunks)-1 && i == len(c.ids)-1 {
			h = len(c.ids) - 1
		}
		r := &pelChunk{ids: append([]StreamID(nil), c.ids[h:]...), pe: append([]*PendingEntry(nil), c.pe[h:]...)}
		c.ids = append([]StreamID(nil), c.ids[:h]...)
		c.pe = append([]*PendingEntry(nil), c.pe[:h]...)
		p.chunks = append(p.chunks, nil)
		copy(p.chunks[ci+2:], p.chunks[ci+1:])
		p.chunks[ci+1] = r
	}
	return true
}

// Delete removes id and returns its entry, or nil.
func (p *PEL) Delete(id StreamID) *PendingEntry {
	if p.n == 0 {
		return nil
	}
	ci := p.chunkFor(id)
	c := p.chunks[ci]
	i := sort.Search(len(c.ids), func(i int) bool { return !c.ids[i].Less(id) })
	if i >= len(c.ids) || c.ids[i] != id {
		return nil
	}
	e := c.pe[i]
	if i == 0 {
		c.pe[0] = nil
		c.ids, c.pe = c.ids[1:], c.pe[1:]
	} else {
		copy(c.ids[i:], c.ids[i+1:])
		copy(c.pe[i:], c.pe[i+1:])
		c.ids = c.ids[:len(c.ids)-1]
		c.pe[len(c.pe)-1] = nil
		c.pe = c.pe[:len(c.pe)-1]
	}
	p.n--
	if len(c.ids) == 0 {
		copy(p.chunks[ci:], p.chunks[ci+1:])
		p.chunks[len(p.chunks)-1] = nil
		p.chunks = p.chunks[:len(p.chunks)-1]
	}
	return e
}

// Seek returns the first entry with ID >= id.
func (p *PEL) Seek(id StreamID) (StreamID, *PendingEntry, bool) {
	if p.n == 0 {
		return StreamID{}, nil, false
	}
	for ci := p.chunkFor(id); ci < len(p.chunks); ci++ {
		c := p.chunks[ci]
		i := sort.Search(len(c.ids), func(i int) bool { return !c.ids[i].Less(id) })
		if i < len(c.ids) {
			return c.ids[i], c.pe[i], true
		}
	}
	return StreamID{}, nil, false
}

// First and Last return the smallest and largest IDs.
func (p *PEL) First() (StreamID, bool) {
	if p.n == 0 {
		return StreamID{}, false
	}
	return p.chunks[0].ids[0], true
}

// Last returns the largest ID.
func (p *PEL) Last() (StreamID, bool) {
	if p.n == 0 {
		return StreamID{}, false
	}
	c := p.chunks[len(p.chunks)-1]
	return c.ids[len(c.ids)-1], true
}

// Ascend calls fn for each entry with ID >= from, in order, until fn
// returns false. fn must not change the PEL.
func (p *PEL) Ascend(from StreamID, fn func(id StreamID, e *PendingEntry) bool) {
	if p.n == 0 {
		return
	}
	ci := p.chunkFor(from)
	c := p.chunks[ci]
	i := sort.Search(len(c.ids), func(i int) bool { return !c.ids[i].Less(from) })
	for ; ci < len(p.chunks); ci, i = ci+1, 0 {
		c = p.chunks[ci]
		for ; i < len(c.ids); i++ {
			if !fn(c.ids[i], c.pe[i]) {
				return
			}
		}
	}
}
