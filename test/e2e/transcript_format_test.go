package e2e

// Parsing of transcript files (testdata/transcripts/*.txt) and matching of
// replies against their expectations. The format is described in
// testdata/transcripts/README.md.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// expNode is an expected reply: a literal value, a wildcard, a regexp, or an
// aggregate of expectations.
type expNode struct {
	kind  byte // expAny, expRegexp, expLiteral, or an aggregate kind
	lit   rval
	re    *regexp.Regexp
	elems []*expNode // map: key, value, key, value, ...
}

const (
	expAny     = 'A'
	expRegexp  = 'R'
	expLiteral = 'L'
)

// tStep is one command or runtime directive of a transcript.
type tStep struct {
	line      int    // 1-based line in the file
	directive string // "" for a command; "sleep", "resp2", "resp3"
	sleepMs   int
	args      [][]byte
	text      string // the command as written, without "> "
	conn      int
	only      string // "", "redis" or "damselfly"
	unordered bool
	exp       *expNode
	expFrom   int // expectation lines are lines[expFrom:expTo] (0-based)
	expTo     int
}

type transcript struct {
	name  string
	lines []string
	steps []*tStep
}

// parseTranscript parses a transcript. Expectations may be missing (when
// the file is being written and will be recorded with -update).
func parseTranscript(name, src string) (*transcript, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	tr := &transcript{name: name, lines: lines}
	conn := 1
	only := ""
	onlyLine := 0
	unordered := false
	errf := func(i int, format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", name, i+1, fmt.Sprintf(format, a...))
	}
	for i := 0; i < len(lines); {
		l := lines[i]
		switch {
		case strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#"):
			i++
		case strings.HasPrefix(l, "@"):
			f := strings.Fields(l[1:])
			if len(f) == 0 {
				return nil, errf(i, "empty directive")
			}
			d, rest := f[0], f[1:]
			switch d {
			case "conn":
				if len(rest) != 1 {
					return nil, errf(i, "usage: @conn N")
				}
				n, err := strconv.Atoi(rest[0])
				if err != nil || n < 1 {
					return nil, errf(i, "bad connection number %q", rest[0])
				}
				conn = n
			case "resp2", "resp3":
				if len(rest) != 0 {
					return nil, errf(i, "usage: @%s", d)
				}
				tr.steps = append(tr.steps, &tStep{line: i + 1, directive: d, conn: conn, only: only})
			case "sleep":
				if len(rest) != 1 {
					return nil, errf(i, "usage: @sleep MILLISECONDS")
				}
				ms, err := strconv.Atoi(rest[0])
				if err != nil || ms < 0 {
					return nil, errf(i, "bad duration %q", rest[0])
				}
				tr.steps = append(tr.steps, &tStep{line: i + 1, directive: d, sleepMs: ms, conn: conn, only: only})
			case "unordered":
				if len(rest) != 0 {
					return nil, errf(i, "usage: @unordered")
				}
				unordered = true
			case "redis-only", "damselfly-only":
				if only != "" {
					return nil, errf(i, "@%s inside an @%s-only block (line %d)", d, only, onlyLine)
				}
				if len(rest) == 0 {
					return nil, errf(i, "@%s needs a reason: why do the servers legitimately differ?", d)
				}
				only = strings.TrimSuffix(d, "-only")
				onlyLine = i + 1
			case "end":
				if only == "" {
					return nil, errf(i, "@end without @redis-only/@damselfly-only")
				}
				only = ""
			default:
				return nil, errf(i, "unknown directive @%s", d)
			}
			i++
		case strings.HasPrefix(l, "> "):
			args, err := splitArgs(l[2:])
			if err != nil {
				return nil, errf(i, "%v", err)
			}
			if len(args) == 0 {
				return nil, errf(i, "empty command")
			}
			st := &tStep{line: i + 1, args: args, text: l[2:], conn: conn, only: only, unordered: unordered}
			unordered = false
			i++
			st.expFrom = i
			for i < len(lines) && isExpectLine(lines[i]) {
				i++
			}
			st.expTo = i
			if st.expTo > st.expFrom {
				exp, next, err := parseItem(lines, st.expFrom, 0)
				if err != nil {
					return nil, errf(next, "%v", err)
				}
				if next != st.expTo {
					return nil, errf(next, "unexpected line after the reply: %q", lines[next])
				}
				st.exp = exp
			}
			tr.steps = append(tr.steps, st)
		default:
			return nil, errf(i, "expected a command (\"> ...\"), a directive (@...), a comment or a blank line, got %q", l)
		}
	}
	if only != "" {
		return nil, fmt.Errorf("%s:%d: @%s-only block not closed by @end", name, onlyLine, only)
	}
	if unordered {
		return nil, fmt.Errorf("%s: @unordered at the end of the file", name)
	}
	return tr, nil
}

func isExpectLine(l string) bool {
	return strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "@") && !strings.HasPrefix(l, "> ")
}

// splitArgs splits a command line as redis-cli does (sdssplitargs):
// blanks separate arguments; "double quotes" take \xHH \n \r \t \b \a \\ \"
// escapes; 'single quotes' take \' only. A closing quote must be followed
// by a blank or the end of the line.
func splitArgs(s string) ([][]byte, error) {
	var out [][]byte
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return out, nil
		}
		cur := []byte{}
		inq, insq := false, false
	token:
		for {
			if i >= len(s) {
				if inq || insq {
					return nil, fmt.Errorf("unbalanced quotes in %q", s)
				}
				break
			}
			c := s[i]
			switch {
			case inq:
				switch {
				case c == '\\' && i+3 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]):
					v, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
					cur = append(cur, byte(v))
					i += 3
				case c == '\\' && i+1 < len(s):
					i++
					cur = append(cur, unescape(s[i]))
				case c == '"':
					if i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '\t' {
						return nil, fmt.Errorf("closing quote must be followed by a space in %q", s)
					}
					i++
					break token
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && i+1 < len(s) && s[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '\t' {
						return nil, fmt.Errorf("closing quote must be followed by a space in %q", s)
					}
					i++
					break token
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\t':
					break token
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			i++
		}
		out = append(out, cur)
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// unquote reads a "quoted" string (the escapes quote writes, plus those
// splitArgs takes) at the start of s; it returns the value and the rest.
func unquote(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("expected a quoted string at %q", s)
	}
	var b []byte
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return string(b), s[i+1:], nil
		case c == '\\' && i+3 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]):
			v, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
			b = append(b, byte(v))
			i += 3
		case c == '\\' && i+1 < len(s):
			i++
			b = append(b, unescape(s[i]))
		default:
			b = append(b, c)
		}
	}
	return "", "", fmt.Errorf("unterminated quoted string %q", s)
}

var prefixRe = regexp.MustCompile(`^( *)(\d+)([)#~>]) `)

func aggKind(m byte) byte {
	switch m {
	case '#':
		return kMap
	case '~':
		return kSet
	case '>':
		return kPush
	}
	return kArray
}

// parseItem parses the reply that starts at lines[i][col:], with its
// continuation lines; it returns the next unread line.
func parseItem(lines []string, i, col int) (*expNode, int, error) {
	line := lines[i]
	if len(line) < col {
		return nil, i, fmt.Errorf("missing element")
	}
	m := prefixRe.FindStringSubmatch(line[col:])
	if m == nil {
		n, err := parseScalar(line[col:])
		return n, i + 1, err
	}
	w, mk := len(m[0]), m[3][0]
	node := &expNode{kind: aggKind(mk)}
	for idx := 1; ; idx++ {
		if n, _ := strconv.Atoi(m[2]); n != idx {
			return nil, i, fmt.Errorf("element %d numbered %s", idx, m[2])
		}
		ecol := col + w
		var next int
		if node.kind == kMap {
			key, ok := splitKey(line[ecol:])
			if !ok {
				return nil, i, fmt.Errorf("map entry without \" => \": %q", line[ecol:])
			}
			k, err := parseScalar(key)
			if err != nil {
				return nil, i, err
			}
			if k.kind != expLiteral {
				return nil, i, fmt.Errorf("map keys must be literal, got %q", key)
			}
			v, n, err := parseItem(lines, i, ecol+len(key)+4)
			if err != nil {
				return nil, n, err
			}
			node.elems = append(node.elems, k, v)
			next = n
		} else {
			e, n, err := parseItem(lines, i, ecol)
			if err != nil {
				return nil, n, err
			}
			node.elems = append(node.elems, e)
			next = n
		}
		i = next
		if i >= len(lines) || len(lines[i]) < col+w || strings.TrimLeft(lines[i][:col], " ") != "" {
			break
		}
		m = prefixRe.FindStringSubmatch(lines[i][col:])
		if m == nil || len(m[0]) != w || m[3][0] != mk {
			break
		}
		line = lines[i]
	}
	return node, i, nil
}

// splitKey returns the text of a map key: everything before the first
// " => " outside quotes.
func splitKey(s string) (string, bool) {
	inq := false
	for i := 0; i < len(s); i++ {
		switch {
		case inq && s[i] == '\\':
			i++
		case s[i] == '"':
			inq = !inq
		case !inq && strings.HasPrefix(s[i:], " => "):
			return s[:i], true
		}
	}
	return "", false
}

var fixedScalars = map[string]rval{
	"(nil)":         {kind: kNilBulk},
	"(nil array)":   {kind: kNilArray},
	"(null)":        {kind: kNull},
	"(true)":        {kind: kBool, b: true},
	"(false)":       {kind: kBool},
	"(no reply)":    {kind: kNoReply},
	"(closed)":      {kind: kClosed},
	"(timeout)":     {kind: kTimeout},
	"(empty array)": {kind: kArray},
	"(empty map)":   {kind: kMap},
	"(empty set)":   {kind: kSet},
	"(empty push)":  {kind: kPush},
}

var verbatimRe = regexp.MustCompile(`^\(verbatim (...)\) `)

// parseScalar parses one complete one-line reply.
func parseScalar(s string) (*expNode, error) {
	lit := func(v rval) (*expNode, error) { return &expNode{kind: expLiteral, lit: v}, nil }
	quoted := func(kind byte, q string) (*expNode, error) {
		v, rest, err := unquote(q)
		if err != nil {
			return nil, err
		}
		if rest != "" {
			return nil, fmt.Errorf("text after the closing quote: %q", rest)
		}
		return lit(rval{kind: kind, str: v})
	}
	if v, ok := fixedScalars[s]; ok {
		return lit(v)
	}
	switch {
	case s == "(any)":
		return &expNode{kind: expAny}, nil
	case strings.HasPrefix(s, "~ "):
		re, err := regexp.Compile(`^(?:` + s[2:] + `)$`)
		if err != nil {
			return nil, err
		}
		return &expNode{kind: expRegexp, re: re}, nil
	case strings.HasPrefix(s, `"`):
		return quoted(kBulk, s)
	case strings.HasPrefix(s, "(status) "):
		return quoted(kSimple, s[9:])
	case strings.HasPrefix(s, `(error) "`):
		return quoted(kError, s[8:])
	case strings.HasPrefix(s, "(error) "):
		return lit(rval{kind: kError, str: s[8:]})
	case strings.HasPrefix(s, "(integer) "):
		n, err := strconv.ParseInt(s[10:], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", s)
		}
		return lit(rval{kind: kInt, num: n})
	case strings.HasPrefix(s, "(double) ") && plain(s[9:]):
		return lit(rval{kind: kDouble, str: s[9:]})
	case strings.HasPrefix(s, "(bignum) ") && plain(s[9:]):
		return lit(rval{kind: kBigNum, str: s[9:]})
	case verbatimRe.MatchString(s):
		n, err := quoted(kVerbatim, s[15:])
		if err == nil {
			n.lit.fmt = s[10:13]
		}
		return n, err
	case bareStatus(s):
		return lit(rval{kind: kSimple, str: s})
	}
	return nil, fmt.Errorf("cannot parse reply %q", s)
}

// match reports whether v satisfies e. unordered applies to this level only.
func (e *expNode) match(v rval, unordered bool) bool {
	switch e.kind {
	case expAny:
		return v.kind != kNoReply && v.kind != kClosed && v.kind != kTimeout
	case expRegexp:
		if v.aggregate() && len(v.elems) > 0 {
			return false
		}
		return e.re.MatchString(scalarText(v))
	case expLiteral:
		return e.lit.equal(v)
	}
	if v.kind != e.kind || len(v.elems) != len(e.elems) {
		return false
	}
	step := 1
	if e.kind == kMap {
		step = 2
	}
	if !unordered {
		for i := range e.elems {
			if !e.elems[i].match(v.elems[i], false) {
				return false
			}
		}
		return true
	}
	// Multiset match of entries, with backtracking.
	n := len(e.elems) / step
	used := make([]bool, n)
	var try func(i int) bool
	try = func(i int) bool {
		if i == n {
			return true
		}
		for j := 0; j < n; j++ {
			if used[j] {
				continue
			}
			ok := true
			for k := 0; k < step; k++ {
				if !e.elems[i*step+k].match(v.elems[j*step+k], false) {
					ok = false
					break
				}
			}
			if ok {
				used[j] = true
				if try(i + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	return try(0)
}

// TestTranscriptFormat checks the format without servers: rendering parses
// back to an expectation that matches the value, patterns and @unordered
// match as documented, and command lines split like redis-cli's.
func TestTranscriptFormat(t *testing.T) {
	bulk := func(s string) rval { return rval{kind: kBulk, str: s} }
	integer := func(n int64) rval { return rval{kind: kInt, num: n} }
	var twelve []rval
	for i := 0; i < 12; i++ {
		twelve = append(twelve, rval{kind: kArray, elems: []rval{bulk(fmt.Sprint(i)), integer(int64(i))}})
	}
	values := []rval{
		{kind: kSimple, str: "OK"},
		{kind: kSimple, str: "1 not bare"},
		{kind: kSimple, str: ""},
		{kind: kError, str: "ERR unknown command 'x', with args beginning with: "},
		{kind: kError, str: `"quoted" error`},
		bulk("a\x00b\r\n\t\"\\\xff => x"),
		bulk(""),
		integer(-42),
		{kind: kNull}, {kind: kNilBulk}, {kind: kNilArray},
		{kind: kDouble, str: "-inf"}, {kind: kBool, b: true}, {kind: kBool},
		{kind: kBigNum, str: "123456789012345678901234567890"},
		{kind: kVerbatim, fmt: "txt", str: "line1\nline2"},
		{kind: kArray}, {kind: kMap}, {kind: kSet}, {kind: kNoReply}, {kind: kClosed},
		{kind: kArray, elems: twelve},
		{kind: kMap, elems: []rval{
			bulk("k => v"), {kind: kSet, elems: []rval{bulk("a"), {kind: kArray, elems: []rval{integer(1), {kind: kNull}}}}},
			integer(7), {kind: kMap, elems: []rval{bulk("x"), {kind: kArray}}},
			bulk("last"), {kind: kPush, elems: []rval{bulk("p")}},
		}},
	}
	for _, v := range values {
		lines := render(v)
		e, next, err := parseItem(lines, 0, 0)
		if err != nil || next != len(lines) {
			t.Fatalf("render/parse %v: next %d of %d, err %v\n%s", v, next, len(lines), err, strings.Join(lines, "\n"))
		}
		if !e.match(v, false) {
			t.Errorf("round trip does not match:\n%s", strings.Join(lines, "\n"))
		}
	}

	tr, err := parseTranscript("t.txt", `# comment
> SMEMBERS "s\x00" 'it\'s' a"b c"
@unordered
> X
1) "b"
2) ~ "a+"
3) (any)
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%q", tr.steps[0].args); got != `["SMEMBERS" "s\x00" "it's" "ab c"]` {
		t.Errorf("splitArgs: %s", got)
	}
	st := tr.steps[1]
	if !st.unordered || tr.steps[0].unordered {
		t.Errorf("@unordered applies to the next command only")
	}
	v := rval{kind: kArray, elems: []rval{integer(1), bulk("aaa"), bulk("b")}}
	if !st.exp.match(v, true) || st.exp.match(v, false) {
		t.Errorf("unordered/pattern matching is wrong")
	}
	for _, bad := range []string{"> X\n1) \"a\"\n3) \"b\"\n", "@redis-only\n@end\n", "> X\n(integer) x\n", "@conn 1\n@damselfly-only why\n", "> \"a\"b\n"} {
		if _, err := parseTranscript("bad.txt", bad); err == nil {
			t.Errorf("parsed %q without error", bad)
		}
	}
}
