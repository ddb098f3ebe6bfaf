package rdb

import (
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
)

// buildZiplist makes a ziplist the way Redis 6 did, with integer
// encodings for integer strings.
func buildZiplist(elems []string) []byte {
	var body []byte
	prev := 0
	for _, s := range elems {
		start := len(body)
		if prev < 254 {
			body = append(body, byte(prev))
		} else {
			body = append(body, 254)
			body = binary.LittleEndian.AppendUint32(body, uint32(prev))
		}
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(v, 10) == s {
			switch {
			case v >= 0 && v <= 12:
				body = append(body, 0xF1+byte(v))
			case v >= -128 && v <= 127:
				body = append(body, 0xFE, byte(v))
			case v >= -32768 && v <= 32767:
				body = append(body, 0xC0)
				body = binary.LittleEndian.AppendUint16(body, uint16(v))
			case v >= -(1<<23) && v < 1<<23:
				u := uint32(v)
				body = append(body, 0xF0, byte(u), byte(u>>8), byte(u>>16))
			case v >= -(1<<31) && v < 1<<31:
				body = append(body, 0xD0)
				body = binary.LittleEndian.AppendUint32(body, uint32(v))
			default:
				body = append(body, 0xE0)
				body = binary.LittleEndian.AppendUint64(body, uint64(v))
			}
		} else {
			n := len(s)
			switch {
			case n < 64:
				body = append(body, byte(n))
			case n < 16384:
				body = append(body, 0x40|byte(n>>8), byte(n))
			default:
				body = append(body, 0x80)
				body = binary.BigEndian.AppendUint32(body, uint32(n))
			}
			body = append(body, s...)
		}
		prev = len(body) - start
	}
	zl := make([]byte, 10, 11+len(body))
	zl = append(zl, body...)
	zl = append(zl, 0xFF)
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint32(zl[4:], uint32(len(zl)-1-prev))
	binary.LittleEndian.PutUint16(zl[8:], uint16(len(elems)))
	return zl
}

func decodeOld(t *testing.T, typ byte, payload func(e *Encoder)) *Value {
	t.Helper()
	var e Encoder
	e.Type(typ)
	payload(&e)
	v, err := DecodeValue(e.Buf)
	if err != nil {
		t.Fatalf("type %d: %v", typ, err)
	}
	return v
}

func joined(v *Value) string {
	var s []string
	for _, e := range v.Elems {
		s = append(s, string(e))
	}
	return strings.Join(s, ",")
}

func TestOldEncodings(t *testing.T) {
	long := strings.Repeat("L", 300)
	elems := []string{"a", "0", "12", "13", "-1", "-200", "30000", "-8000000", "2000000000", "9000000000000", long, ""}
	zl := buildZiplist(elems)
	want := strings.Join(elems, ",")
	if v := decodeOld(t, TypeListZiplist, func(e *Encoder) { e.String(zl) }); v.Kind != KindList || joined(v) != want {
		t.Errorf("list ziplist: %s", joined(v))
	}
	v := decodeOld(t, TypeListQuicklist, func(e *Encoder) {
		e.Len(2)
		e.String(zl)
		e.String(buildZiplist([]string{"tail"}))
	})
	if joined(v) != want+",tail" {
		t.Errorf("quicklist v1: %s", joined(v))
	}
	v = decodeOld(t, TypeListQuicklist2, func(e *Encoder) {
		e.Len(2)
		e.Len(quicklistNodePlain)
		e.String([]byte("plain node"))
		var lp Listpack
		lp.Reset()
		lp.Append([]byte("x"))
		e.Len(quicklistNodePacked)
		e.String(lp.Finish())
	})
	if joined(v) != "plain node,x" {
		t.Errorf("quicklist v2 plain: %s", joined(v))
	}
	if v := decodeOld(t, TypeHashZiplist, func(e *Encoder) { e.String(buildZiplist([]string{"f", "1", "g", "v"})) }); v.Kind != KindHash || joined(v) != "f,1,g,v" {
		t.Errorf("hash ziplist: %s", joined(v))
	}
	v = decodeOld(t, TypeZSetZiplist, func(e *Encoder) { e.String(buildZiplist([]string{"a", "1", "b", "2.5", "c", "inf"})) })
	if v.Kind != KindZSet || joined(v) != "a,b,c" || v.Scores[1] != 2.5 || v.Scores[2] < 1e308 {
		t.Errorf("zset ziplist: %s %v", joined(v), v.Scores)
	}
	// Zipmap: count, then len key len free value, then 0xFF.
	zm := []byte{2, 1, 'f', 2, 0, 'v', 'v', 1, 'g', 1, 3, 'w', 0, 0, 0, 0xFF}
	if v := decodeOld(t, TypeHashZipmap, func(e *Encoder) { e.String(zm) }); joined(v) != "f,vv,g,w" {
		t.Errorf("zipmap: %s", joined(v))
	}
	// The first ZSET type: decimal scores with special lengths.
	v = decodeOld(t, TypeZSet, func(e *Encoder) {
		e.Len(3)
		e.String([]byte("a"))
		e.Buf = append(e.Buf, 3, '1', '.', '5')
		e.String([]byte("b"))
		e.Buf = append(e.Buf, 254)
		e.String([]byte("c"))
		e.Buf = append(e.Buf, 255)
	})
	if v.Scores[0] != 1.5 || v.Scores[1] < 1e308 || v.Scores[2] > -1e308 {
		t.Errorf("zset v1 scores %v", v.Scores)
	}
	// Dragonfly's set with member TTLs: expired members are dropped.
	v = decodeOld(t, TypeDFSetWithExpiry, func(e *Encoder) {
		e.Len(2)
		e.String([]byte("keep"))
		e.Int(-1)
		e.String([]byte("gone"))
		e.Int(1)
	})
	if joined(v) != "keep" {
		t.Errorf("df set: %s", joined(v))
	}
	// Empty collections are an error (skipped in files).
	var e Encoder
	e.Type(TypeList)
	e.Len(0)
	if _, err := DecodeValue(e.Buf); err != ErrEmptyKey {
		t.Errorf("empty list: %v", err)
	}
}

func TestDragonflyOpcodes(t *testing.T) {
	var e Encoder
	e.Buf = append(e.Buf, "REDIS0009"...)
	e.Aux("df-ver", "v1.20.0")
	e.Aux("lua", "return 1")
	e.SelectDB(0)
	e.Type(OpDFMask)
	e.Buf = binary.LittleEndian.AppendUint32(e.Buf, 1) // sticky
	e.KeyValue([]byte("k"), &Value{Kind: KindString, Str: []byte("v")})
	e.Type(OpDFMask)
	e.Buf = binary.LittleEndian.AppendUint32(e.Buf, dfMaskMemcacheFlg)
	e.Buf = binary.LittleEndian.AppendUint32(e.Buf, 42)
	e.KeyValue([]byte("mc"), &Value{Kind: KindString, Str: []byte("x")})
	e.Type(TypeDFJSON)
	e.String([]byte("json"))
	e.String([]byte(`{"a":1}`))
	e.EOF()
	file := AppendChecksum(e.Buf, CRC64(0, e.Buf))
	r := NewReader(strings.NewReader(string(file)), int64(len(file)))
	if err := r.ReadHeader(); err != nil || r.Version != 9 {
		t.Fatal(err, r.Version)
	}
	keys := 0
	for {
		var rec Record
		if err := r.Next(&rec); err != nil {
			t.Fatal(err)
		}
		if rec.Kind == RecEOF {
			break
		}
		if rec.Kind == RecKey {
			keys++
		}
	}
	if keys != 2 || r.Skipped != 1 {
		t.Fatalf("keys %d skipped %d", keys, r.Skipped)
	}
}
