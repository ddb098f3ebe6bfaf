package script

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// luaGen turns fuzz bytes into a Lua expression: nested tables (arrays,
// maps, {err=}, {ok=}, {double=}, {map=}, {set=}, {big_number=},
// {verbatim_string=}), strings with any bytes, integers, floats (inf, nan,
// huge), booleans and nil holes. Every byte string gives a valid
// expression, so the fuzzer explores values rather than Lua syntax.
type luaGen struct {
	data []byte
	n    int // expressions produced, to bound the size
}

func (g *luaGen) next() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

func (g *luaGen) str() string {
	n := int(g.next() % 12)
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\\%d", g.next())
	}
	b.WriteByte('"')
	return b.String()
}

func (g *luaGen) expr(depth int) string {
	g.n++
	if depth > 6 || g.n > 200 {
		return "1"
	}
	switch g.next() % 20 {
	case 0:
		return "nil"
	case 1:
		return "true"
	case 2:
		return "false"
	case 3:
		return strconv.Itoa(int(int8(g.next())) * int(g.next()))
	case 4:
		return []string{"1/0", "-1/0", "0/0", "1e308*10", "3.75", "-0.5", "2^63", "-(2^63)", "9007199254740993"}[g.next()%9]
	case 5, 6:
		return g.str()
	case 7:
		return "{err=" + g.str() + "}"
	case 8:
		return "{ok=" + g.str() + "}"
	case 9:
		return "{double=" + g.expr(depth+1) + "}"
	case 10:
		return "{big_number=" + g.str() + "}"
	case 11:
		return "{verbatim_string={format=" + g.str() + ", string=" + g.str() + "}}"
	case 12:
		return "{map={[" + g.expr(depth+1) + "]=" + g.expr(depth+1) + ", x=" + g.expr(depth+1) + "}}"
	case 13:
		return "{set={[" + g.expr(depth+1) + "]=true, y=" + g.expr(depth+1) + "}}"
	case 14:
		return "{err=" + g.str() + ", ignore_error_stats_update=true}"
	case 15:
		return "{ok=" + g.expr(depth+1) + "}"
	case 16:
		return "redis.status_reply(" + g.str() + ")"
	case 17:
		return "redis.error_reply(" + g.str() + ")"
	}
	n := int(g.next() % 5)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.expr(depth + 1)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// FuzzLuaReply converts random Lua values to replies in RESP2 and RESP3,
// and random RESP (as if a redis.call reply) to Lua and back: nothing may
// panic and every reply must be one valid RESP reply, nothing more.
func FuzzLuaReply(f *testing.F) {
	f.Add([]byte{19, 4, 5, 3, 'a', 'b', 'c', 7, 2, 'x', 'y'}, []byte("*2\r\n:1\r\n$1\r\na\r\n"))
	f.Add([]byte{12, 5, 1, 'k', 3, 7, 1}, []byte("%1\r\n+a\r\n,1.5\r\n"))
	f.Add([]byte{9, 4, 2}, []byte("~2\r\n#t\r\n_\r\n"))
	f.Add([]byte{11, 3, 't', 'x', 't', 2, 'h', 'i'}, []byte("=8\r\ntxt:abcd\r\n"))
	f.Add([]byte{7, 0}, []byte("-ERR boom\r\n"))
	f.Add([]byte{19, 19, 19, 19, 19, 19, 19, 19}, []byte("(123456789012345678901234567890\r\n"))
	f.Add([]byte{}, []byte("*1\r\n*1\r\n*1\r\n*-1\r\n"))
	e := NewEngine(nil, "7.4.0", 0x070400)
	f.Fuzz(func(t *testing.T, gen, raw []byte) {
		if len(gen) > 2000 || len(raw) > 4096 {
			return
		}
		g := &luaGen{data: gen}
		bodies := []string{"return " + g.expr(0)}
		if _, err := resp.Validate(raw); err == nil {
			// Only well-formed replies can come out of redis.call.
			bodies = append(bodies, "return redis.call('raw', ARGV[1])", "return {redis.pcall('raw', ARGV[1])}")
		}
		for _, body := range bodies {
			s, err := e.Load([]byte(body))
			if err != nil {
				t.Fatalf("generated script does not compile: %v\n%s", err, body)
			}
			for _, proto := range []int{2, 3} {
				w := &resp.Writer{Proto: proto}
				r := &Run{Caller: &fakeCaller{}, W: w, Args: [][]byte{raw}}
				e.Eval(s, r)
				n, err := resp.Validate(w.Buf)
				if err != nil || n != len(w.Buf) {
					t.Fatalf("RESP%d reply of %s is not one valid reply (%v, %d of %d bytes): %q", proto, body, err, n, len(w.Buf), w.Buf)
				}
			}
		}
	})
}
