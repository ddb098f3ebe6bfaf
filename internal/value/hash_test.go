package value

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/damselfly-db/damselfly/internal/digest"
)

// hashModel is a map plus the insertion order a listpack keeps.
type hashModel struct {
	m     map[string]string
	order []string
}

func (hm *hashModel) set(f, v string) bool {
	_, had := hm.m[f]
	if !had {
		hm.order = append(hm.order, f)
	}
	hm.m[f] = v
	return !had
}

func (hm *hashModel) del(f string) bool {
	if _, had := hm.m[f]; !had {
		return false
	}
	delete(hm.m, f)
	hm.order = slices.DeleteFunc(hm.order, func(x string) bool { return x == f })
	return true
}

func checkHash(t *testing.T, h *HashValue, hm *hashModel, lim HashLimits, everLong bool) {
	t.Helper()
	if h.Len() != len(hm.m) {
		t.Fatalf("Len = %d, model %d", h.Len(), len(hm.m))
	}
	var fields []string
	h.Each(func(f, v []byte) bool {
		fields = append(fields, string(f))
		if hm.m[string(f)] != string(v) {
			t.Fatalf("field %q = %q, model %q", f, v, hm.m[string(f)])
		}
		return true
	})
	if h.IsCompact() {
		if !slices.Equal(fields, hm.order) {
			t.Fatalf("listpack order %q, model %q", fields, hm.order)
		}
		if len(hm.m) > lim.MaxEntries || everLong {
			t.Fatalf("still listpack with %d fields (long value seen: %v)", len(hm.m), everLong)
		}
	}
	for f, v := range hm.m {
		got, ok := h.Get([]byte(f))
		if !ok || string(got) != v {
			t.Fatalf("Get(%q) = %q,%v model %q", f, got, ok, v)
		}
	}
}

func TestHashModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 200; round++ {
		lim := HashLimits{MaxEntries: 1 + r.IntN(40), MaxValue: 1 + r.IntN(20)}
		h := NewHash()
		hm := &hashModel{m: map[string]string{}}
		everLong := false
		fields := 5 + r.IntN(80)
		for op := 0; op < 500; op++ {
			f := fmt.Sprintf("f%d", r.IntN(fields))
			switch x := r.IntN(10); {
			case x < 6:
				v := strings.Repeat("v", r.IntN(lim.MaxValue+2))
				if len(v) > lim.MaxValue {
					everLong = true
				}
				if got, want := h.Set([]byte(f), []byte(v), lim), hm.set(f, v); got != want {
					t.Fatalf("Set(%q) = %v, model %v", f, got, want)
				}
			case x < 9:
				if got, want := h.Delete([]byte(f)), hm.del(f); got != want {
					t.Fatalf("Delete(%q) = %v, model %v", f, got, want)
				}
			default:
				if h.Has([]byte(f)) != (hm.m[f] != "" || hasKey(hm.m, f)) {
					t.Fatalf("Has(%q) disagrees", f)
				}
			}
			if len(hm.m) > lim.MaxEntries {
				everLong = true // converted for good
			}
			checkHash(t, h, hm, lim, everLong)
		}
		// Scan (any cursor sequence) returns every field once per walk.
		seen := map[string]int{}
		var cur uint64
		for {
			cur = h.Scan(cur, func(f, v []byte) { seen[string(f)]++ })
			if cur == 0 {
				break
			}
		}
		if len(seen) != len(hm.m) {
			t.Fatalf("scan saw %d fields, model %d", len(seen), len(hm.m))
		}
		// A clone is independent.
		c := h.Clone().(*HashValue)
		c.Set([]byte("clone-only"), []byte("x"), lim)
		if h.Has([]byte("clone-only")) {
			t.Fatal("clone shares storage")
		}
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func TestHashRandomPairs(t *testing.T) {
	for _, lim := range []HashLimits{{MaxEntries: 128, MaxValue: 64}, {MaxEntries: 1, MaxValue: 64}} {
		h := NewHash()
		for i := 0; i < 20; i++ {
			h.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)), lim)
		}
		for _, n := range []int64{1, 5, 7, 19, 20, 25} {
			got := map[string]bool{}
			count := 0
			h.RandomPairs(n, func(f, v []byte) {
				if "v"+string(f[1:]) != string(v) {
					t.Fatalf("pair %q=%q", f, v)
				}
				got[string(f)] = true
				count++
			})
			want := min(int(n), 20)
			if count != want || len(got) != want {
				t.Fatalf("%s RandomPairs(%d): %d pairs, %d distinct", h.Encoding(), n, count, len(got))
			}
		}
		count := 0
		h.RandomPairs(-50, func(f, v []byte) { count++ })
		if count != 50 {
			t.Fatalf("RandomPairs(-50) gave %d", count)
		}
	}
}

func TestHashDigestIndependentOfEncoding(t *testing.T) {
	a, b := NewHash(), NewHash()
	for i := 0; i < 10; i++ {
		a.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint(i)), HashLimits{128, 64})
	}
	for i := 9; i >= 0; i-- {
		b.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint(i)), HashLimits{1, 64})
	}
	var da, db digest.Sum
	a.Digest(&da)
	b.Digest(&db)
	if da != db || a.Encoding() == b.Encoding() {
		t.Fatalf("digests %s %s, encodings %s %s", da.Hex(), db.Hex(), a.Encoding(), b.Encoding())
	}
}

func BenchmarkHashSetHashtable(b *testing.B) {
	fields := make([][]byte, 100000)
	for i := range fields {
		fields[i] = []byte("element:" + fmt.Sprint(i))
	}
	val := []byte(strings.Repeat("x", 100))
	h := NewHash()
	lim := HashLimits{128, 64}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.Set(fields[i%len(fields)], val, lim)
	}
}

func BenchmarkHashSetListpack(b *testing.B) {
	fields := make([][]byte, 100)
	for i := range fields {
		fields[i] = []byte("field:" + fmt.Sprint(i))
	}
	val := []byte("value")
	h := NewHash()
	lim := HashLimits{128, 64}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.Set(fields[i%len(fields)], val, lim)
	}
}

func TestHashFieldTTLs(t *testing.T) {
	for _, lim := range []HashLimits{{128, 64}, {2, 64}} {
		h := NewHash()
		for i := 0; i < 10; i++ {
			h.Set([]byte(fmt.Sprint("f", i)), []byte("v"), lim)
		}
		for i := 0; i < 10; i++ {
			h.SetFieldTTL([]byte(fmt.Sprint("f", i)), int64(100+i*10))
		}
		// Rewriting TTLs leaves stale heap items behind; they must not
		// expire the fields early.
		for r := 0; r < 50; r++ {
			h.SetFieldTTL([]byte("f0"), int64(1000+r))
		}
		if h.FieldTTL([]byte("f0")) != 1049 || h.FieldTTL([]byte("nosuch")) != -1 {
			t.Fatalf("FieldTTL f0 = %d", h.FieldTTL([]byte("f0")))
		}
		if !h.PersistField([]byte("f1")) || h.PersistField([]byte("f1")) || h.FieldTTL([]byte("f1")) != 0 {
			t.Fatal("PersistField")
		}
		h.Set([]byte("f2"), []byte("new"), lim) // HSET clears the TTL
		h.Update([]byte("f3"), []byte("new"), lim)
		if h.FieldTTL([]byte("f2")) != 0 || h.FieldTTL([]byte("f3")) != 130 {
			t.Fatalf("after Set/Update: f2 %d f3 %d", h.FieldTTL([]byte("f2")), h.FieldTTL([]byte("f3")))
		}
		if n := h.ExpireFields(99); n != 0 {
			t.Fatalf("expired %d fields before their time", n)
		}
		// At 150: f3 (130), f4 (140), f5 (150) go; f0 was moved to 1049.
		if n := h.ExpireFields(150); n != 3 || h.Len() != 7 || h.Has([]byte("f5")) || !h.Has([]byte("f0")) {
			t.Fatalf("ExpireFields(150) = %d, len %d", n, h.Len())
		}
		c := h.Clone().(*HashValue)
		if n := c.ExpireFields(10000); n != 5 || c.Len() != 2 || h.Len() != 7 {
			t.Fatalf("clone expiry: %d, clone len %d, original len %d", n, c.Len(), h.Len())
		}
		if !h.HasFieldTTLs() || h.Encoding() == "listpack" {
			t.Fatalf("encoding %s", h.Encoding())
		}
	}
}
