package resp

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/damselfly-db/damselfly/internal/bigcopy"
)

// Writer appends replies for one connection. Proto selects RESP2 or RESP3;
// the methods pick the right wire form so command code is written once.
type Writer struct {
	Buf   []byte
	Proto int
}

// Reset empties the buffer, keeping its capacity for the next batch.
func (w *Writer) Reset() { w.Buf = w.Buf[:0] }

// Len is the number of buffered bytes.
func (w *Writer) Len() int { return len(w.Buf) }

// Simple writes a status reply: +OK.
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// OK is the most common reply.
func (w *Writer) OK() { w.Buf = append(w.Buf, "+OK\r\n"...) }

// Error writes an error reply. msg must already start with its code
// ("ERR ...", "WRONGTYPE ..."); newlines are replaced so the frame stays valid.
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) {
	if n >= 0 && n < int64(len(smallInts)) {
		w.Buf = append(w.Buf, smallInts[n]...)
		return
	}
	w.Buf = append(w.Buf, ':')
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

var smallInts = func() []string {
	s := make([]string, 32)
	for i := range s {
		s[i] = ":" + strconv.Itoa(i) + "\r\n"
	}
	return s
}()

// Bulk writes a binary-safe string.
func (w *Writer) Bulk(b []byte) {
	w.Buf = append(w.Buf, '$')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(b)), 10)
	w.Buf = append(w.Buf, '\r', '\n')
	// A 512 MB value in one append held every client behind a copy the
	// collector could not interrupt (bigcopy).
	w.Buf = bigcopy.Append(w.Buf, b)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString is Bulk for a Go string.
func (w *Writer) BulkString(s string) {
	w.Buf = append(w.Buf, '$')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(s)), 10)
	w.Buf = append(w.Buf, '\r', '\n')
	w.Buf = bigcopy.Append(w.Buf, unsafe.Slice(unsafe.StringData(s), len(s)))
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkInt writes an integer as a bulk string (e.g. INCRBYFLOAT-style replies
// or values that are stored as integers).
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null is the null bulk string ($-1 in RESP2, _ in RESP3).
func (w *Writer) Null() {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "$-1\r\n"...)
}

// NullArray is the null multibulk (*-1 in RESP2, _ in RESP3).
func (w *Writer) NullArray() {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "*-1\r\n"...)
}

// Array starts an array of n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map starts a map of n key/value pairs: %n in RESP3, a flat array of 2n in RESP2.
func (w *Writer) Map(n int) {
	if w.Proto >= 3 {
		w.header('%', n)
		return
	}
	w.header('*', 2*n)
}

// Set starts a set of n elements: ~n in RESP3, an array in RESP2.
func (w *Writer) Set(n int) {
	if w.Proto >= 3 {
		w.header('~', n)
		return
	}
	w.header('*', n)
}

// Push starts an out-of-band push message: >n in RESP3, an array in RESP2.
func (w *Writer) Push(n int) {
	if w.Proto >= 3 {
		w.header('>', n)
		return
	}
	w.header('*', n)
}

// Attribute-free RESP3 types follow.

// Bool writes #t/#f in RESP3 and :1/:0 in RESP2.
func (w *Writer) Bool(b bool) {
	if w.Proto >= 3 {
		if b {
			w.Buf = append(w.Buf, "#t\r\n"...)
		} else {
			w.Buf = append(w.Buf, "#f\r\n"...)
		}
		return
	}
	if b {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Double writes a float: a RESP3 double, or in RESP2 a bulk string formatted
// like Redis 7.0's addReplyDouble ("%.17g", "inf", "-inf").
func (w *Writer) Double(f float64) {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, ',')
		w.Buf = AppendDouble(w.Buf, f)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	var tmp [32]byte
	w.Bulk(AppendDouble(tmp[:0], f))
}

// AppendDouble formats f as Redis does for replies: %.17g, with inf/-inf/nan.
func AppendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// Verbatim writes a RESP3 verbatim string (=len\r\ntxt:...), or a bulk string
// in RESP2. INFO and CLIENT LIST use it.
func (w *Writer) Verbatim(s string) {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, '=')
		w.Buf = strconv.AppendInt(w.Buf, int64(len(s)+4), 10)
		w.Buf = append(w.Buf, "\r\ntxt:"...)
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// BigNumber writes a RESP3 big number, or a bulk string in RESP2.
func (w *Writer) BigNumber(s string) {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, '(')
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Raw appends pre-encoded protocol bytes.
func (w *Writer) Raw(b []byte) { w.Buf = bigcopy.Append(w.Buf, b) }

func (w *Writer) header(c byte, n int) {
	w.Buf = append(w.Buf, c)
	w.Buf = strconv.AppendInt(w.Buf, int64(n), 10)
	w.Buf = append(w.Buf, '\r', '\n')
}
