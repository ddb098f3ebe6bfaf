// Package e2e holds black-box tests: they build the damselfly binary, start
// it on a free loopback port and talk to it over TCP with real clients.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/damselfly once per test run.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv("DAMSELFLY_BIN"); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "damselfly-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "damselfly")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		args := []string{"build", "-o", binPath}
		if os.Getenv("DAMSELFLY_RACE") != "" {
			// A server built with the race detector: every test that
			// starts it fails if a race is reported (see Stop).
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/damselfly")...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Server is a running process under test (Damselfly, or redis-server when
// a test replays against the oracle).
type Server struct {
	Addr string
	Port int
	cmd  *exec.Cmd
	log  *lockedBuffer
	Dir  string
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freePort asks the kernel for an unused loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs damselfly with extra flags on a free port bound to 127.0.0.1
// and waits until it answers PING. It is stopped when the test ends.
func Start(t testing.TB, flags ...string) *Server {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	args := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--log_level", "warning"}, flags...)
	// DAMSELFLY_FLAGS runs the whole suite in another mode, e.g.
	// DAMSELFLY_FLAGS=--event_loop=false for one goroutine per connection.
	if extra := os.Getenv("DAMSELFLY_FLAGS"); extra != "" {
		args = append(args[:4:4], append(strings.Fields(extra), args[4:]...)...)
	}
	return startProcess(t, binary(t), args, port, dir)
}

// StartRedis runs Debian's redis-server as the oracle.
func StartRedis(t testing.TB, extra ...string) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is required for oracle tests: %v", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	args := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"}, extra...)
	return startProcess(t, path, args, port, dir)
}

func startProcess(t testing.TB, path string, args []string, port int, dir string) *Server {
	t.Helper()
	// A free port can be taken by another test's server between freePort
	// and our server's bind: ours then fails to start while the other one
	// answers our PING. So the server that answers must report our PID,
	// or we start again on another port.
	for attempt := 0; ; attempt++ {
		s, owned := startOnce(t, path, args, port, dir)
		if owned {
			return s
		}
		s.Stop()
		if attempt == 4 {
			t.Fatalf("server %s: port %d kept answering as another process", path, port)
		}
		next := freePort(t)
		args = withPort(args, port, next)
		port = next
	}
}

// withPort is args with the value of --port old replaced by new.
func withPort(args []string, old, new int) []string {
	out := append([]string(nil), args...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == "--port" && out[i+1] == fmt.Sprint(old) {
			out[i+1] = fmt.Sprint(new)
		}
	}
	return out
}

// startOnce starts the server and waits until its port answers; owned
// reports whether the answer came from this process (unknown, so taken
// as yes, when a password keeps INFO from us).
func startOnce(t testing.TB, path string, args []string, port int, dir string) (s *Server, owned bool) {
	t.Helper()
	s = &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Port: port, log: &lockedBuffer{}, Dir: dir}
	s.cmd = exec.Command(path, args...)
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if strings.Contains(s.log.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector fired in %s:\n%s", path, s.log.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			fmt.Fprintf(c, "PING\r\nINFO server\r\n")
			c.SetReadDeadline(time.Now().Add(time.Second))
			r := bufio.NewReader(c)
			line, _ := r.ReadString('\n')
			switch {
			case strings.HasPrefix(line, "-NOAUTH"):
				c.Close()
				return s, true
			case strings.HasPrefix(line, "+PONG"):
				pid, ok := infoPID(r)
				c.Close()
				return s, !ok || pid == s.cmd.Process.Pid
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s did not start: %s", path, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// infoPID reads an INFO reply from r and returns its process_id.
func infoPID(r *bufio.Reader) (int, bool) {
	head, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil || n < 0 {
		return 0, false
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(l, "process_id:"); ok {
			pid, err := strconv.Atoi(v)
			return pid, err == nil
		}
	}
	return 0, false
}

// Stop ends the process we started, by PID.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// Log returns what the server printed.
func (s *Server) Log() string { return s.log.String() }

// Client returns a go-redis client (RESP3 unless proto says otherwise).
func (s *Server) Client(t testing.TB, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: proto, DisableIdentity: false})
	t.Cleanup(func() { c.Close() })
	return c
}

// Ctx is a context bounded for one test step.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestHarnessChecksOwner: a server whose port another process holds is
// not taken for the one answering there (the port-race flake of
// parallel tests: a fresh oracle that already had another test's data).
func TestHarnessChecksOwner(t *testing.T) {
	d := Start(t)
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, owned := startOnce(t, path, []string{"--port", fmt.Sprint(d.Port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""}, d.Port, dir)
	s.Stop()
	if owned {
		t.Fatal("the damselfly answering on the port was taken for the redis-server started on it")
	}
	for _, srv := range []*Server{d, StartRedis(t)} {
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "INFO server\r\n")
		pid, ok := infoPID(bufio.NewReader(c))
		c.Close()
		if !ok || pid != srv.cmd.Process.Pid {
			t.Fatalf("%s: INFO process_id %d (%v), want %d", srv.cmd.Path, pid, ok, srv.cmd.Process.Pid)
		}
	}
}
