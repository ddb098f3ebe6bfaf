package keyspace

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// keepSaver is a snapshot that holds on to the DB a FLUSHDB replaced.
type keepSaver struct{ old *DB }

func (s *keepSaver) Save(d *DB, r Ref)  {}
func (s *keepSaver) Cleared(d, old *DB) { s.old = old }

// TestPagePoolReturnsPagesAfterTheirHold: full-size pages come from the
// pool; pages emptied by deletes or FLUSHDB stay resident and unchanged
// for the rest of the hold that emptied them, go back to the pool (their
// memory released) in a later one, and are mapped again from the pool's
// free list rather than new address space. A FLUSHDB during a snapshot
// leaves the old pages to the snapshot, until it lets go of them.
func TestPagePoolReturnsPagesAfterTheirHold(t *testing.T) {
	if !offHeap {
		t.Skip("arena pages come from the Go heap on this system")
	}
	d, c := newDB()
	pool := c.Pages
	val := bytes.Repeat([]byte("v"), 1000)
	fill := func(prefix string, n int) {
		for i := 0; i < n; i++ {
			d.SetString([]byte(fmt.Sprint(prefix, i)), val, 0, false)
		}
	}
	const n = 30000 // ~30 MB: pages are full-size past 8 MB
	fill("key:", n)
	full := pool.Resident()
	if full < 16*maxPageSize || full > d.arena.bytes {
		t.Fatalf("pool holds %d bytes for an arena of %d", full, d.arena.bytes)
	}
	mapped := pool.Mapped()

	c.Holds++
	r, _ := d.Find([]byte("key:10"))
	keyView, valView := d.Key(r), d.Str(r)
	for i := 0; i < n; i++ {
		d.Delete([]byte(fmt.Sprint("key:", i)))
	}
	if pool.Resident() != full {
		t.Fatalf("pages went back to the pool in the hold that emptied them: %d of %d bytes left", pool.Resident(), full)
	}
	if keyView != "key:10" || !bytes.Equal(valView, val) {
		t.Fatalf("views changed within their hold: %q %.10q", keyView, valView)
	}
	c.Holds++
	d.Maintain(1024, 1<<20)
	if left := pool.Resident(); left > (maxPoolSpare+1)*maxPageSize {
		t.Fatalf("%d bytes still held after a later hold's maintenance", left)
	}

	fill("again:", n)
	if pool.Mapped() != mapped {
		t.Fatalf("refilling mapped new address space (%d bytes, was %d) instead of reusing returned pages", pool.Mapped(), mapped)
	}
	for i := 0; i < n; i += 997 {
		r, ok := d.Find([]byte(fmt.Sprint("again:", i)))
		if !ok || !bytes.Equal(d.Str(r), val) {
			t.Fatalf("again:%d damaged on a reused page", i)
		}
	}

	c.Holds++
	r, _ = d.Find([]byte("again:10"))
	valView = d.Str(r)
	d.Clear()
	if !bytes.Equal(valView, val) {
		t.Fatal("FLUSHDB changed a view within its hold")
	}
	c.Holds++
	d.Maintain(1024, 1<<20)
	if left := pool.Resident(); left > (maxPoolSpare+1)*maxPageSize {
		t.Fatalf("%d bytes still held after FLUSHDB and a later hold", left)
	}

	fill("snap:", n)
	held := pool.Resident()
	s := &keepSaver{}
	d.StartSnapshot(s, 0)
	d.Clear()
	c.Holds++
	d.Maintain(1024, 1<<20)
	if pool.Resident() < held {
		t.Fatalf("FLUSHDB under a snapshot returned pages the snapshot reads (%d of %d bytes left)", pool.Resident(), held)
	}
	if s.old == nil || s.old.Len() != n {
		t.Fatal("the snapshot did not get the old data")
	}
	s.old = nil
	for deadline := time.Now().Add(10 * time.Second); pool.Resident() > (maxPoolSpare+1)*maxPageSize; {
		if time.Now().After(deadline) {
			t.Fatalf("the snapshot's pages never went back to the pool: %d bytes held", pool.Resident())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
