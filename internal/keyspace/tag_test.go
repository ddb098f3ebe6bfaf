package keyspace

import (
	"fmt"
	"testing"
)

// TestTagCollisions puts keys whose hash tags and bucket bits are all
// equal into one table: the tag then says nothing, and lookups, overwrites
// and deletions must still tell the keys apart by comparing them.
func TestTagCollisions(t *testing.T) {
	d, _ := newDB()
	h0 := d.Hash([]byte("seed"))
	var same [][]byte
	for i := 0; len(same) < 12; i++ {
		k := []byte(fmt.Sprintf("k%d", i))
		if h := d.Hash(k); tagOf(h) == tagOf(h0) && h&0xff == h0&0xff {
			same = append(same, k)
		}
	}
	for i, k := range same {
		d.SetString(k, []byte(fmt.Sprint(i)), 0, false)
	}
	check := func(deleted map[int]bool) {
		t.Helper()
		for i, k := range same {
			r, ok := d.Find(k)
			if ok == deleted[i] {
				t.Fatalf("%s: found=%v, deleted=%v", k, ok, deleted[i])
			}
			if ok && string(d.Str(r)) != fmt.Sprint(i) {
				t.Fatalf("%s = %q, want %d", k, d.Str(r), i)
			}
		}
		if _, ok := d.Find([]byte("seed")); ok {
			t.Fatal("found a key never set whose tag matches")
		}
	}
	check(nil)
	deleted := map[int]bool{}
	for i := 0; i < len(same); i += 3 {
		if !d.Delete(same[i]) {
			t.Fatalf("delete %s", same[i])
		}
		deleted[i] = true
	}
	check(deleted)
	for i := 1; i < len(same); i += 3 {
		h := d.Hash(same[i])
		r, ok := d.FindHashed(same[i], h)
		if !ok {
			t.Fatalf("%s missing", same[i])
		}
		d.SetStringAt(r, same[i], h, []byte(fmt.Sprint(i)), 0, false)
	}
	check(deleted)
	if d.Len() != len(same)-len(deleted) {
		t.Fatalf("Len %d", d.Len())
	}
}
