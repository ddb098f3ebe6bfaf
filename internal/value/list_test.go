package value

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/damselfly-db/damselfly/internal/digest"
)

func listContents(l *Quicklist) [][]byte {
	var out [][]byte
	it := l.Iter(0, false)
	for v, ok := it.Next(); ok; v, ok = it.Next() {
		out = append(out, bytes.Clone(v))
	}
	return out
}

// checkList compares l with the model in every way the list can be read.
func checkList(t *testing.T, l *Quicklist, model [][]byte, step string) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("%s: Len %d, model %d", step, l.Len(), len(model))
	}
	got := listContents(l)
	if len(got) != len(model) {
		t.Fatalf("%s: forward walk has %d elements, model %d", step, len(got), len(model))
	}
	for i := range model {
		if !bytes.Equal(got[i], model[i]) {
			t.Fatalf("%s: element %d = %q, model %q", step, i, got[i], model[i])
		}
	}
	// Backwards from the end.
	it := l.Iter(l.Len()-1, true)
	for i := len(model) - 1; i >= 0; i-- {
		v, ok := it.Next()
		if !ok || !bytes.Equal(v, model[i]) {
			t.Fatalf("%s: reverse element %d = %q (%v), model %q", step, i, v, ok, model[i])
		}
	}
	if _, ok := it.Next(); ok {
		t.Fatalf("%s: reverse walk goes past the head", step)
	}
	// Node invariants.
	total, bufs := 0, 0
	for i := 0; i < l.numNodes(); i++ {
		nd := l.nodeAt(i)
		if nd.n <= 0 {
			t.Fatalf("%s: node %d is empty", step, i)
		}
		total += int(nd.n)
		bufs += cap(nd.buf)
		n := int32(0)
		for p := nd.lo; p < nd.hi; n++ {
			_, p = readFwd(nd.buf, p)
			if p > nd.hi {
				t.Fatalf("%s: node %d entry overruns", step, i)
			}
		}
		if n != nd.n {
			t.Fatalf("%s: node %d counts %d, holds %d", step, i, nd.n, n)
		}
	}
	if total != len(model) {
		t.Fatalf("%s: nodes hold %d, model %d", step, total, len(model))
	}
	if bufs != l.bufBytes {
		t.Fatalf("%s: bufBytes %d, actual %d", step, l.bufBytes, bufs)
	}
}

func randElem(r *rand.Rand) []byte {
	switch r.IntN(10) {
	case 0:
		return bytes.Repeat([]byte{byte('a' + r.IntN(26))}, 100+r.IntN(400))
	case 1:
		return bytes.Repeat([]byte{'x'}, 3000+r.IntN(10000)) // bigger than a node
	case 2:
		return nil
	default:
		return []byte(fmt.Sprint(r.IntN(20)))
	}
}

func TestListModel(t *testing.T) {
	for _, fill := range []int{-1, -2, -5, 1, 2, 3, 128, 0} {
		for seed := uint64(1); seed <= 6; seed++ {
			t.Run(fmt.Sprintf("fill%d/seed%d", fill, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, uint64(fill+100)))
				l := NewQuicklist(fill)
				var model [][]byte
				for step := 0; step < 3000; step++ {
					op := r.IntN(14)
					desc := ""
					switch op {
					case 0, 1:
						v := randElem(r)
						l.PushBack(v)
						model = append(model, bytes.Clone(v))
						desc = "pushback"
					case 2, 3:
						v := randElem(r)
						l.PushFront(v)
						model = slices.Insert(model, 0, bytes.Clone(v))
						desc = "pushfront"
					case 4:
						if len(model) > 0 {
							v := l.PopFront()
							if !bytes.Equal(v, model[0]) {
								t.Fatalf("popfront %q, model %q", v, model[0])
							}
							model = model[1:]
						}
						desc = "popfront"
					case 5:
						if len(model) > 0 {
							v := l.PopBack()
							if !bytes.Equal(v, model[len(model)-1]) {
								t.Fatalf("popback %q, model %q", v, model[len(model)-1])
							}
							model = model[:len(model)-1]
						}
						desc = "popback"
					case 6:
						if len(model) > 0 {
							i := r.IntN(len(model))
							v, ok := l.Index(i)
							if !ok || !bytes.Equal(v, model[i]) {
								t.Fatalf("index %d = %q, model %q", i, v, model[i])
							}
						}
						desc = "index"
					case 7:
						if len(model) > 0 {
							i := r.IntN(len(model))
							v := randElem(r)
							l.Set(i, v)
							model[i] = bytes.Clone(v)
						}
						desc = "set"
					case 8:
						pivot := randElem(r)
						v := randElem(r)
						after := r.IntN(2) == 0
						ok := l.Insert(pivot, v, after)
						j := slices.IndexFunc(model, func(e []byte) bool { return bytes.Equal(e, pivot) })
						if ok != (j >= 0) {
							t.Fatalf("insert pivot %q found %v, model %d", pivot, ok, j)
						}
						if j >= 0 {
							if after {
								j++
							}
							model = slices.Insert(model, j, bytes.Clone(v))
						}
						desc = "insert"
					case 9:
						v := randElem(r)
						count := r.IntN(5) - 2
						n := l.Remove(v, count)
						want := modelRemove(&model, v, count)
						if n != want {
							t.Fatalf("remove %q %d: %d, model %d", v, count, n, want)
						}
						desc = fmt.Sprintf("remove %d", count)
					case 10:
						if len(model) > 0 {
							a, b := r.IntN(len(model)), r.IntN(len(model))
							if a > b {
								a, b = b, a
							}
							l.Trim(a, b)
							model = model[a : b+1]
						}
						desc = "trim"
					case 11:
						if len(model) > 0 {
							a := r.IntN(len(model))
							b := a + r.IntN(len(model)-a)
							i := a
							l.Range(a, b, func(v []byte) bool {
								if !bytes.Equal(v, model[i]) {
									t.Fatalf("range %d..%d at %d: %q, model %q", a, b, i, v, model[i])
								}
								i++
								return true
							})
							if i != b+1 {
								t.Fatalf("range %d..%d stopped at %d", a, b, i)
							}
						}
						desc = "range"
					case 12:
						if len(model) > 0 {
							// Walk from a random position in either direction.
							s := r.IntN(len(model))
							rev := r.IntN(2) == 0
							it := l.Iter(s, rev)
							for i := s; i >= 0 && i < len(model); {
								v, ok := it.Next()
								if !ok || !bytes.Equal(v, model[i]) {
									t.Fatalf("iter from %d rev=%v at %d: %q", s, rev, i, v)
								}
								if rev {
									i--
								} else {
									i++
								}
							}
							if _, ok := it.Next(); ok {
								t.Fatalf("iter from %d rev=%v goes too far", s, rev)
							}
						}
						desc = "iter"
					case 13:
						c := l.Clone().(*Quicklist)
						checkList(t, c, model, "clone")
						desc = "clone"
					}
					checkList(t, l, model, fmt.Sprintf("step %d (%s)", step, desc))
				}
			})
		}
	}
}

func modelRemove(model *[][]byte, v []byte, count int) int {
	m := *model
	n := 0
	if count >= 0 {
		out := m[:0:0]
		for _, e := range m {
			if bytes.Equal(e, v) && (count == 0 || n < count) {
				n++
				continue
			}
			out = append(out, e)
		}
		*model = out
		return n
	}
	keep := make([]bool, len(m))
	for i := len(m) - 1; i >= 0; i-- {
		if bytes.Equal(m[i], v) && n < -count {
			n++
			continue
		}
		keep[i] = true
	}
	out := m[:0:0]
	for i, e := range m {
		if keep[i] {
			out = append(out, e)
		}
	}
	*model = out
	return n
}

func TestListEntryEncoding(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 129, 16383, 16384, 70000} {
		v := bytes.Repeat([]byte{'z'}, n)
		b := make([]byte, entryLen(n))
		putEntry(b, v)
		got, next := readFwd(b, 0)
		if !bytes.Equal(got, v) || int(next) != len(b) {
			t.Fatalf("len %d: forward read %d bytes, next %d", n, len(got), next)
		}
		got, start := readBack(b, int32(len(b)))
		if !bytes.Equal(got, v) || start != 0 {
			t.Fatalf("len %d: backward read %d bytes, start %d", n, len(got), start)
		}
	}
}

func TestListNodeSizes(t *testing.T) {
	l := NewQuicklist(-2)
	for i := 0; i < 10000; i++ {
		l.PushBack([]byte("0123456789"))
	}
	for i := 0; i < l.numNodes(); i++ {
		if nd := l.nodeAt(i); nd.used() > 8192 {
			t.Fatalf("node %d holds %d bytes", i, nd.used())
		}
	}
	if l.numNodes() < 10000*12/8192 {
		t.Fatalf("%d nodes for 10000 entries", l.numNodes())
	}
	l = NewQuicklist(5)
	for i := 0; i < 100; i++ {
		l.PushFront([]byte("a"))
	}
	if l.numNodes() != 20 {
		t.Fatalf("fill 5: %d nodes for 100 entries", l.numNodes())
	}
}

func TestListDigest(t *testing.T) {
	l := NewQuicklist(-2)
	var want digest.Sum
	for _, s := range []string{"a", "b", "c"} {
		l.PushBack([]byte(s))
		want.Mix([]byte(s))
	}
	var got digest.Sum
	l.Digest(&got)
	if got != want {
		t.Fatal("digest differs")
	}
}

func BenchmarkListPushPop(b *testing.B) {
	l := NewQuicklist(-2)
	v := []byte("some value")
	for i := 0; i < b.N; i++ {
		l.PushFront(v)
		if l.Len() > 1000 {
			l.DropBack()
		}
	}
}

// A long list costs little more than its packed entries, whichever end it
// grows from.
func TestListSizeOverhead(t *testing.T) {
	for _, front := range []bool{false, true} {
		l := NewQuicklist(-2)
		v := []byte("0123456789")
		const n = 100000
		for i := 0; i < n; i++ {
			if front {
				l.PushFront(v)
			} else {
				l.PushBack(v)
			}
		}
		packed := n * entryLen(len(v))
		if got := l.Size(); got > packed*11/10 {
			t.Errorf("front=%v: Size %d for %d packed bytes", front, got, packed)
		}
	}
	one := NewQuicklist(-2)
	one.PushBack([]byte("hello"))
	if one.Size() > 160 {
		t.Errorf("a one-element list costs %d bytes", one.Size())
	}
}
