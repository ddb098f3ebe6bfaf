package admin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// httpAPIMaxBody bounds a POST /api body.
const httpAPIMaxBody = 64 << 20

// httpAPI is Dragonfly's POST /api (--expose_http_api): the body is one
// command as a JSON array of strings, run in database 0 as the console's
// in-process client; the answer is {"result":...} with strings, integers,
// null and arrays as JSON, or {"error": "..."}, as Dragonfly writes them
// (its spacing included, which its clients' tests compare as text).
func (c *Console) httpAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, httpAPIMaxBody))
	var parts []any
	if err == nil {
		err = json.Unmarshal(body, &parts)
	}
	args := make([][]byte, 0, len(parts))
	for _, p := range parts {
		s, ok := p.(string)
		if !ok {
			err = errors.New("not a string")
			break
		}
		args = append(args, []byte(s))
	}
	if err != nil || len(args) == 0 {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "Failed to parse json\r\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if c.env.Table.Lookup(args[0]) == nil {
		io.WriteString(w, `{"error": "unknown command `+"`"+strings.ToUpper(string(args[0]))+"`"+`"}`+"\r\n")
		return
	}
	v, err := c.run(0, args...)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "ERR ")
		io.WriteString(w, `{"error": `+jsonString(msg)+"}\r\n")
		return
	}
	out := append([]byte(`{"result":`), appendJSONValue(nil, v)...)
	w.Write(append(out, "}\r\n"...))
}

// appendJSONValue writes a decoded reply (see decode) as JSON.
func appendJSONValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case []byte:
		return append(b, jsonString(string(x))...)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONValue(b, e)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// jsonString quotes s for JSON as Dragonfly does: backslash, quote and
// control characters escaped, every other byte (UTF-8 text) as is, where
// encoding/json would also escape <, > and & and replace invalid UTF-8.
func jsonString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
