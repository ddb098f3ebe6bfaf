package command

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/damselfly-db/damselfly/internal/value"
)

// TestBitopWords compares the word-at-a-time BITOP kernel with a byte loop
// for every operation and many lengths.
func TestBitopWords(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 70; n++ {
		for _, op := range []int{opAnd, opOr, opXor, opNot} {
			a := make([]byte, n+5)
			s := make([]byte, n)
			for i := range a {
				a[i] = byte(r.Uint32())
			}
			for i := range s {
				s[i] = byte(r.Uint32())
			}
			want := append([]byte(nil), a...)
			for i := range s {
				switch op {
				case opAnd:
					want[i] &= s[i]
				case opOr:
					want[i] |= s[i]
				case opXor:
					want[i] ^= s[i]
				case opNot:
					want[i] = ^s[i]
				}
			}
			got := append([]byte(nil), a...)
			bitopWords(op, got, s)
			if !bytes.Equal(got, want) {
				t.Fatalf("op %d len %d: %x, want %x", op, n, got, want)
			}
		}
	}
}

// TestBitSearch compares bitSearch with a bit-by-bit scan.
func TestBitSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 2000; trial++ {
		n := 1 + r.IntN(40)
		p := make([]byte, n)
		fill := byte(0)
		if r.IntN(2) == 0 {
			fill = 0xff
		}
		for i := range p {
			p[i] = fill
		}
		if r.IntN(3) > 0 {
			p[r.IntN(n)] ^= byte(1) << r.IntN(8)
		}
		from := int64(r.IntN(n * 8))
		to := from + int64(r.IntN(n*8-int(from)))
		for _, want := range []byte{0, 1} {
			exp := int64(-1)
			for b := from; b <= to; b++ {
				if (p[b>>3]>>(7-b&7))&1 == want {
					exp = b
					break
				}
			}
			if got := bitSearch(p, from, to, want); got != exp {
				t.Fatalf("%x [%d,%d] bit %d: %d, want %d", p, from, to, want, got, exp)
			}
		}
	}
}

// TestGeoFastDistanceGuards checks that where the fast distance is used
// (not a close call), it renders and compares like the exact one.
func TestGeoFastDistanceGuards(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 200000; i++ {
		lon1, lat1 := r.Float64()*360-180, r.Float64()*170-85
		lon2, lat2 := lon1+r.NormFloat64()*[]float64{0.001, 1, 100}[i%3], lat1+r.NormFloat64()*[]float64{0.001, 1, 50}[i%3]
		lon2, lat2 = max(-180, min(180, lon2)), max(-85, min(85, lat2))
		conv := []float64{1, 1000, 0.3048, 1609.34}[i%4]
		fast := value.GeoDistanceFast(lon1, lat1, lon2, lat2)
		exact := value.GeoDistance(lon1, lat1, lon2, lat2)
		if !geoRoundingCloseCall(fast/conv) && string(geoDistText(fast/conv)) != string(geoDistText(exact/conv)) {
			t.Fatalf("%v,%v %v,%v: fast %s, exact %s", lon1, lat1, lon2, lat2, geoDistText(fast/conv), geoDistText(exact/conv))
		}
		if fast != exact && !value.GeoCloseCall(fast, exact) {
			t.Fatalf("fast %v and exact %v are not a close call", fast, exact)
		}
	}
}
