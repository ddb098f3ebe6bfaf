package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConf(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// `damselfly redis.conf --port 7000` reads the file as redis-server does:
// directives and their arguments (quoted as Redis quotes them), repeated
// client-output-buffer-limit lines per class, include, and options after
// the file winning over it.
func TestRedisConfigFile(t *testing.T) {
	dir := t.TempDir()
	writeConf(t, dir, "extra.conf", "maxmemory-policy allkeys-lfu\n")
	conf := writeConf(t, dir, "redis.conf", strings.Join([]string{
		"# a comment",
		"",
		"bind 127.0.0.1 -::1",
		"port 6380",
		"  tcp-keepalive 60",
		"save 900 1 300 10",
		`notify-keyspace-events ""`,
		`requirepass "pa ss\x21"`,
		"MAXMEMORY 100mb",
		"client-output-buffer-limit normal 0 0 0",
		"client-output-buffer-limit replica 256mb 64mb 60",
		"client-output-buffer-limit pubsub 32mb 8mb 60",
		"stop-writes-on-bgsave-error yes",
		"include " + filepath.Join(dir, "extra.conf"),
		"timeout 10",
	}, "\n"))
	c := load(t, []string{conf, "--timeout", "20"})
	for _, want := range [][2]string{
		{"bind", "127.0.0.1 -::1"}, {"port", "6380"}, {"tcp-keepalive", "60"}, {"save", "900 1 300 10"},
		{"notify-keyspace-events", ""}, {"requirepass", "pa ss!"}, {"maxmemory", "104857600"},
		{"client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
		{"maxmemory-policy", "allkeys-lfu"}, {"timeout", "20"},
	} {
		got := c.Get(want[0])
		if len(got) != 1 || got[0][1] != want[1] {
			t.Errorf("CONFIG GET %s = %q, want %q", want[0], got, want[1])
		}
	}
	if abs, _ := filepath.Abs(conf); c.ConfigFile != abs {
		t.Errorf("config_file = %q, want %q", c.ConfigFile, abs)
	}
}

func TestRedisConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop.conf")
	writeConf(t, dir, "loop.conf", "include "+loop+"\n")
	for _, tt := range []struct{ body, want string }{
		{"port 6379\nnosuchdirective 1\n", "redis.conf:2: unknown flag --nosuchdirective"},
		{"port\n", `redis.conf:1: "port": Bad directive or wrong number of arguments`},
		{`requirepass "unterminated` + "\n", "redis.conf:1: unbalanced quotes"},
		{"port 70000\n", `invalid value "70000" for flag --port (from config file`},
		{"rename-command FLUSHALL \"\"\n", "rename-command: commands cannot be renamed; deny them with ACL rules"},
		{"loadmodule /x.so\n", "loadmodule: modules are not supported"},
		{"user alice on >pw ~* +@all\n", "aclfile"},
		{"include " + loop + "\n", "includes nested more than"},
		{"appendonly yes\n", "append-only files are not supported"},
	} {
		conf := writeConf(t, dir, "redis.conf", tt.body)
		_, err := Load([]string{conf}, nil, io.Discard, "test")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want it to contain %q", tt.body, err, tt.want)
		}
	}
	if _, err := Load([]string{filepath.Join(dir, "missing.conf")}, nil, io.Discard, "test"); err == nil || !strings.Contains(err.Error(), "reading the config file") {
		t.Errorf("missing file: error %v", err)
	}
	if _, err := Load([]string{filepath.Join(dir, "missing.conf"), "--version"}, nil, io.Discard, "test"); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("--version beside a missing file: error %v", err)
	}
}
