package command

import (
	"bytes"
	"math/rand/v2"
	"testing"
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
