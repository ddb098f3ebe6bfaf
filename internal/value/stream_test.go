package value

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/damselfly-db/damselfly/internal/digest"
)

type streamModelEntry struct {
	id StreamID
	fv [][]byte
}

// streamCheck compares s with the model and checks the node invariants.
func streamCheck(t *testing.T, s *StreamValue, model []streamModelEntry) {
	t.Helper()
	if s.Len() != uint64(len(model)) {
		t.Fatalf("Len = %d, model %d", s.Len(), len(model))
	}
	i := 0
	var fv [][]byte
	s.Range(StreamID{}, MaxStreamID, false, func(e StreamEntry) bool {
		if i >= len(model) || e.ID() != model[i].id {
			t.Fatalf("entry %d: %v, model %v", i, e.ID(), model[i].id)
		}
		fv = e.Fields(fv[:0])
		if len(fv) != len(model[i].fv) || e.NumFields()*2 != len(fv) {
			t.Fatalf("entry %v: %d fields, model %d", e.ID(), len(fv), len(model[i].fv))
		}
		for k := range fv {
			if !bytes.Equal(fv[k], model[i].fv[k]) {
				t.Fatalf("entry %v field %d: %q, model %q", e.ID(), k, fv[k], model[i].fv[k])
			}
		}
		i++
		return true
	})
	if i != len(model) {
		t.Fatalf("iterated %d entries, model %d", i, len(model))
	}
	if len(model) > 0 {
		if s.FirstID() != model[0].id {
			t.Fatalf("FirstID %v, model %v", s.FirstID(), model[0].id)
		}
		if last, ok := s.LastEntryID(); !ok || last != model[len(model)-1].id {
			t.Fatalf("LastEntryID %v %v, model %v", last, ok, model[len(model)-1].id)
		}
	} else if !s.FirstID().IsZero() {
		t.Fatalf("FirstID of an empty stream: %v", s.FirstID())
	}
	total, bytes := 0, 0
	for ni, n := range s.nodes {
		if len(n.ids) == 0 || n.ids[0] != n.master {
			t.Fatalf("node %d: master %v, first id %v", ni, n.master, n.ids)
		}
		if ni > 0 && !s.nodes[ni-1].ids[len(s.nodes[ni-1].ids)-1].Less(n.master) {
			t.Fatalf("node %d overlaps the previous one", ni)
		}
		live := 0
		for k := range n.ids {
			if k > 0 && !n.ids[k-1].Less(n.ids[k]) {
				t.Fatalf("node %d: ids out of order", ni)
			}
			if n.flags[k]&streamEntryDeleted == 0 {
				live++
			}
		}
		if live != n.live || n.live+n.dead != len(n.ids) {
			t.Fatalf("node %d: live %d dead %d, %d ids with %d live", ni, n.live, n.dead, len(n.ids), live)
		}
		if lp := streamNodeListpackSize(n); lp != n.lpBytes {
			t.Fatalf("node %d: lpBytes %d, recomputed %d", ni, n.lpBytes, lp)
		}
		total += live
		bytes += n.memBytes()
	}
	if uint64(total) != s.Len() {
		t.Fatalf("nodes hold %d live entries, Len %d", total, s.Len())
	}
	if bytes != s.entryBytes {
		t.Fatalf("entryBytes %d, nodes %d", s.entryBytes, bytes)
	}
}

// streamNodeListpackSize recomputes a node's Redis listpack size from its
// contents.
func streamNodeListpackSize(n *streamNode) int {
	size := slpHeaderSize + slpEOFSize + slpIntSize(int64(n.live)) + slpIntSize(int64(n.dead)) + slpIntSize(int64(n.nmaster)) + slpIntSize(0)
	m := n.data[:n.mend]
	for k := 0; k < n.nmaster; k++ {
		var f []byte
		f, m = streamReadStr(m)
		size += slpStrSize(f)
	}
	var fv [][]byte
	for i := range n.ids {
		e := StreamEntry{n, i}
		fv = e.Fields(fv[:0])
		nf := len(fv) / 2
		same := n.flags[i]&streamEntrySameFields != 0
		size += slpIntSize(int64(n.flags[i])) + slpIntSize(int64(n.ids[i].Ms-n.master.Ms)) + slpIntSize(int64(n.ids[i].Seq-n.master.Seq))
		count := nf + 3
		if !same {
			size += slpIntSize(int64(nf))
			count += nf + 1
		}
		for k := 0; k < nf; k++ {
			if !same {
				size += slpStrSize(fv[2*k])
			}
			size += slpStrSize(fv[2*k+1])
		}
		size += slpIntSize(int64(count))
	}
	return size
}

func streamRandFields(rng *rand.Rand) [][]byte {
	nf := 1 + rng.Intn(3)
	fv := make([][]byte, 0, 2*nf)
	for i := 0; i < nf; i++ {
		f := []byte(fmt.Sprintf("f%d", rng.Intn(3)))
		var v []byte
		switch rng.Intn(4) {
		case 0:
			v = []byte(fmt.Sprint(rng.Int63n(1 << uint(rng.Intn(63)))))
		case 1:
			v = nil
		default:
			v = bytes.Repeat([]byte{'a' + byte(rng.Intn(26))}, rng.Intn(300))
		}
		fv = append(fv, f, v)
	}
	return fv
}

// TestStreamModel runs random appends, deletions, trims and range reads
// against a sorted-slice model.
func TestStreamModel(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		lim := StreamLimits{MaxBytes: []int64{4096, 200, 0, 1 << 20}[seed%4], MaxEntries: []int64{100, 3, 0, 10}[seed%4]}
		s := NewStream()
		var model []streamModelEntry
		var now uint64 = 1000
		for op := 0; op < 3000; op++ {
			switch r := rng.Intn(100); {
			case r < 60:
				now += uint64(rng.Intn(2))
				id, ok := s.NextID(now)
				if !ok {
					t.Fatal("NextID exhausted")
				}
				if rng.Intn(10) == 0 {
					id = StreamID{id.Ms + uint64(rng.Intn(5)), uint64(rng.Intn(3))}
					if !s.LastID().Less(id) {
						continue
					}
				}
				fv := streamRandFields(rng)
				s.Append(id, fv, lim)
				model = append(model, streamModelEntry{id, fv})
			case r < 75 && len(model) > 0:
				var ids []StreamID
				for k := 0; k < 1+rng.Intn(4); k++ {
					if rng.Intn(4) == 0 {
						ids = append(ids, StreamID{now, uint64(rng.Intn(100))})
					} else {
						ids = append(ids, model[rng.Intn(len(model))].id)
					}
				}
				want := 0
				for _, id := range ids {
					for k := range model {
						if model[k].id == id {
							model = append(model[:k], model[k+1:]...)
							want++
							break
						}
					}
				}
				if got := s.DeleteIDs(ids); got != want {
					t.Fatalf("DeleteIDs(%v) = %d, want %d", ids, got, want)
				}
			case r < 85:
				a := StreamTrimArgs{Approx: rng.Intn(2) == 0}
				if rng.Intn(2) == 0 {
					a.MaxLen = uint64(rng.Intn(len(model) + 2))
				} else {
					a.ByID = true
					if len(model) > 0 {
						a.MinID = model[rng.Intn(len(model))].id
					}
				}
				if a.Approx && rng.Intn(2) == 0 {
					a.Limit = int64(rng.Intn(50))
				}
				before := len(model)
				n := s.Trim(a)
				if n < 0 || int(n) > before {
					t.Fatalf("Trim removed %d of %d", n, before)
				}
				model = model[n:]
				if !a.Approx {
					if !a.ByID && uint64(len(model)) > a.MaxLen {
						t.Fatalf("exact MAXLEN %d left %d", a.MaxLen, len(model))
					}
					if a.ByID && len(model) > 0 && model[0].id.Less(a.MinID) {
						t.Fatalf("exact MINID %v left %v", a.MinID, model[0].id)
					}
				}
				if !a.ByID && before >= int(a.MaxLen) && len(model) < int(a.MaxLen) {
					t.Fatalf("MAXLEN %d trimmed too much: %d left", a.MaxLen, len(model))
				}
			default:
				if len(model) == 0 {
					continue
				}
				lo, hi := model[rng.Intn(len(model))].id, model[rng.Intn(len(model))].id
				if rng.Intn(3) == 0 {
					lo = StreamID{lo.Ms, lo.Seq + 1}
				}
				rev := rng.Intn(2) == 0
				count := rng.Intn(10)
				var want []StreamID
				for _, m := range model {
					if !m.id.Less(lo) && !hi.Less(m.id) {
						want = append(want, m.id)
					}
				}
				if rev {
					for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
						want[i], want[j] = want[j], want[i]
					}
				}
				if count > 0 && len(want) > count {
					want = want[:count]
				}
				var got []StreamID
				s.Range(lo, hi, rev, func(e StreamEntry) bool {
					got = append(got, e.ID())
					return count == 0 || len(got) < count
				})
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("Range(%v, %v, rev %v, count %d) = %v, want %v", lo, hi, rev, count, got, want)
				}
				for _, m := range model[:min(3, len(model))] {
					if e, ok := s.Get(m.id); !ok || e.ID() != m.id {
						t.Fatalf("Get(%v) failed", m.id)
					}
				}
			}
			if op%100 == 0 {
				streamCheck(t, s, model)
			}
		}
		streamCheck(t, s, model)
		c := s.Clone().(*StreamValue)
		streamCheck(t, c, model)
		var d1, d2 digest.Sum
		s.Digest(&d1)
		c.Digest(&d2)
		if d1 != d2 {
			t.Fatal("clone digests differently")
		}
		if len(model) > 0 {
			c.DeleteIDs([]StreamID{model[0].id})
			streamCheck(t, s, model) // the original is untouched
		}
	}
}

func TestStreamNodeBoundaries(t *testing.T) {
	s := NewStream()
	lim := StreamLimits{MaxEntries: 3}
	for i := uint64(1); i <= 10; i++ {
		s.Append(StreamID{i, 0}, [][]byte{[]byte("f"), []byte("v")}, lim)
	}
	if s.NumNodes() != 4 {
		t.Fatalf("nodes = %d, want 4", s.NumNodes())
	}
	// MAXLEN ~ 5 removes whole nodes while at least 5 entries remain.
	if n := s.Trim(StreamTrimArgs{MaxLen: 5, Approx: true}); n != 3 {
		t.Fatalf("approx trim removed %d, want 3", n)
	}
	// An exact trim marks entries inside the first node.
	if n := s.Trim(StreamTrimArgs{MaxLen: 5}); n != 2 {
		t.Fatalf("exact trim removed %d, want 2", n)
	}
	if s.NumNodes() != 3 || s.FirstID() != (StreamID{6, 0}) {
		t.Fatalf("nodes %d, first %v", s.NumNodes(), s.FirstID())
	}
}

func TestStreamRadixTreeNodes(t *testing.T) {
	for _, tc := range []struct {
		masters []StreamID
		want    int
	}{
		{nil, 1},
		{[]StreamID{{1, 0}}, 2},
		{[]StreamID{{1, 0}, {101, 0}, {201, 0}}, 8},
		{[]StreamID{{1, 0}, {1, 1}}, 4},
	} {
		s := NewStream()
		for _, m := range tc.masters {
			s.nodes = append(s.nodes, &streamNode{master: m, ids: []StreamID{m}})
		}
		if got := s.RadixTreeNodes(); got != tc.want {
			t.Errorf("%v: %d nodes, want %d", tc.masters, got, tc.want)
		}
	}
}

func TestParseStreamID(t *testing.T) {
	for _, tc := range []struct {
		in              string
		missing         uint64
		strict, autoSeq bool
		want            StreamID
		seqGiven, ok    bool
	}{
		{"1-2", 0, true, false, StreamID{1, 2}, true, true},
		{"5", 0, true, false, StreamID{5, 0}, true, true},
		{"5", math.MaxUint64, false, false, StreamID{5, math.MaxUint64}, true, true},
		{"-", 0, false, false, StreamID{}, true, true},
		{"+", 0, false, false, MaxStreamID, true, true},
		{"-", 0, true, false, StreamID{}, false, false},
		{"+", 0, true, false, StreamID{}, false, false},
		{"5-*", 0, true, true, StreamID{5, 0}, false, true},
		{"5-*", 0, true, false, StreamID{}, false, false},
		{"18446744073709551615-18446744073709551615", 0, true, false, MaxStreamID, true, true},
		{"18446744073709551616-0", 0, true, false, StreamID{}, false, false},
		{"-1", 0, true, false, StreamID{}, false, false},
		{"1--1", 0, true, false, StreamID{}, false, false},
		{"1--01", 0, true, false, StreamID{1, math.MaxUint64}, true, true},
		{" 7-+1", 0, true, false, StreamID{7, 1}, true, true},
		{"010", 0, true, false, StreamID{10, 0}, true, true},
		{"", 0, true, false, StreamID{}, false, false},
		{"1-", 0, true, false, StreamID{}, false, false},
		{"1-2-3", 0, true, false, StreamID{}, false, false},
		{"1-2\x00junk", 0, true, false, StreamID{1, 2}, true, true},
		{"0x10", 0, true, false, StreamID{}, false, false},
	} {
		id, seqGiven, ok := ParseStreamID([]byte(tc.in), tc.missing, tc.strict, tc.autoSeq)
		if ok != tc.ok || (ok && (id != tc.want || seqGiven != tc.seqGiven)) {
			t.Errorf("ParseStreamID(%q) = %v %v %v, want %v %v %v", tc.in, id, seqGiven, ok, tc.want, tc.seqGiven, tc.ok)
		}
	}
}

func TestStreamIDNextPrev(t *testing.T) {
	if id, ok := (StreamID{1, math.MaxUint64}).Next(); !ok || id != (StreamID{2, 0}) {
		t.Fatal(id, ok)
	}
	if _, ok := MaxStreamID.Next(); ok {
		t.Fatal("Next of the largest ID")
	}
	if id, ok := (StreamID{2, 0}).Prev(); !ok || id != (StreamID{1, math.MaxUint64}) {
		t.Fatal(id, ok)
	}
	if _, ok := (StreamID{}).Prev(); ok {
		t.Fatal("Prev of 0-0")
	}
}

// TestPELModel checks the PEL against a map.
func TestPELModel(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var p PEL
	model := map[StreamID]*PendingEntry{}
	for op := 0; op < 20000; op++ {
		id := StreamID{uint64(rng.Intn(2000)), uint64(rng.Intn(3))}
		if rng.Intn(3) == 0 {
			id = StreamID{uint64(op), 0} // mostly increasing, like deliveries
		}
		switch rng.Intn(4) {
		case 0, 1:
			e := &PendingEntry{DeliveryCount: uint64(op)}
			_, had := model[id]
			if p.Insert(id, e) == had {
				t.Fatalf("Insert(%v) with had=%v", id, had)
			}
			if !had {
				model[id] = e
			}
		case 2:
			e := p.Delete(id)
			if e != model[id] {
				t.Fatalf("Delete(%v) = %v, want %v", id, e, model[id])
			}
			delete(model, id)
		case 3:
			if p.Get(id) != model[id] {
				t.Fatalf("Get(%v)", id)
			}
			sid, _, ok := p.Seek(id)
			var want StreamID
			found := false
			for k := range model {
				if !k.Less(id) && (!found || k.Less(want)) {
					want, found = k, true
				}
			}
			if ok != found || (ok && sid != want) {
				t.Fatalf("Seek(%v) = %v %v, want %v %v", id, sid, ok, want, found)
			}
		}
		if p.Len() != len(model) {
			t.Fatalf("Len %d, model %d", p.Len(), len(model))
		}
	}
	var keys []StreamID
	for k := range model {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	var got []StreamID
	p.Ascend(StreamID{}, func(id StreamID, e *PendingEntry) bool {
		if model[id] != e {
			t.Fatalf("Ascend: %v has the wrong entry", id)
		}
		got = append(got, id)
		return true
	})
	if fmt.Sprint(got) != fmt.Sprint(keys) {
		t.Fatal("Ascend order differs")
	}
	if f, _ := p.First(); len(keys) > 0 && f != keys[0] {
		t.Fatal("First")
	}
	if l, _ := p.Last(); len(keys) > 0 && l != keys[len(keys)-1] {
		t.Fatal("Last")
	}
}

// groupCheck checks that the group PEL and the consumers' PELs agree.
func groupCheck(t *testing.T, g *ConsumerGroup) {
	t.Helper()
	n := 0
	for _, c := range g.Consumers() {
		c.PEL().Ascend(StreamID{}, func(id StreamID, pe *PendingEntry) bool {
			if g.PEL().Get(id) != pe || pe.Consumer != c {
				t.Fatalf("consumer %s: %v not owned in the group PEL", c.Name(), id)
			}
			n++
			return true
		})
	}
	if n != g.PEL().Len() {
		t.Fatalf("consumers hold %d entries, the group %d", n, g.PEL().Len())
	}
}

func TestStreamGroups(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	s := NewStream()
	for i := uint64(1); i <= 200; i++ {
		s.Append(StreamID{i, 0}, [][]byte{[]byte("f"), []byte("v")}, DefaultStreamLimits)
	}
	if s.CreateGroup([]byte("g"), StreamID{}, -1) == nil || s.CreateGroup([]byte("g"), StreamID{}, -1) != nil {
		t.Fatal("CreateGroup")
	}
	s.CreateGroup([]byte("a"), StreamID{}, 0)
	if s.Groups()[0].Name() != "a" {
		t.Fatal("groups not sorted")
	}
	g := s.Group([]byte("g"))
	names := []string{"c3", "c1", "c2"}
	for op := 0; op < 5000; op++ {
		c, _ := g.LookupOrCreateConsumer([]byte(names[rng.Intn(3)]), int64(op))
		id := StreamID{uint64(1 + rng.Intn(200)), 0}
		switch rng.Intn(5) {
		case 0, 1:
			s.Deliver(g, id, c, rng.Intn(10) == 0, int64(op))
		case 2:
			g.Ack(id)
		case 3:
			if pe := g.PEL().Get(id); pe != nil {
				g.Transfer(id, pe, c)
			} else {
				g.Transfer(id, g.AddPending(id, int64(op)), c)
			}
		case 4:
			if rng.Intn(50) == 0 {
				g.DeleteConsumer(c)
			}
		}
		groupCheck(t, g)
	}
	if g.LastID != (StreamID{200, 0}) {
		t.Fatalf("LastID %v", g.LastID)
	}
	c := s.Clone().(*StreamValue)
	groupCheck(t, c.Group([]byte("g")))
	if c.Group([]byte("g")).PEL().Len() != g.PEL().Len() {
		t.Fatal("clone lost pending entries")
	}
	if !s.DestroyGroup([]byte("g")) || s.DestroyGroup([]byte("g")) || s.Group([]byte("g")) != nil {
		t.Fatal("DestroyGroup")
	}
	if c.Group([]byte("g")) == nil {
		t.Fatal("destroying a group changed the clone")
	}
}

func TestStreamLagAndReadCounter(t *testing.T) {
	s := NewStream()
	for i := uint64(1); i <= 3; i++ {
		s.Append(StreamID{i, 0}, [][]byte{[]byte("f"), []byte("v")}, DefaultStreamLimits)
	}
	g := s.CreateGroup([]byte("g"), StreamID{}, -1)
	c, _ := g.LookupOrCreateConsumer([]byte("c"), 0)
	if lag, ok := s.Lag(g); !ok || lag != 3 {
		t.Fatalf("lag %d %v", lag, ok)
	}
	s.Deliver(g, StreamID{1, 0}, c, false, 0)
	if g.EntriesRead != 1 {
		t.Fatalf("entries read %d", g.EntriesRead)
	}
	s.DeleteIDs([]StreamID{{2, 0}})
	if _, ok := s.Lag(g); ok {
		t.Fatal("lag known across a deletion")
	}
	// As in Redis, the counter keeps counting from its last valid value:
	// the deleted entry is still counted as unread.
	s.Deliver(g, StreamID{3, 0}, c, false, 0)
	if lag, ok := s.Lag(g); !ok || lag != 1 || g.EntriesRead != 2 {
		t.Fatalf("lag %d %v, entries read %d", lag, ok, g.EntriesRead)
	}
}
