package rdb

import (
	"bytes"
	"os"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the file reader and to the DUMP
// value decoder: they must fail cleanly, never panic or allocate beyond
// the input. Run longer with
//
//	go test ./internal/rdb -run XXX -fuzz FuzzDecode -fuzztime 60s -fuzzminimizetime 5s
//
// (the seeds include a 21 KB file written by redis-server: minimizing an
// interesting input derived from it takes up to a minute by default, during
// which the fuzzer reports 0 execs/sec).
func FuzzDecode(f *testing.F) {
	if b, err := os.ReadFile("testdata/redis7.rdb"); err == nil {
		f.Add(b)
	}
	var e Encoder
	e.Header()
	e.SelectDB(0)
	for i, v := range sampleValues() {
		e.KeyValue([]byte{byte('a' + i)}, v)
		var d Encoder
		d.Value(v)
		f.Add(d.Buf)
	}
	e.EOF()
	f.Add(AppendChecksum(e.Buf, CRC64(0, e.Buf)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), int64(len(data)))
		if r.ReadHeader() == nil {
			for i := 0; i < 10000; i++ {
				var rec Record
				if err := r.Next(&rec); err != nil || rec.Kind == RecEOF {
					break
				}
			}
		}
		if v, err := DecodeValue(data); err == nil && v.Kind != KindString {
			// Whatever decodes must encode again.
			var e Encoder
			e.Value(v)
		}
	})
}
