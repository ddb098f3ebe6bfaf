package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDebugPopulateDragonflyForm: Dragonfly's DEBUG POPULATE flags, as its
// test suites use them to fill a server: each TYPE with ELEMENTS, RAND
// values (hex of the given size), EXPIRE ranges, SLOTS, and the errors.
// The plain form keeps Redis's values (checked on redis-server too in
// TestServerCommandsMatchRedis).
func TestDebugPopulateDragonflyForm(t *testing.T) {
	s := Start(t)
	w := dialWire(t, s.Addr)
	for _, c := range []struct {
		args    []string
		typ     string
		lenCmd  []string
		wantLen string
	}{
		{[]string{"10", "l", "8", "RAND", "TYPE", "list", "ELEMENTS", "5"}, "list", []string{"LLEN"}, ":5\r\n"},
		{[]string{"10", "s", "8", "RAND", "TYPE", "SET", "ELEMENTS", "50"}, "set", []string{"SCARD"}, ":50\r\n"},
		{[]string{"10", "h", "10", "TYPE", "hash", "RAND", "ELEMENTS", "7"}, "hash", []string{"HLEN"}, ":7\r\n"},
		{[]string{"10", "z", "12", "TYPE", "zset", "ELEMENTS", "9", "RAND"}, "zset", []string{"ZCARD"}, ":9\r\n"},
		{[]string{"10", "x", "8", "TYPE", "stream", "ELEMENTS", "8", "RAND"}, "stream", []string{"XLEN"}, ":2\r\n"},
		{[]string{"10", "str", "33", "RAND"}, "string", []string{"STRLEN"}, ":33\r\n"},
		// Elements of 8 KB go four to a command (32 KB at most each).
		{[]string{"2", "big", "8192", "TYPE", "LIST", "ELEMENTS", "10"}, "list", []string{"LLEN"}, ":10\r\n"},
	} {
		if got := w.do(append([]string{"DEBUG", "POPULATE"}, c.args...)...); got != "+OK\r\n" {
			t.Fatalf("DEBUG POPULATE %v: %q", c.args, got)
		}
		for i := 0; i < 10; i++ {
			key := c.args[1] + ":" + strconv.Itoa(i)
			if c.args[0] == "2" && i >= 2 {
				break
			}
			if got := w.do("TYPE", key); got != "+"+c.typ+"\r\n" {
				t.Fatalf("TYPE %s after %v: %q", key, c.args, got)
			}
			if got := w.do(append(c.lenCmd, key)...); got != c.wantLen {
				t.Fatalf("%v %s after %v: %q, want %q", c.lenCmd, key, c.args, got, c.wantLen)
			}
		}
	}
	if got := w.do("GET", "str:3"); len(got) != len("$33\r\n\r\n")+33 || strings.Trim(got[5:38], "0123456789abcdef") != "" {
		t.Fatalf("a RAND value is 33 hex digits: %q", got)
	}
	if got := w.do("LINDEX", "big:1", "0"); got != respBulk(strings.Repeat("x", 8192)) {
		t.Fatalf("a value without RAND is 'x' repeated: %q", wireTrunc(got, 40))
	}

	// EXPIRE min max: a TTL in [min, max).
	w.do("DEBUG", "POPULATE", "20", "e", "5", "EXPIRE", "100", "200")
	for i := 0; i < 20; i++ {
		got := w.do("TTL", "e:"+strconv.Itoa(i))
		ttl, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(got, ":")))
		if ttl < 98 || ttl >= 200 {
			t.Fatalf("TTL of e:%d: %q, want within [100, 200)", i, got)
		}
	}

	// SLOTS a b: count keys, all within the slot range.
	w.do("SELECT", "1")
	if got := w.do("DEBUG", "POPULATE", "30", "sl", "4", "SLOTS", "0", "1000"); got != "+OK\r\n" {
		t.Fatalf("DEBUG POPULATE ... SLOTS: %q", got)
	}
	if got := w.do("DBSIZE"); got != ":30\r\n" {
		t.Fatalf("DBSIZE after populating 30 keys in slots 0-1000: %q", got)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"3", "j", "0", "RAND"}, "-ERR val_size must be positive\r\n"},
		{[]string{"3", "j", "5", "EXPIRE", "5", "5"}, "-ERR expiry is out of range\r\n"},
		{[]string{"3", "j", "5", "BOGUS"}, "-ERR syntax error\r\n"},
		{[]string{"3", "j", "5", "TYPE"}, "-ERR syntax error\r\n"},
		{[]string{"3", "j", "5", "ELEMENTS", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"3", "j", "5", "SLOTS", "0", "16384"}, "-ERR value is not an integer or out of range\r\n"},
	} {
		if got := w.do(append([]string{"DEBUG", "POPULATE"}, c.args...)...); got != c.want {
			t.Errorf("DEBUG POPULATE %v: %q, want %q", c.args, got, c.want)
		}
	}
	// A type without a command here creates nothing, as in Dragonfly.
	if got := w.do("DEBUG", "POPULATE", "3", "j", "5", "TYPE", "json"); got != "+OK\r\n" {
		t.Errorf("DEBUG POPULATE ... TYPE json: %q", got)
	}
	if got := w.do("DBSIZE"); got != ":30\r\n" {
		t.Fatalf("a refused DEBUG POPULATE created keys: DBSIZE %q", got)
	}
}

// TestDebugWatched: Dragonfly's DEBUG WATCHED lists the keys of the
// current database that clients are blocked on, and nothing once they
// are served (Dragonfly's list tests check it after every BLPOP).
func TestDebugWatched(t *testing.T) {
	s := Start(t)
	w := dialWire(t, s.Addr)
	if got := w.do("DEBUG", "WATCHED"); got != "*4\r\n$6\r\nawaked\r\n*0\r\n$7\r\nwatched\r\n*0\r\n" {
		t.Fatalf("DEBUG WATCHED with nobody blocked: %q", got)
	}
	b := dialWire(t, s.Addr)
	b.writeStr(string(respCmd("BLPOP", "list2{t}", "list1{t}", "0")))
	deadline := time.Now().Add(5 * time.Second)
	want := "*4\r\n$6\r\nawaked\r\n*0\r\n$7\r\nwatched\r\n*2\r\n$8\r\nlist1{t}\r\n$8\r\nlist2{t}\r\n"
	for got := ""; got != want; got = w.do("DEBUG", "WATCHED") {
		if time.Now().After(deadline) {
			t.Fatalf("DEBUG WATCHED with a BLPOP on two keys: %q, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.do("SELECT", "1")
	if got := w.do("DEBUG", "WATCHED"); got != "*4\r\n$6\r\nawaked\r\n*0\r\n$7\r\nwatched\r\n*0\r\n" {
		t.Fatalf("DEBUG WATCHED in another database: %q", got)
	}
	w.do("SELECT", "0")
	w.do("LPUSH", "list1{t}", "a")
	b.expect("*2\r\n$8\r\nlist1{t}\r\n$1\r\na\r\n")
	if got := w.do("DEBUG", "WATCHED"); got != "*4\r\n$6\r\nawaked\r\n*0\r\n$7\r\nwatched\r\n*0\r\n" {
		t.Fatalf("DEBUG WATCHED after the client was served: %q", got)
	}
}

// TestRSSOOMDenyRatio: Dragonfly's rss_oom_deny_ratio. Off by default
// (Redis has no such rule); set, writes fail with -OOM while RSS is over
// maxmemory times the ratio, reads still work, new connections go only
// through the admin port, and all comes back once RSS falls (FLUSHALL).
func TestRSSOOMDenyRatio(t *testing.T) {
	if got := dialWire(t, Start(t).Addr).do("CONFIG", "GET", "rss_oom_deny_ratio"); got != "*2\r\n$18\r\nrss_oom_deny_ratio\r\n$2\r\n-1\r\n" {
		t.Fatalf("CONFIG GET rss_oom_deny_ratio by default: %q", got)
	}
	admin := freePort(t)
	s := Start(t, "--maxmemory=256mb", "--rss_oom_deny_ratio=0.25", fmt.Sprintf("--admin_port=%d", admin))
	w := dialWire(t, s.Addr)
	// 120 MB of values: RSS far over 64 MB.
	if got := w.do("DEBUG", "POPULATE", "3000", "key", "40000", "RAND"); got != "+OK\r\n" {
		t.Fatalf("DEBUG POPULATE: %q", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := w.do("SET", "x", "y")
		if got == oomReply {
			break
		}
		if got != "+OK\r\n" || time.Now().After(deadline) {
			t.Fatalf("SET with RSS over maxmemory x rss_oom_deny_ratio: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := w.do("GET", "key:1"); !strings.HasPrefix(got, "$40000\r\n") {
		t.Fatalf("GET while writes are refused: %q", wireTrunc(got, 40))
	}
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("PING\r\n"))
	if n, err := c.Read(make([]byte, 16)); err == nil {
		t.Fatalf("a new connection on the main port was served (%d bytes) while RSS is over the ratio", n)
	}
	c.Close()
	a := dialWire(t, fmt.Sprintf("127.0.0.1:%d", admin))
	if got := a.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING on the admin port: %q", got)
	}
	if got := a.do("FLUSHALL", "SYNC"); got != "+OK\r\n" {
		t.Fatalf("FLUSHALL SYNC: %q", got)
	}
	deadline = time.Now().Add(10 * time.Second)
	for w.do("SET", "x", "y") != "+OK\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("writes still refused 10 s after FLUSHALL")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := dialWire(t, s.Addr).do("PING"); got != "+PONG\r\n" {
		t.Fatalf("a new connection after RSS fell: %q", got)
	}
}

// TestLuaAsyncCalls: Dragonfly's redis.acall and redis.apcall run the
// command; an error aborts the script with acall, as with call, and is
// returned with apcall, as with pcall (Dragonfly's
// test_eval_error_propagation).
func TestLuaAsyncCalls(t *testing.T) {
	w := dialWire(t, Start(t).Addr)
	if got := w.do("EVAL", "redis.acall('RPUSH', KEYS[1], 'a', 'b') redis.apcall('RPUSH', KEYS[1], 'c') return redis.call('LLEN', KEYS[1])", "1", "l"); got != ":3\r\n" {
		t.Fatalf("acall/apcall then LLEN: %q", got)
	}
	for _, fn := range []string{"call", "acall"} {
		if got := w.do("EVAL", "redis."+fn+"('LTRIM', 'l', 'a', 'b') return 'not reached'", "1", "l"); !strings.HasPrefix(got, "-ERR value is not an integer") {
			t.Errorf("redis.%s of a failing command: %q", fn, got)
		}
	}
	for _, fn := range []string{"pcall", "apcall"} {
		if got := w.do("EVAL", "local r = redis."+fn+"('LTRIM', 'l', 'a', 'b') return r.err", "1", "l"); !strings.HasPrefix(got, "$") || !strings.Contains(got, "not an integer") {
			t.Errorf("redis.%s of a failing command: %q", fn, got)
		}
	}
}

// TestLuaDragonflyLib: the `dragonfly` table Dragonfly's test tooling
// fingerprints datasets with: ihash folds a command's reply into a hash
// (equal data, equal hash; sorted when asked, so set order does not
// matter), randstr makes random strings; table.unpack exists. pairs(_G)
// still lists Redis's globals only.
func TestLuaDragonflyLib(t *testing.T) {
	w := dialWire(t, Start(t).Addr)
	const hashSet = "return dragonfly.ihash(7, true, 'SMEMBERS', KEYS[1])"
	w.do("SADD", "a", "x", "y", "z", "w")
	ha := w.do("EVAL", hashSet, "1", "a")
	w.do("DEL", "a")
	w.do("SADD", "a", "w", "z", "y", "x")
	if hb := w.do("EVAL", hashSet, "1", "a"); !strings.HasPrefix(ha, ":") || ha != hb {
		t.Fatalf("ihash (sorted) of the same set added in two orders: %q, %q", ha, hb)
	}
	w.do("RENAME", "a", "c")
	w.do("RENAME", "c", "a")
	if got := w.do("EVAL", hashSet, "1", "a"); got != ha {
		t.Fatalf("ihash after renames back and forth: %q, was %q", got, ha)
	}
	w.do("SADD", "a", "v")
	if got := w.do("EVAL", hashSet, "1", "a"); got == ha {
		t.Fatalf("ihash unchanged after SADD: %q", got)
	}
	w.do("MSET", "k1", "1", "k2", "2")
	mget := "return dragonfly.ihash(0, false, 'MGET', table.unpack(KEYS))"
	h1 := w.do("EVAL", mget, "2", "k1", "k2")
	w.do("SET", "k2", "3")
	if h2 := w.do("EVAL", mget, "2", "k1", "k2"); h1 == h2 || !strings.HasPrefix(h2, ":") {
		t.Fatalf("ihash of MGET before and after a change: %q, %q", h1, h2)
	}
	if got := w.do("EVAL", "local t = dragonfly.randstr(12, 3) return {#t, #t[1], #dragonfly.randstr(5)}", "0"); got != "*3\r\n:3\r\n:12\r\n:5\r\n" {
		t.Fatalf("randstr sizes: %q", got)
	}
	if got := w.do("EVAL", "return dragonfly.randstr(0)", "0"); !strings.Contains(got, "randstr: size must be between 1 and 16777216") {
		t.Fatalf("randstr(0): %q", got)
	}
	if got := w.do("EVAL", "for k in pairs(_G) do if k == 'dragonfly' then return 1 end end return 0", "0"); got != ":0\r\n" {
		t.Fatalf("pairs(_G) lists dragonfly: %q", got)
	}
}

// TestHTTPAPI: Dragonfly's POST /api (--expose_http_api) on the client
// port: a command as a JSON array, its reply as JSON, errors as
// {"error": ...}, a bad body 400, behind requirepass like the console;
// without the flag there is no such endpoint.
func TestHTTPAPI(t *testing.T) {
	post := func(addr, body, user, pass string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", "http://"+addr+"/api", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	s := Start(t, "--expose_http_api")
	for _, c := range []struct{ body, want string }{
		{`["set", "foo", "МайяХилли", "ex", "100"]`, `{"result":"OK"}`},
		{`["get", "foo"]`, `{"result":"МайяХилли"}`},
		{`["get", "nothing"]`, `{"result":null}`},
		{`["hset", "h", "k1", "1", "k2", "2"]`, `{"result":2}`},
		{`["hkeys", "h"]`, `{"result":["k1","k2"]}`},
		{`["set", "q", "a\"b\\c\n<&>"]`, `{"result":"OK"}`},
		{`["get", "q"]`, `{"result":"a\"b\\c\n<&>"}`},
		{`["foo", "bar"]`, "{\"error\": \"unknown command `FOO`\"}"},
		{`["incr", "foo"]`, `{"error": "value is not an integer or out of range"}`},
		{`["lpush", "foo", "x"]`, `{"error": "WRONGTYPE Operation against a key holding the wrong kind of value"}`},
	} {
		if code, got := post(s.Addr, c.body, "", ""); code != 200 || strings.TrimSpace(got) != c.want {
			t.Errorf("POST /api %s: %d %q, want %q", c.body, code, got, c.want)
		}
	}
	for _, bad := range []string{`[1, 2]`, `{"a": 1}`, `[]`, `not json`} {
		if code, _ := post(s.Addr, bad, "", ""); code != 400 {
			t.Errorf("POST /api %s: status %d, want 400", bad, code)
		}
	}
	if got := dialWire(t, s.Addr).do("TTL", "foo"); got == ":-1\r\n" || got == ":-2\r\n" {
		t.Fatalf("SET ... EX 100 through /api: TTL %q", got)
	}

	off := Start(t, "--requirepass", "XXX")
	if code, _ := post(off.Addr, `["ping"]`, "default", "XXX"); code == 200 {
		t.Fatalf("POST /api answered without --expose_http_api")
	}
	sec := Start(t, "--expose_http_api", "--requirepass", "XXX")
	for _, c := range []struct {
		user, pass string
		want       int
	}{{"", "", 401}, {"default", "bad", 401}, {"default", "XXX", 200}} {
		if code, _ := post(sec.Addr, `["ping"]`, c.user, c.pass); code != c.want {
			t.Errorf("POST /api as %q/%q with requirepass: %d, want %d", c.user, c.pass, code, c.want)
		}
	}
}

// TestAdminNoPass: with --admin_nopass the admin port needs no password,
// for RESP clients and the console, while the client port still does.
func TestAdminNoPass(t *testing.T) {
	admin := freePort(t)
	s := Start(t, "--requirepass", "XXX", fmt.Sprintf("--admin_port=%d", admin), "--admin_nopass")
	adminAddr := fmt.Sprintf("127.0.0.1:%d", admin)
	if got := dialWire(t, adminAddr).do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET on the admin port without AUTH: %q", got)
	}
	if got := dialWire(t, s.Addr).do("GET", "k"); !strings.HasPrefix(got, "-NOAUTH") {
		t.Fatalf("GET on the client port without AUTH: %q", got)
	}
	for addr, want := range map[string]int{adminAddr: 200, s.Addr: 401} {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("console at %s without credentials: %d, want %d", addr, resp.StatusCode, want)
		}
	}
}

// TestDflyCommand: Dragonfly's DFLY THREAD (the connection's event loop
// and the thread count), LOAD (an RDB file from dir, after a flush or,
// with APPEND, over the current keys), EXPIRE and REPLICAOFFSET.
func TestDflyCommand(t *testing.T) {
	s := Start(t, "--proactor_threads=2", "--dbfilename=dump.rdb")
	w := dialWire(t, s.Addr)
	if got := w.do("DFLY", "THREAD"); got != "*2\r\n:0\r\n:2\r\n" {
		t.Fatalf("DFLY THREAD on the first connection: %q", got)
	}
	// Past the first loop's share, connections go to the other loop.
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		seen[dialWire(t, s.Addr).do("DFLY", "THREAD")] = true
	}
	if !seen["*2\r\n:1\r\n:2\r\n"] {
		t.Fatalf("no connection on thread 1 among 21: %v", seen)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"THREAD", "1"}, "+OK\r\n"},
		{[]string{"THREAD", "2"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"THREAD", "x"}, "-ERR syntax error\r\n"},
		{[]string{"REPLICAOFFSET"}, "*2\r\n:0\r\n:0\r\n"},
		{[]string{"FLOW", "a", "b", "c"}, "-ERR syntax error\r\n"},
		{[]string{"LOAD", "dump.rdb", "MERGE"}, "-ERR syntax error\r\n"},
	} {
		if got := w.do(append([]string{"DFLY"}, c.args...)...); got != c.want {
			t.Errorf("DFLY %v: %q, want %q", c.args, got, c.want)
		}
	}

	w.do("MSET", "a", "1", "b", "2")
	w.do("SELECT", "3")
	w.do("SET", "c", "3")
	if got := w.do("SAVE"); got != "+OK\r\n" {
		t.Fatalf("SAVE: %q", got)
	}
	w.do("FLUSHALL")
	w.do("SET", "later", "x")
	if got := w.do("DFLY", "LOAD", "dump.rdb"); got != "+OK\r\n" {
		t.Fatalf("DFLY LOAD: %q", got)
	}
	if got := w.do("MGET", "c", "later"); got != "*2\r\n$1\r\n3\r\n$-1\r\n" {
		t.Fatalf("db 3 after DFLY LOAD: %q", got)
	}
	w.do("SELECT", "0")
	if got := w.do("MGET", "a", "b"); got != "*2\r\n$1\r\n1\r\n$1\r\n2\r\n" {
		t.Fatalf("db 0 after DFLY LOAD: %q", got)
	}
	w.do("SET", "a", "changed")
	w.do("SET", "mine", "kept")
	if got := w.do("DFLY", "LOAD", "dump.rdb", "APPEND"); got != "+OK\r\n" {
		t.Fatalf("DFLY LOAD APPEND: %q", got)
	}
	if got := w.do("MGET", "a", "mine"); got != "*2\r\n$1\r\n1\r\n$4\r\nkept\r\n" {
		t.Fatalf("after DFLY LOAD APPEND (file's keys replace, others stay): %q", got)
	}
	if got := w.do("DFLY", "LOAD", "missing.rdb"); !strings.HasPrefix(got, "-ERR Could not load file") {
		t.Fatalf("DFLY LOAD of a missing file: %q", got)
	}

	w.do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	w.do("FLUSHALL")
	for i := 0; i < 50; i++ {
		w.do("SET", "e"+strconv.Itoa(i), "v", "PX", "1")
	}
	w.do("SET", "stays", "v")
	time.Sleep(20 * time.Millisecond)
	if got := w.do("DBSIZE"); got != ":51\r\n" {
		t.Fatalf("DBSIZE before DFLY EXPIRE (active expiry off): %q", got)
	}
	if got := w.do("DFLY", "EXPIRE"); got != "+OK\r\n" {
		t.Fatalf("DFLY EXPIRE: %q", got)
	}
	if got := w.do("DBSIZE"); got != ":1\r\n" {
		t.Fatalf("DBSIZE after DFLY EXPIRE: %q", got)
	}
}

// TestSaveDragonflyForms: Dragonfly's SAVE and BGSAVE [RDB|DF] [basename]:
// RDB to another file name (macros and ".rdb" as for dbfilename, even with
// no dbfilename set), DF refused with the reason, Redis's replies for
// anything else.
func TestSaveDragonflyForms(t *testing.T) {
	s := Start(t, "--dbfilename=")
	w := dialWire(t, s.Addr)
	w.do("SET", "k", "v")
	if got := w.do("SAVE"); !strings.HasPrefix(got, "-ERR") {
		t.Fatalf("SAVE with no dbfilename: %q", got)
	}
	if got := w.do("SAVE", "RDB", "named-{Y}"); got != "+OK\r\n" {
		t.Fatalf("SAVE RDB named-{Y}: %q", got)
	}
	name := fmt.Sprintf("named-%d.rdb", time.Now().Year())
	if _, err := os.Stat(filepath.Join(s.Dir, name)); err != nil {
		t.Fatalf("SAVE RDB named-{Y} wrote no %s: %v", name, err)
	}
	w.do("DEBUG", "POPULATE", "100000")
	if got := w.do("BGSAVE", "SCHEDULE", "rdb", "bg.rdb"); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE SCHEDULE rdb bg.rdb: %q", got)
	}
	// Dragonfly's INFO field "saving" says what rdb_bgsave_in_progress says.
	info := w.do("INFO", "persistence")
	inProgress := regexp.MustCompile(`rdb_bgsave_in_progress:(\d)`).FindStringSubmatch(info)
	if inProgress == nil || !strings.Contains(info, "\r\nsaving:"+inProgress[1]+"\r\n") {
		t.Fatalf("INFO persistence during a BGSAVE: %q", info)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(s.Dir, "bg.rdb")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("BGSAVE ... bg.rdb wrote nothing in 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"SAVE", "DF"}, "-ERR the DF snapshot format is not supported: Damselfly writes RDB files (SAVE RDB)\r\n"},
		{[]string{"SAVE", "now"}, "-ERR wrong number of arguments for 'save' command\r\n"},
		{[]string{"SAVE", "RDB", "../out"}, "-ERR the snapshot name must be a file name inside dir\r\n"},
		{[]string{"SAVE", "RDB", "a", "b"}, "-ERR syntax error\r\n"},
		{[]string{"BGSAVE", "later"}, "-ERR syntax error\r\n"},
	} {
		if got := w.do(c.args...); got != c.want {
			t.Errorf("%v: %q, want %q", c.args, got, c.want)
		}
	}
}

// TestRestrictedCommands: Dragonfly's restricted_commands: the listed
// commands are refused on the client port and run on the admin port (and
// from scripts, which Dragonfly does not restrict either); an unknown name
// stops the start.
func TestRestrictedCommands(t *testing.T) {
	admin := freePort(t)
	s := Start(t, "--restricted_commands=get, SET", fmt.Sprintf("--admin_port=%d", admin))
	w := dialWire(t, s.Addr)
	for _, args := range [][]string{{"GET", "foo"}, {"set", "foo", "bar"}} {
		if got := w.do(args...); got != "-ERR Cannot execute restricted command (admin only)\r\n" {
			t.Errorf("%v on the client port: %q", args, got)
		}
	}
	if got := w.do("MGET", "foo"); got != "*1\r\n$-1\r\n" {
		t.Fatalf("MGET (not restricted): %q", got)
	}
	a := dialWire(t, fmt.Sprintf("127.0.0.1:%d", admin))
	if got := a.do("SET", "foo", "bar"); got != "+OK\r\n" {
		t.Fatalf("SET on the admin port: %q", got)
	}
	if got := a.do("GET", "foo"); got != "$3\r\nbar\r\n" {
		t.Fatalf("GET on the admin port: %q", got)
	}
	if got := w.do("EVAL", "return redis.call('GET', KEYS[1])", "1", "foo"); got != "$3\r\nbar\r\n" {
		t.Fatalf("GET from a script on the client port: %q", got)
	}
	if got := w.do("INFO", "errorstats"); !strings.Contains(got, "errorstat_ERR:count=2") {
		t.Fatalf("refusals not counted as errors: %q", got)
	}

	cmd := exec.Command(binary(t), "--port", "0", "--restricted_commands=gett")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `restricted_commands: unknown command \"gett\"`) {
		t.Fatalf("start with an unknown restricted command: %v (%d bytes)\n%s", err, len(out), out)
	}
}
