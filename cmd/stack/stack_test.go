package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadEnvFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(p, []byte(`# comment
KEY=abc
export SECRET="s e\"c"
QUOTED='$not #expanded'
TRAILING=value # a comment
EMPTY=
HASH=a#b
`), 0o644)
	m, err := readEnvFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"KEY": "abc", "SECRET": `s e"c`, "QUOTED": "$not #expanded", "TRAILING": "value", "EMPTY": "", "HASH": "a#b"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	os.WriteFile(p, []byte("not a variable\n"), 0o644)
	if _, err := readEnvFile(p); err == nil {
		t.Error("a line without = is accepted")
	}
}

// The shipped .env.example must be readable by the launcher too.
func TestEnvExampleReadable(t *testing.T) {
	m, err := readEnvFile("../../deploy/.env.example")
	if err != nil {
		t.Fatal(err)
	}
	if m["CACHE_STORE"] != "redis" || m["DFLY_maxmemory"] != "2GB" {
		t.Errorf("unexpected values: CACHE_STORE=%q DFLY_maxmemory=%q", m["CACHE_STORE"], m["DFLY_maxmemory"])
	}
}

func TestDirectusEnvironmentLayers(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "my.env")
	os.WriteFile(envFile, []byte("CACHE_TTL=1m\nADMIN_PASSWORD=fromfile\nREDIS=redis://damselfly:6379\nRATE_LIMITER_POINTS=7\n"), 0o644)
	t.Setenv("RATE_LIMITER_POINTS", "9") // the launcher's environment beats the file
	t.Setenv("REDIS_HOST", "elsewhere")  // and REDIS_* never leak past the launcher's REDIS
	s := &stack{o: &options{stateDir: dir, envFile: envFile, bind: "127.0.0.1"}, dfAddr: "127.0.0.1:7777", pass: "pw"}
	env, err := s.directusEnvironment(8123)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"CACHE_TTL": "1m", "ADMIN_PASSWORD": "fromfile", "RATE_LIMITER_POINTS": "9",
		"REDIS": "redis://:pw@127.0.0.1:7777", "PORT": "8123", "PUBLIC_URL": "http://127.0.0.1:8123",
		"CACHE_STORE": "redis", "RATE_LIMITER_STORE": "redis", "SYNCHRONIZATION_STORE": "redis",
		"WEBSOCKETS_ENABLED": "true", "DB_CLIENT": "sqlite3", "LOG_STYLE": "raw",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["REDIS_HOST"]; ok {
		t.Error("REDIS_HOST passed to Directus")
	}
	if len(env["KEY"]) < 16 || len(env["SECRET"]) < 32 {
		t.Errorf("secrets not generated: %q %q", env["KEY"], env["SECRET"])
	}
	env2, _ := s.directusEnvironment(8123)
	if env2["SECRET"] != env["SECRET"] {
		t.Error("SECRET changes between starts: sessions would not survive a restart")
	}
}

func TestDirectusFilter(t *testing.T) {
	cases := map[string]string{
		`{"level":30,"msg":"GET /items 200"}`:                                        "",
		`{"level":30,"msg":"Server started at http://127.0.0.1:8055"}`:               "Server started at http://127.0.0.1:8055",
		`{"level":40,"msg":"Extensions directory is not readable"}`:                  "WARN Extensions directory is not readable",
		`{"level":50,"msg":"boom","err":{"type":"ReplyError","message":"ERR nope"}}`: "ERROR boom: ReplyError: ERR nope",
		`ReplyError: ERR unknown command 'publish'`:                                  `ReplyError: ERR unknown command 'publish'`,
	}
	for in, want := range cases {
		if got := directusFilter(in); got != want {
			t.Errorf("directusFilter(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestNPMProgress(t *testing.T) {
	p := &npmProgress{what: "Directus", start: time.Now()}
	for _, l := range []string{
		"npm http fetch GET 200 https://registry.npmjs.org/directus 50ms (cache miss)",
		"npm http fetch GET 200 https://registry.npmjs.org/directus/-/directus-12.4.1.tgz 50ms (cache miss)",
		"npm http cache ioredis@https://registry.npmjs.org/ioredis/-/ioredis-5.8.2.tgz 0ms (cache hit)",
		"npm info run sqlite3@6.0.1 install node_modules/sqlite3 prebuild-install -r napi || node-gyp rebuild",
		"  CC(target) Release/obj.target/sqlite3/gen/sqlite-autoconf-3520000/sqlite3.o",
	} {
		p.line(l)
	}
	s := p.status()
	for _, want := range []string{"1 manifests", "2 packages fetched", "now sqlite3", "1 C/C++ files compiled"} {
		if !strings.Contains(s, want) {
			t.Errorf("status %q lacks %q", s, want)
		}
	}
	p.line("added 1083 packages in 6m")
	if !strings.Contains(p.status(), "added 1083 packages") {
		t.Errorf("final status %q", p.status())
	}
}

// fakeRedis answers a few commands the way Redis does, enough to check
// that the recorder pairs replies with commands.
func fakeRedis(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				var queued []string
				inMulti := false
				for {
					v, err := readRESP(r)
					if err != nil {
						return
					}
					args := strs(v)
					name := strings.ToUpper(args[0])
					switch {
					case name == "MULTI":
						inMulti = true
						io.WriteString(c, "+OK\r\n")
					case name == "EXEC":
						fmt.Fprintf(c, "*%d\r\n", len(queued))
						for _, q := range queued {
							if q == "INCR" {
								io.WriteString(c, "-ERR value is not an integer or out of range\r\n")
							} else {
								io.WriteString(c, "+OK\r\n")
							}
						}
						queued, inMulti = nil, false
					case inMulti:
						queued = append(queued, name)
						io.WriteString(c, "+QUEUED\r\n")
					case name == "CLIENT":
						io.WriteString(c, "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n")
					case name == "SUBSCRIBE":
						for i, ch := range args[1:] {
							fmt.Fprintf(c, "*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:%d\r\n", len(ch), ch, i+1)
						}
						io.WriteString(c, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n")
					case name == "PUBLISH":
						io.WriteString(c, "-ERR unknown command 'publish'\r\n")
					default:
						io.WriteString(c, "+OK\r\n")
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func TestRecorder(t *testing.T) {
	target := fakeRedis(t)
	out := filepath.Join(t.TempDir(), "rec.txt")
	rec, err := startRecorder("127.0.0.1", target, out)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dialRESP(rec.addr(), "", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.do(time.Second, "CLIENT", "SETINFO", "lib-name", "ioredis"); err == nil {
		t.Error("the proxy hid an error")
	}
	c.do(time.Second, "SET", "k", "v", "PX", "100")
	c.do(time.Second, "MULTI")
	c.do(time.Second, "SET", "a", "1")
	c.do(time.Second, "INCR", "a")
	if v, err := c.do(time.Second, "EXEC"); err != nil || len(v.([]any)) != 2 {
		t.Errorf("EXEC through the proxy: %v %v", v, err)
	}
	c.do(time.Second, "PUBLISH", "a", "x")
	c.do(time.Second, "SUBSCRIBE", "a", "b")
	readRESP(c.r) // second confirmation
	readRESP(c.r) // the message
	c.Close()
	time.Sleep(100 * time.Millisecond)
	rec.close()
	b, _ := os.ReadFile(out)
	got := string(b)
	for _, want := range []string{
		"> CLIENT SETINFO lib-name ioredis",
		"< -ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.  [CLIENT SETINFO LIB-NAME]",
		"< -ERR value is not an integer or out of range  [EXEC/INCR]",
		"< -ERR unknown command 'publish'  [PUBLISH]",
		"# command      1 SET\n",
		"# command      1 SET PX",
		"# command      1 SUBSCRIBE",
		"# command      1 (transaction) MULTI SET, INCR EXEC",
		"# error      1 PUBLISH -> ERR unknown command 'publish'",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("record lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "[SUBSCRIBE]") || strings.Contains(got, "[?]") {
		t.Errorf("pub/sub replies misattributed:\n%s", got)
	}
}

func TestDeleteMatching(t *testing.T) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := exec.Command(path, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; pingAddr(addr, "") != nil; i++ {
		if i > 200 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, _ := dialRESP(addr, "", time.Second)
	defer c.Close()
	for _, k := range []string{"directus:lock:schemaCache--preparing", "directus:lock:x", "directus:bus:keep", "other"} {
		c.do(time.Second, "SET", k, "1")
	}
	n, err := deleteMatching(addr, "", "directus:lock:*")
	if err != nil || n != 2 {
		t.Fatalf("deleteMatching = %d, %v; want 2", n, err)
	}
	if v, _ := c.do(time.Second, "DBSIZE"); v != int64(2) {
		t.Errorf("DBSIZE after = %v, want 2", v)
	}
}
