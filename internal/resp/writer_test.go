package resp

import (
	"math"
	"testing"
)

func TestWriterForms(t *testing.T) {
	for _, c := range []struct {
		proto int
		fn    func(w *Writer)
		want  string
	}{
		{2, func(w *Writer) { w.Null() }, "$-1\r\n"},
		{3, func(w *Writer) { w.Null() }, "_\r\n"},
		{2, func(w *Writer) { w.NullArray() }, "*-1\r\n"},
		{2, func(w *Writer) { w.Map(2) }, "*4\r\n"},
		{3, func(w *Writer) { w.Map(2) }, "%2\r\n"},
		{3, func(w *Writer) { w.Set(1) }, "~1\r\n"},
		{2, func(w *Writer) { w.Double(1.1) }, "$18\r\n1.1000000000000001\r\n"},
		{3, func(w *Writer) { w.Double(math.Inf(-1)) }, ",-inf\r\n"},
		{2, func(w *Writer) { w.Double(3) }, "$1\r\n3\r\n"},
		{2, func(w *Writer) { w.Int(-7) }, ":-7\r\n"},
		{2, func(w *Writer) { w.Int(5) }, ":5\r\n"},
		{3, func(w *Writer) { w.Bool(true) }, "#t\r\n"},
		{2, func(w *Writer) { w.Bool(false) }, ":0\r\n"},
		{3, func(w *Writer) { w.Verbatim("ab") }, "=6\r\ntxt:ab\r\n"},
		{2, func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n"},
	} {
		w := &Writer{Proto: c.proto}
		c.fn(w)
		if string(w.Buf) != c.want {
			t.Errorf("proto %d: got %q want %q", c.proto, w.Buf, c.want)
		}
	}
}
