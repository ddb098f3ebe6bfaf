package script

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// cjson: the lua-cjson 2.1.0 module Redis bundles, with its defaults:
// numbers with 14 significant digits, sparse arrays refused when
// max > 2*items and max > 10, NaN/Inf refused, nesting limited to 1000
// both ways, JSON null decoded as cjson.null (a userdata), an empty table
// encoded as {}.

const (
	cjsonMaxDepth        = 1000
	cjsonSparseRatio     = 2
	cjsonSparseSafe      = 10
	cjsonNumberPrecision = 14
)

func (st *state) openCJSON() *lua.LTable {
	L := st.L
	t := L.CreateTable(0, 16)
	cfg := &cjsonConfig{encodeMaxDepth: cjsonMaxDepth, decodeMaxDepth: cjsonMaxDepth,
		precision: cjsonNumberPrecision, sparseRatio: cjsonSparseRatio, sparseSafe: cjsonSparseSafe,
		keepBuffer: true, decodeInvalid: true}
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int { return st.cjsonEncode(L, cfg) }))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int { return st.cjsonDecode(L, cfg) }))
	t.RawSetString("null", st.null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	// Configuration functions, as lua-cjson: each sets what it is given
	// and returns the current values. The settings belong to this cjson
	// table, so they last for the life of the Lua state, as in Redis.
	t.RawSetString("encode_sparse_array", L.NewFunction(cfg.sparseArray))
	t.RawSetString("encode_max_depth", L.NewFunction(func(L *lua.LState) int {
		return cfgInt(L, "encode_max_depth", &cfg.encodeMaxDepth, 1, math.MaxInt32)
	}))
	t.RawSetString("decode_max_depth", L.NewFunction(func(L *lua.LState) int {
		return cfgInt(L, "decode_max_depth", &cfg.decodeMaxDepth, 1, math.MaxInt32)
	}))
	t.RawSetString("encode_number_precision", L.NewFunction(func(L *lua.LState) int {
		return cfgInt(L, "encode_number_precision", &cfg.precision, 1, 14)
	}))
	t.RawSetString("encode_keep_buffer", L.NewFunction(func(L *lua.LState) int {
		return cfgBool(L, "encode_keep_buffer", &cfg.keepBuffer)
	}))
	t.RawSetString("encode_invalid_numbers", L.NewFunction(cfg.encodeInvalidNumbers))
	t.RawSetString("decode_invalid_numbers", L.NewFunction(func(L *lua.LState) int {
		return cfgBool(L, "decode_invalid_numbers", &cfg.decodeInvalid)
	}))
	t.RawSetString("new", L.NewFunction(func(L *lua.LState) int {
		L.Push(st.openCJSON())
		return 1
	}))
	return t
}

// luaTypeName is lua_typename.
func luaTypeName(v lua.LValue) string {
	switch v.(type) {
	case *lua.LUserData:
		return "userdata"
	}
	return v.Type().String()
}

type cjsonEncoder struct {
	st  *state
	L   *lua.LState
	cfg *cjsonConfig
	buf []byte
}

func (st *state) cjsonEncode(L *lua.LState, cfg *cjsonConfig) int {
	if L.GetTop() != 1 {
		argError(L, 1, "encode", "expected 1 argument")
	}
	enc := cjsonEncoder{st: st, L: L, cfg: cfg}
	enc.value(L.Get(1), 0)
	L.Push(lua.LString(enc.buf))
	return 1
}

func (enc *cjsonEncoder) fail(v lua.LValue, reason string) {
	enc.L.RaiseError("Cannot serialise %s: %s", luaTypeName(v), reason)
}

func (enc *cjsonEncoder) value(v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		enc.str(string(v))
	case lua.LNumber:
		enc.num(v)
	case lua.LBool:
		if v {
			enc.buf = append(enc.buf, "true"...)
		} else {
			enc.buf = append(enc.buf, "false"...)
		}
	case *lua.LTable:
		depth++
		if depth > enc.cfg.encodeMaxDepth {
			enc.L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		t := enc.st.real(v)
		if n := enc.arrayLength(t); n > 0 {
			enc.array(t, n, depth)
		} else {
			enc.object(t, depth)
		}
	case *lua.LNilType:
		enc.buf = append(enc.buf, "null"...)
	case *lua.LUserData:
		if v == enc.st.null {
			enc.buf = append(enc.buf, "null"...)
			return
		}
		enc.fail(v, "type not supported")
	default:
		enc.fail(v, "type not supported")
	}
}

func (enc *cjsonEncoder) num(n lua.LNumber) {
	f := float64(n)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch enc.cfg.encodeInvalid {
		case invalidOff:
			enc.fail(n, "must not be NaN or Inf")
		case invalidNull:
			enc.buf = append(enc.buf, "null"...)
			return
		}
		// "on": what printf writes, as lua-cjson does.
		switch {
		case math.IsNaN(f):
			enc.buf = append(enc.buf, "nan"...)
		case f > 0:
			enc.buf = append(enc.buf, "inf"...)
		default:
			enc.buf = append(enc.buf, "-inf"...)
		}
		return
	}
	enc.buf = appendG(enc.buf, f, enc.cfg.precision)
}

// arrayLength is lua_array_length: the largest positive integer key when
// every key is one, -1 for an object, 0 for an empty table.
func (enc *cjsonEncoder) arrayLength(t *lua.LTable) int {
	max, items := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || n == 0 {
			return -1
		}
		f := float64(n)
		if math.Floor(f) != f || f < 1 {
			return -1
		}
		if f > float64(max) {
			max = int(f)
		}
		items++
	}
	if c := enc.cfg; c.sparseRatio > 0 && max > items*c.sparseRatio && max > c.sparseSafe {
		if c.sparseConvert {
			return -1
		}
		enc.fail(t, "excessively sparse array")
	}
	return max
}

func (enc *cjsonEncoder) array(t *lua.LTable, n, depth int) {
	enc.buf = append(enc.buf, '[')
	for i := 1; i <= n; i++ {
		if i > 1 {
			enc.buf = append(enc.buf, ',')
		}
		enc.value(t.RawGetInt(i), depth)
	}
	enc.buf = append(enc.buf, ']')
}

func (enc *cjsonEncoder) object(t *lua.LTable, depth int) {
	enc.buf = append(enc.buf, '{')
	first := true
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		if !first {
			enc.buf = append(enc.buf, ',')
		}
		first = false
		switch k := k.(type) {
		case lua.LNumber:
			enc.buf = append(enc.buf, '"')
			enc.num(k)
			enc.buf = append(enc.buf, '"', ':')
		case lua.LString:
			enc.str(string(k))
			enc.buf = append(enc.buf, ':')
		default:
			enc.fail(k, "table key must be a number or string")
		}
		enc.value(v, depth)
	}
	enc.buf = append(enc.buf, '}')
}

const hexDigits = "0123456789abcdef"

func (enc *cjsonEncoder) str(s string) {
	enc.buf = append(enc.buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			enc.buf = append(enc.buf, '\\', '"')
		case c == '\\':
			enc.buf = append(enc.buf, '\\', '\\')
		case c == '/':
			enc.buf = append(enc.buf, '\\', '/')
		case c == '\b':
			enc.buf = append(enc.buf, '\\', 'b')
		case c == '\f':
			enc.buf = append(enc.buf, '\\', 'f')
		case c == '\n':
			enc.buf = append(enc.buf, '\\', 'n')
		case c == '\r':
			enc.buf = append(enc.buf, '\\', 'r')
		case c == '\t':
			enc.buf = append(enc.buf, '\\', 't')
		case c < 0x20 || c == 0x7f:
			enc.buf = append(enc.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			enc.buf = append(enc.buf, c)
		}
	}
	enc.buf = append(enc.buf, '"')
}

// JSON tokens, named as lua-cjson names them in errors.
type jsonTok int

const (
	tObjBegin jsonTok = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var jsonTokNames = []string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN"}

type jsonToken struct {
	typ   jsonTok
	index int
	str   string
	num   float64
	b     bool
	err   string
}

type cjsonDecoder struct {
	st    *state
	cfg   *cjsonConfig
	L     *lua.LState
	data  string // ends at the first NUL, as lua-cjson reads a C string
	pos   int
	depth int
	tmp   []byte
}

func (st *state) cjsonDecode(L *lua.LState, cfg *cjsonConfig) int {
	if L.GetTop() != 1 {
		argError(L, 1, "decode", "expected 1 argument")
	}
	s := checkString(L, 1, "decode")
	if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
		L.RaiseError("JSON parser does not support UTF-16 or UTF-32")
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	d := cjsonDecoder{st: st, L: L, cfg: cfg, data: s}
	tok := d.next()
	v := d.value(&tok)
	tok = d.next()
	if tok.typ != tEnd {
		d.fail("the end", &tok)
	}
	L.Push(v)
	return 1
}

func (d *cjsonDecoder) fail(exp string, tok *jsonToken) {
	found := tok.err
	if tok.typ != tError {
		found = jsonTokNames[tok.typ]
	}
	d.L.RaiseError("Expected %s but found %s at character %d", exp, found, tok.index+1)
}

func (d *cjsonDecoder) at(i int) byte {
	if i < len(d.data) {
		return d.data[i]
	}
	return 0
}

func (d *cjsonDecoder) next() jsonToken {
	var tok jsonToken
	for {
		c := d.at(d.pos)
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			d.pos++
			continue
		}
		break
	}
	tok.index = d.pos
	c := d.at(d.pos)
	switch c {
	case 0:
		tok.typ = tEnd
		return tok
	case '{':
		tok.typ = tObjBegin
	case '}':
		tok.typ = tObjEnd
	case '[':
		tok.typ = tArrBegin
	case ']':
		tok.typ = tArrEnd
	case ',':
		tok.typ = tComma
	case ':':
		tok.typ = tColon
	case '"':
		d.string(&tok)
		return tok
	default:
		if c == '-' || c >= '0' && c <= '9' {
			d.number(&tok)
			return tok
		}
		rest := d.data[d.pos:]
		switch {
		case strings.HasPrefix(rest, "true"):
			tok.typ, tok.b = tBoolean, true
			d.pos += 4
		case strings.HasPrefix(rest, "false"):
			tok.typ, tok.b = tBoolean, false
			d.pos += 5
		case strings.HasPrefix(rest, "null"):
			tok.typ = tNull
			d.pos += 4
		case c == '+' || c == 'i' || c == 'I' || c == 'n' || c == 'N':
			if d.cfg.decodeInvalid && d.invalidNumber() {
				d.number(&tok)
			} else {
				d.tokErr(&tok, "invalid token")
			}
		default:
			d.tokErr(&tok, "invalid token")
		}
		return tok
	}
	d.pos++
	return tok
}

func (d *cjsonDecoder) tokErr(tok *jsonToken, msg string) {
	tok.typ = tError
	tok.index = d.pos
	tok.err = msg
}

// invalidNumber is json_is_invalid_number: numbers JSON forbids but
// strtod reads (+1, 0x10, 01, inf, nan), which cjson accepts by default.
func (d *cjsonDecoder) invalidNumber() bool {
	p := d.pos
	if d.at(p) == '+' {
		return true
	}
	if d.at(p) == '-' {
		p++
	}
	if d.at(p) == '0' {
		c2 := d.at(p + 1)
		return c2|0x20 == 'x' || c2 >= '0' && c2 <= '9'
	} else if d.at(p) <= '9' {
		return false
	}
	rest := strings.ToLower(d.data[p:min(p+3, len(d.data))])
	return rest == "inf" || rest == "nan"
}

func (d *cjsonDecoder) number(tok *jsonToken) {
	f, n := strtod(d.data[d.pos:])
	if n == 0 {
		d.tokErr(tok, "invalid number")
		return
	}
	tok.typ = tNumber
	tok.num = f
	d.pos += n
}

// strtod parses the longest prefix of s that C's strtod accepts and
// returns its value and length (0: no number).
func strtod(s string) (float64, int) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return signed(s, inf), i + 8
	case strings.HasPrefix(rest, "inf"):
		return signed(s, inf), i + 3
	case strings.HasPrefix(rest, "nan"):
		return math.NaN(), i + 3
	case strings.HasPrefix(rest, "0x"):
		j := i + 2
		for j < len(s) && isHexDigit(s[j]) {
			j++
		}
		if j == i+2 {
			return 0, i + 1 // just the "0"
		}
		u, _ := strconv.ParseUint(s[i+2:j], 16, 64)
		return signed(s, float64(u)), j
	}
	j := i
	digits := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(s[:j], 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, j
		}
		return 0, 0
	}
	return f, j
}

func signed(s string, f float64) float64 {
	if len(s) > 0 && s[0] == '-' {
		return -f
	}
	return f
}

func (d *cjsonDecoder) string(tok *jsonToken) {
	d.pos++ // the opening quote
	d.tmp = d.tmp[:0]
	for {
		c := d.at(d.pos)
		if c == '"' {
			break
		}
		if c == 0 {
			d.tokErr(tok, "unexpected end of string")
			return
		}
		if c == '\\' {
			e := d.at(d.pos + 1)
			var out byte
			switch e {
			case '"', '\\', '/':
				out = e
			case 'b':
				out = '\b'
			case 'f':
				out = '\f'
			case 'n':
				out = '\n'
			case 'r':
				out = '\r'
			case 't':
				out = '\t'
			case 'u':
				if !d.unicodeEscape() {
					d.tokErr(tok, "invalid unicode escape code")
					return
				}
				continue
			default:
				d.tokErr(tok, "invalid escape code")
				return
			}
			d.tmp = append(d.tmp, out)
			d.pos += 2
			continue
		}
		d.tmp = append(d.tmp, c)
		d.pos++
	}
	d.pos++
	tok.typ = tString
	tok.str = string(d.tmp)
}

func (d *cjsonDecoder) hex4(p int) int {
	if p+4 > len(d.data) {
		return -1
	}
	n := 0
	for i := 0; i < 4; i++ {
		c := d.data[p+i]
		if !isHexDigit(c) {
			return -1
		}
		n = n<<4 | int(hexVal(c))
	}
	return n
}

// unicodeEscape is json_append_unicode_escape: \uXXXX, with surrogate
// pairs, appended as UTF-8.
func (d *cjsonDecoder) unicodeEscape() bool {
	cp := d.hex4(d.pos + 2)
	if cp < 0 {
		return false
	}
	n := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return false
		}
		if d.at(d.pos+6) != '\\' || d.at(d.pos+7) != 'u' {
			return false
		}
		low := d.hex4(d.pos + 8)
		if low < 0 || low&0xFC00 != 0xDC00 {
			return false
		}
		cp = ((cp&0x3FF)<<10 | low&0x3FF) + 0x10000
		n = 12
	}
	d.tmp = utf8.AppendRune(d.tmp, rune(cp))
	d.pos += n
	return true
}

func (d *cjsonDecoder) descend() {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, d.pos)
	}
}

func (d *cjsonDecoder) value(tok *jsonToken) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tNull:
		return d.st.null
	case tObjBegin:
		return d.object()
	case tArrBegin:
		return d.array()
	}
	d.fail("value", tok)
	return lua.LNil
}

func (d *cjsonDecoder) object() lua.LValue {
	d.descend()
	t := d.L.CreateTable(0, 4)
	tok := d.next()
	if tok.typ == tObjEnd {
		d.depth--
		return t
	}
	for {
		if tok.typ != tString {
			d.fail("object key string", &tok)
		}
		key := tok.str
		tok = d.next()
		if tok.typ != tColon {
			d.fail("colon", &tok)
		}
		tok = d.next()
		t.RawSetString(key, d.value(&tok))
		tok = d.next()
		if tok.typ == tObjEnd {
			d.depth--
			return t
		}
		if tok.typ != tComma {
			d.fail("comma or object end", &tok)
		}
		tok = d.next()
	}
}

func (d *cjsonDecoder) array() lua.LValue {
	d.descend()
	t := d.L.CreateTable(4, 0)
	tok := d.next()
	if tok.typ == tArrEnd {
		d.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, d.value(&tok))
		tok = d.next()
		if tok.typ == tArrEnd {
			d.depth--
			return t
		}
		if tok.typ != tComma {
			d.fail("comma or array end", &tok)
		}
		tok = d.next()
	}
}
