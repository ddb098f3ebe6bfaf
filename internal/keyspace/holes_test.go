package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// walkAll checks that every page of d's arena parses record by record to
// exactly its written length (fillers included) and that the live bytes
// found through the entries match the pages' accounts.
func walkAll(t *testing.T, d *DB) {
	t.Helper()
	a := &d.arena
	for pi := range a.pages {
		p := &a.pages[pi]
		if p.buf == nil {
			continue
		}
		off, live := 0, 0
		for off < len(p.buf) {
			l := loc(uint32(pi)<<pageBits | uint32(off))
			size, key := a.walkRec(l)
			if size <= 0 || off+size > len(p.buf) {
				t.Fatalf("page %d: record at %d of size %d runs past %d", pi, off, size, len(p.buf))
			}
			if d.ownerOf(d.Hash(key), l) != noRef {
				live += size
			}
			off += size
		}
		if live != p.live {
			t.Fatalf("page %d: %d live bytes found, %d accounted", pi, live, p.live)
		}
	}
	// The hole file's counts: entries on dropped pages are the stale ones,
	// each page counts its own.
	stale, total := 0, 0
	perPage := map[uint32]uint32{}
	for _, hl := range a.holes {
		for _, h := range hl.h[hl.head:] {
			total++
			if p := &a.pages[h.l.page()]; p.buf == nil || p.gen != h.gen {
				stale++
			} else {
				perPage[h.l.page()]++
			}
		}
	}
	if total != a.nholes || stale != a.stale {
		t.Fatalf("hole file: %d entries (%d counted), %d stale (%d counted)", total, a.nholes, stale, a.stale)
	}
	for pi := range a.pages {
		if p := &a.pages[pi]; p.buf != nil && p.holes != perPage[uint32(pi)] {
			t.Fatalf("page %d counts %d holes, the file has %d", pi, p.holes, perPage[uint32(pi)])
		}
	}
}

// TestFiller: a filler of any size spans exactly its bytes and reads as a
// record with an empty key.
func TestFiller(t *testing.T) {
	for _, n := range []int{2, 3, 4, 100, 128, 129, 130, 131, 200, 16383, 16384, 16385, maxPageSize / 4} {
		a := arena{pages: []page{{buf: make([]byte, n)}}}
		writeFiller(a.pages[0].buf)
		size, key := a.walkRec(0)
		if size != n || len(key) != 0 {
			t.Fatalf("filler of %d bytes reads as a record of %d with a %d-byte key", n, size, len(key))
		}
	}
}

// TestHolesReusedByLaterWrites: records deleted in one hold leave holes
// that records of their size take in a later hold (the arena does not
// grow), never in the same hold (views stay unchanged), and smaller
// records leave fillers that compaction walks past.
func TestHolesReusedByLaterWrites(t *testing.T) {
	d, c := newDB()
	val := bytes.Repeat([]byte("v"), 1000)
	const n = 20000
	key := func(p string, i int) []byte { return []byte(fmt.Sprintf("%s:%06d", p, i)) }
	for i := 0; i < n; i++ {
		d.SetString(key("a", i), val, 0, false)
	}
	c.Holds++
	r, _ := d.Find(key("a", 0))
	view := d.Str(r)
	for i := 0; i < n; i += 2 {
		d.Delete(key("a", i))
	}
	reused := d.arena.holesReused
	other := bytes.Repeat([]byte("w"), 1000)
	for i := 0; i < 500; i++ {
		d.SetString(key("b", i), other, 0, false)
	}
	if !bytes.Equal(view, val) {
		t.Fatal("a hole was reused in the hold that made it")
	}
	if d.arena.holesReused != reused {
		t.Fatal("writes in the deleting hold took holes")
	}
	c.Holds++
	before := d.arena.bytes
	for i := 500; i < n/2; i++ {
		d.SetString(key("b", i), other, 0, false)
	}
	if d.arena.bytes != before {
		t.Fatalf("same-size records did not fill the holes: arena %d -> %d bytes", before, d.arena.bytes)
	}
	// Left: the 500 holes the first writes did not take, and the current
	// page's unwritten tail.
	if dead := d.DeadBytes(); dead > 500*1100+maxPageSize {
		t.Fatalf("%d dead bytes left after refilling the holes", dead)
	}
	walkAll(t, d)

	// Smaller records: each takes a hole and leaves a filler.
	c.Holds++
	for i := 0; i < n/2; i++ {
		d.Delete(key("b", i))
	}
	c.Holds++
	for i := 0; i < n/2; i++ {
		d.SetString(key("c", i), val[:900+i%90], 0, false)
	}
	walkAll(t, d)
	// Records one byte smaller than the holes (a key a character
	// shorter) pad their value length to fill them; overwriting one in
	// place keeps the padding readable.
	c.Holds++
	for i := 0; i < 2000; i++ {
		d.Delete(key("c", i))
	}
	c.Holds++
	reused = d.arena.holesReused
	for i := 0; i < 2000; i++ {
		d.SetString([]byte(fmt.Sprintf("e:%05d", i)), val[:900+i%90], 0, false)
	}
	if d.arena.holesReused-reused < 1900 {
		t.Fatalf("only %d of 2000 records one byte smaller took the holes", d.arena.holesReused-reused)
	}
	walkAll(t, d)
	for i := 0; i < 2000; i += 3 {
		d.SetString([]byte(fmt.Sprintf("e:%05d", i)), bytes.Repeat([]byte("z"), 900+i%90), 0, false)
	}
	for i := 0; i < 2000; i++ {
		want := val[:900+i%90]
		if i%3 == 0 {
			want = bytes.Repeat([]byte("z"), 900+i%90)
		}
		if r, ok := d.Find([]byte(fmt.Sprintf("e:%05d", i))); !ok || !bytes.Equal(d.Str(r), want) {
			t.Fatalf("e:%05d damaged", i)
		}
	}
	walkAll(t, d)
	d.SetCompactTight(true)
	for k := 0; k < 1000; k++ {
		if !d.Maintain(1<<20, 1<<30).Compacting && k > 0 {
			break
		}
	}
	walkAll(t, d)
	for i := 1; i < n; i += 2 {
		if r, ok := d.Find(key("a", i)); !ok || !bytes.Equal(d.Str(r), val) {
			t.Fatalf("a:%d damaged", i)
		}
	}
	for i := 2000; i < n/2; i++ {
		if r, ok := d.Find(key("c", i)); !ok || !bytes.Equal(d.Str(r), val[:900+i%90]) {
			t.Fatalf("c:%d damaged", i)
		}
	}
}

// TestModelHolesAndCompaction runs random writes of varied sizes, with and
// without expiries, deletes, holds and compaction against a Go map, and
// walks every page between rounds.
func TestModelHolesAndCompaction(t *testing.T) {
	d, c := newDB()
	d.SetCompactTight(true)
	model := map[string]string{}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 150_000; i++ {
		k := fmt.Sprintf("k%d", rng.IntN(8000))
		switch rng.IntN(5) {
		case 0, 1, 2:
			v := bytes.Repeat([]byte{byte('a' + i%26)}, 16+rng.IntN(2000))
			exp := int64(0)
			if rng.IntN(4) == 0 {
				exp = c.Ms + 1_000_000
			}
			d.SetString([]byte(k), v, exp, false)
			model[k] = string(v)
		case 3:
			d.Delete([]byte(k))
			delete(model, k)
		case 4:
			if rng.IntN(50) == 0 {
				d.Maintain(256, 64<<10)
			}
		}
		if rng.IntN(20) == 0 {
			c.Holds++
		}
		if i%25000 == 0 {
			walkAll(t, d)
		}
	}
	walkAll(t, d)
	if d.Len() != len(model) {
		t.Fatalf("len %d want %d", d.Len(), len(model))
	}
	for k, v := range model {
		if r, ok := d.Find([]byte(k)); !ok || string(d.Str(r)) != v {
			t.Fatalf("%s damaged", k)
		}
	}
	if d.arena.holesReused < 1000 {
		t.Fatalf("only %d records went into holes", d.arena.holesReused)
	}
}

// TestStaleHolesPurged: holes left on pages that were dropped since (a
// burst of deletes emptying whole pages, as a TTL churn's expiry does) are
// purged from the hole file by maintenance, with the file's memory.
func TestStaleHolesPurged(t *testing.T) {
	d, c := newDB()
	val := bytes.Repeat([]byte("t"), 100)
	const n = 200000
	key := func(i int) []byte { return []byte(fmt.Sprintf("ttl:%07d", i)) }
	for i := 0; i < n; i++ {
		d.SetString(key(i), val, 0, false)
	}
	c.Holds++
	for i := 0; i < n; i += 2 {
		d.Delete(key(i)) // holes on every page
	}
	filed, fileBytes := d.arena.nholes, d.arena.holeBytes
	if filed < 50000 {
		t.Fatalf("only %d holes filed", filed)
	}
	for i := 1; i < n; i += 2 {
		d.Delete(key(i)) // the pages empty and drop: their holes go stale
	}
	if d.arena.stale < filed/2 {
		t.Fatalf("%d stale holes counted of %d filed", d.arena.stale, filed)
	}
	c.Holds++
	d.Maintain(1024, 1<<20)
	if d.arena.nholes != 0 || d.arena.stale != 0 {
		t.Fatalf("after maintenance %d holes filed, %d stale", d.arena.nholes, d.arena.stale)
	}
	if d.arena.holeBytes > fileBytes/10 {
		t.Fatalf("the hole file still takes %d bytes (%d with %d holes)", d.arena.holeBytes, fileBytes, filed)
	}
	// The arena still works: new records, holes, reuse.
	for i := 0; i < 1000; i++ {
		d.SetString(key(i), val, 0, false)
	}
	walkAll(t, d)
}
