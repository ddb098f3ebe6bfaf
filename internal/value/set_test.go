package value

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
)

func TestParseInt64(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"0", true}, {"-1", true}, {"9223372036854775807", true}, {"-9223372036854775808", true},
		{"9223372036854775808", false}, {"-0", false}, {"01", false}, {"+1", false}, {" 1", false},
		{"", false}, {"-", false}, {"1a", false}, {"18446744073709551616", false},
	} {
		if _, ok := ParseInt64([]byte(c.s)); ok != c.ok {
			t.Errorf("ParseInt64(%q) ok=%v", c.s, ok)
		}
	}
}

func TestSetModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for round := 0; round < 200; round++ {
		maxInts := 1 + r.IntN(60)
		s := NewSet()
		m := map[string]bool{}
		nonInt := false
		grew := false
		universe := 5 + r.IntN(100)
		member := func() string {
			n := r.IntN(universe)
			switch r.IntN(20) {
			case 0:
				return "m" + strconv.Itoa(n)
			case 1:
				return "0" + strconv.Itoa(n) // not canonical: a string member
			}
			return strconv.Itoa(n - universe/2)
		}
		for op := 0; op < 400; op++ {
			x := member()
			switch k := r.IntN(10); {
			case k < 6:
				if got := s.Add([]byte(x), maxInts); got == m[x] {
					t.Fatalf("Add(%q) = %v, model had %v", x, got, m[x])
				}
				m[x] = true
				if _, ok := ParseInt64([]byte(x)); !ok {
					nonInt = true
				}
			case k < 8:
				if got := s.Remove([]byte(x)); got != m[x] {
					t.Fatalf("Remove(%q) = %v, model %v", x, got, m[x])
				}
				delete(m, x)
			case k < 9 && s.Len() > 0:
				p := string(s.Pop(nil))
				if !m[p] {
					t.Fatalf("Pop gave %q, not a member", p)
				}
				delete(m, p)
			default:
				if s.Has([]byte(x)) != m[x] {
					t.Fatalf("Has(%q) disagrees", x)
				}
			}
			if len(m) > maxInts {
				grew = true
			}
			if s.Len() != len(m) {
				t.Fatalf("Len %d, model %d", s.Len(), len(m))
			}
			if s.IsIntset() && (nonInt || grew) {
				t.Fatalf("still intset (non-int %v, grew %v)", nonInt, grew)
			}
			if !s.IsIntset() && !nonInt && !grew {
				t.Fatal("converted without cause")
			}
		}
		var got []string
		s.Each(func(b []byte) bool { got = append(got, string(b)); return true })
		if s.IsIntset() {
			if !sort.SliceIsSorted(got, func(i, j int) bool {
				a, _ := strconv.Atoi(got[i])
				b, _ := strconv.Atoi(got[j])
				return a < b
			}) {
				t.Fatalf("intset not ascending: %v", got)
			}
		}
		if len(got) != len(m) {
			t.Fatalf("Each gave %d members, model %d", len(got), len(m))
		}
		for _, g := range got {
			if !m[g] {
				t.Fatalf("Each gave %q, not in model", g)
			}
		}
	}
}

func TestSetRandomAndPop(t *testing.T) {
	for _, maxInts := range []int{512, 4} {
		s := NewSet()
		for i := 0; i < 30; i++ {
			s.Add([]byte(fmt.Sprint(i)), maxInts)
		}
		for _, n := range []int64{1, 9, 10, 29, 30, 31} {
			seen := map[string]bool{}
			s.RandomMembers(n, func(m []byte) { seen[string(m)] = true })
			if len(seen) != min(int(n), 30) {
				t.Fatalf("%s RandomMembers(%d) gave %d distinct", s.Encoding(), n, len(seen))
			}
		}
		k := 0
		s.RandomMembers(-100, func([]byte) { k++ })
		if k != 100 {
			t.Fatalf("RandomMembers(-100) gave %d", k)
		}
		var popped []string
		s.PopMembers(12, func(m []byte) { popped = append(popped, string(m)) })
		if s.Len() != 18 || len(popped) != 12 {
			t.Fatalf("after PopMembers(12): len %d, popped %d", s.Len(), len(popped))
		}
		for _, p := range popped {
			if s.Has([]byte(p)) {
				t.Fatalf("popped %q still a member", p)
			}
		}
		s.PopMembers(100, func(m []byte) { popped = append(popped, string(m)) })
		if s.Len() != 0 || len(popped) != 30 {
			t.Fatalf("after draining: len %d, popped %d", s.Len(), len(popped))
		}
	}
}

func BenchmarkSetAddHashtable(b *testing.B) {
	members := make([][]byte, 100000)
	for i := range members {
		members[i] = []byte("element:" + strconv.Itoa(i))
	}
	s := NewSet()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Add(members[i%len(members)], 512)
	}
}

func BenchmarkSetPopAdd(b *testing.B) {
	s := NewSet()
	for i := 0; i < 100000; i++ {
		s.Add([]byte("element:"+strconv.Itoa(i)), 512)
	}
	var buf [24]byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m := s.Pop(buf[:])
		s.Add(m, 512)
	}
}

func BenchmarkIntsetAdd(b *testing.B) {
	s := NewSet()
	b.ReportAllocs()
	var buf [24]byte
	for i := 0; i < b.N; i++ {
		s.Add(strconv.AppendInt(buf[:0], int64(i%512), 10), 512)
	}
}
