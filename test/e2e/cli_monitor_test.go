package e2e

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// monitorLine is Redis's MONITOR line as redis-cli prints it:
// 1700000000.123456 [0 127.0.0.1:54321] "set" "k" "a\x01b"
var monitorLine = regexp.MustCompile(`^(\d{10})\.(\d{6}) \[(\d+) 127\.0\.0\.1:(\d+)\] (.*)$`)

func TestCLIMonitor(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		path, err := exec.LookPath("redis-cli")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		mon := exec.CommandContext(ctx, path, "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "monitor")
		mon.WaitDelay = 2 * time.Second
		out, err := mon.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr lockedBuffer
		mon.Stderr = &stderr
		if err := mon.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); mon.Wait() }()
		got := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				got <- sc.Text()
			}
			close(got)
		}()
		next := func() string {
			t.Helper()
			select {
			case l, ok := <-got:
				if !ok {
					t.Fatalf("redis-cli monitor ended; stderr=%q", stderr.String())
				}
				return l
			case <-time.After(10 * time.Second):
				t.Fatalf("no MONITOR line within 10s; stderr=%q", stderr.String())
			}
			return ""
		}
		if l := next(); l != "OK" {
			t.Fatalf("redis-cli monitor first line %q, want OK", l)
		}

		w := dialWire(t, s.Addr)
		port := strconv.Itoa(w.nc.LocalAddr().(*net.TCPAddr).Port)
		type step struct {
			send []byte
			db   string
			args string // the quoted arguments, as MONITOR prints them; "" if not shown
		}
		steps := []step{
			{respCmd("set", "k", "a\x01b"), "0", `"set" "k" "a\x01b"`},
			{respCmd("set", "q", `he said "hi"`), "0", `"set" "q" "he said \"hi\""`},
			{respCmd("SET", "bin", "\xff\\\t\n\r\x00 \a\b~"), "0", `"SET" "bin" "\xff\\\t\n\r\x00 \a\b~"`},
			{[]byte("get k\r\n"), "0", `"get" "k"`},
			{[]byte("PING\r\n"), "0", `"PING"`},
			{respCmd("incrbyfloat", "f", "1.5"), "0", `"incrbyfloat" "f" "1.5"`},
			// Rejected before running (unknown, wrong arity): not shown.
			{respCmd("nosuchcmd", "a"), "", ""},
			{respCmd("get"), "", ""},
			// Failing while running: shown.
			{respCmd("incr", "k"), "0", `"incr" "k"`},
			{respCmd("select", "3"), "3", `"select" "3"`},
			{respCmd("set", "x", ""), "3", `"set" "x" ""`},
			{respCmd("select", "0"), "0", `"select" "0"`},
			{respCmd("echo", "end"), "0", `"echo" "end"`},
		}
		before := time.Now().Unix()
		for _, st := range steps {
			w.write(st.send)
			w.reply()
		}
		for i, st := range steps {
			if st.args == "" {
				continue
			}
			l := next()
			m := monitorLine.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("line %d: %q does not match Redis's MONITOR format", i, l)
				continue
			}
			if sec, _ := strconv.ParseInt(m[1], 10, 64); sec < before-1 || sec > time.Now().Unix()+1 {
				t.Errorf("line %d: timestamp %s.%s is not now", i, m[1], m[2])
			}
			if m[3] != st.db {
				t.Errorf("line %d %q: db %s, want %s", i, l, m[3], st.db)
			}
			if m[4] != port {
				t.Errorf("line %d %q: client port %s, want %s", i, l, m[4], port)
			}
			if m[5] != st.args {
				t.Errorf("line %d: arguments\n got: %s\nwant: %s", i, m[5], st.args)
			}
		}
	})
}
