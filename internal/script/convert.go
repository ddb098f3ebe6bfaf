package script

import (
	"bytes"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// maxReplyDepth bounds the nesting of a reply converted either way (Lua's
// C stack limit plays this role in Redis).
const maxReplyDepth = 1000

// toLua converts one RESP reply (Redis's redisProtocolToLuaType) and
// returns the rest of the buffer. Malformed input yields nil.
func (st *state) toLua(b []byte, depth int) (lua.LValue, []byte) {
	if len(b) == 0 {
		return lua.LNil, nil
	}
	L := st.L
	typ := b[0]
	line, rest, ok := respLine(b[1:])
	if !ok {
		return lua.LNil, nil
	}
	switch typ {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, rest
	case '-':
		t := errorTable(L, line)
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
		return t, rest
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return st.number(n), rest
	case '$', '=':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		if len(rest) < n+2 {
			return lua.LNil, nil
		}
		s := rest[:n]
		rest = rest[n+2:]
		if typ == '=' {
			t := L.CreateTable(0, 1)
			v := L.CreateTable(0, 2)
			if len(s) >= 4 {
				v.RawSetString("format", lua.LString(s[:3]))
				v.RawSetString("string", lua.LString(s[4:]))
			} else {
				v.RawSetString("format", lua.LString(""))
				v.RawSetString("string", lua.LString(s))
			}
			t.RawSetString("verbatim_string", v)
			return t, rest
		}
		return lua.LString(s), rest
	case '*', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var v lua.LValue
			v, rest = st.toLua(rest, depth+1)
			if rest == nil && i < n {
				return lua.LNil, nil
			}
			t.RawSetInt(i, v)
		}
		return t, rest
	case '%', '~':
		n, _ := strconv.Atoi(string(line))
		t := L.CreateTable(0, 1)
		inner := L.CreateTable(0, n)
		for i := 0; i < n; i++ {
			var k, v lua.LValue
			k, rest = st.toLua(rest, depth+1)
			if typ == '%' {
				v, rest = st.toLua(rest, depth+1)
			} else {
				v = lua.LTrue
			}
			if k != lua.LNil {
				inner.RawSet(k, v)
			}
		}
		if typ == '%' {
			t.RawSetString("map", inner)
		} else {
			t.RawSetString("set", inner)
		}
		return t, rest
	case '_':
		return lua.LNil, rest
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), rest
	case ',':
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(parseDouble(line)))
		return t, rest
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, rest
	case '|':
		// Attributes are skipped, as Redis does.
		n, _ := strconv.Atoi(string(line))
		for i := 0; i < 2*n; i++ {
			_, rest = st.toLua(rest, depth+1)
		}
		return st.toLua(rest, depth)
	}
	return lua.LNil, nil
}

func respLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\r')
	if i < 0 || i+1 >= len(b) {
		return nil, nil, false
	}
	return b[:i], b[i+2:], true
}

func parseDouble(b []byte) float64 {
	switch string(b) {
	case "inf", "+inf":
		return inf
	case "-inf":
		return -inf
	}
	f, _ := strconv.ParseFloat(string(b), 64)
	return f
}

// errorTable is Redis's luaPushErrorBuff for an error reply's text
// (without the '-'): {err="CODE message"}, with ERR as the code of a
// message without one.
func errorTable(L *lua.LState, msg []byte) *lua.LTable {
	t := L.CreateTable(0, 2)
	t.RawSetString("err", lua.LString(errorText(string(msg), true)))
	return t
}

// errorText normalises an error for a Lua error table. With dash (the
// message came as "-CODE msg"), the first word is the code; a message
// without a blank becomes "ERR <msg>". Without dash the message gets the
// ERR code. Line breaks at either end are trimmed.
func errorText(msg string, dash bool) string {
	code := "ERR"
	if dash {
		if i := indexByte(msg, ' '); i >= 0 {
			code, msg = msg[:i], msg[i+1:]
		}
	}
	msg = trimCRLF(msg)
	return code + " " + msg
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func trimCRLF(s string) string {
	for len(s) > 0 && (s[0] == '\r' || s[0] == '\n') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == '\r' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	return s
}

// writeReply converts a Lua value to a reply for the client (Redis's
// luaReplyToRedisReply).
func (st *state) writeReply(w *resp.Writer, v lua.LValue, depth int) {
	if depth > maxReplyDepth {
		w.Error("ERR reached lua stack limit")
		st.countError("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		if st.resp == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(v))
		}
	case lua.LNumber:
		w.Int(toInt64(float64(v)))
	case *lua.LTable:
		st.writeTable(w, v, depth)
	default:
		w.Null()
	}
}

func (st *state) writeTable(w *resp.Writer, t *lua.LTable, depth int) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		w.Error(string(e))
		if !lua.LVAsBool(t.RawGetString("ignore_error_stats_update")) {
			st.countError(string(e))
		}
		if depth == 0 {
			st.run.Failed = true
		}
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(mapCRLF(string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		w.BigNumber(mapCRLF(string(s)))
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, fok := vt.RawGetString("format").(lua.LString)
		s, sok := vt.RawGetString("string").(lua.LString)
		if fok && sok {
			writeVerbatim(w, string(f), string(s))
			return
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		for k, _ := m.Next(lua.LNil); k != lua.LNil; k, _ = m.Next(k) {
			n++
		}
		w.Map(n)
		for k, v := m.Next(lua.LNil); k != lua.LNil; k, v = m.Next(k) {
			st.writeReply(w, k, depth+1)
			st.writeReply(w, v, depth+1)
		}
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			n++
		}
		w.Set(n)
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			st.writeReply(w, k, depth+1)
		}
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		st.writeReply(w, t.RawGetInt(i), depth+1)
	}
}

// writeVerbatim is addReplyVerbatim: a RESP3 verbatim string with a
// three-letter format, a bulk string in RESP2.
func writeVerbatim(w *resp.Writer, format, s string) {
	if w.Proto < 3 {
		w.BulkString(s)
		return
	}
	f := []byte("txt")
	copy(f, format)
	w.Buf = append(w.Buf, '=')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(s)+4), 10)
	w.Buf = append(w.Buf, '\r', '\n')
	w.Buf = append(w.Buf, f...)
	w.Buf = append(w.Buf, ':')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

func mapCRLF(s string) string {
	if indexByte(s, '\r') < 0 && indexByte(s, '\n') < 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}
