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
