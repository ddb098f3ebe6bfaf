package value

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/damselfly-db/damselfly/internal/digest"
)

// zmodel is the reference: a slice kept sorted by (score, member).
type zmodel []zpair

type zpair struct {
	m string
	s float64
}

func (m zmodel) find(member string) int {
	for i, p := range m {
		if p.m == member {
			return i
		}
	}
	return -1
}

func (m *zmodel) set(member string, score float64) {
	if i := m.find(member); i >= 0 {
		*m = append((*m)[:i], (*m)[i+1:]...)
	}
	*m = append(*m, zpair{member, score})
	sort.Slice(*m, func(i, j int) bool {
		a, b := (*m)[i], (*m)[j]
		if a.s != b.s {
			return a.s < b.s
		}
		return a.m < b.m
	})
}

func (m *zmodel) remove(member string) bool {
	i := m.find(member)
	if i < 0 {
		return false
	}
	*m = append((*m)[:i], (*m)[i+1:]...)
	return true
}

func zcontents(z *SortedSet) zmodel {
	var out zmodel
	z.Each(func(m []byte, s float64) bool {
		out = append(out, zpair{string(m), s})
		return true
	})
	return out
}

func zequal(t *testing.T, step int, what string, got, want zmodel) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("step %d %s: got %d entries %v, want %d %v", step, what, len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("step %d %s: entry %d = %v, want %v", step, what, i, got[i], want[i])
		}
	}
}

// checkSkiplist verifies the skiplist's structural invariants: order,
// spans, backward links, tail, length, and the hash index.
func checkSkiplist(t *testing.T, s *zskiplist) {
	t.Helper()
	n := 0
	var prev *zsNode
	for x := s.head.lv[0].fwd; x != nil; x = x.lv[0].fwd {
		n++
		if x.back != prev {
			t.Fatalf("node %q: bad back link", x.member)
		}
		if prev != nil && !prev.before(x.score, x.member) {
			t.Fatalf("order: %q(%v) before %q(%v)", prev.member, prev.score, x.member, x.score)
		}
		if s.find(sbytes(x.member)) != x {
			t.Fatalf("hash index lost %q", x.member)
		}
		prev = x
	}
	if n != s.length || s.tail != prev {
		t.Fatalf("length %d / walked %d, tail ok %v", s.length, n, s.tail == prev)
	}
	// Spans: at each level, the sum of spans to a node is its rank.
	for i := 0; i < s.level; i++ {
		rank := 0
		for p := s.head; p.lv[i].fwd != nil; p = p.lv[i].fwd {
			rank += p.lv[i].span
			if got := s.byRank(rank); got != p.lv[i].fwd {
				t.Fatalf("level %d: span sum %d does not reach %q", i, rank, p.lv[i].fwd.member)
			}
		}
	}
	hashed := 0
	for _, tb := range s.ht {
		for _, b := range tb {
			for x := b; x != nil; x = x.hnext {
				hashed++
			}
		}
	}
	if hashed != s.length {
		t.Fatalf("hash holds %d, list %d", hashed, s.length)
	}
}

// TestZSetModel runs random operation sequences against the sorted-slice
// model, with small limits so both encodings and the conversion are used.
func TestZSetModel(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed*7))
		lim := ZLimits{Entries: 1 + rng.IntN(20), Value: 3 + rng.IntN(6)}
		if seed%5 == 0 {
			lim = ZLimits{Entries: 128, Value: 64}
		}
		nMembers := 5 + rng.IntN(200)
		z := NewZSet()
		var m zmodel
		member := func() string {
			k := rng.IntN(nMembers)
			if k%17 == 0 {
				return strings.Repeat("x", k%11) + fmt.Sprint(k)
			}
			return fmt.Sprint("m", k)
		}
		score := func() float64 {
			switch rng.IntN(10) {
			case 0:
				return math.Inf(1)
			case 1:
				return math.Inf(-1)
			case 2, 3:
				return float64(rng.IntN(5)) // many ties
			}
			return rng.NormFloat64() * 100
		}
		wasSkiplist := false
		for step := 0; step < 1500; step++ {
			switch op := rng.IntN(12); op {
			case 0, 1, 2: // ZADD with random flags
				mb, sc := member(), score()
				var flags ZAddFlags
				switch rng.IntN(6) {
				case 0:
					flags = ZAddNX
				case 1:
					flags = ZAddXX
				case 2:
					flags = ZAddGT
				case 3:
					flags = ZAddLT | ZAddXX
				}
				if rng.IntN(4) == 0 {
					flags |= ZAddIncr
				}
				res, got := z.Add([]byte(mb), sc, flags, lim)
				i := m.find(mb)
				var want ZAddResult
				wantScore := sc
				switch {
				case i >= 0 && flags&ZAddNX != 0:
					want, wantScore = ZNop, m[i].s
				case i >= 0:
					cur := m[i].s
					if flags&ZAddIncr != 0 {
						wantScore = cur + sc
					}
					switch {
					case math.IsNaN(wantScore):
						want, wantScore = ZNaN, cur
					case flags&ZAddGT != 0 && wantScore <= cur, flags&ZAddLT != 0 && wantScore >= cur:
						want, wantScore = ZNop, cur
					case wantScore == cur:
						want = 0
					default:
						want = ZUpdated
						m.set(mb, wantScore)
					}
				case flags&ZAddXX != 0:
					want, wantScore = ZNop, 0
				default:
					want = ZAdded
					m.set(mb, sc)
				}
				if res != want || (got != wantScore && !(math.IsNaN(got) && math.IsNaN(wantScore))) {
					t.Fatalf("seed %d step %d: Add(%q, %v, %b) = %v, %v; want %v, %v", seed, step, mb, sc, flags, res, got, want, wantScore)
				}
			case 3: // ZREM
				mb := member()
				if got, want := z.Remove([]byte(mb)), m.remove(mb); got != want {
					t.Fatalf("step %d: Remove(%q) = %v, want %v", step, mb, got, want)
				}
			case 4: // ZRANK / ZSCORE
				mb := member()
				r, s, ok := z.Rank([]byte(mb))
				i := m.find(mb)
				if ok != (i >= 0) || (ok && (r != i || s != m[i].s)) {
					t.Fatalf("step %d: Rank(%q) = %d %v %v, want %d", step, mb, r, s, ok, i)
				}
				if s2, ok2 := z.Score([]byte(mb)); ok2 != ok || s2 != s {
					t.Fatalf("step %d: Score(%q) disagrees with Rank", step, mb)
				}
			case 5: // ZRANGE by rank, both directions
				if len(m) == 0 {
					continue
				}
				lo, hi := rng.IntN(len(m)), rng.IntN(len(m))
				if lo > hi {
					lo, hi = hi, lo
				}
				rev := rng.IntN(2) == 0
				var got zmodel
				z.Range(lo, hi, rev, func(mb []byte, s float64) bool {
					got = append(got, zpair{string(mb), s})
					return true
				})
				want := append(zmodel(nil), m[lo:hi+1]...)
				if rev {
					for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
						want[i], want[j] = want[j], want[i]
					}
				}
				zequal(t, step, "Range", got, want)
				if mb, s := z.At(lo); string(mb) != m[lo].m || s != m[lo].s {
					t.Fatalf("step %d: At(%d)", step, lo)
				}
			case 6: // score ranges (ZRANGEBYSCORE / ZCOUNT)
				r := ZScoreRange{Min: score(), Max: score(), MinEx: rng.IntN(2) == 0, MaxEx: rng.IntN(2) == 0}
				lo, hi := z.ScoreBounds(&r)
				var want []int
				for i, p := range m {
					if r.GteMin(p.s) && r.LteMax(p.s) {
						want = append(want, i)
					}
				}
				if len(want) == 0 {
					if hi >= lo {
						t.Fatalf("step %d: ScoreBounds(%+v) = %d..%d, want none", step, r, lo, hi)
					}
				} else if lo != want[0] || hi != want[len(want)-1] {
					t.Fatalf("step %d: ScoreBounds(%+v) = %d..%d, want %d..%d", step, r, lo, hi, want[0], want[len(want)-1])
				}
			case 7: // ZREMRANGEBYRANK
				if len(m) == 0 || rng.IntN(4) != 0 {
					continue
				}
				lo := rng.IntN(len(m))
				hi := lo + rng.IntN(min(4, len(m)-lo))
				if got := z.RemoveRange(lo, hi); got != hi-lo+1 {
					t.Fatalf("step %d: RemoveRange = %d", step, got)
				}
				m = append(m[:lo], m[hi+1:]...)
			case 8: // ZPOPMIN / ZPOPMAX
				if rng.IntN(4) != 0 {
					continue
				}
				count, max := rng.IntN(4), rng.IntN(2) == 0
				var got zmodel
				n := z.Pop(count, max, func(mb []byte, s float64) { got = append(got, zpair{string(mb), s}) })
				k := min(count, len(m))
				var want zmodel
				if max {
					for i := len(m) - 1; i >= len(m)-k; i-- {
						want = append(want, m[i])
					}
					m = m[:len(m)-k]
				} else {
					want = append(want, m[:k]...)
					m = append(zmodel(nil), m[k:]...)
				}
				if n != k {
					t.Fatalf("step %d: Pop = %d, want %d", step, n, k)
				}
				zequal(t, step, "Pop", got, want)
			case 9: // Set (upsert)
				mb, sc := member(), score()
				added := z.Set([]byte(mb), sc, lim)
				if added != (m.find(mb) < 0) {
					t.Fatalf("step %d: Set(%q) added=%v", step, mb, added)
				}
				m.set(mb, sc)
			case 10: // ZSCAN: a full cursor loop sees every member
				seen := map[string]float64{}
				var cursor uint64
				for i := 0; ; i++ {
					cursor = z.Scan(cursor, 1+rng.IntN(5), func(mb []byte, s float64) { seen[string(mb)] = s })
					if cursor == 0 {
						break
					}
					if i > 100000 {
						t.Fatal("scan does not end")
					}
				}
				if len(seen) != len(m) {
					t.Fatalf("step %d: scan saw %d, want %d", step, len(seen), len(m))
				}
				for _, p := range m {
					if s, ok := seen[p.m]; !ok || s != p.s {
						t.Fatalf("step %d: scan missed %q", step, p.m)
					}
				}
			case 11: // Clone is deep and equal
				c := z.Clone().(*SortedSet)
				zequal(t, step, "Clone", zcontents(c), m)
				if c.Encoding() != z.Encoding() {
					t.Fatalf("clone encoding %s != %s", c.Encoding(), z.Encoding())
				}
				c.Set([]byte("clone-only"), 1, lim)
			}
			if z.Len() != len(m) {
				t.Fatalf("seed %d step %d: Len %d, want %d", seed, step, z.Len(), len(m))
			}
			if z.sl != nil {
				wasSkiplist = true
				checkSkiplist(t, z.sl)
			} else {
				if wasSkiplist {
					t.Fatalf("step %d: converted back to listpack", step)
				}
				if z.Len() > lim.Entries {
					t.Fatalf("step %d: listpack with %d > %d entries", step, z.Len(), lim.Entries)
				}
			}
			if step%50 == 0 {
				zequal(t, step, "contents", zcontents(z), m)
			}
		}
		zequal(t, -1, "final contents", zcontents(z), m)
	}
}

// TestZSetLex checks lexicographic ranges on sets with one score, where
// Redis defines them, in both encodings.
func TestZSetLex(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, lim := range []ZLimits{{128, 64}, {0, 64}} {
		z := NewZSet()
		var m zmodel
		for i := 0; i < 100; i++ {
			mb := fmt.Sprintf("%c%d", 'a'+rng.IntN(26), rng.IntN(50))
			z.Set([]byte(mb), 0, lim)
			m.set(mb, 0)
		}
		bound := func() ZLexBound {
			switch rng.IntN(8) {
			case 0:
				return ZLexBound{Inf: -1}
			case 1:
				return ZLexBound{Inf: 1}
			}
			return ZLexBound{Val: []byte(fmt.Sprintf("%c%d", 'a'+rng.IntN(26), rng.IntN(50))), Excl: rng.IntN(2) == 0}
		}
		for i := 0; i < 2000; i++ {
			r := ZLexRange{Min: bound(), Max: bound()}
			var want []int
			for i, p := range m {
				if r.GteMin([]byte(p.m)) && r.LteMax([]byte(p.m)) {
					want = append(want, i)
				}
			}
			for _, rev := range []bool{false, true} {
				// LexWalk with one score: the bounds narrowed by LIMIT.
				off, cnt := rng.IntN(5)-1, rng.IntN(6)-1
				wlo, whi := z.LexWalk(&r, rev, off, cnt)
				var sel []int
				if off >= 0 {
					src := append([]int(nil), want...)
					if rev {
						slices.Reverse(src)
					}
					if off < len(src) {
						src = src[off:]
						if cnt >= 0 && cnt < len(src) {
							src = src[:cnt]
						}
						sel = src
					}
				}
				if len(sel) == 0 {
					if whi >= wlo {
						t.Fatalf("LexWalk(%+v, %v, %d, %d) = %d..%d, want none", r, rev, off, cnt, wlo, whi)
					}
				} else if wlo != min(sel[0], sel[len(sel)-1]) || whi != max(sel[0], sel[len(sel)-1]) {
					t.Fatalf("LexWalk(%+v, %v, %d, %d) = %d..%d, want %v", r, rev, off, cnt, wlo, whi, sel)
				}
				lo, hi := z.LexBounds(&r, rev)
				if len(want) == 0 {
					if hi >= lo {
						t.Fatalf("%s LexBounds(%+v) = %d..%d, want none", z.Encoding(), r, lo, hi)
					}
				} else if lo != want[0] || hi != want[len(want)-1] {
					t.Fatalf("%s LexBounds(%+v) = %d..%d, want %d..%d", z.Encoding(), r, lo, hi, want[0], want[len(want)-1])
				}
			}
		}
	}
}

// TestZSetScanWhileResizing checks ZSCAN's guarantee while the hash index
// grows and shrinks (incrementally) between calls: every member present
// for the whole scan is returned.
func TestZSetScanWhileResizing(t *testing.T) {
	lim := ZLimits{Entries: 0, Value: 64}
	for _, grow := range []bool{true, false} {
		z := NewZSet()
		for i := 0; i < 1000; i++ {
			z.Set([]byte(fmt.Sprint("stable", i)), float64(i), lim)
		}
		if !grow {
			for i := 0; i < 20000; i++ {
				z.Set([]byte(fmt.Sprint("temp", i)), float64(i), lim)
			}
		}
		seen := map[string]bool{}
		var cursor uint64
		tmp := 0
		for calls := 0; ; calls++ {
			cursor = z.Scan(cursor, 20, func(m []byte, _ float64) { seen[string(m)] = true })
			if cursor == 0 {
				break
			}
			for k := 0; k < 5; k++ {
				if grow {
					z.Set([]byte(fmt.Sprint("temp", tmp)), 0, lim)
				} else {
					z.Remove([]byte(fmt.Sprint("temp", tmp)))
				}
				tmp++
			}
			if calls > 100000 {
				t.Fatal("scan does not end")
			}
		}
		for i := 0; i < 1000; i++ {
			if !seen[fmt.Sprint("stable", i)] {
				t.Fatalf("grow=%v: stable%d not seen", grow, i)
			}
		}
		checkSkiplist(t, z.sl)
	}
}

func TestZSetEncoding(t *testing.T) {
	lim := ZLimits{Entries: 3, Value: 5}
	z := NewZSet()
	for i, m := range []string{"a", "b", "c"} {
		z.Set([]byte(m), float64(i), lim)
	}
	if z.Encoding() != "listpack" {
		t.Fatalf("3 entries: %s", z.Encoding())
	}
	z.Set([]byte("d"), 3, lim)
	if z.Encoding() != "skiplist" {
		t.Fatalf("4 entries: %s", z.Encoding())
	}
	z2 := NewZSet()
	z2.Set([]byte("123456"), 1, lim)
	if z2.Encoding() != "skiplist" {
		t.Fatalf("long member: %s", z2.Encoding())
	}
	z3 := NewZSet()
	z3.Set([]byte("12345"), 1, lim)
	if z3.Encoding() != "listpack" {
		t.Fatalf("member at the limit: %s", z3.Encoding())
	}
	// Updating an existing member never converts.
	z3.Add([]byte("12345"), 2, ZAddXX, ZLimits{Entries: 0, Value: 0})
	if z3.Encoding() != "listpack" {
		t.Fatalf("update converted: %s", z3.Encoding())
	}
	// Removing everything from a skiplist keeps the encoding.
	for z.Len() > 0 {
		z.Pop(1, false, func([]byte, float64) {})
	}
	if z.Encoding() != "skiplist" {
		t.Fatal("skiplist went back")
	}
}

func TestZSetDigestEncodingIndependent(t *testing.T) {
	a, b := NewZSet(), NewZSet()
	for i := 0; i < 50; i++ {
		m := []byte(fmt.Sprint("member", i))
		a.Set(m, float64(i)/3, ZLimits{128, 64})
		b.Set(m, float64(i)/3, ZLimits{0, 0})
	}
	if a.Encoding() == b.Encoding() {
		t.Fatal("want different encodings")
	}
	var da, db digest.Sum
	a.Digest(&da)
	b.Digest(&db)
	if da != db || da.IsZero() {
		t.Fatal("digest depends on encoding")
	}
}

func TestZSetSizeTracksContents(t *testing.T) {
	z := NewZSet()
	lim := ZLimits{Entries: 16, Value: 64}
	base := z.Size()
	for i := 0; i < 1000; i++ {
		z.Set([]byte(fmt.Sprint("member-", i)), float64(i), lim)
	}
	big := z.Size()
	if big < base+1000*20 {
		t.Fatalf("size %d too small for 1000 members", big)
	}
	z.RemoveRange(0, 989)
	if z.Size() >= big/4 {
		t.Fatalf("size %d did not shrink from %d", z.Size(), big)
	}
}

func TestAppendScore(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{1, "1"}, {1.5, "1.5"}, {0.1, "0.10000000000000001"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{1e20, "1e+20"}, {-0.0, "0"}, {math.Copysign(0, -1), "-0"}, {1e-5, "1.0000000000000001e-05"},
	} {
		if got := string(AppendScore(nil, c.f)); got != c.want {
			t.Errorf("AppendScore(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func BenchmarkZSetAddSkiplist(b *testing.B) {
	// Like redis-benchmark's ZADD: 100k members, random new scores.
	z := NewZSet()
	lim := ZLimits{128, 64}
	keys := make([][]byte, 1<<17)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range keys {
		keys[i] = []byte(fmt.Sprint("element:", i))
		z.Set(keys[i], float64(rng.IntN(1<<20)), lim)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Add(keys[rng.IntN(len(keys))], float64(rng.IntN(1<<20)), 0, lim)
	}
}

func BenchmarkZSetRank(b *testing.B) {
	z := NewZSet()
	lim := ZLimits{128, 64}
	keys := make([][]byte, 1<<17)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range keys {
		keys[i] = []byte(fmt.Sprint("element:", i))
		z.Set(keys[i], float64(rng.IntN(1<<20)), lim)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Rank(keys[rng.IntN(len(keys))])
	}
}

func BenchmarkZSetAddListpack(b *testing.B) {
	lim := ZLimits{128, 64}
	keys := make([][]byte, 128)
	for i := range keys {
		keys[i] = []byte(fmt.Sprint("member:", i))
	}
	z := NewZSet()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Set(keys[i&127], float64(i), lim)
	}
}
