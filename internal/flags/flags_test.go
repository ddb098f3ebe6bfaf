package flags

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixture is a small Set whose values land in a map, so tests can compare
// what each flag received.
type fixture struct {
	set  *Set
	got  map[string]string
	sets int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fx := &fixture{set: New("damselfly", "test"), got: map[string]string{}}
	add := func(name string, isBool bool, typ string, aliases ...string) {
		t.Helper()
		err := fx.set.Add(Flag{
			Name: name, Aliases: aliases, Type: typ, Bool: isBool, Usage: "the " + name + " setting",
			Set: func(v string) error {
				if typ == "int" {
					if _, err := strconv.Atoi(v); err != nil {
						return errors.New("argument couldn't be parsed into an integer")
					}
				}
				fx.got[name] = v
				fx.sets++
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("port", false, "int")
	add("bind", false, "string")
	add("cache_mode", true, "bool")
	add("logtostderr", true, "bool")
	add("save", false, "string")
	add("requirepass", false, "string")
	add("tcp_backlog", false, "int", "tcp-backlog")
	add("proactor_threads", false, "int", "io_threads")
	add("foobar", false, "string")
	add("notify-keyspace-events", false, "string")
	add("slowlog_log_slower_than", false, "int")
	return fx
}

func (fx *fixture) parse(args []string, env ...string) ([]Assignment, error) {
	return fx.set.Parse(args, env)
}

func TestSyntaxes(t *testing.T) {
	tests := []struct {
		args []string
		want map[string]string
	}{
		{[]string{"--port=7000"}, map[string]string{"port": "7000"}},
		{[]string{"--port", "7000"}, map[string]string{"port": "7000"}},
		{[]string{"-port=7000"}, map[string]string{"port": "7000"}},
		{[]string{"-port", "7000"}, map[string]string{"port": "7000"}},
		{[]string{"--PORT=7000"}, map[string]string{"port": "7000"}},
		{[]string{"--cache_mode"}, map[string]string{"cache_mode": "true"}},
		{[]string{"--nocache_mode"}, map[string]string{"cache_mode": "false"}},
		{[]string{"-nocache_mode"}, map[string]string{"cache_mode": "false"}},
		{[]string{"--no-cache-mode"}, map[string]string{"cache_mode": "false"}},
		{[]string{"--cache_mode=true"}, map[string]string{"cache_mode": "true"}},
		{[]string{"--cache_mode=FALSE"}, map[string]string{"cache_mode": "false"}},
		{[]string{"--cache_mode=yes"}, map[string]string{"cache_mode": "true"}},
		{[]string{"--cache_mode=No"}, map[string]string{"cache_mode": "false"}},
		{[]string{"--cache_mode=1"}, map[string]string{"cache_mode": "true"}},
		{[]string{"--cache_mode=0"}, map[string]string{"cache_mode": "false"}},
		{[]string{"--cache_mode", "true"}, map[string]string{"cache_mode": "true"}},
		{[]string{"--cache_mode", "false"}, map[string]string{"cache_mode": "false"}},
		{[]string{"--cache_mode", "NO"}, map[string]string{"cache_mode": "false"}},
		{[]string{"--cache_mode", "--port", "1"}, map[string]string{"cache_mode": "true", "port": "1"}},
		{[]string{"--save", ""}, map[string]string{"save": ""}},
		{[]string{"--save="}, map[string]string{"save": ""}},
		{[]string{"--requirepass", ""}, map[string]string{"requirepass": ""}},
		{[]string{"--save", "3600 1 300 100"}, map[string]string{"save": "3600 1 300 100"}},
		{[]string{"--requirepass=a=b"}, map[string]string{"requirepass": "a=b"}},
		{[]string{"--tcp-backlog", "512"}, map[string]string{"tcp_backlog": "512"}},
		{[]string{"--tcp_backlog=512"}, map[string]string{"tcp_backlog": "512"}},
		{[]string{"--TCP-Backlog=512"}, map[string]string{"tcp_backlog": "512"}},
		{[]string{"--io_threads", "4"}, map[string]string{"proactor_threads": "4"}},
		{[]string{"--io-threads=4"}, map[string]string{"proactor_threads": "4"}},
		{[]string{"--slowlog_log_slower_than", "-1"}, map[string]string{"slowlog_log_slower_than": "-1"}},
		{[]string{"--requirepass", "--port"}, map[string]string{"requirepass": "--port"}},
		{[]string{"--notify-keyspace-events", "Ex"}, map[string]string{"notify-keyspace-events": "Ex"}},
		{[]string{"--port=1", "--port=2"}, map[string]string{"port": "2"}},
		{[]string{"--port=1", "--"}, map[string]string{"port": "1"}},
		{[]string{}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fx := newFixture(t)
			if _, err := fx.parse(tt.args); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if fmt.Sprint(fx.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", fx.got, tt.want)
			}
		})
	}
}

func TestSeedCommandLine(t *testing.T) {
	fx := newFixture(t)
	args := []string{"--port", "6379", "--bind", "0.0.0.0", "--cache_mode=true", "--tcp-backlog", "512",
		"--io_threads", "4", "--save", "", "--requirepass", ""}
	if _, err := fx.parse(args); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"port": "6379", "bind": "0.0.0.0", "cache_mode": "true", "tcp_backlog": "512",
		"proactor_threads": "4", "save": "", "requirepass": ""}
	if fmt.Sprint(fx.got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", fx.got, want)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--foo_bar=1"}, "unknown flag --foo_bar; did you mean --foobar?"},
		{[]string{"--prot=1"}, "unknown flag --prot; did you mean --port?"},
		{[]string{"--tcp-backlogg=1"}, "unknown flag --tcp-backlogg; did you mean --tcp_backlog?"},
		{[]string{"--io_thread=1"}, "unknown flag --io_thread; did you mean --io_threads?"},
		{[]string{"--zzzzzz=1"}, "unknown flag --zzzzzz"},
		{[]string{"--port=abc"}, `invalid value "abc" for flag --port: argument couldn't be parsed into an integer`},
		{[]string{"--port"}, "missing value for flag --port"},
		{[]string{"--cache_mode=maybe"}, `invalid value "maybe" for flag --cache_mode: want a boolean`},
		{[]string{"--nocache_mode=true"}, "flag --nocache_mode takes no value"},
		{[]string{"--noport"}, "unknown flag --noport; did you mean --port?"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--port=1", "extra"}, `unexpected argument "extra"`},
		{[]string{"--cache_mode", "maybe"}, `unexpected argument "maybe"`},
		{[]string{"--", "extra"}, `unexpected argument "extra"`},
		{[]string{"---port=1"}, `malformed flag "---port=1"`},
		{[]string{"-"}, `unexpected argument "-"`},
		{[]string{"--flagfile"}, "missing value for flag --flagfile"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fx := newFixture(t)
			_, err := fx.parse(tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if fx.sets != 0 {
				t.Errorf("%d values applied despite the error", fx.sets)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, a := range []string{"--help", "-h", "--helpfull", "-help", "--helpshort"} {
		if _, err := newFixture(t).parse([]string{"--port=1", a}); !errors.Is(err, ErrHelp) {
			t.Errorf("%s: got %v, want ErrHelp", a, err)
		}
	}
	// Help wins over a mistake elsewhere on the line.
	if _, err := newFixture(t).parse([]string{"--bogus", "--help"}); !errors.Is(err, ErrHelp) {
		t.Errorf("got %v, want ErrHelp", err)
	}
	if _, err := newFixture(t).parse([]string{"--version"}); !errors.Is(err, ErrVersion) {
		t.Errorf("got %v, want ErrVersion", err)
	}
}

func TestWriteHelp(t *testing.T) {
	fx := newFixture(t)
	var b strings.Builder
	if err := fx.set.WriteHelp(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var order []int
	for _, f := range fx.set.flags {
		i := strings.Index(out, "  --"+f.Name+" (")
		if i < 0 {
			t.Errorf("help lacks --%s", f.Name)
		}
		if !strings.Contains(out, "the "+f.Name+" setting") {
			t.Errorf("help lacks the meaning of --%s", f.Name)
		}
		order = append(order, i)
	}
	for _, want := range []string{"--port (int, default", "Also: --tcp-backlog", "--flagfile (path", "--version (bool)", "--requirepass (string, default \"\")"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "--bind (") > strings.Index(out, "--cache_mode (") ||
		strings.Index(out, "--cache_mode (") > strings.Index(out, "--port (") {
		t.Errorf("help is not sorted:\n%s", out)
	}
}

func TestEnvironment(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want map[string]string
	}{
		{"env sets", nil, []string{"DFLY_port=7000", "PATH=/bin"}, map[string]string{"port": "7000"}},
		{"env case and dash", nil, []string{"DFLY_TCP-BACKLOG=9", "DFLY_Cache_Mode=yes"}, map[string]string{"tcp_backlog": "9", "cache_mode": "true"}},
		{"alias in env", nil, []string{"DFLY_io_threads=3"}, map[string]string{"proactor_threads": "3"}},
		{"command line wins", []string{"--port=1"}, []string{"DFLY_port=2"}, map[string]string{"port": "1"}},
		{"command line wins even over a bad env value", []string{"--port=1"}, []string{"DFLY_port=abc"}, map[string]string{"port": "1"}},
		{"empty env value", nil, []string{"DFLY_requirepass="}, map[string]string{"requirepass": ""}},
		{"ignored env", nil, []string{"DFLY_PASSWORD=x", "DFLY_DEV_ENV=1"}, map[string]string{}},
		{"not our prefix", nil, []string{"dfly_port=1", "XDFLY_port=1"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.set.IgnoreEnv("PASSWORD", "DEV_ENV")
			if _, err := fx.parse(tt.args, tt.env...); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(fx.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", fx.got, tt.want)
			}
		})
	}
}

func TestEnvironmentErrors(t *testing.T) {
	tests := []struct {
		env  string
		want string
	}{
		{"DFLY_prot=1", "unknown environment variable DFLY_prot; did you mean DFLY_port?"},
		{"DFLY_port=abc", `invalid value "abc" for flag --port (from environment variable DFLY_port): argument couldn't be parsed into an integer`},
		{"DFLY_cache_mode=", `invalid value "" for flag --cache_mode (from environment variable DFLY_cache_mode): want a boolean`},
		{"DFLY_flagfile=/nonexistent/x", "environment variable DFLY_flagfile: reading flagfile: open /nonexistent/x"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			_, err := newFixture(t).parse(nil, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlagfile(t *testing.T) {
	dir := t.TempDir()
	inner := writeFile(t, dir, "inner.flags", "--tcp-backlog=77\n")
	main := writeFile(t, dir, "main.flags", strings.Join([]string{
		"# a comment",
		"",
		"   --port=7001   ",
		"--requirepass=with spaces and # hash",
		"--cache_mode",
		"--nologtostderr",
		`--save ""`,
		"--bind 127.0.0.1 ::1",
		"--flagfile=" + inner,
		"\r",
	}, "\n"))

	fx := newFixture(t)
	got, err := fx.parse([]string{"--flagfile", main})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"port": "7001", "requirepass": "with spaces and # hash", "cache_mode": "true",
		"logtostderr": "false", "save": "", "bind": "127.0.0.1 ::1", "tcp_backlog": "77"}
	if fmt.Sprint(fx.got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", fx.got, want)
	}
	if got[0].Origin != "flagfile "+main+":3" {
		t.Errorf("origin %q", got[0].Origin)
	}
}

func TestFlagfileList(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a", "--port=1\n--bind=a\n")
	b := writeFile(t, dir, "b", "--port=2\n")
	fx := newFixture(t)
	if _, err := fx.parse([]string{"--flagfile=" + a + "," + b}); err != nil {
		t.Fatal(err)
	}
	if fx.got["port"] != "2" || fx.got["bind"] != "a" {
		t.Errorf("got %v", fx.got)
	}
}

func TestFlagfilePrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "f", "--port=2\n--bind=file\n")
	envFile := writeFile(t, dir, "e", "--port=3\n--bind=envfile\n--requirepass=envfile\n--save=envfile\n")

	fx := newFixture(t)
	// Order on the command line decides between a flag and a flagfile; the
	// environment, including DFLY_flagfile, yields to both.
	_, err := fx.parse([]string{"--port=1", "--flagfile=" + file, "--bind=cmd"},
		"DFLY_flagfile="+envFile, "DFLY_requirepass=env", "DFLY_port=4")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"port": "2", "bind": "cmd", "requirepass": "env", "save": "envfile"}
	if fmt.Sprint(fx.got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", fx.got, want)
	}

	// The environment has no order: DFLY_<name> beats DFLY_flagfile
	// wherever each appears.
	fx = newFixture(t)
	if _, err := fx.parse(nil, "DFLY_requirepass=env", "DFLY_flagfile="+envFile); err != nil {
		t.Fatal(err)
	}
	if fx.got["requirepass"] != "env" || fx.got["port"] != "3" {
		t.Errorf("got %v", fx.got)
	}
}

func TestFlagfileErrors(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	writeFile(t, dir, "loop", "--flagfile="+loop+"\n")
	bad := writeFile(t, dir, "bad", "--port=1\nport=2\n")
	unknown := writeFile(t, dir, "unknown", "\n--prot=2\n")
	trailing := writeFile(t, dir, "trailing", "--cache_mode maybe\n")
	value := writeFile(t, dir, "value", "--port=x\n")
	tests := []struct {
		file string
		want string
	}{
		{loop, "includes itself"},
		{bad, bad + `:2: expected a flag such as --name=value, got "port=2"`},
		{unknown, "flagfile " + unknown + ":2: unknown flag --prot; did you mean --port?"},
		{trailing, `unexpected "maybe" after --cache_mode`},
		{value, `invalid value "x" for flag --port (from flagfile ` + value + `:1)`},
		{filepath.Join(dir, "missing"), "reading flagfile"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			_, err := newFixture(t).parse([]string{"--flagfile=" + tt.file})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestHelpInFlagfile(t *testing.T) {
	f := writeFile(t, t.TempDir(), "f", "--help\n")
	if _, err := newFixture(t).parse([]string{"--flagfile", f}); !errors.Is(err, ErrHelp) {
		t.Fatalf("got %v, want ErrHelp", err)
	}
}

func TestAssignments(t *testing.T) {
	fx := newFixture(t)
	got, err := fx.parse([]string{"--port=1", "--tcp-backlog", "5", "--port=2"}, "DFLY_bind=x", "DFLY_port=9")
	if err != nil {
		t.Fatal(err)
	}
	want := []Assignment{
		{Name: "bind", Spelled: "bind", Value: "x", Origin: "environment variable DFLY_bind"},
		{Name: "tcp_backlog", Spelled: "tcp-backlog", Value: "5", Origin: "command line"},
		{Name: "port", Spelled: "port", Value: "2", Origin: "command line"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestAdd(t *testing.T) {
	s := New("x", "")
	set := func(string) error { return nil }
	if err := s.Add(Flag{Name: "tcp_backlog", Set: set}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Flag{
		{Name: "tcp-backlog", Set: set},
		{Name: "other", Aliases: []string{"TCP_BACKLOG"}, Set: set},
		{Name: "help", Set: set},
		{Name: "FlagFile", Set: set},
		{Name: "noset"},
		{Set: set},
	} {
		if err := s.Add(f); err == nil {
			t.Errorf("Add(%q) succeeded", f.Name)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"kitten", "sitting", 3}, {"foo_bar", "foobar", 1}, {"port", "port", 0},
	}
	for _, tt := range tests {
		if d := levenshtein(tt.a, tt.b); d != tt.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.d)
		}
	}
}
