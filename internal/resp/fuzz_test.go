package resp

import (
	"bytes"
	"testing"
)

// FuzzParseCommand checks that no input crashes the parser, that consumed
// lengths stay in bounds, and that a multibulk command re-encoded from the
// parsed arguments parses back to the same arguments.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"PING\r\n",
		"set k \"a\\x00b\" 'c'\r\n",
		"*1\r\n$-1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
		"\r\n\r\n",
		"*-1\r\n",
		"*1\n$1\nx\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		buf := append([]byte(nil), data...)
		var args [][]byte
		for len(buf) > 0 {
			var n int
			var err error
			args, n, err = ParseCommand(buf, args, Limits{MaxBulk: 1 << 20})
			if err != nil {
				if !IsProtocolError(err) {
					t.Fatalf("non-protocol error %v", err)
				}
				return
			}
			if n == 0 {
				return
			}
			if n < 0 || n > len(buf) {
				t.Fatalf("consumed %d of %d", n, len(buf))
			}
			if len(args) > 0 {
				var w Writer
				w.Array(len(args))
				for _, a := range args {
					w.Bulk(a)
				}
				again, m, err := ParseCommand(w.Buf, nil, Limits{MaxBulk: 1 << 20})
				if err != nil || m != len(w.Buf) || len(again) != len(args) {
					t.Fatalf("round trip of %q: %v %d", args, err, m)
				}
				for i := range args {
					if !bytes.Equal(args[i], again[i]) {
						t.Fatalf("round trip arg %d: %q vs %q", i, args[i], again[i])
					}
				}
			}
			buf = buf[n:]
		}
	})
}
