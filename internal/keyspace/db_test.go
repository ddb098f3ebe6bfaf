package keyspace

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// newDB returns a DB whose full-size arena pages come from a page pool
// outside the Go heap, as a shard's do.
func newDB() (*DB, *Clock) {
	c := &Clock{Ms: 1_000_000, Pages: NewPagePool()}
	return New(maphash.MakeSeed(), c), c
}

// newHeapDB returns a DB whose arena pages all come from the Go heap, as
// where the system maps none (pages_other.go).
func newHeapDB() (*DB, *Clock) {
	c := &Clock{Ms: 1_000_000}
	return New(maphash.MakeSeed(), c), c
}

// TestModel runs random operations against the table and a Go map.
func TestModel(t *testing.T) {
	d, _ := newDB()
	model := map[string]string{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200_000; i++ {
		k := fmt.Sprintf("k%d", rng.IntN(5000))
		switch rng.IntN(3) {
		case 0, 1:
			v := fmt.Sprint(i)
			d.SetString([]byte(k), []byte(v), 0, false)
			model[k] = v
		case 2:
			_, had := model[k]
			if got := d.Delete([]byte(k)); got != had {
				t.Fatalf("delete %s: %v want %v", k, got, had)
			}
			delete(model, k)
		}
		if d.Len() != len(model) {
			t.Fatalf("len %d want %d", d.Len(), len(model))
		}
	}
	for k, v := range model {
		r, ok := d.Find([]byte(k))
		if !ok || string(d.Str(r)) != v {
			t.Fatalf("find %s", k)
		}
	}
}

// TestScanGuarantee checks Redis's SCAN promise: a key present for the whole
// scan is returned, even while the table grows and shrinks under it.
func TestScanGuarantee(t *testing.T) {
	d, _ := newDB()
	for i := 0; i < 1000; i++ {
		d.SetString([]byte(fmt.Sprintf("stable%d", i)), []byte("v"), 0, false)
	}
	seen := map[string]bool{}
	cursor := uint64(0)
	step := 0
	for {
		cursor = d.Scan(cursor, func(r Ref) { seen[d.Key(r)] = true })
		// Churn: grow, then shrink, during the scan.
		step++
		if step < 50 {
			for j := 0; j < 200; j++ {
				d.SetString([]byte(fmt.Sprintf("tmp%d-%d", step, j)), []byte("v"), 0, false)
			}
		} else if step < 100 {
			for j := 0; j < 200; j++ {
				d.Delete([]byte(fmt.Sprintf("tmp%d-%d", step-49, j)))
			}
		}
		if cursor == 0 {
			break
		}
	}
	for i := 0; i < 1000; i++ {
		if !seen[fmt.Sprintf("stable%d", i)] {
			t.Fatalf("stable%d not returned by scan", i)
		}
	}
}

func TestExpiry(t *testing.T) {
	d, c := newDB()
	d.SetString([]byte("a"), []byte("1"), c.Ms+100, false)
	d.SetString([]byte("b"), []byte("1"), 0, false)
	if d.ExpiresLen() != 1 {
		t.Fatal("expires count")
	}
	c.Ms += 101
	if _, ok := d.Find([]byte("a")); ok {
		t.Fatal("a should be expired")
	}
	if d.Len() != 1 || d.ExpiresLen() != 0 || d.ExpiredKeys != 1 {
		t.Fatalf("after lazy expiry: len %d exp %d", d.Len(), d.ExpiresLen())
	}
	for i := 0; i < 100; i++ {
		d.SetString([]byte(fmt.Sprint(i)), []byte("x"), c.Ms+1, false)
	}
	c.Ms += 2
	total := 0
	for d.ExpiresLen() > 0 {
		_, n := d.ActiveExpire(20)
		total += n
	}
	if total != 100 || d.Len() != 1 {
		t.Fatalf("active expiry deleted %d, len %d", total, d.Len())
	}
}

func TestRandomRef(t *testing.T) {
	d, _ := newDB()
	if _, ok := d.RandomRef(); ok {
		t.Fatal("empty")
	}
	for i := 0; i < 10; i++ {
		d.SetString([]byte(fmt.Sprint(i)), []byte("x"), 0, false)
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		r, ok := d.RandomRef()
		if !ok {
			t.Fatal("no key")
		}
		seen[d.Key(r)] = true
	}
	if len(seen) != 10 {
		t.Fatalf("random saw %d of 10 keys", len(seen))
	}
}

func BenchmarkSetGet(b *testing.B) {
	d, _ := newDB()
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i))
	}
	val := make([]byte, 100)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[i&(len(keys)-1)]
		d.SetString(k, val, 0, false)
		d.Find(k)
		i++
	}
}
