// Package e2e holds black-box tests: they build the damselfly binary, start
// it on a free loopback port and talk to it over TCP with real clients.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Port: port, log: &lockedBuffer{}, Dir: dir}
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
			fmt.Fprintf(c, "PING\r\n")
			c.SetReadDeadline(time.Now().Add(time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s did not start: %s", path, s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
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
