package keyspace

import (
	"fmt"
	"testing"

	"github.com/damselfly-db/damselfly/internal/value"
)

// TestProbationLifecycle: 2Q's probation bit is set on creation, kept by
// overwrites, compaction moves and hash packing/unpacking, and cleared by
// the first read (Find) only.
func TestProbationLifecycle(t *testing.T) {
	d, c := newDB()
	val := make([]byte, 200)
	for i := 0; i < 20_000; i++ {
		d.SetString([]byte(fmt.Sprint("k:", i)), val, 0, false)
	}
	for i := 0; i < 20_000; i += 2 {
		d.Find([]byte(fmt.Sprint("k:", i))) // even keys are read
	}
	for i := 0; i < 20_000; i += 4 {
		d.SetString([]byte(fmt.Sprint("k:", i)), val[:100], 0, false) // overwrites
	}
	for i := 1; i < 20_000; i += 3 {
		d.Delete([]byte(fmt.Sprint("k:", i))) // leave sparse pages
	}
	moved := 0
	for j := 0; j < 50; j++ {
		moved += d.Maintain(1<<16, 1<<20).Moved
	}
	if moved == 0 {
		t.Fatal("compaction moved nothing; the test does not exercise it")
	}
	for i := 0; i < 20_000; i++ {
		if i%3 == 1 {
			continue
		}
		r, ok := d.Peek([]byte(fmt.Sprint("k:", i)))
		if !ok {
			t.Fatalf("k:%d lost", i)
		}
		if want := i%2 == 1; d.Probation(r) != want {
			t.Fatalf("k:%d probation %v, want %v", i, d.Probation(r), want)
		}
	}

	lim := value.HashLimits{MaxEntries: 128, MaxValue: 64}
	h := value.NewHash()
	h.Set([]byte("f"), []byte("v"), lim)
	r := d.SetObject([]byte("h"), h, false)
	c.Ms += 2000
	if d.Maintain(1<<20, 0).Packed == 0 {
		t.Fatal("the idle hash was not packed")
	}
	if !d.Probation(r) {
		t.Fatal("packing cleared probation")
	}
	if r, ok := d.Find([]byte("h")); !ok || d.Probation(r) || d.Obj(r) == nil {
		t.Fatal("a read of a packed hash must unpack it and end its probation")
	}
}

// TestAccessOrderWithinSecond: eviction's oldest-first order (LRU, and 2Q
// among probation keys) tells apart keys written a tick apart within one
// second, while OBJECT IDLETIME's seconds stay Redis's.
func TestAccessOrderWithinSecond(t *testing.T) {
	d, c := newDB()
	c.Ms = 1_000_000_000_000 // a whole second
	a := d.SetString([]byte("a"), []byte("1"), 0, false)
	c.Ms += 100
	b := d.SetString([]byte("b"), []byte("1"), 0, false)
	c.Ms += 100
	if !(d.AccessTime(a) < d.AccessTime(b)) {
		t.Fatalf("access times %d, %d: not ordered within a second", d.AccessTime(a), d.AccessTime(b))
	}
	if idle := c.Ms - d.AccessTime(a); idle < 137 || idle > 200 {
		t.Fatalf("a idle %d ms, want ~200", idle)
	}
	if d.LRU(a) != uint32(c.Ms/1000)&lruMax {
		t.Fatalf("DEBUG OBJECT lru %d, want the seconds clock %d", d.LRU(a), uint32(c.Ms/1000)&lruMax)
	}
	c.Ms += 5000
	if idle := d.LRUIdleMs(a) / 1000; idle != 5 {
		t.Fatalf("lru_seconds_idle %d, want 5", idle)
	}
}

// TestExpiryListSwept: once the keys with a TTL are gone, the heartbeat's
// maintenance drops their stale slots from the expiry list, which
// sampling alone would never visit again.
func TestExpiryListSwept(t *testing.T) {
	d, c := newDB()
	for i := 0; i < 50_000; i++ {
		d.SetString([]byte(fmt.Sprint("t:", i)), []byte("v"), c.Ms+50, false)
	}
	c.Ms += 100
	for d.ExpiresLen() > 0 {
		d.ActiveExpire(20)
	}
	if d.exp.len() == 0 {
		t.Fatal("no stale slots left: the test does not exercise the sweep")
	}
	for j := 0; j < 20 && d.exp.len() > 0; j++ {
		d.Maintain(1<<16, 0)
	}
	if n := d.exp.len(); n != 0 {
		t.Fatalf("%d stale slots left in the expiry list", n)
	}
	r := d.SetString([]byte("again"), []byte("v"), c.Ms+1000, false)
	c.Ms += 2000
	if _, deleted := d.ActiveExpire(20); deleted != 1 || d.Len() != 0 {
		t.Fatalf("a key given a TTL after the sweep was not found by active expiry (deleted %d, ref %d)", deleted, r)
	}
}
