package main

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
)

// The RESP layer is the smallest that measures a server without measuring
// itself: commands are appended into one reusable buffer (one write per
// pipeline batch) and replies are parsed from a bufio.Reader without
// allocating, except for an error reply's text the first time it is seen.

// cmdBuf builds RESP arrays of bulk strings.
type cmdBuf struct {
	b []byte
}

func (c *cmdBuf) reset() { c.b = c.b[:0] }

// array starts a command of n arguments.
func (c *cmdBuf) array(n int) {
	c.b = append(c.b, '*')
	c.b = strconv.AppendInt(c.b, int64(n), 10)
	c.b = append(c.b, '\r', '\n')
}

func (c *cmdBuf) bulk(s []byte) {
	c.b = append(c.b, '$')
	c.b = strconv.AppendInt(c.b, int64(len(s)), 10)
	c.b = append(c.b, '\r', '\n')
	c.b = append(c.b, s...)
	c.b = append(c.b, '\r', '\n')
}

func (c *cmdBuf) bulkString(s string) {
	c.b = append(c.b, '$')
	c.b = strconv.AppendInt(c.b, int64(len(s)), 10)
	c.b = append(c.b, '\r', '\n')
	c.b = append(c.b, s...)
	c.b = append(c.b, '\r', '\n')
}

func (c *cmdBuf) bulkInt(v int64) {
	var tmp [20]byte
	c.bulk(strconv.AppendInt(tmp[:0], v, 10))
}

// bulkKey appends prefix followed by the decimal key index, the key format
// of redis-benchmark and memtier ("key:000123" style without the padding).
func (c *cmdBuf) bulkKey(prefix string, idx uint64) {
	var tmp [20]byte
	num := strconv.AppendUint(tmp[:0], idx, 10)
	c.b = append(c.b, '$')
	c.b = strconv.AppendInt(c.b, int64(len(prefix)+len(num)), 10)
	c.b = append(c.b, '\r', '\n')
	c.b = append(c.b, prefix...)
	c.b = append(c.b, num...)
	c.b = append(c.b, '\r', '\n')
}

// reply is what the load generator needs to know about one reply.
type reply struct {
	kind   byte   // '+', '-', ':', '$', '*' (RESP3 types are read as their RESP2 kin)
	isNil  bool   // null bulk string or null array
	errMsg []byte // error text without the '-'; valid until the next read
	n      int64  // integer value, or bulk/array length
}

var errProtocol = errors.New("RESP protocol error")

// readReply reads one complete reply, skipping nested elements.
func readReply(r *bufio.Reader, out *reply) error {
	line, err := readLine(r)
	if err != nil {
		return err
	}
	if len(line) == 0 {
		return fmt.Errorf("%w: empty line", errProtocol)
	}
	*out = reply{kind: line[0]}
	body := line[1:]
	switch line[0] {
	case '+':
	case '-':
		out.errMsg = body
	case ':':
		out.n, err = parseInt(body)
	case '_':
		out.kind, out.isNil = '$', true
	case '$', '=':
		out.kind = '$'
		out.n, err = parseInt(body)
		if err != nil {
			return err
		}
		if out.n < 0 {
			out.isNil = true
			return nil
		}
		_, err = r.Discard(int(out.n) + 2)
	case '*', '%', '~', '>':
		out.kind = '*'
		out.n, err = parseInt(body)
		if err != nil {
			return err
		}
		if out.n < 0 {
			out.isNil = true
			return nil
		}
		elems := out.n
		if line[0] == '%' {
			elems *= 2
		}
		var inner reply
		for i := int64(0); i < elems; i++ {
			if err := readReply(r, &inner); err != nil {
				return err
			}
		}
	case ',', '(', '#':
		// RESP3 double, big number, boolean: value not needed.
	default:
		return fmt.Errorf("%w: unexpected type byte %q", errProtocol, line[0])
	}
	return err
}

// readLine returns one line without its CRLF; the slice aliases r's buffer.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errProtocol, r.Size())
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: line without CRLF", errProtocol)
	}
	return line[:len(line)-2], nil
}

func parseInt(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty number", errProtocol)
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, fmt.Errorf("%w: bad number", errProtocol)
		}
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' || v > (1<<62)/10 {
			return 0, fmt.Errorf("%w: bad number %q", errProtocol, b)
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}
