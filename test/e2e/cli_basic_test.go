package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cliResult is what one redis-cli run printed.
type cliResult struct {
	stdout, stderr string
	err            error // exit status error, if any
	timedOut       bool  // the run was ended by its timeout
}

// runRedisCLI execs the real redis-cli against s with args and waits at most
// timeout; stdin may be nil. lineBuffered runs it under coreutils' stdbuf
// -oL, because redis-cli block-buffers stdout when it is a pipe and some
// modes (--stat) never end by themselves.
func runRedisCLI(t testing.TB, s *Server, timeout time.Duration, stdin []byte, lineBuffered bool, args ...string) cliResult {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatalf("redis-cli is required: %v", err)
	}
	full := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port)}, args...)
	name := cli
	if lineBuffered {
		stdbuf, err := exec.LookPath("stdbuf")
		if err != nil {
			t.Fatalf("stdbuf (coreutils) is required: %v", err)
		}
		full = append([]string{"-oL", cli}, full...)
		name = stdbuf
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, full...)
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err = cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errb.String(), err: err}
	res.timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	return res
}

// redisCLI runs a short redis-cli command that must finish within 10 seconds.
func redisCLI(t testing.TB, s *Server, args ...string) cliResult {
	t.Helper()
	r := runRedisCLI(t, s, 10*time.Second, nil, false, args...)
	if r.timedOut {
		t.Fatalf("redis-cli %q timed out; stdout=%q stderr=%q", args, r.stdout, r.stderr)
	}
	return r
}

func TestCLIPing(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		check := func(want string, args ...string) {
			t.Helper()
			r := redisCLI(t, s, args...)
			if r.err != nil || r.stdout != want {
				t.Errorf("redis-cli %q: stdout=%q stderr=%q err=%v; want stdout %q", args, r.stdout, r.stderr, r.err, want)
			}
		}
		check("PONG\n", "ping")
		check("PONG\nPONG\nPONG\n", "-r", "3", "ping")
		check("hello world\n", "echo", "hello world")
		check("OK\n", "set", "cli:k", "v 1")
		check("v 1\n", "get", "cli:k")
		check("\n", "get", "cli:missing")
		check("ERR unknown command 'nosuchcmd', with args beginning with: 'x' \n\n", "nosuchcmd", "x")
	})
}

func TestCLIInfo(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		r := redisCLI(t, s, "info")
		for _, want := range []string{"# Server\r\n", "\r\nredis_version:", "# Clients\r\n", "\r\nconnected_clients:", "# Memory\r\n", "\r\nused_memory:"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("redis-cli info: output lacks %q\nstdout=%q\nstderr=%q", want, wireTrunc(r.stdout, 400), r.stderr)
			}
		}
		r = redisCLI(t, s, "info", "server")
		for _, want := range []string{"# Server\r\n", "\r\nredis_version:", "\r\ntcp_port:" + strconv.Itoa(s.Port) + "\r\n"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("redis-cli info server: output lacks %q\nstdout=%q\nstderr=%q", want, wireTrunc(r.stdout, 400), r.stderr)
			}
		}
		for _, unwanted := range []string{"# Clients", "# Memory", "# Keyspace"} {
			if strings.Contains(r.stdout, unwanted) {
				t.Errorf("redis-cli info server: output has section %q it should not", unwanted)
			}
		}
		if strings.Contains(r.stdout, "ERR") {
			t.Errorf("redis-cli info server: error in output %q", wireTrunc(r.stdout, 300))
		}
	})
}

// statLine is one data line of redis-cli --stat:
// keys mem clients blocked requests (+delta) connections.
var statLine = regexp.MustCompile(`^(\d+)\s+([\d.]+[BKMGTP])\s+(\d+)\s+(\d+)\s+(\d+) \(\+(\d+)\)\s+(\d+)\s*$`)

func TestCLIStat(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		for i := 0; i < 5; i++ {
			if r := redisCLI(t, s, "set", "stat:"+strconv.Itoa(i), "x"); r.stdout != "OK\n" {
				t.Fatalf("set: %q %q", r.stdout, r.stderr)
			}
		}
		// --stat never ends by itself: run it for ~3.5 s (one line a second).
		r := runRedisCLI(t, s, 3500*time.Millisecond, nil, true, "--stat")
		if !r.timedOut {
			t.Fatalf("redis-cli --stat exited early (err=%v)\nstdout=%q\nstderr=%q", r.err, r.stdout, r.stderr)
		}
		ls := wireLines(r.stdout)
		if len(ls) < 2 || !strings.Contains(ls[0], "data") || !strings.Contains(ls[0], "load") {
			t.Fatalf("redis-cli --stat: no header\nstdout=%q\nstderr=%q", r.stdout, r.stderr)
		}
		for _, col := range []string{"keys", "mem", "clients", "blocked", "requests", "connections"} {
			if !strings.Contains(ls[1], col) {
				t.Errorf("redis-cli --stat: header %q lacks column %q", ls[1], col)
			}
		}
		data := 0
		for _, l := range ls[2:] {
			if l == "" {
				continue
			}
			m := statLine.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("redis-cli --stat: malformed data line %q", l)
				continue
			}
			data++
			if m[1] != "5" {
				t.Errorf("redis-cli --stat: keys column %s, want 5 (line %q)", m[1], l)
			}
			if n, _ := strconv.Atoi(m[3]); n < 1 {
				t.Errorf("redis-cli --stat: clients column %s, want >= 1 (line %q)", m[3], l)
			}
		}
		if data < 2 {
			t.Errorf("redis-cli --stat: %d data lines in ~3.5s, want >= 2\nstdout=%q", data, r.stdout)
		}
		if strings.Contains(strings.ToUpper(r.stdout+r.stderr), "ERR") {
			t.Errorf("redis-cli --stat printed an error\nstdout=%q\nstderr=%q", r.stdout, r.stderr)
		}
	})
}

const cliAuthWarning = "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe."

func TestCLIAuth(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		// No password: every command is refused.
		r := redisCLI(t, s, "ping")
		if !strings.HasPrefix(r.stdout, "NOAUTH Authentication required.\n") {
			t.Errorf("ping without -a: stdout=%q stderr=%q, want NOAUTH", r.stdout, r.stderr)
		}
		// Wrong password: redis-cli reports the AUTH failure, then NOAUTH.
		r = redisCLI(t, s, "-a", "wrong", "ping")
		if !strings.Contains(r.stderr, "AUTH failed: WRONGPASS invalid username-password pair or user is disabled.") {
			t.Errorf("-a wrong: stderr=%q, want AUTH failed: WRONGPASS ...", r.stderr)
		}
		if !strings.HasPrefix(r.stdout, "NOAUTH Authentication required.") {
			t.Errorf("-a wrong: stdout=%q, want NOAUTH", r.stdout)
		}
		// Right password, with the command-line warning.
		r = redisCLI(t, s, "-a", "secret", "ping")
		if r.stdout != "PONG\n" || !strings.Contains(r.stderr, cliAuthWarning) {
			t.Errorf("-a secret: stdout=%q stderr=%q", r.stdout, r.stderr)
		}
		// --no-auth-warning silences it.
		r = redisCLI(t, s, "-a", "secret", "--no-auth-warning", "set", "auth:k", "v")
		if r.stdout != "OK\n" || r.stderr != "" {
			t.Errorf("-a secret --no-auth-warning set: stdout=%q stderr=%q", r.stdout, r.stderr)
		}
		r = redisCLI(t, s, "-a", "secret", "--no-auth-warning", "get", "auth:k")
		if r.stdout != "v\n" || r.stderr != "" {
			t.Errorf("-a secret --no-auth-warning get: stdout=%q stderr=%q", r.stdout, r.stderr)
		}
		// --user/--pass with the default user (AUTH default secret).
		r = redisCLI(t, s, "--user", "default", "--pass", "secret", "--no-auth-warning", "ping")
		if r.stdout != "PONG\n" {
			t.Errorf("--user default --pass secret: stdout=%q stderr=%q", r.stdout, r.stderr)
		}

		// The same flow on the wire, byte-exact.
		w := dialWire(t, s.Addr)
		w.writeStr("PING\r\n")
		w.expect("-NOAUTH Authentication required.\r\n")
		w.write(respCmd("GET", "auth:k"))
		w.expect("-NOAUTH Authentication required.\r\n")
		w.write(respCmd("AUTH", "wrong"))
		w.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n")
		w.write(respCmd("AUTH", "default", "wrong"))
		w.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n")
		w.write(respCmd("AUTH"))
		w.expect("-ERR wrong number of arguments for 'auth' command\r\n")
		w.write(respCmd("HELLO", "3"))
		if got := w.reply(); !strings.HasPrefix(got, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO ") {
			t.Errorf("HELLO 3 before AUTH: got %q", got)
		}
		w.write(respCmd("AUTH", "secret"))
		w.expect("+OK\r\n")
		w.write(respCmd("GET", "auth:k"))
		w.expect("$1\r\nv\r\n")

		w2 := dialWire(t, s.Addr)
		w2.write(respCmd("AUTH", "default", "secret"))
		w2.expect("+OK\r\n")
		w2.write(respCmd("PING"))
		w2.expect("+PONG\r\n")
	}, "--requirepass", "secret")
}
