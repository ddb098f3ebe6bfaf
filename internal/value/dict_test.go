package value

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// checkDict compares d with the model m and checks its internal links.
func checkDict(t *testing.T, d *Dict[int], m map[string]int) {
	t.Helper()
	if d.Len() != len(m) {
		t.Fatalf("Len = %d, model %d", d.Len(), len(m))
	}
	seen := map[string]bool{}
	for i := 0; i < d.Len(); i++ {
		k, v := d.At(i)
		if seen[k] {
			t.Fatalf("key %q twice in the slab", k)
		}
		seen[k] = true
		if mv, ok := m[k]; !ok || mv != v {
			t.Fatalf("slab has %q=%d, model %d (%v)", k, v, mv, ok)
		}
		if j := d.Find([]byte(k)); j != i {
			t.Fatalf("Find(%q) = %d, want %d", k, j, i)
		}
	}
	// Every chain entry is reachable exactly once.
	n := 0
	for _, tb := range d.ht {
		for _, h := range tb {
			for i := h; i != dictNone; i = d.ents[i].next {
				n++
			}
		}
	}
	if n != d.Len() {
		t.Fatalf("chains hold %d entries, slab %d", n, d.Len())
	}
	bytes := 0
	for k := range m {
		bytes += len(k)
	}
	if d.StrBytes() != bytes {
		t.Fatalf("StrBytes = %d, want %d", d.StrBytes(), bytes)
	}
}

func TestDictModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		d := NewDict[int](0)
		m := map[string]int{}
		keys := 10 + r.IntN(3000)
		for op := 0; op < 20000; op++ {
			k := fmt.Sprintf("k%d", r.IntN(keys))
			switch x := r.IntN(10); {
			case x < 5:
				i, added := d.Add([]byte(k), op)
				_, had := m[k]
				if added == had {
					t.Fatalf("Add(%q) added=%v, model had=%v", k, added, had)
				}
				if added {
					m[k] = op
				} else {
					d.SetAt(i, op)
					m[k] = op
				}
			case x < 9:
				_, had := m[k]
				if got := d.Delete([]byte(k)); got != had {
					t.Fatalf("Delete(%q) = %v, model %v", k, got, had)
				}
				delete(m, k)
			default:
				v, ok := d.Get([]byte(k))
				mv, mok := m[k]
				if ok != mok || v != mv {
					t.Fatalf("Get(%q) = %d,%v model %d,%v", k, v, ok, mv, mok)
				}
			}
			if op%997 == 0 {
				checkDict(t, d, m)
			}
		}
		checkDict(t, d, m)
		// Drain it: the table shrinks back.
		for k := range m {
			d.Delete([]byte(k))
			delete(m, k)
		}
		for i := 0; i < 100; i++ {
			d.Find([]byte("x"))
		}
		checkDict(t, d, m)
		if len(d.ht[0]) > 64 {
			t.Fatalf("empty table kept %d buckets", len(d.ht[0]))
		}
	}
}

// TestDictScanGuarantee: keys present for a whole scan are returned, while
// other keys come and go and the table grows and shrinks in between.
func TestDictScanGuarantee(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 50; round++ {
		d := NewDict[int](0)
		stable := map[string]bool{}
		for i := 0; i < r.IntN(2000); i++ {
			k := fmt.Sprintf("s%d", i)
			d.Add([]byte(k), 0)
			stable[k] = true
		}
		var churn []string
		got := map[string]bool{}
		var cursor uint64
		for steps := 0; ; steps++ {
			cursor = d.Scan(cursor, func(i int) {
				k, _ := d.At(i)
				got[k] = true
			})
			if cursor == 0 {
				break
			}
			// Grow or shrink a lot between calls.
			if (steps/20)%2 == 0 {
				for j := 0; j < 30; j++ {
					k := fmt.Sprintf("c%d-%d", steps, j)
					d.Add([]byte(k), 0)
					churn = append(churn, k)
				}
			} else {
				for j := 0; j < 40 && len(churn) > 0; j++ {
					d.Delete([]byte(churn[len(churn)-1]))
					churn = churn[:len(churn)-1]
				}
			}
			if steps > 1_000_000 {
				t.Fatal("scan does not end")
			}
		}
		for k := range stable {
			if !got[k] {
				t.Fatalf("round %d: stable key %q not returned", round, k)
			}
		}
	}
}

func TestDictRandomUniform(t *testing.T) {
	d := NewDict[int](0)
	for i := 0; i < 10; i++ {
		d.Add([]byte{byte('a' + i)}, i)
	}
	counts := map[string]int{}
	for i := 0; i < 100000; i++ {
		k, _ := d.At(d.Random())
		counts[k]++
	}
	for k, n := range counts {
		if n < 9000 || n > 11000 {
			t.Fatalf("key %q drawn %d times in 100000 (expected ~10000)", k, n)
		}
	}
}

func BenchmarkDictAdd(b *testing.B) {
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("member:%d", i))
	}
	b.ReportAllocs()
	d := NewDict[struct{}](0)
	for i := 0; i < b.N; i++ {
		k := keys[i&(len(keys)-1)]
		if i&(len(keys)-1) == 0 {
			d = NewDict[struct{}](0)
		}
		d.Add(k, struct{}{})
	}
}
