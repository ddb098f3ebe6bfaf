package bigcopy

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Copy and Clone agree with the built-in copy and append around the chunk
// boundaries, and with a destination shorter than the source.
func TestCopyMatchesBuiltin(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk + 5} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		for _, dn := range []int{n, n / 2, n + 7} {
			got, want := make([]byte, dn), make([]byte, dn)
			if gn, wn := Copy(got, src), copy(want, src); gn != wn || !bytes.Equal(got, want) {
				t.Fatalf("Copy of %d bytes into %d: n %d, want %d; equal %v", n, dn, gn, wn, bytes.Equal(got, want))
			}
		}
		for _, pre := range [][]byte{nil, []byte("$12\r\n"), make([]byte, 3, 3+n+2)} {
			got, want := Append(pre, src), append(append([]byte(nil), pre...), src...)
			if !bytes.Equal(got, want) {
				t.Fatalf("Append of %d bytes after %d", n, len(pre))
			}
		}
		if c := Clone(src); !bytes.Equal(c, src) || (n > 0 && &c[0] == &src[0]) {
			t.Fatalf("Clone of %d bytes is not a separate equal copy", n)
		}
	}
}

// Extend and ZeroExtend agree with append, small and big, within and
// beyond capacity, and grow geometrically.
func TestExtendMatchesAppend(t *testing.T) {
	for _, n := range []int{0, 10, chunk - 3, chunk, 2*chunk + 1} {
		base := bytes.Repeat([]byte{7}, n)
		for _, add := range []int{0, 1, 5, chunk + 9} {
			suffix := bytes.Repeat([]byte{9}, add)
			for _, room := range []int{0, add} {
				dst := make([]byte, n, n+room)
				copy(dst, base)
				got := Extend(dst, suffix)
				want := append(append([]byte(nil), base...), suffix...)
				if !bytes.Equal(got, want) {
					t.Fatalf("Extend of %d bytes by %d (room %d)", n, add, room)
				}
				// Old data past len must not show through.
				dirty := append(make([]byte, 0, n+add+room), base...)
				full := dirty[:cap(dirty)]
				for i := len(base); i < len(full); i++ {
					full[i] = 0xEE
				}
				z := ZeroExtend(dirty, n+add)
				if !bytes.Equal(z[:n], base) || len(z) != n+add || bytes.IndexByte(z[n:], 0xEE) >= 0 {
					t.Fatalf("ZeroExtend of %d bytes to %d (room %d)", n, n+add, room)
				}
			}
		}
	}
	b := make([]byte, chunk)
	if c := Extend(b, []byte{1}); cap(c) < chunk+chunk/4 {
		t.Fatalf("Extend grew a %d-byte slice to capacity %d, not geometrically", chunk, cap(c))
	}
}
