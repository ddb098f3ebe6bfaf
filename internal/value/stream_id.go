package value

import (
	"math"
	"strconv"
)

// StreamID is a stream entry ID: a millisecond time and a sequence number.
// IDs order by Ms, then Seq.
type StreamID struct {
	Ms, Seq uint64
}

// MaxStreamID is the largest ID ("+").
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Cmp returns -1, 0 or 1 as a is less than, equal to or greater than b.
func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms > b.Ms:
		return 1
	case a.Ms < b.Ms:
		return -1
	case a.Seq > b.Seq:
		return 1
	case a.Seq < b.Seq:
		return -1
	}
	return 0
}

// Less reports a < b.
func (a StreamID) Less(b StreamID) bool {
	return a.Ms < b.Ms || (a.Ms == b.Ms && a.Seq < b.Seq)
}

// IsZero reports whether the ID is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Next returns the ID that follows a. ok is false when a is the largest ID
// (the result is then 0-0, as Redis's streamIncrID leaves it).
func (a StreamID) Next() (StreamID, bool) {
	switch {
	case a.Seq < math.MaxUint64:
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms < math.MaxUint64:
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{}, false
}

// Prev returns the ID before a. ok is false when a is 0-0 (the result is
// then the largest ID, as Redis's streamDecrID leaves it).
func (a StreamID) Prev() (StreamID, bool) {
	switch {
	case a.Seq > 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms > 0:
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return MaxStreamID, false
}

// AppendTo appends the "<ms>-<seq>" form of a to b.
func (a StreamID) AppendTo(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

// String is the "<ms>-<seq>" form.
func (a StreamID) String() string { return string(a.AppendTo(make([]byte, 0, 41))) }

// key16 is the ID as a 128-bit big-endian number: the key Redis's radix
// tree stores a stream node under.
func (a StreamID) key16() (k [16]byte) {
	for i := 0; i < 8; i++ {
		k[i] = byte(a.Ms >> (56 - 8*i))
		k[8+i] = byte(a.Seq >> (56 - 8*i))
	}
	return k
}

// ParseStreamID parses a stream ID argument the way Redis does
// (streamGenericParseIDOrReply):
//
//   - "-" and "+" are the smallest and largest IDs, unless strict;
//   - "<ms>" alone takes missingSeq as its sequence;
//   - "<ms>-*" is accepted only when allowAutoSeq is set, and reports
//     seqGiven false;
//   - each number follows Redis's string2ull: a canonical decimal, or
//     failing that what C's strtoull accepts in base 10 (leading blanks, a
//     sign, leading zeros; "-" negates modulo 2^64), but never a canonical
//     negative number.
//
// Arguments longer than 127 bytes are invalid, and a NUL byte ends the
// argument, as Redis copies it into a C string.
func ParseStreamID(b []byte, missingSeq uint64, strict, allowAutoSeq bool) (id StreamID, seqGiven, ok bool) {
	if len(b) > 127 {
		return id, false, false
	}
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, false
		}
		if b[0] == '-' {
			return StreamID{}, true, true
		}
		return MaxStreamID, true, true
	}
	msPart, seqPart, hasDash := b, []byte(nil), false
	for i, c := range b {
		if c == '-' {
			msPart, seqPart, hasDash = b[:i], b[i+1:], true
			break
		}
	}
	ms, ok := parseStreamUint(msPart)
	if !ok {
		return id, false, false
	}
	seq := missingSeq
	seqGiven = true
	if hasDash {
		if allowAutoSeq && len(seqPart) == 1 && seqPart[0] == '*' {
			seq, seqGiven = 0, false
		} else if seq, ok = parseStreamUint(seqPart); !ok {
			return id, false, false
		}
	}
	return StreamID{ms, seq}, seqGiven, true
}

// parseStreamUint is Redis's string2ull.
func parseStreamUint(b []byte) (uint64, bool) {
	if v, canon := streamCanonicalInt(b); canon {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	// strtoull(s, &end, 10) with the checks Redis makes.
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		d := uint64(b[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
		}
		v = v*10 + d
		i++
	}
	if i == start || i != len(b) || len(b) == 0 || overflow {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// streamCanonicalInt is Redis's string2ll: it accepts only the canonical decimal
// form of a signed 64-bit integer.
func streamCanonicalInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '-' {
		neg, i = true, 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' || v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
