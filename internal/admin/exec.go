package admin

import (
	"bytes"
	"errors"
	"strconv"
	"time"

	"github.com/damselfly-db/damselfly/internal/command"
	"github.com/damselfly-db/damselfly/internal/resp"
)

// The console runs the commands whose replies it shows (CLIENT LIST,
// SLOWLOG GET, CONFIG GET, SCAN, previews) through the ordinary dispatcher
// as a privileged in-process client, so what it shows is exactly what
// redis-cli would see. The client is not registered: it is not listed by
// CLIENT LIST and holds no connection.

// replyError is an error reply.
type replyError string

func (e replyError) Error() string { return string(e) }

// run executes one command in database db and decodes its RESP2 reply:
// string ([]byte), int64, []any, nil, or a replyError.
func (c *Console) run(db int, args ...[]byte) (any, error) {
	cl := &command.Client{
		ID:       c.env.Clients.NextID(),
		Addr:     "admin-console",
		LAddr:    "admin-console",
		Created:  time.Now(),
		Listener: "admin",
		Proto:    2,
		User:     "default",
		Authed:   true,
		NoTouch:  true,
		FD:       -1,
	}
	cl.SetName("admin-console")
	cl.Select(db)
	cl.Kill = func() {}
	w := &resp.Writer{Proto: 2}
	ctx := &command.Ctx{Env: c.env, Client: cl, W: w, Args: args}
	c.env.Exec(ctx)
	ctx.FlushStats()
	if wt, _ := ctx.TakeBlocked(); wt != nil {
		c.env.CancelBlocked(ctx, wt)
		return nil, errors.New("command would block")
	}
	v, rest, err := decode(w.Buf)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing reply bytes")
	}
	if e, ok := v.(replyError); ok {
		return nil, e
	}
	return v, nil
}

// runS is run with string arguments.
func (c *Console) runS(db int, args ...string) (any, error) {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return c.run(db, b...)
}

var errShort = errors.New("short reply")

// decode parses one RESP2 reply (and the RESP3 types a handler might
// write regardless of protocol).
func decode(b []byte) (any, []byte, error) {
	if len(b) < 3 {
		return nil, nil, errShort
	}
	nl := bytes.Index(b, []byte("\r\n"))
	if nl < 0 {
		return nil, nil, errShort
	}
	line, rest := string(b[1:nl]), b[nl+2:]
	switch b[0] {
	case '+':
		return []byte(line), rest, nil
	case '-':
		return replyError(line), rest, nil
	case ':':
		n, err := strconv.ParseInt(line, 10, 64)
		return n, rest, err
	case ',', '(':
		return []byte(line), rest, nil
	case '#':
		if line == "t" {
			return int64(1), rest, nil
		}
		return int64(0), rest, nil
	case '_':
		return nil, rest, nil
	case '$', '=':
		n, err := strconv.Atoi(line)
		if err != nil {
			return nil, nil, err
		}
		if n < 0 {
			return nil, rest, nil
		}
		if len(rest) < n+2 {
			return nil, nil, errShort
		}
		s := rest[:n]
		if b[0] == '=' && len(s) >= 4 {
			s = s[4:] // "txt:"
		}
		return s, rest[n+2:], nil
	case '*', '~', '>', '%':
		n, err := strconv.Atoi(line)
		if err != nil {
			return nil, nil, err
		}
		if n < 0 {
			return nil, rest, nil
		}
		if b[0] == '%' {
			n *= 2
		}
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			var v any
			v, rest, err = decode(rest)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, v)
		}
		return out, rest, nil
	}
	return nil, nil, errors.New("unknown reply type " + strconv.QuoteRune(rune(b[0])))
}

// str returns v as a string when it is one.
func str(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case []byte:
		n, _ := strconv.ParseInt(string(x), 10, 64)
		return n
	}
	return 0
}
