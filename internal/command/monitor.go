package command

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MonitorHub fans executed commands out to MONITOR clients.
type MonitorHub struct {
	mu   sync.Mutex
	subs map[*Client]func(line []byte)
	n    atomic.Int32
}

// Add subscribes c; send must not block (the server queues the line).
func (m *MonitorHub) Add(c *Client, send func(line []byte)) {
	m.mu.Lock()
	if m.subs == nil {
		m.subs = map[*Client]func([]byte){}
	}
	m.subs[c] = send
	m.n.Store(int32(len(m.subs)))
	m.mu.Unlock()
}

// Remove unsubscribes c.
func (m *MonitorHub) Remove(c *Client) {
	m.mu.Lock()
	delete(m.subs, c)
	m.n.Store(int32(len(m.subs)))
	m.mu.Unlock()
}

// Active reports whether anyone is monitoring; the dispatcher checks it
// before formatting anything.
func (m *MonitorHub) Active() bool { return m.n.Load() > 0 }

// Feed sends one command in Redis's MONITOR line format:
// +1339518083.107412 [0 127.0.0.1:60866] "keys" "*"
func (m *MonitorHub) Feed(from *Client, args [][]byte, now time.Time) {
	line := make([]byte, 0, 64)
	line = append(line, '+')
	line = strconv.AppendInt(line, now.Unix(), 10)
	line = append(line, '.')
	us := now.Nanosecond() / 1000
	line = appendPadded(line, us, 6)
	line = append(line, " ["...)
	line = strconv.AppendInt(line, int64(from.DB), 10)
	line = append(line, ' ')
	line = append(line, from.Addr...)
	line = append(line, ']')
	redact := redactedFrom(args)
	for i, a := range args {
		line = append(line, ' ')
		if i >= redact {
			line = append(line, `"(redacted)"`...)
			continue
		}
		line = AppendRepr(line, a)
	}
	line = append(line, '\r', '\n')
	m.mu.Lock()
	for c, send := range m.subs {
		if c != from {
			send(line)
		}
	}
	m.mu.Unlock()
}

// redactedFrom returns the index of the first argument MONITOR must hide
// (passwords of AUTH and HELLO ... AUTH), or len(args).
func redactedFrom(args [][]byte) int {
	name := string(args[0])
	switch {
	case equalFoldASCII(name, "auth"):
		return 1
	case equalFoldASCII(name, "hello"):
		for i := 1; i < len(args); i++ {
			if equalFoldASCII(string(args[i]), "auth") {
				return i + 1
			}
		}
	case equalFoldASCII(name, "acl"):
		// Like Redis, ACL SETUSER hides everything after the command:
		// rules carry passwords.
		if len(args) > 2 && equalFoldASCII(string(args[1]), "setuser") {
			return 2
		}
	case equalFoldASCII(name, "migrate"):
		// Not implemented commands still never leak a password.
	}
	return len(args)
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// AppendRepr quotes s the way Redis's sdscatrepr does: "..." with \n, \r,
// \t, \a, \b, \\ and \" escapes and \xHH for other non-printable bytes.
func AppendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 32
		}
		if y >= 'A' && y <= 'Z' {
			y += 32
		}
		if x != y {
			return false
		}
	}
	return true
}
