package rdb

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
	"time"
)

var nowMs = func() int64 { return time.Now().UnixMilli() }

// RecordKind says what a Record holds.
type RecordKind uint8

// Record kinds.
const (
	RecKey      RecordKind = iota // a key and its value
	RecAux                        // an AUX field
	RecSelectDB                   // SELECTDB
	RecResizeDB                   // RESIZEDB hint
	RecFunction                   // a FUNCTION2 library
	RecEOF                        // the end; the checksum matched
)

// Record is one item of an RDB file.
type Record struct {
	Kind RecordKind
	// DB is the database selected (SELECTDB), and the database of a key.
	DB int
	// Key and Value for RecKey. ExpireMs is the key's expiry in unix ms
	// (0 for none); Idle is the LRU idle seconds and Freq the LFU counter,
	// -1 when absent.
	Key      []byte
	Value    *Value
	ExpireMs int64
	Idle     int64
	Freq     int
	// Aux holds an AUX field's name and value; Code a function library.
	AuxKey, AuxVal []byte
	Code           []byte
	// DBSize and ExpiresSize are a RESIZEDB hint.
	DBSize, ExpiresSize uint64
}

// Reader reads an RDB file item by item.
type Reader struct {
	d  decoder
	db int
	// Version is the file's RDB version, known after ReadHeader.
	Version int
	// Skipped counts the keys Next passed over: empty collections (which
	// Redis skips too) and Dragonfly JSON documents, which Damselfly has
	// no type for. Module values cannot be skipped (their size is not
	// known without the module) and fail the read.
	Skipped int
}

// NewReader reads an RDB file of size bytes (-1 if unknown) from r.
func NewReader(r io.Reader, size int64) *Reader {
	rd := &Reader{}
	rd.d.s.init(r, size)
	return rd
}

// Offset is how many bytes have been consumed.
func (r *Reader) Offset() int64 { return r.d.s.offset() }

// ReadHeader reads and checks the "REDISnnnn" signature.
func (r *Reader) ReadHeader() error {
	b, err := r.d.s.next(9)
	if err != nil {
		return ErrSignature
	}
	if string(b[:5]) != "REDIS" {
		return ErrSignature
	}
	v, err := strconv.Atoi(string(b[5:]))
	if err != nil || v < 1 || v > 12 {
		return &UnsupportedError{"RDB format version", byte(v)}
	}
	r.Version = v
	r.d.ver = v
	return nil
}

// Next reads the next record into rec. After RecEOF (checksum verified)
// it must not be called again.
func (r *Reader) Next(rec *Record) error {
	d := &r.d
	*rec = Record{DB: r.db, Idle: -1, Freq: -1}
	for {
		t, err := d.s.byte()
		if err != nil {
			return err
		}
		switch t {
		case OpExpireTime:
			b, err := d.s.next(4)
			if err != nil {
				return err
			}
			rec.ExpireMs = int64(int32(binary.LittleEndian.Uint32(b))) * 1000
			continue
		case OpExpireTimeMs:
			if rec.ExpireMs, err = d.millis(); err != nil {
				return err
			}
			continue
		case OpFreq:
			c, err := d.s.byte()
			if err != nil {
				return err
			}
			rec.Freq = int(c)
			continue
		case OpIdle:
			n, err := d.length()
			if err != nil {
				return err
			}
			rec.Idle = int64(n)
			continue
		case OpDFMask:
			b, err := d.s.next(4)
			if err != nil {
				return err
			}
			if binary.LittleEndian.Uint32(b)&dfMaskMemcacheFlg != 0 {
				if _, err := d.s.next(4); err != nil {
					return err
				}
			}
			continue
		case OpEOF:
			if r.Version >= 5 {
				d.s.foldCRC()
				want := d.s.crc
				b, err := d.s.next(8)
				if err != nil {
					return err
				}
				if got := binary.LittleEndian.Uint64(b); got != 0 && got != want {
					return ErrChecksum
				}
			}
			rec.Kind = RecEOF
			return nil
		case OpSelectDB:
			n, err := d.length()
			if err != nil {
				return err
			}
			if n > 1<<20 {
				return d.corrupt("database index too large")
			}
			r.db = int(n)
			rec.Kind, rec.DB = RecSelectDB, int(n)
			return nil
		case OpResizeDB:
			if rec.DBSize, err = d.length(); err != nil {
				return err
			}
			if rec.ExpiresSize, err = d.length(); err != nil {
				return err
			}
			rec.Kind = RecResizeDB
			return nil
		case OpAux:
			if rec.AuxKey, err = d.str(); err != nil {
				return err
			}
			if rec.AuxVal, err = d.str(); err != nil {
				return err
			}
			rec.Kind = RecAux
			return nil
		case OpFunction2:
			if rec.Code, err = d.str(); err != nil {
				return err
			}
			rec.Kind = RecFunction
			return nil
		case OpFunctionPreGA, OpModuleAux:
			return &UnsupportedError{"opcode", t}
		}
		// A key.
		if rec.Key, err = d.str(); err != nil {
			return err
		}
		if t == TypeDFJSON {
			// A JSON document is one string; Damselfly has no JSON type.
			if _, err := d.str(); err != nil {
				return err
			}
			r.Skipped++
			*rec = Record{DB: r.db, Idle: -1, Freq: -1}
			continue
		}
		if rec.Value, err = d.value(t); err != nil {
			if err == ErrEmptyKey {
				// Redis skips empty keys (an old bug could write them).
				r.Skipped++
				*rec = Record{DB: r.db, Idle: -1, Freq: -1}
				continue
			}
			return err
		}
		rec.Kind = RecKey
		return nil
	}
}

// VerifyDump checks a DUMP payload's footer (RDB version no newer than
// ours, CRC64) and returns the serialized value without it.
func VerifyDump(p []byte) ([]byte, bool) {
	if len(p) < 10 {
		return nil, false
	}
	f := p[len(p)-10:]
	if binary.LittleEndian.Uint16(f) > Version {
		return nil, false
	}
	if CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(f[2:]) {
		return nil, false
	}
	return p[:len(p)-10], true
}

// DecodeValue decodes a serialized value (a type byte and the value, as
// DUMP writes it before its footer).
func DecodeValue(body []byte) (*Value, error) {
	var d decoder
	d.s.init(bytes.NewReader(body), int64(len(body)))
	d.ver = Version
	t, err := d.s.byte()
	if err != nil {
		return nil, err
	}
	return d.value(t)
}
