package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/damselfly-db/damselfly/internal/flags"
)

func load(t *testing.T, args []string, env ...string) *Config {
	t.Helper()
	c, err := Load(args, env, io.Discard, "test")
	if err != nil {
		t.Fatalf("Load(%q): %v", args, err)
	}
	return c
}

// The command line from the project's seed docs, as argv.
func TestSeedCommandLine(t *testing.T) {
	c := load(t, []string{"--port", "6379", "--bind", "0.0.0.0", "--maxmemory=2GB", "--cache_mode=true", "--hz=10",
		"--tcp-backlog", "512", "--io_threads", "4", "--conn_io_threads=4", "--pipeline_squash=10",
		"--save_schedule=*:30", "--dbfilename", "dump.rdb", "--dir", "/data", "--save", "", "--prometheus_port", "9999",
		"--log_level", "info", "--requirepass", ""})

	checks := []struct {
		name      string
		got, want any
	}{
		{"Port", c.Port, 6379},
		{"Bind", strings.Join(c.Bind, ","), "0.0.0.0"},
		{"MaxMemory", c.MaxMemory.Get(), int64(2 << 30)},
		{"CacheMode", c.CacheMode.Get(), true},
		{"HZ", c.HZ.Get(), int64(10)},
		{"TCPBacklog", c.TCPBacklog, 512},
		{"ProactorThreads", c.ProactorThreads, 4},
		{"ConnIOThreads", c.ConnIOThreads, 4},
		{"PipelineSquash", c.PipelineSquash.Get(), int64(10)},
		{"SaveSchedule", c.SaveSchedule.String(), "*:30"},
		{"SnapshotCron", c.SnapshotCron == nil, true},
		{"DBFilename", c.DBFilename.Get(), "dump.rdb"},
		{"Dir", c.Dir.Get(), "/data"},
		{"Save", len(c.Save.Get()), 0},
		{"PrometheusPort", c.PrometheusPort, 9999},
		{"LogLevel", c.LogLevel, "info"},
		{"RequirePass", c.RequirePass.Get(), ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// The arguments Dragonfly's own test harness (tests/dragonfly/instance.py)
// gives every instance, and other documented Dragonfly flags, load: a
// command line written for Dragonfly must not stop at a name Damselfly has
// no use for. They answer CONFIG GET by exact name.
func TestDragonflyCommandLine(t *testing.T) {
	c := load(t, []string{"--port=6380", "--dbfilename=", "--noversion_check", "--maxmemory=8G",
		"--vmodule=dragonfly_connection=1,accept_server=1,main_service=1", "--jsonpathv2", "--list_experimental_v2",
		"--log_dir=/tmp/dragonfly_logs/x", "--serialization_max_chunk_size=300000", "--fiber_safety_margin=4096",
		"--lock_on_hashtags", "--default_lua_flags=allow-undeclared-keys", "--interpreter_per_thread=4",
		"--memcached_port=0", "--cluster_mode=", "--nouse_oah_set", "--mem_defrag_threshold=0.5"})
	for _, want := range [][2]string{
		{"version_check", "false"}, {"jsonpathv2", "true"}, {"log_dir", "/tmp/dragonfly_logs/x"},
		{"serialization_max_chunk_size", "300000"}, {"lock_on_hashtags", "true"}, {"interpreter_per_thread", "4"},
		{"mem_defrag_threshold", "0.5"}, {"use_oah_set", "false"}, {"tcp_nodelay", "true"},
	} {
		got := c.Get(want[0])
		if len(got) != 1 || got[0] != want {
			t.Errorf("CONFIG GET %s = %q, want %q", want[0], got, want)
		}
	}
	if c.MaxMemory.Get() != 8<<30 {
		t.Errorf("maxmemory = %d, want 8G", c.MaxMemory.Get())
	}
}

func TestCacheModeSpaceForm(t *testing.T) {
	if c := load(t, []string{"--cache_mode", "true", "--port", "7000"}); !c.CacheMode.Get() || c.Port != 7000 {
		t.Errorf("cache_mode %v, port %d", c.CacheMode.Get(), c.Port)
	}
	if c := load(t, []string{"--cache_mode=true", "--cache_mode", "false"}); c.CacheMode.Get() {
		t.Error("--cache_mode false left it on")
	}
	if c := load(t, []string{"--nocache_mode"}); c.CacheMode.Get() {
		t.Error("--nocache_mode left it on")
	}
}

func TestDefaults(t *testing.T) {
	c := load(t, nil)
	d := Default()
	if c.Port != 6379 || len(c.Bind) != 0 || c.TCPBacklog != 511 || c.Databases != 16 || c.LogLevel != "info" ||
		c.MaxClients.Get() != 10000 || c.HZ.Get() != 100 || c.DBFilename.Get() != "dump-{timestamp}" ||
		c.MaxMemoryPolicy.Get() != "noeviction" || c.ProtoMaxBulkLen.Get() != 512<<20 || c.PipelineSquash.Get() != 10 ||
		c.ClientOutputBufferLimit.Get() != defaultOutputBufferLimits() || c.SaveSchedule != nil || c.SnapshotCron != nil {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if got, want := c.Get("*"), d.Get("*"); len(got) != len(want) {
		t.Errorf("Load with no arguments differs from Default")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--port=abc"}, `invalid value "abc" for flag --port: argument couldn't be parsed into an integer`},
		{[]string{"--port=70000"}, `invalid value "70000" for flag --port: argument must be between -1 and 65535 inclusive`},
		{[]string{"--hz=-3"}, `invalid value "-3" for flag --hz: argument must be between 0 and 2147483647 inclusive`},
		{[]string{"--port"}, "missing value for flag --port"},
		{[]string{"--maxmemroy=1gb"}, "unknown flag --maxmemroy; did you mean --maxmemory?"},
		{[]string{"--cache-mod"}, "unknown flag --cache-mod; did you mean --cache_mode?"},
		{[]string{"--tcp-keepalve=1"}, "unknown flag --tcp-keepalve; did you mean --tcp-keepalive?"},
		{[]string{"--io_thread=2"}, "unknown flag --io_thread; did you mean --io_threads?"},
		{[]string{"--maxmemory=lots"}, `invalid value "lots" for flag --maxmemory: argument must be a memory value; use a number with an optional unit`},
		{[]string{"--maxmemory=-1"}, `invalid value "-1" for flag --maxmemory: argument must be a memory value`},
		{[]string{"--maxmemory-policy=lru"}, "argument(s) must be one of the following: volatile-lru,"},
		{[]string{"--cache_mode=maybe"}, `invalid value "maybe" for flag --cache_mode: want a boolean`},
		{[]string{"--save=100"}, `invalid value "100" for flag --save: Invalid save parameters`},
		{[]string{"--save_schedule=25:00"}, "invalid save_schedule"},
		{[]string{"--snapshot_cron=* * *"}, "want 5 fields"},
		{[]string{"--save_schedule=*:30", "--snapshot_cron=0 * * * *"}, "save_schedule and snapshot_cron cannot both be set"},
		{[]string{"--appendonly=yes"}, "append-only files are not supported"},
		{[]string{"--bind=bad!"}, `invalid bind address "bad!"`},
		{[]string{"--admin_bind=bad!"}, `invalid address "bad!"`},
		{[]string{"--proto-max-bulk-len=1000"}, "argument must be between 1048576 and 9223372036854775807 inclusive"},
		{[]string{"--dbfilename=a/b.rdb"}, "dbfilename can't be a path, just a filename"},
		{[]string{"--log_level=loud"}, "argument(s) must be one of the following: debug, verbose, info, notice, warning, error, nothing"},
		{[]string{"--minloglevel=4"}, "argument must be between 0 and 3 inclusive"},
		{[]string{"--notify-keyspace-events=Q"}, "Invalid event class character"},
		{[]string{"--client-output-buffer-limit=master 1 2 3"}, "Invalid client class"},
		{[]string{"/nonexistent/redis.conf"}, "reading the config file"},
		{[]string{"--port=1", "/etc/redis/redis.conf"}, `unexpected argument "/etc/redis/redis.conf"`},
		// Dragonfly flags that promise what Damselfly lacks take only their default.
		{[]string{"--memcached_port=11211"}, "the memcached protocol is not supported; only 0 is accepted"},
		{[]string{"--cluster_mode=emulated"}, `cluster mode is not supported: Damselfly runs one node; only "" is accepted`},
		{[]string{"--tiered_prefix=/mnt/tier"}, "tiered storage"},
		{[]string{"--rename_command=FLUSHALL="}, "deny them with ACL rules"},
		{[]string{"--user=nobody"}, "dropping privileges"},
		{[]string{"--version_check=maybe"}, `invalid value "maybe" for flag --version_check`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := Load(tt.args, nil, io.Discard, "test")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if errors.Is(err, ErrExit) {
				t.Error("a mistake matched ErrExit")
			}
		})
	}
}

func TestAcceptedForms(t *testing.T) {
	tests := []struct {
		args []string
		name string // checked with Get
		want string
	}{
		{[]string{"--appendonly", "no"}, "appendonly", "no"},
		{[]string{"--maxmemory=512mb"}, "maxmemory", "536870912"},
		{[]string{"--maxmemory=1.5GiB"}, "maxmemory", "1610612736"},
		{[]string{"--maxmemory=100kb"}, "maxmemory", "102400"},
		{[]string{"--maxmemory=300000000"}, "maxmemory", "300000000"},
		{[]string{"--maxmemory-policy=ALLKEYS-LRU"}, "maxmemory-policy", "allkeys-lru"},
		{[]string{"--bind", "127.0.0.1 ::1"}, "bind", "127.0.0.1 ::1"},
		{[]string{"--bind=127.0.0.1,::1"}, "bind", "127.0.0.1 ::1"},
		{[]string{"--save", "3600 1 300 100"}, "save", "3600 1 300 100"},
		{[]string{"--notify-keyspace-events", "KEA"}, "notify-keyspace-events", "AKE"},
		{[]string{"--notify_keyspace_events=Ex"}, "notify-keyspace-events", "xE"},
		{[]string{"--dbnum=4"}, "databases", "4"},
		{[]string{"--lua-time-limit=100"}, "busy-reply-threshold", "100"},
		{[]string{"--hash-max-ziplist-entries=7"}, "hash-max-listpack-entries", "7"},
		{[]string{"--client-output-buffer-limit", "pubsub 1mb 1kb 5"}, "client-output-buffer-limit",
			"normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 1024 5"},
		{[]string{"--snapshot_cron", "*/30  * * * *"}, "snapshot_cron", "*/30 * * * *"},
		{[]string{"--slowlog_log_slower_than=-1"}, "slowlog-log-slower-than", "-1"},
		{[]string{"--loglevel=notice"}, "log_level", "notice"},
		{[]string{"--hz=0"}, "hz", "0"},
		{[]string{"--port=-1"}, "port", "-1"},
		{[]string{"--logtostderr", "--alsologtostderr=false"}, "logtostderr", "true"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c := load(t, tt.args)
			got := c.Get(tt.name)
			if len(got) != 1 || got[0][1] != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "--helpfull"} {
		var out bytes.Buffer
		_, err := Load([]string{"--port=1", arg}, nil, &out, "1.2.3")
		if !errors.Is(err, ErrExit) || !errors.Is(err, flags.ErrHelp) {
			t.Fatalf("%s: error %v, want ErrExit", arg, err)
		}
		help := out.String()
		for _, s := range Default().settings {
			if !strings.Contains(help, "  --"+s.name+" (") {
				t.Errorf("help lacks --%s", s.name)
			}
			if !strings.Contains(help, s.help) {
				t.Errorf("help lacks the meaning of --%s", s.name)
			}
			for _, a := range s.aliases {
				if !strings.Contains(help, "--"+a) {
					t.Errorf("help lacks alias --%s", a)
				}
			}
		}
		for _, want := range []string{"--maxmemory (memory, default 0)", "--proto-max-bulk-len (memory, default 512MB)",
			"--port (int, default 6379)", `--requirepass (string, default "")`, "--cache_mode (bool, default false)",
			"Changeable with CONFIG SET", "Accepted for compatibility; no effect", "DFLY_<name>"} {
			if !strings.Contains(help, want) {
				t.Errorf("help lacks %q", want)
			}
		}
		if strings.Index(help, "--admin_bind (") > strings.Index(help, "--zset-max-listpack-value (") {
			t.Error("help is not sorted")
		}
	}
}

func TestEverySettingDescribed(t *testing.T) {
	for _, s := range Default().settings {
		if s.help == "" || strings.Contains(s.help, "\n") {
			t.Errorf("%s: help must be one line", s.name)
		}
		if s.protected && !s.mutable {
			t.Errorf("%s: protected but immutable (enable-protected-configs could never allow it)", s.name)
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	_, err := Load([]string{"--version"}, nil, &out, "1.2.3")
	if !errors.Is(err, ErrExit) || out.String() != "damselfly 1.2.3\n" {
		t.Fatalf("got %q, %v", out.String(), err)
	}
}

func TestEnvironmentAndFlagfile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "damselfly.flags")
	text := "# Dragonfly-style flagfile\n--maxmemory=1gb\n--requirepass=s3cret with spaces\n--cache_mode\n--hz 50\n"
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "env.flags")
	if err := os.WriteFile(envFile, []byte("--maxclients=7\n--timeout=9\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	c := load(t, []string{"--port=7001", "--flagfile", file, "--hz=60"},
		"DFLY_port=7000", "DFLY_MAXCLIENTS=5", "DFLY_tcp-keepalive=60", "DFLY_flagfile="+envFile, "HOME=/root")
	checks := []struct {
		name      string
		got, want any
	}{
		{"port: command line beats environment", c.Port, 7001},
		{"maxmemory from flagfile", c.MaxMemory.Get(), int64(1 << 30)},
		{"requirepass keeps spaces", c.RequirePass.Get(), "s3cret with spaces"},
		{"cache_mode bare bool in flagfile", c.CacheMode.Get(), true},
		{"hz: later on the command line wins", c.HZ.Get(), int64(60)},
		{"maxclients: DFLY_ variable after DFLY_flagfile", c.MaxClients.Get(), int64(5)},
		{"timeout from DFLY_flagfile", c.Timeout.Get(), int64(9)},
		{"tcp-keepalive from environment", c.TCPKeepalive.Get(), int64(60)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if !c.WasSet("port") || !c.WasSet("tcp_keepalive") || c.WasSet("dir") || c.WasSet("nosuch") {
		t.Error("WasSet is wrong")
	}
}

func TestEnvironmentErrors(t *testing.T) {
	_, err := Load(nil, []string{"DFLY_maxmemroy=1gb"}, io.Discard, "test")
	if err == nil || err.Error() != "unknown environment variable DFLY_maxmemroy; did you mean DFLY_maxmemory?" {
		t.Errorf("error %v", err)
	}
	_, err = Load(nil, []string{"DFLY_port=x"}, io.Discard, "test")
	if err == nil || !strings.Contains(err.Error(), `invalid value "x" for flag --port (from environment variable DFLY_port)`) {
		t.Errorf("error %v", err)
	}
}

func TestPasswordFromEnvironment(t *testing.T) {
	c := load(t, nil, "DFLY_PASSWORD=pw", "DFLY_DEV_ENV=1")
	if c.RequirePass.Get() != "pw" || !c.WasSet("requirepass") {
		t.Errorf("DFLY_PASSWORD: requirepass %q", c.RequirePass.Get())
	}
	if c := load(t, []string{"--requirepass=flag"}, "DFLY_PASSWORD=pw"); c.RequirePass.Get() != "flag" {
		t.Errorf("--requirepass should win, got %q", c.RequirePass.Get())
	}
	// An empty --requirepass still lets DFLY_PASSWORD in, as in Dragonfly.
	if c := load(t, []string{"--requirepass", ""}, "DFLY_PASSWORD=pw"); c.RequirePass.Get() != "pw" {
		t.Errorf("got %q", c.RequirePass.Get())
	}
}
