package resp

import "bytes"

// Limits that bound what a request may claim before its bytes arrive.
const (
	// InlineMax is PROTO_INLINE_MAX_SIZE: the longest inline line, and the
	// longest "*<n>" or "$<n>" header line, Redis accepts.
	InlineMax = 64 * 1024
	// MaxMultibulk is the largest argument count Redis accepts (INT_MAX in
	// Redis; 1024*1024*1024 keeps the preallocation sane here).
	MaxMultibulk = 1024 * 1024 * 1024
	// unauthMultibulk and unauthBulk are Redis's limits before AUTH succeeds,
	// which keep an unauthenticated peer from making us reserve memory.
	unauthMultibulk = 10
	unauthBulk      = 16384
)

// Limits configures a Parser. MaxBulk is proto-max-bulk-len.
type Limits struct {
	MaxBulk int64
	// Unauthenticated applies Redis's tighter limits for clients that have
	// not yet passed AUTH while a password is required.
	Unauthenticated bool
}

// ParseCommand parses one command from the front of buf. It returns the
// arguments (sub-slices of buf, appended to args[:0]), the number of bytes
// consumed, and an error for malformed input. n == 0 with a nil error means
// the command is not complete yet. A command with no arguments (an empty
// inline line, or "*0") is returned as zero args with n > 0: the caller skips
// it, which is what `redis-cli --pipe` relies on.
func ParseCommand(buf []byte, args [][]byte, lim Limits) ([][]byte, int, error) {
	args = args[:0]
	if len(buf) == 0 {
		return args, 0, nil
	}
	if buf[0] != '*' {
		return parseInline(buf, args)
	}
	line, pos, ok := readLine(buf, 0)
	if !ok {
		if len(buf) > InlineMax {
			return args, 0, ErrTooBigMbulkCount
		}
		return args, 0, nil
	}
	count, ok := parseInt(line[1:])
	if !ok || count > MaxMultibulk {
		return args, 0, ErrInvalidMultibulkLength
	}
	if lim.Unauthenticated && count > unauthMultibulk {
		return args, 0, ErrUnauthenticatedMbulk
	}
	if count <= 0 {
		return args, pos, nil
	}
	for i := int64(0); i < count; i++ {
		if pos >= len(buf) {
			return args, 0, nil
		}
		if buf[pos] != '$' {
			return args, 0, errExpectedDollar(buf[pos])
		}
		line, next, ok := readLine(buf, pos)
		if !ok {
			if len(buf)-pos > InlineMax {
				return args, 0, ErrTooBigBulkCount
			}
			return args, 0, nil
		}
		size, ok := parseInt(line[1:])
		if !ok || size < 0 || (lim.MaxBulk > 0 && size > lim.MaxBulk) {
			return args, 0, ErrInvalidBulkLength
		}
		if lim.Unauthenticated && size > unauthBulk {
			return args, 0, ErrUnauthenticatedBulk
		}
		end := next + int(size)
		if end+2 > len(buf) {
			return args, 0, nil
		}
		// Redis does not check the CRLF after a bulk's payload; it skips
		// two bytes. Doing the same keeps byte-for-byte compatibility.
		args = append(args, buf[next:end:end])
		pos = end + 2
	}
	return args, pos, nil
}

// BulkNeeded reports, for a buffer holding an incomplete multibulk command,
// how many bytes in total the command will need when that is known. The
// connection uses it to grow its buffer once for a big value instead of
// doubling repeatedly. It returns 0 when unknown.
func BulkNeeded(buf []byte) int {
	if len(buf) == 0 || buf[0] != '*' {
		return 0
	}
	line, pos, ok := readLine(buf, 0)
	if !ok {
		return 0
	}
	count, ok := parseInt(line[1:])
	if !ok || count <= 0 {
		return 0
	}
	for i := int64(0); i < count; i++ {
		if pos >= len(buf) || buf[pos] != '$' {
			return 0
		}
		line, next, ok := readLine(buf, pos)
		if !ok {
			return 0
		}
		size, ok := parseInt(line[1:])
		if !ok || size < 0 {
			return 0
		}
		end := next + int(size) + 2
		if end > len(buf) {
			return end
		}
		pos = end
	}
	return 0
}

// readLine returns the line starting at pos without its CRLF, and the offset
// just after it. Like Redis, a bare '\n' also ends a line.
func readLine(buf []byte, pos int) (line []byte, next int, ok bool) {
	i := bytes.IndexByte(buf[pos:], '\n')
	if i < 0 {
		return nil, 0, false
	}
	end := pos + i
	next = end + 1
	if end > pos && buf[end-1] == '\r' {
		end--
	}
	return buf[pos:end], next, true
}

// parseInt parses a decimal int64 the way Redis's string2ll does for
// protocol lengths: optional '-', digits only, no overflow.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > (1<<63-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}
