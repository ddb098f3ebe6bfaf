package e2e

// A minimal RESP2/RESP3 client for the transcript tests. It keeps every
// reply type distinct (simple vs bulk string, RESP2 null bulk vs null array
// vs RESP3 null, double, bool, big number, verbatim, map, set, push) so the
// transcripts can assert exact wire types.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Reply kinds. The RESP type byte where there is one, plus pseudo kinds.
const (
	kSimple    = '+'
	kError     = '-'
	kInt       = ':'
	kBulk      = '$'
	kArray     = '*'
	kNull      = '_' // RESP3 null
	kDouble    = ','
	kBool      = '#'
	kBigNum    = '('
	kVerbatim  = '='
	kMap       = '%'
	kSet       = '~'
	kPush      = '>'
	kNilBulk   = 'n' // RESP2 $-1
	kNilArray  = 'N' // RESP2 *-1
	kNoReply   = 'x' // nothing arrived (CLIENT REPLY OFF/SKIP)
	kClosed    = 'c' // connection closed by the server
	kTimeout   = 't' // nothing arrived within the deadline
	kAttribute = '|'
)

// rval is one decoded reply.
type rval struct {
	kind  byte
	str   string // simple, error, bulk, double, bignum, verbatim payload
	fmt   string // verbatim format ("txt")
	num   int64  // integer
	b     bool   // boolean
	elems []rval // array, set, push; map: k0, v0, k1, v1, ...
}

func (v rval) aggregate() bool {
	switch v.kind {
	case kArray, kMap, kSet, kPush:
		return true
	}
	return false
}

func (v rval) equal(o rval) bool {
	if v.kind != o.kind || v.str != o.str || v.fmt != o.fmt || v.num != o.num || v.b != o.b || len(v.elems) != len(o.elems) {
		return false
	}
	for i := range v.elems {
		if !v.elems[i].equal(o.elems[i]) {
			return false
		}
	}
	return true
}

// tconn is one client connection of a transcript.
type tconn struct {
	c  net.Conn
	br *bufio.Reader
}

func dialT(addr string) (*tconn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &tconn{c: c, br: bufio.NewReader(c)}, nil
}

func (c *tconn) close() { c.c.Close() }

// send writes args as a RESP multibulk.
func (c *tconn) send(args [][]byte) error {
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.c.Write(b)
	return err
}

// recv reads one reply, waiting at most d. It returns kTimeout when nothing
// at all arrived in time and kClosed on EOF or a reset; err is set when the
// stream is unusable (partial reply, protocol error).
func (c *tconn) recv(d time.Duration) (rval, error) {
	c.c.SetReadDeadline(time.Now().Add(d))
	if _, err := c.br.Peek(1); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return rval{kind: kTimeout}, nil
		}
		return rval{kind: kClosed}, nil
	}
	// Once a reply has started, give it the full time to complete.
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return readReply(c.br)
}

func readLine(br *bufio.Reader) (string, error) {
	s, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(s, "\r\n") {
		return "", fmt.Errorf("protocol: line not ended by CRLF: %q", s)
	}
	return s[:len(s)-2], nil
}

func readReply(br *bufio.Reader) (rval, error) {
	line, err := readLine(br)
	if err != nil {
		return rval{}, err
	}
	if line == "" {
		return rval{}, errors.New("protocol: empty line")
	}
	t, rest := line[0], line[1:]
	switch t {
	case kSimple, kError, kBigNum:
		return rval{kind: t, str: rest}, nil
	case kDouble:
		return rval{kind: t, str: rest}, nil
	case kNull:
		if rest != "" {
			return rval{}, fmt.Errorf("protocol: bad null %q", line)
		}
		return rval{kind: kNull}, nil
	case kBool:
		if rest != "t" && rest != "f" {
			return rval{}, fmt.Errorf("protocol: bad boolean %q", line)
		}
		return rval{kind: kBool, b: rest == "t"}, nil
	case kInt:
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return rval{}, fmt.Errorf("protocol: bad integer %q", line)
		}
		return rval{kind: kInt, num: n}, nil
	case kBulk, kVerbatim, '!':
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 {
			return rval{}, fmt.Errorf("protocol: bad length %q", line)
		}
		if n == -1 {
			if t != kBulk {
				return rval{}, fmt.Errorf("protocol: bad length %q", line)
			}
			return rval{kind: kNilBulk}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return rval{}, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return rval{}, fmt.Errorf("protocol: bulk of %d not ended by CRLF", n)
		}
		s := string(buf[:n])
		switch t {
		case '!': // RESP3 blob error
			return rval{kind: kError, str: s}, nil
		case kVerbatim:
			if len(s) < 4 || s[3] != ':' {
				return rval{}, fmt.Errorf("protocol: bad verbatim %q", s)
			}
			return rval{kind: kVerbatim, fmt: s[:3], str: s[4:]}, nil
		}
		return rval{kind: kBulk, str: s}, nil
	case kArray, kMap, kSet, kPush, kAttribute:
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 {
			return rval{}, fmt.Errorf("protocol: bad length %q", line)
		}
		if n == -1 {
			if t != kArray {
				return rval{}, fmt.Errorf("protocol: bad length %q", line)
			}
			return rval{kind: kNilArray}, nil
		}
		count := n
		if t == kMap || t == kAttribute {
			count *= 2
		}
		v := rval{kind: t, elems: make([]rval, 0, count)}
		for i := 0; i < count; i++ {
			e, err := readReply(br)
			if err != nil {
				return rval{}, err
			}
			v.elems = append(v.elems, e)
		}
		if t == kAttribute {
			// Attributes annotate the reply that follows; Redis 7.0 only
			// sends them for DEBUG PROTOCOL attrib. Keep the reply.
			return readReply(br)
		}
		return v, nil
	}
	return rval{}, fmt.Errorf("protocol: unknown type byte %q in %q", t, line)
}

// quote renders s as redis-cli does (sdscatrepr).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c <= 0x7e {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// plain reports whether s can be written unquoted after a type tag: visible
// ASCII, no leading or trailing blank, not starting with a quote.
func plain(s string) bool {
	if s == "" || s[0] == ' ' || s[0] == '"' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// bareStatus reports whether a simple string can be written bare: it must
// start with a letter so it cannot be mistaken for any other form.
func bareStatus(s string) bool {
	if !plain(s) {
		return false
	}
	c := s[0]
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}

// scalarText renders a non-aggregate reply on one line.
func scalarText(v rval) string {
	switch v.kind {
	case kSimple:
		if bareStatus(v.str) {
			return v.str
		}
		return "(status) " + quote(v.str)
	case kError:
		if plain(v.str) {
			return "(error) " + v.str
		}
		return "(error) " + quote(v.str)
	case kInt:
		return "(integer) " + strconv.FormatInt(v.num, 10)
	case kBulk:
		return quote(v.str)
	case kNull:
		return "(null)"
	case kNilBulk:
		return "(nil)"
	case kNilArray:
		return "(nil array)"
	case kDouble:
		return "(double) " + v.str
	case kBool:
		if v.b {
			return "(true)"
		}
		return "(false)"
	case kBigNum:
		return "(bignum) " + v.str
	case kVerbatim:
		return "(verbatim " + v.fmt + ") " + quote(v.str)
	case kNoReply:
		return "(no reply)"
	case kClosed:
		return "(closed)"
	case kTimeout:
		return "(timeout)"
	case kArray:
		return "(empty array)"
	case kMap:
		return "(empty map)"
	case kSet:
		return "(empty set)"
	case kPush:
		return "(empty push)"
	}
	return fmt.Sprintf("(unknown %q)", v.kind)
}

// marker is the index suffix of an aggregate's elements.
func marker(kind byte) byte {
	switch kind {
	case kMap:
		return '#'
	case kSet:
		return '~'
	case kPush:
		return '>'
	}
	return ')'
}

// render turns a reply into transcript lines, redis-cli style: aggregates
// number their elements ("1)" array, "1~" set, "1#" map, "1>" push), nested
// aggregates continue on the same line and are indented below it, indexes
// are right-aligned to the widest one, map entries are `key => value`.
func render(v rval) []string {
	if !v.aggregate() || len(v.elems) == 0 {
		return []string{scalarText(v)}
	}
	n := len(v.elems)
	step := 1
	if v.kind == kMap {
		n /= 2
		step = 2
	}
	width := len(strconv.Itoa(n))
	var out []string
	for i := 0; i < n; i++ {
		prefix := fmt.Sprintf("%*d%c ", width, i+1, marker(v.kind))
		var sub []string
		if v.kind == kMap {
			key := render(v.elems[i*step])
			k := strings.Join(key, " ")
			if len(key) > 1 {
				k = "(aggregate key) " + k
			}
			prefix += k + " => "
			sub = render(v.elems[i*step+1])
		} else {
			sub = render(v.elems[i])
		}
		pad := strings.Repeat(" ", len(prefix))
		for j, l := range sub {
			if j == 0 {
				out = append(out, prefix+l)
			} else {
				out = append(out, pad+l)
			}
		}
	}
	return out
}

// sortedCopy orders an aggregate's elements (map entries by key) by their
// rendering, to record @unordered replies deterministically.
func sortedCopy(v rval) rval {
	if !v.aggregate() {
		return v
	}
	type item struct {
		key  string
		vals []rval
	}
	step := 1
	if v.kind == kMap {
		step = 2
	}
	items := make([]item, 0, len(v.elems)/step)
	for i := 0; i < len(v.elems); i += step {
		items = append(items, item{strings.Join(render(v.elems[i]), "\n"), v.elems[i : i+step]})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].key < items[j].key })
	out := rval{kind: v.kind}
	for _, it := range items {
		out.elems = append(out.elems, it.vals...)
	}
	return out
}
