// Package cmddocs holds Redis's own command metadata — the replies of
// COMMAND and COMMAND DOCS from redis-server 7.0.15 (BSD-3-Clause), recorded
// by gen.go — so that COMMAND INFO and COMMAND DOCS can answer with Redis's
// key specifications, tips, argument trees and history for the commands
// Damselfly implements. The arity and flags Damselfly reports still come
// from its own command table; this package only supplies what the table does
// not describe.
//
// The data is stored as RESP3 text, the wire form it was captured in, so a
// Node keeps the exact reply types (set, map, status, bulk, integer).
package cmddocs

import (
	"errors"
	"strconv"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// Node is one RESP3 value.
type Node struct {
	Type  byte   // '*' array, '%' map, '~' set, '$' bulk, '+' status, ':' integer, '_' null
	Str   string // bulk and status text
	Int   int64  // integer value
	Elems []Node // array and set elements; map keys and values alternate
}

// Get returns the value of key in a map node.
func (n *Node) Get(key string) (*Node, bool) {
	if n == nil || n.Type != '%' {
		return nil, false
	}
	for i := 0; i+1 < len(n.Elems); i += 2 {
		if n.Elems[i].Str == key {
			return &n.Elems[i+1], true
		}
	}
	return nil, false
}

// Write sends n through w, which downgrades maps and sets for RESP2 clients.
func (n *Node) Write(w *resp.Writer) {
	switch n.Type {
	case '*':
		w.Array(len(n.Elems))
	case '~':
		w.Set(len(n.Elems))
	case '%':
		w.Map(len(n.Elems) / 2)
	case '$':
		w.BulkString(n.Str)
		return
	case '+':
		w.Simple(n.Str)
		return
	case ':':
		w.Int(n.Int)
		return
	default:
		w.Null()
		return
	}
	for i := range n.Elems {
		n.Elems[i].Write(w)
	}
}

// Append encodes n as RESP3.
func (n *Node) Append(b []byte) []byte {
	b = append(b, n.Type)
	switch n.Type {
	case '*', '~':
		b = strconv.AppendInt(b, int64(len(n.Elems)), 10)
	case '%':
		b = strconv.AppendInt(b, int64(len(n.Elems)/2), 10)
	case '$':
		b = strconv.AppendInt(b, int64(len(n.Str)), 10)
		b = append(b, '\r', '\n')
		b = append(b, n.Str...)
	case '+':
		b = append(b, n.Str...)
	case ':':
		b = strconv.AppendInt(b, n.Int, 10)
	}
	b = append(b, '\r', '\n')
	for i := range n.Elems {
		b = n.Elems[i].Append(b)
	}
	return b
}

var errShort = errors.New("cmddocs: truncated RESP")

// Parse reads one RESP3 value from b and returns it and the bytes used.
// It returns errShort when b ends before the value does.
func Parse(b []byte) (Node, int, error) {
	line := func(p int) (string, int, error) {
		for i := p; i+1 < len(b); i++ {
			if b[i] == '\r' && b[i+1] == '\n' {
				return string(b[p:i]), i + 2, nil
			}
		}
		return "", 0, errShort
	}
	if len(b) == 0 {
		return Node{}, 0, errShort
	}
	t := b[0]
	s, p, err := line(1)
	if err != nil {
		return Node{}, 0, err
	}
	n := Node{Type: t}
	switch t {
	case '+', '-':
		n.Str = s
		return n, p, nil
	case ':':
		n.Int, err = strconv.ParseInt(s, 10, 64)
		return n, p, err
	case '_':
		return n, p, nil
	case '$', '=':
		l, err := strconv.Atoi(s)
		if err != nil {
			return Node{}, 0, err
		}
		if l < 0 {
			n.Type = '_'
			return n, p, nil
		}
		if p+l+2 > len(b) {
			return Node{}, 0, errShort
		}
		n.Type = '$'
		n.Str = string(b[p : p+l])
		return n, p + l + 2, nil
	case '*', '~', '%', '>':
		cnt, err := strconv.Atoi(s)
		if err != nil {
			return Node{}, 0, err
		}
		if t == '%' {
			cnt *= 2
		}
		if t == '>' {
			n.Type = '*'
		}
		if cnt < 0 {
			n.Type = '_'
			return n, p, nil
		}
		n.Elems = make([]Node, 0, cnt)
		for i := 0; i < cnt; i++ {
			e, used, err := Parse(b[p:])
			if err != nil {
				return Node{}, 0, err
			}
			n.Elems = append(n.Elems, e)
			p += used
		}
		return n, p, nil
	}
	return Node{}, 0, errors.New("cmddocs: unknown RESP type " + strconv.Quote(string(t)))
}

// IsShort reports whether err means the input ended early.
func IsShort(err error) bool { return err == errShort }
