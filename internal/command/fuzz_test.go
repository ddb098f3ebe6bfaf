package command

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// fuzzSkip are commands whose purpose is to stop, sleep or hand the
// connection to another protocol: in-process they would hang the target
// rather than find a bug (DEBUG SLEEP/SEGFAULT, SHUTDOWN, MONITOR, WAIT
// with no replica and no socket to watch), and MIGRATE, which dials the
// host its arguments name (traffic beyond loopback, and a wait of up to
// its timeout: it made a CI fuzz run end in "context deadline exceeded").
var fuzzSkip = map[string]bool{"debug": true, "shutdown": true, "monitor": true, "wait": true, "waitaof": true, "sync": true, "psync": true, "migrate": true}

// fuzzWords are the arguments the fuzzer picks from: keys of every type,
// numbers at the edges, options of many commands, subcommand names.
func fuzzWords(specs []*Spec) []string {
	w := []string{"str", "num", "list", "hash", "set", "zset", "stream", "hll", "nokey", "str2",
		"0", "1", "-1", "2", "10", "100", "-100", "3.5", "-0", "1e308", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "18446744073709551616", "inf", "-inf", "+inf", "nan", "",
		"abc", "*", "?", "[", "$", ">", "+", "-", "(1", "[a", "0-0", "1-1", "*-*", "0.0", "1e-400", "0x10",
		"NX", "XX", "GT", "LT", "CH", "INCR", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "GET", "WITHSCORES", "LIMIT",
		"BYSCORE", "BYLEX", "REV", "COUNT", "MATCH", "TYPE", "BLOCK", "STREAMS", "GROUP", "MAXLEN", "MINID", "~", "=",
		"LEFT", "RIGHT", "BEFORE", "AFTER", "AGGREGATE", "SUM", "MIN", "MAX", "WEIGHTS", "STORE", "ASC", "DESC", "ALPHA",
		"BY", "IDLE", "TIME", "RETRYCOUNT", "FORCE", "JUSTID", "MKSTREAM", "ENTRIESREAD", "NOMKSTREAM", "WITHVALUES",
		"IDX", "LEN", "MINMATCHLEN", "WITHMATCHLEN", "FROMMEMBER", "FROMLONLAT", "BYRADIUS", "BYBOX", "m", "km",
		"WITHCOORD", "WITHDIST", "WITHHASH", "ANY", "STOREDIST", "RANK", "MAXLEN", "u8", "i64", "OVERFLOW", "WRAP", "FAIL",
		"SAT", "RESET", "ON", "OFF", "YES", "NO", "SAMPLES", "REPLACE", "ABSTTL", "FREQ", "DB", "ASYNC", "SYNC",
		"return 1", "return redis.call('get', KEYS[1])", "return {1,{err='x'}}", "#!lua name=lib\nredis.register_function('f', function() return 1 end)",
		"\x00\xff\r\n", strings.Repeat("x", 300)}
	for _, s := range specs {
		for _, sub := range s.Subcommands {
			w = append(w, sub.Name)
		}
	}
	return w
}

// fuzzState fills the keyspace with one key of each type.
var fuzzState = [][]string{
	{"SET", "str", "hello"}, {"SET", "num", "42"}, {"RPUSH", "list", "a", "b", "c"},
	{"HSET", "hash", "f", "v", "n", "1"}, {"SADD", "set", "a", "1", "2"}, {"ZADD", "zset", "1", "a", "2.5", "b"},
	{"XADD", "stream", "1-1", "f", "v"}, {"XGROUP", "CREATE", "stream", "g", "0"}, {"PFADD", "hll", "a", "b"},
}

// FuzzCommandArgs runs random argument vectors through every command of
// the real table on a real store, as a connection would: no command may
// panic, every reply must be one valid RESP reply in RESP2 and RESP3, and
// afterwards the connection must still work (RESET, PING) and the store
// be consistent (DBSIZE equals the keys KEYS * lists).
func FuzzCommandArgs(f *testing.F) {
	specs := NewTable().All()
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	var names []string
	for _, s := range specs {
		if !fuzzSkip[s.Name] {
			names = append(names, s.Name)
		}
	}
	words := fuzzWords(specs)
	for i := range names {
		f.Add(uint16(i), []byte{0, 1, 2}, false)
		f.Add(uint16(i), []byte{10, 11, 12, 13, 14, 15}, true)
		f.Add(uint16(i), []byte{}, false)
	}
	f.Fuzz(func(t *testing.T, which uint16, data []byte, resp3 bool) {
		if len(data) > 64 {
			return
		}
		name := names[int(which)%len(names)]
		args := [][]byte{[]byte(name)}
		for i := 0; i < len(data); i++ {
			b := data[i]
			if b >= 0xf0 && i+1 < len(data) { // raw bytes: the next (b&15)+1 of them
				end := min(len(data), i+2+int(b&15))
				args = append(args, append([]byte(nil), data[i+1:end]...))
				i = end - 1
				continue
			}
			args = append(args, []byte(words[int(b)%len(words)]))
		}
		if name == "client" && len(args) > 1 && strings.EqualFold(string(args[1]), "pause") {
			return // pauses this very connection for as long as it says
		}
		proto := 2
		if resp3 {
			proto = 3
		}
		e := testEnv(2)
		e.Shutdown = func(bool) error { return nil }
		c := testCtx(e, proto)
		c.Client.Kill = func() {}
		c.Client.Push = func([]byte) {}
		c.Client.Flush = func() {}
		for _, cmd := range fuzzState {
			run(c, cmd...)
		}
		c.W.Reset()
		c.Args = args
		e.Exec(c)
		if w, _ := c.TakeBlocked(); w != nil {
			// A connection would park here; the fuzzer gives up waiting.
			e.CancelBlocked(c, w)
			c.W.Reset()
		}
		if n, err := resp.Validate(c.W.Buf); len(c.W.Buf) > 0 && (err != nil || n != len(c.W.Buf)) {
			// A pipeline of replies is fine as long as each is valid.
			for b := c.W.Buf; len(b) > 0; {
				m, err := resp.Validate(b)
				if err != nil {
					t.Fatalf("%q: reply is not valid RESP%d (%v): %q", args, proto, err, c.W.Buf)
				}
				b = b[m:]
			}
		}
		if got := run(c, "RESET"); got != "+RESET\r\n" {
			t.Fatalf("%q: RESET afterwards got %q", args, got)
		}
		if got := run(c, "PING"); got != "+PONG\r\n" {
			t.Fatalf("%q: PING afterwards got %q", args, got)
		}
		c.W.Proto = 2
		c.Client.Proto = 2
		for db := 0; db < 16; db++ {
			run(c, "SELECT", strconv.Itoa(db))
			size := run(c, "DBSIZE")
			keys := run(c, "KEYS", "*")
			if _, err := resp.Validate([]byte(keys)); err != nil || !strings.HasPrefix(keys, "*") {
				t.Fatalf("%q: KEYS * afterwards: %q", args, keys)
			}
			n := keys[1:strings.IndexByte(keys, '\r')]
			if size != ":"+n+"\r\n" {
				t.Fatalf("%q: db %d: DBSIZE %q but KEYS * lists %s keys", args, db, size, n)
			}
		}
	})
}
