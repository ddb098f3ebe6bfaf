package e2e

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// dialFrom connects to addr from the loopback source address src
// (127.0.0.2 is loopback traffic, but not "local" in Redis's sense).
func dialFrom(t testing.TB, addr, src string) *wireConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &wireConn{t: t, nc: nc, r: bufio.NewReaderSize(nc, 64*1024), timeout: wireTimeout}
}

const deniedLine = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// TestProtectedMode: with protected mode on (the default) and no password,
// a client that is not on 127.0.0.1/::1 gets Redis's -DENIED line and is
// closed, counted in rejected_connections; CONFIG SET protected-mode no
// or a password lets it in.
func TestProtectedMode(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		local := dialWire(t, s.Addr)
		if got := local.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("local PING: %q", got)
		}
		remote := dialFrom(t, s.Addr, "127.0.0.2")
		remote.writeStr("PING\r\n")
		remote.expect(deniedLine)
		remote.expectClosed()
		if info := local.do("INFO", "stats"); !strings.Contains(info, "rejected_connections:1\r\n") {
			t.Errorf("rejected_connections after DENIED: %q", info)
		}
		// A password lifts protected mode.
		local.do("CONFIG", "SET", "requirepass", "secret")
		r2 := dialFrom(t, s.Addr, "127.0.0.2")
		if got := r2.do("PING"); !strings.HasPrefix(got, "-NOAUTH") {
			t.Errorf("with a password: %q", got)
		}
		local.do("AUTH", "secret")
		local.do("CONFIG", "SET", "requirepass", "")
		if got := local.do("CONFIG", "SET", "protected-mode", "no"); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET protected-mode no: %q", got)
		}
		if got := dialFrom(t, s.Addr, "127.0.0.2").do("PING"); got != "+PONG\r\n" {
			t.Errorf("with protected-mode no: %q", got)
		}
	})
}

func debugRefusal(cmd, option string) string {
	return "-ERR " + cmd + " command not allowed. If the " + option + ` option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.` + "\r\n"
}

// TestDangerousCommandsLocal: with enable-debug-command and
// enable-module-command "local", DEBUG and MODULE LOAD/UNLOAD run from
// 127.0.0.1 and are refused from elsewhere with Redis's text (even inside
// MULTI, which then aborts); MODULE LIST stays open; both settings are
// immutable.
func TestDangerousCommandsLocal(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		local := dialWire(t, s.Addr)
		if got := local.do("DEBUG", "SLEEP", "0"); got != "+OK\r\n" {
			t.Errorf("local DEBUG SLEEP: %q", got)
		}
		remote := dialFrom(t, s.Addr, "127.0.0.2")
		if got := remote.do("DEBUG", "SLEEP", "0"); got != debugRefusal("DEBUG", "enable-debug-command") {
			t.Errorf("remote DEBUG: %q", got)
		}
		if got := remote.do("MODULE", "LOAD", "/nonexistent.so"); got != debugRefusal("MODULE", "enable-module-command") {
			t.Errorf("remote MODULE LOAD: %q", got)
		}
		if got := remote.do("MODULE", "UNLOAD", "x"); got != debugRefusal("MODULE", "enable-module-command") {
			t.Errorf("remote MODULE UNLOAD: %q", got)
		}
		if got := remote.do("MODULE", "LIST"); got != "*0\r\n" {
			t.Errorf("remote MODULE LIST: %q", got)
		}
		remote.do("MULTI")
		if got := remote.do("DEBUG", "SLEEP", "0"); got != debugRefusal("DEBUG", "enable-debug-command") {
			t.Errorf("remote DEBUG in MULTI: %q", got)
		}
		if got := remote.do("EXEC"); !strings.HasPrefix(got, "-EXECABORT") {
			t.Errorf("EXEC after a refused DEBUG: %q", got)
		}
		if got := local.do("CONFIG", "SET", "enable-debug-command", "yes"); got != "-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config\r\n" {
			t.Errorf("CONFIG SET enable-debug-command: %q", got)
		}
	}, "--protected-mode", "no", "--enable-debug-command", "local", "--enable-module-command", "local")
}

// TestDangerousCommandsNo: "no" refuses DEBUG even from 127.0.0.1 and ::1
// (Redis's default; Damselfly's default is local, see docs/security.md).
func TestDangerousCommandsNo(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		for _, addr := range []string{s.Addr} {
			w := dialWire(t, addr)
			if got := w.do("DEBUG", "SLEEP", "0"); got != debugRefusal("DEBUG", "enable-debug-command") {
				t.Errorf("DEBUG with enable-debug-command no: %q", got)
			}
			if got := w.do("MODULE", "LOAD", "/x.so"); got != debugRefusal("MODULE", "enable-module-command") {
				t.Errorf("MODULE LOAD with enable-module-command no: %q", got)
			}
			if got := w.do("CONFIG", "GET", "enable-*"); !strings.Contains(got, "enable-debug-command\r\n$2\r\nno") {
				t.Errorf("CONFIG GET enable-*: %q", got)
			}
		}
	}, "--enable-debug-command", "no", "--enable-module-command", "no")
}

// TestDangerousDefaults: Damselfly's defaults let DEBUG run from loopback
// (test suites need it) and refuse it from elsewhere.
func TestDangerousDefaults(t *testing.T) {
	s := Start(t, "--protected-mode", "no")
	if got := dialWire(t, s.Addr).do("DEBUG", "SLEEP", "0"); got != "+OK\r\n" {
		t.Errorf("local DEBUG by default: %q", got)
	}
	if got := dialFrom(t, s.Addr, "127.0.0.2").do("DEBUG", "SLEEP", "0"); got != debugRefusal("DEBUG", "enable-debug-command") {
		t.Errorf("remote DEBUG by default: %q", got)
	}
}

// TestProtectedConfigs: CONFIG SET dir/dbfilename is refused unless
// enable-protected-configs allows the client; allowed, dir must exist.
func TestProtectedConfigs(t *testing.T) {
	const failed = "-ERR CONFIG SET failed (possibly related to argument "
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		for _, kv := range [][2]string{{"dir", t.TempDir()}, {"dbfilename", "x.rdb"}} {
			if got := w.do("CONFIG", "SET", kv[0], kv[1]); got != failed+"'"+kv[0]+"') - can't set protected config\r\n" {
				t.Errorf("CONFIG SET %s by default: %q", kv[0], got)
			}
		}
	})
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		dir := t.TempDir()
		if got := w.do("CONFIG", "SET", "dir", dir); got != "+OK\r\n" {
			t.Errorf("local CONFIG SET dir: %q", got)
		}
		if got := w.do("CONFIG", "SET", "dbfilename", "x.rdb"); got != "+OK\r\n" {
			t.Errorf("local CONFIG SET dbfilename: %q", got)
		}
		if got := w.do("CONFIG", "SET", "dir", "/nonexistent-damselfly"); got != failed+"'dir') - No such file or directory\r\n" {
			t.Errorf("CONFIG SET dir to a missing directory: %q", got)
		}
		if got := w.do("CONFIG", "SET", "dbfilename", "a/b"); got != failed+"'dbfilename') - dbfilename can't be a path, just a filename\r\n" {
			t.Errorf("CONFIG SET dbfilename a/b: %q", got)
		}
		if got := w.do("SAVE"); got != "+OK\r\n" {
			t.Errorf("SAVE into the new dir: %q", got)
		}
		remote := dialFrom(t, s.Addr, "127.0.0.2")
		if got := remote.do("CONFIG", "SET", "dir", dir); got != failed+"'dir') - can't set protected config\r\n" {
			t.Errorf("remote CONFIG SET dir: %q", got)
		}
	}, "--protected-mode", "no", "--enable-protected-configs", "local")
}

// TestExposedWarning: listening beyond loopback with no password is logged
// at start (saying whether protected mode applies); with a password, or on
// loopback only, it is not.
func TestExposedWarning(t *testing.T) {
	const warn = "listening beyond loopback with no password"
	s := Start(t, "--bind", "0.0.0.0")
	waitLog(t, s, warn+": protected mode is on")
	s2 := Start(t, "--bind", "0.0.0.0", "--protected-mode", "no")
	waitLog(t, s2, warn+" and protected-mode off")
	s3 := Start(t, "--bind", "0.0.0.0", "--requirepass", "secret")
	s4 := Start(t)
	time.Sleep(200 * time.Millisecond)
	for _, q := range []*Server{s3, s4} {
		if strings.Contains(q.Log(), warn) {
			t.Errorf("warning with a password or on loopback:\n%s", q.Log())
		}
	}
}

func waitLog(t *testing.T, s *Server, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.Log(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", text, s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
