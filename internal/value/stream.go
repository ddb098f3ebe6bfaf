package value

import (
	"bytes"
	"encoding/binary"
	"sort"

	"github.com/damselfly-db/damselfly/internal/digest"
)

// Stream is a Redis stream: entries ordered by ID, grouped into nodes the
// way Redis groups them into listpacks (so approximate trimming removes the
// same entries), plus consumer groups.
//
// A node holds up to stream-node-max-entries entries (live or deleted) and
// about stream-node-max-bytes of listpack. Deleting an entry (XDEL, exact
// trimming inside a node) only marks it, as in Redis; a node goes away
// when its last live entry does. Nodes sit in a slice ordered by their
// first ("master") ID: appends go to the last node, trims remove nodes from
// the front by reslicing, and lookups binary-search the slice and then the
// node, so range reads cost O(log n) plus the entries read.
//
// Inside a node an entry's fields are packed in one byte slice
// (uvarint-length-prefixed strings); entries whose field names equal the
// node's master fields store only their values.
type StreamValue struct {
	nodes        []*streamNode
	length       uint64
	lastID       StreamID
	firstID      StreamID // recorded-first-entry-id: 0-0 when empty
	maxDeletedID StreamID
	entriesAdded uint64
	groups       []*ConsumerGroup // sorted by name

	entryBytes int // memory held by nodes (Size)
}

// StreamLimits are the node size limits (stream-node-max-bytes and
// stream-node-max-entries); 0 means no limit.
type StreamLimits struct {
	MaxBytes   int64
	MaxEntries int64
}

// DefaultStreamLimits are Redis's defaults.
var DefaultStreamLimits = StreamLimits{MaxBytes: 4096, MaxEntries: 100}

// Entry flags, as in Redis's listpack entries.
const (
	streamEntryDeleted    = 1 << 0
	streamEntrySameFields = 1 << 1
)

type streamNode struct {
	master  StreamID
	ids     []StreamID
	offs    []uint32 // start of entry i in data
	flags   []uint8
	data    []byte // master fields, then entries
	mend    uint32 // end of the master fields in data
	nmaster int    // number of master fields
	live    int
	dead    int
	lpBytes int // size of the equivalent Redis listpack
}

const streamNodeOverhead = 160

func (n *streamNode) memBytes() int {
	return streamNodeOverhead + 16*cap(n.ids) + 4*cap(n.offs) + cap(n.flags) + cap(n.data)
}

func (n *streamNode) entryEnd(i int) uint32 {
	if i+1 < len(n.offs) {
		return n.offs[i+1]
	}
	return uint32(len(n.data))
}

// search returns the index of the first entry with ID >= id.
func (n *streamNode) search(id StreamID) int {
	return sort.Search(len(n.ids), func(i int) bool { return !n.ids[i].Less(id) })
}

// NewStream returns an empty stream.
func NewStream() *StreamValue { return &StreamValue{} }

// Kind implements Object.
func (s *StreamValue) Kind() Kind { return Stream }

// Encoding implements Object.
func (s *StreamValue) Encoding() string { return "stream" }

// Size implements Object.
func (s *StreamValue) Size() int {
	n := 96 + s.entryBytes + 8*cap(s.nodes)
	for _, g := range s.groups {
		n += g.bytes
	}
	return n
}

// Len is the number of entries.
func (s *StreamValue) Len() uint64 { return s.length }

// LastID is the last generated ID (last-generated-id).
func (s *StreamValue) LastID() StreamID { return s.lastID }

// FirstID is the recorded first entry ID, 0-0 when the stream is empty.
func (s *StreamValue) FirstID() StreamID { return s.firstID }

// MaxDeletedID is the largest ID ever deleted with XDEL.
func (s *StreamValue) MaxDeletedID() StreamID { return s.maxDeletedID }

// EntriesAdded counts the entries ever added.
func (s *StreamValue) EntriesAdded() uint64 { return s.entriesAdded }

// NumNodes is the number of nodes (XINFO's radix-tree-keys).
func (s *StreamValue) NumNodes() int { return len(s.nodes) }

// SetMeta overwrites the stream's metadata (XSETID; RDB loading).
func (s *StreamValue) SetMeta(last StreamID, entriesAdded uint64, maxDeleted StreamID) {
	s.lastID, s.entriesAdded, s.maxDeletedID = last, entriesAdded, maxDeleted
}

// SetLastID changes the last generated ID (XSETID).
func (s *StreamValue) SetLastID(id StreamID) { s.lastID = id }

// SetEntriesAdded changes the entries-added counter (XSETID).
func (s *StreamValue) SetEntriesAdded(n uint64) { s.entriesAdded = n }

// SetMaxDeletedID changes the largest deleted ID (XSETID).
func (s *StreamValue) SetMaxDeletedID(id StreamID) { s.maxDeletedID = id }

// NextID is the ID XADD * generates at time nowMs: the time, or the last
// ID's time with the next sequence when the clock has not moved past it.
// ok is false when the last ID is the largest possible.
func (s *StreamValue) NextID(nowMs uint64) (StreamID, bool) {
	if nowMs > s.lastID.Ms {
		return StreamID{nowMs, 0}, true
	}
	return s.lastID.Next()
}

// Append adds an entry with the given ID, which must be greater than
// LastID, and fields (field, value, field, value, ...).
func (s *StreamValue) Append(id StreamID, fv [][]byte, lim StreamLimits) {
	var tail *streamNode
	if len(s.nodes) > 0 {
		tail = s.nodes[len(s.nodes)-1]
	}
	if tail != nil {
		maxBytes := lim.MaxBytes
		if maxBytes <= 0 || maxBytes > streamListpackMaxSize {
			maxBytes = streamListpackMaxSize
		}
		total := 0
		for _, b := range fv {
			total += len(b)
		}
		if int64(tail.lpBytes+total) >= maxBytes ||
			(lim.MaxEntries > 0 && int64(tail.live+tail.dead) >= lim.MaxEntries) {
			s.shrinkNode(tail)
			tail = nil
		}
	}
	nf := len(fv) / 2
	before := 0
	if tail != nil {
		before = tail.memBytes()
	} else {
		tail = &streamNode{master: id, nmaster: nf}
		// count, deleted, num-fields, the fields, and the 0 terminator.
		tail.lpBytes = slpHeaderSize + slpEOFSize + slpIntSize(0) + slpIntSize(0) + slpIntSize(int64(nf)) + slpIntSize(0)
		for i := 0; i < nf; i++ {
			tail.data = streamAppendStr(tail.data, fv[2*i])
			tail.lpBytes += slpStrSize(fv[2*i])
		}
		tail.mend = uint32(len(tail.data))
		s.nodes = append(s.nodes, tail)
	}
	same := tail.sameFields(fv)
	flags := uint8(0)
	if same {
		flags = streamEntrySameFields
	}
	tail.setLive(tail.live + 1)
	tail.ids = append(tail.ids, id)
	tail.offs = append(tail.offs, uint32(len(tail.data)))
	tail.flags = append(tail.flags, flags)
	lp := slpIntSize(int64(flags)) + slpIntSize(int64(id.Ms-tail.master.Ms)) + slpIntSize(int64(id.Seq-tail.master.Seq))
	count := int64(nf + 3)
	if !same {
		tail.data = binary.AppendUvarint(tail.data, uint64(nf))
		lp += slpIntSize(int64(nf))
		count += int64(nf + 1)
	}
	for i := 0; i < nf; i++ {
		if !same {
			tail.data = streamAppendStr(tail.data, fv[2*i])
			lp += slpStrSize(fv[2*i])
		}
		tail.data = streamAppendStr(tail.data, fv[2*i+1])
		lp += slpStrSize(fv[2*i+1])
	}
	lp += slpIntSize(count)
	tail.lpBytes += lp
	s.entryBytes += tail.memBytes() - before
	s.length++
	s.entriesAdded++
	s.lastID = id
	if s.length == 1 {
		s.firstID = id
	}
}

// shrinkNode releases the spare capacity of a node that is full.
func (s *StreamValue) shrinkNode(n *streamNode) {
	before := n.memBytes()
	n.ids = append([]StreamID(nil), n.ids...)
	n.offs = append([]uint32(nil), n.offs...)
	n.flags = append([]uint8(nil), n.flags...)
	n.data = append([]byte(nil), n.data...)
	s.entryBytes += n.memBytes() - before
}

func streamAppendStr(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func streamReadStr(b []byte) (s, rest []byte) {
	l, n := binary.Uvarint(b)
	b = b[n:]
	return b[:l], b[l:]
}

// sameFields reports whether fv's field names equal the master fields.
func (n *streamNode) sameFields(fv [][]byte) bool {
	if len(fv)/2 != n.nmaster {
		return false
	}
	m := n.data[:n.mend]
	for i := 0; i < n.nmaster; i++ {
		var f []byte
		f, m = streamReadStr(m)
		if !bytes.Equal(f, fv[2*i]) {
			return false
		}
	}
	return true
}

// setLive and setDead change the node's counters, keeping the emulated
// listpack size in step with the re-encoded header integers.
func (n *streamNode) setLive(v int) {
	n.lpBytes += slpIntSize(int64(v)) - slpIntSize(int64(n.live))
	n.live = v
}

func (n *streamNode) setDead(v int) {
	n.lpBytes += slpIntSize(int64(v)) - slpIntSize(int64(n.dead))
	n.dead = v
}

// StreamEntry is a view of one entry, valid until the stream changes.
type StreamEntry struct {
	n *streamNode
	i int
}

// ID is the entry's ID.
func (e StreamEntry) ID() StreamID { return e.n.ids[e.i] }

// NumFields is the number of field/value pairs.
func (e StreamEntry) NumFields() int {
	if e.n.flags[e.i]&streamEntrySameFields != 0 {
		return e.n.nmaster
	}
	l, _ := binary.Uvarint(e.n.data[e.n.offs[e.i]:])
	return int(l)
}

// Fields appends the entry's fields and values, alternating, to dst. The
// slices point into the stream and must not be modified.
func (e StreamEntry) Fields(dst [][]byte) [][]byte {
	n := e.n
	b := n.data[n.offs[e.i]:n.entryEnd(e.i)]
	if n.flags[e.i]&streamEntrySameFields != 0 {
		m := n.data[:n.mend]
		for k := 0; k < n.nmaster; k++ {
			var f, v []byte
			f, m = streamReadStr(m)
			v, b = streamReadStr(b)
			dst = append(dst, f, v)
		}
		return dst
	}
	nf, k := binary.Uvarint(b)
	b = b[k:]
	for ; nf > 0; nf-- {
		var f, v []byte
		f, b = streamReadStr(b)
		v, b = streamReadStr(b)
		dst = append(dst, f, v)
	}
	return dst
}

// nodeFor returns the index of the last node whose master ID is <= id, or
// -1 when every node starts after id.
func (s *StreamValue) nodeFor(id StreamID) int {
	return sort.Search(len(s.nodes), func(i int) bool { return id.Less(s.nodes[i].master) }) - 1
}

// Range calls fn for each live entry with start <= ID <= end, in
// ascending order (descending when rev), until fn returns false.
func (s *StreamValue) Range(start, end StreamID, rev bool, fn func(e StreamEntry) bool) {
	if end.Less(start) || len(s.nodes) == 0 {
		return
	}
	if !rev {
		ni := s.nodeFor(start)
		if ni < 0 {
			ni = 0
		}
		for ; ni < len(s.nodes); ni++ {
			n := s.nodes[ni]
			for i := n.search(start); i < len(n.ids); i++ {
				if end.Less(n.ids[i]) {
					return
				}
				if n.flags[i]&streamEntryDeleted == 0 && !fn(StreamEntry{n, i}) {
					return
				}
			}
		}
		return
	}
	ni := s.nodeFor(end)
	for ; ni >= 0; ni-- {
		n := s.nodes[ni]
		i := n.search(end)
		if i < len(n.ids) && n.ids[i] == end {
			i++
		}
		for i--; i >= 0; i-- {
			if n.ids[i].Less(start) {
				return
			}
			if n.flags[i]&streamEntryDeleted == 0 && !fn(StreamEntry{n, i}) {
				return
			}
		}
	}
}

// Get returns the live entry with ID id.
func (s *StreamValue) Get(id StreamID) (StreamEntry, bool) {
	ni := s.nodeFor(id)
	if ni < 0 {
		return StreamEntry{}, false
	}
	n := s.nodes[ni]
	i := n.search(id)
	if i < len(n.ids) && n.ids[i] == id && n.flags[i]&streamEntryDeleted == 0 {
		return StreamEntry{n, i}, true
	}
	return StreamEntry{}, false
}

// Exists reports whether a live entry has ID id.
func (s *StreamValue) Exists(id StreamID) bool {
	_, ok := s.Get(id)
	return ok
}

// LastEntryID returns the ID of the last live entry.
func (s *StreamValue) LastEntryID() (StreamID, bool) {
	var id StreamID
	found := false
	s.Range(StreamID{}, MaxStreamID, true, func(e StreamEntry) bool {
		id, found = e.ID(), true
		return false
	})
	return id, found
}

// firstLiveID returns the ID of the first live entry.
func (s *StreamValue) firstLiveID() (StreamID, bool) {
	var id StreamID
	found := false
	s.Range(StreamID{}, MaxStreamID, false, func(e StreamEntry) bool {
		id, found = e.ID(), true
		return false
	})
	return id, found
}

// Delete marks the live entry id deleted (XDEL), dropping its node when it
// was the node's last live entry. It does not update the recorded first
// ID or the largest deleted ID: DeleteIDs does.
func (s *StreamValue) delete(id StreamID) bool {
	ni := s.nodeFor(id)
	if ni < 0 {
		return false
	}
	n := s.nodes[ni]
	i := n.search(id)
	if i >= len(n.ids) || n.ids[i] != id || n.flags[i]&streamEntryDeleted != 0 {
		return false
	}
	s.length--
	if n.live == 1 {
		s.removeNode(ni)
		return true
	}
	n.flags[i] |= streamEntryDeleted
	n.setLive(n.live - 1)
	n.setDead(n.dead + 1)
	return true
}

func (s *StreamValue) removeNode(ni int) {
	s.entryBytes -= s.nodes[ni].memBytes()
	if ni == 0 {
		s.nodes[0] = nil
		s.nodes = s.nodes[1:]
		return
	}
	copy(s.nodes[ni:], s.nodes[ni+1:])
	s.nodes[len(s.nodes)-1] = nil
	s.nodes = s.nodes[:len(s.nodes)-1]
}

// DeleteIDs deletes the entries with the given IDs (XDEL) and returns how
// many existed.
func (s *StreamValue) DeleteIDs(ids []StreamID) int {
	deleted := 0
	firstGone := false
	for _, id := range ids {
		if !s.delete(id) {
			continue
		}
		if id == s.firstID {
			firstGone = true
		}
		if s.maxDeletedID.Less(id) {
			s.maxDeletedID = id
		}
		deleted++
	}
	if deleted > 0 {
		if s.length == 0 {
			s.firstID = StreamID{}
		} else if firstGone {
			s.firstID, _ = s.firstLiveID()
		}
	}
	return deleted
}

// StreamTrimArgs describe a trim (XTRIM, XADD's MAXLEN/MINID).
type StreamTrimArgs struct {
	ByID   bool     // MINID; otherwise MAXLEN
	MaxLen uint64   // MAXLEN: keep at most this many entries
	MinID  StreamID // MINID: drop entries with smaller IDs
	Approx bool     // "~": remove whole nodes only
	Limit  int64    // with Approx: at most this many entries (0: no limit)
}

// Trim removes entries from the head of the stream as Redis's streamTrim
// does and returns how many it removed. An approximate trim removes only
// whole nodes; an exact one also marks entries of the first remaining node
// deleted.
func (s *StreamValue) Trim(a StreamTrimArgs) int64 {
	var deleted int64
	for len(s.nodes) > 0 {
		if !a.ByID && s.length <= a.MaxLen {
			break
		}
		n := s.nodes[0]
		entries := int64(n.live)
		if a.Limit > 0 && deleted+entries > a.Limit {
			break
		}
		var remove bool
		if !a.ByID {
			remove = s.length-uint64(entries) >= a.MaxLen
		} else {
			remove = n.ids[len(n.ids)-1].Less(a.MinID)
		}
		if remove {
			s.removeNode(0)
			s.length -= uint64(entries)
			deleted += entries
			continue
		}
		if a.Approx {
			break
		}
		var fromNode int
		for i := range n.ids {
			if !a.ByID {
				if s.length <= a.MaxLen {
					break
				}
			} else if !n.ids[i].Less(a.MinID) {
				break
			}
			if n.flags[i]&streamEntryDeleted == 0 {
				n.flags[i] |= streamEntryDeleted
				fromNode++
				s.length--
			}
		}
		deleted += int64(fromNode)
		n.setLive(n.live - fromNode)
		n.setDead(n.dead + fromNode)
		break
	}
	if s.length == 0 {
		s.firstID = StreamID{}
	} else if deleted > 0 {
		s.firstID, _ = s.firstLiveID()
	}
	return deleted
}

// RangeHasTombstones reports whether deleted entries may lie in
// [start, end] (Redis's streamRangeHasTombstones).
func (s *StreamValue) RangeHasTombstones(start, end StreamID) bool {
	if s.length == 0 || s.maxDeletedID.IsZero() {
		return false
	}
	if s.maxDeletedID.Less(s.firstID) {
		return false
	}
	return !s.maxDeletedID.Less(start) && !end.Less(s.maxDeletedID)
}

// EstimateDistance is the logical read counter of id: how many entries
// were added up to and including it, or -1 when that cannot be known
// (Redis's streamEstimateDistanceFromFirstEverEntry).
func (s *StreamValue) EstimateDistance(id StreamID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Cmp(s.lastID) < 1 {
		return int64(s.entriesAdded)
	}
	switch id.Cmp(s.lastID) {
	case 0:
		return int64(s.entriesAdded)
	case 1:
		return -1
	}
	if s.maxDeletedID.IsZero() || s.maxDeletedID.Less(s.firstID) {
		switch id.Cmp(s.firstID) {
		case -1:
			return int64(s.entriesAdded - s.length)
		case 0:
			return int64(s.entriesAdded - s.length + 1)
		}
	}
	return -1
}

// RadixTreeNodes is the number of nodes Redis's radix tree would have for
// this stream's node keys (XINFO STREAM's radix-tree-nodes): a compressed
// trie over the 16-byte big-endian master IDs, plus the root.
func (s *StreamValue) RadixTreeNodes() int {
	if len(s.nodes) == 0 {
		return 1
	}
	keys := make([][16]byte, len(s.nodes))
	for i, n := range s.nodes {
		keys[i] = n.master.key16()
	}
	return streamRaxCount(keys, 0)
}

// streamRaxCount counts the nodes of the subtree holding keys (sorted, distinct,
// all 16 bytes), starting at byte depth d: a compressed node for a shared
// run of bytes, a branching node where the keys differ, and an empty leaf
// where each key ends.
func streamRaxCount(keys [][16]byte, d int) int {
	if d == 16 {
		return 1
	}
	p := 0 // length of the common run from d
	if len(keys) == 1 {
		p = 16 - d
	} else {
		first, last := keys[0], keys[len(keys)-1]
		for d+p < 16 && first[d+p] == last[d+p] {
			p++
		}
	}
	if p > 0 {
		return 1 + streamRaxCount(keys, d+p)
	}
	n := 1 // branching node
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][d] == keys[i][d] {
			j++
		}
		n += streamRaxCount(keys[i:j], d+1)
		i = j
	}
	return n
}

// Clone implements Object.
func (s *StreamValue) Clone() Object {
	c := *s
	c.nodes = make([]*streamNode, len(s.nodes))
	for i, n := range s.nodes {
		nn := *n
		nn.ids = append([]StreamID(nil), n.ids...)
		nn.offs = append([]uint32(nil), n.offs...)
		nn.flags = append([]uint8(nil), n.flags...)
		nn.data = append([]byte(nil), n.data...)
		c.nodes[i] = &nn
	}
	c.entryBytes = 0
	for _, n := range c.nodes {
		c.entryBytes += n.memBytes()
	}
	c.groups = make([]*ConsumerGroup, len(s.groups))
	for i, g := range s.groups {
		c.groups[i] = g.clone()
	}
	return &c
}

// Digest implements digest.Digester with Redis's rule for streams: each
// entry's "<ms>.<seq>", then its fields and values, mixed in order.
// Consumer groups are not digested.
func (s *StreamValue) Digest(d *digest.Sum) {
	var buf []byte
	var fv [][]byte
	s.Range(StreamID{}, MaxStreamID, false, func(e StreamEntry) bool {
		id := e.ID()
		buf = buf[:0]
		buf = streamAppendUint(buf, id.Ms)
		buf = append(buf, '.')
		buf = streamAppendUint(buf, id.Seq)
		d.Mix(buf)
		fv = e.Fields(fv[:0])
		for _, b := range fv {
			d.Mix(b)
		}
		return true
	})
}

func streamAppendUint(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
