package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// collectSaver records what a snapshot saves, by key, counting repeats.
type collectSaver struct {
	got  map[string]string
	dups int
}

func (s *collectSaver) Save(d *DB, r Ref)  { s.add(d, r) }
func (s *collectSaver) Cleared(d, old *DB) {}

func (s *collectSaver) add(d *DB, r Ref) {
	k := d.Key(r)
	if _, dup := s.got[k]; dup {
		s.dups++
	}
	s.got[k] = string(d.Str(r))
}

// TestSnapshotExactUnderCompaction walks a snapshot in small chunks while
// writes, deletes and arena compaction run between the chunks: the saved
// set must be exactly the data at the start, each key once.
func TestSnapshotExactUnderCompaction(t *testing.T) {
	d, c := newDB()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 30_000; i++ {
		d.SetString([]byte(fmt.Sprint("key:", i)), []byte(fmt.Sprint("v", i)), 0, false)
	}
	for i := 0; i < 30_000; i += 2 {
		d.Delete([]byte(fmt.Sprint("key:", i))) // sparse pages for compaction
	}
	want := map[string]string{}
	d.Each(func(r Ref) bool { want[d.Key(r)] = string(d.Str(r)); return true })
	s := &collectSaver{got: map[string]string{}}
	d.StartSnapshot(s, 0)
	moved := 0
	for !d.SnapshotWalk(200, func(r Ref) bool { s.add(d, r); return true }) {
		for j := 0; j < 50; j++ {
			k := []byte(fmt.Sprint("key:", rng.IntN(40_000)))
			switch rng.IntN(4) {
			case 0:
				d.Delete(k)
			case 1:
				d.SetString(k, []byte(fmt.Sprint("new", j)), 0, false)
			case 2:
				if r, ok := d.Find(k); ok {
					d.AppendString(r, []byte("+"))
				}
			case 3:
				if r, ok := d.Find(k); ok {
					d.SetExpireAt(r, c.Ms+1_000_000)
				}
			}
		}
		moved += d.Maintain(2000, 8<<10).Moved
	}
	d.EndSnapshot()
	if moved == 0 {
		t.Fatal("compaction never ran during the walk")
	}
	if s.dups != 0 {
		t.Fatalf("%d keys saved twice", s.dups)
	}
	if len(s.got) != len(want) {
		t.Fatalf("saved %d keys, want %d", len(s.got), len(want))
	}
	for k, v := range want {
		if s.got[k] != v {
			t.Fatalf("%s saved as %q, want %q", k, s.got[k], v)
		}
	}
}

// TestVersionClamp runs the version counter across 2^32 and far ahead of
// old entries: clamped versions read as "ancient" and still belong to a
// snapshot, entries made after the snapshot began never do.
func TestVersionClamp(t *testing.T) {
	d, c := newDB()
	c.Ver = 1<<32 - 10
	d.SetString([]byte("old"), []byte("1"), 0, false)
	if d.Version(mustFind(t, d, "old")) == 0 {
		t.Fatal("version 0 is reserved")
	}
	c.Ver += 3 << 29 // as if 1.5 * 2^30 writes happened elsewhere in the shard
	if st := d.Maintain(16, 0); st.Clamped != 1 {
		t.Fatalf("clamped %d, want 1", st.Clamped)
	}
	if d.Version(mustFind(t, d, "old")) != 0 {
		t.Fatal("old version not clamped")
	}
	d.SetString([]byte("mid"), []byte("2"), 0, false)
	s := &collectSaver{got: map[string]string{}}
	d.StartSnapshot(s, 0)
	d.SetString([]byte("late"), []byte("3"), 0, false)
	c.Ver += 3 << 29
	d.Maintain(16, 0) // "mid" is clamped, "late" must not be
	for !d.SnapshotWalk(1, func(r Ref) bool { s.add(d, r); return true }) {
	}
	if len(s.got) != 2 || s.got["old"] != "1" || s.got["mid"] != "2" {
		t.Fatalf("snapshot saved %v", s.got)
	}
}

func mustFind(t *testing.T, d *DB, k string) Ref {
	t.Helper()
	r, ok := d.Peek([]byte(k))
	if !ok {
		t.Fatalf("%s missing", k)
	}
	return r
}

func benchDB(n int) (*DB, [][]byte) {
	d, _ := newDB()
	keys := make([][]byte, n)
	val := make([]byte, 100)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%d", i))
		d.SetString(keys[i], val, 0, false)
	}
	return d, keys
}

func BenchmarkFind(b *testing.B) {
	d, keys := benchDB(1 << 20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Find(keys[i&(len(keys)-1)])
		i++
	}
}

// BenchmarkSetString overwrites existing keys (a new record each time;
// compaction runs from the heartbeat, here every 4096 writes).
func BenchmarkSetString(b *testing.B) {
	d, keys := benchDB(1 << 20)
	val := make([]byte, 100)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.SetString(keys[i&(len(keys)-1)], val, 0, false)
		i++
		if i&4095 == 0 {
			d.Maintain(4096, 256<<10)
		}
	}
}
