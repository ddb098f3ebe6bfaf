package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The generator is tested against the real servers it measures: Debian's
// redis-server (the oracle) and Damselfly built from this checkout.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func damselflyBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv("DAMSELFLY_BIN"); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "loadgen-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "damselfly")
		_, file, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/damselfly")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/damselfly: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type testServer struct {
	name string
	addr string
	pid  int
}

// startServer runs "redis" or "damselfly" on a free loopback port until
// the test ends.
func startServer(t *testing.T, name string) testServer {
	t.Helper()
	port := freePort(t)
	var cmd *exec.Cmd
	switch name {
	case "redis":
		path, err := exec.LookPath("redis-server")
		if err != nil {
			t.Fatalf("redis-server is required (Debian package redis-server): %v", err)
		}
		cmd = exec.Command(path, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	case "damselfly":
		cmd = exec.Command(damselflyBinary(t), "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dbfilename", "", "--log_level", "warning", "--dir", t.TempDir())
	default:
		t.Fatalf("unknown server %q", name)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; {
		if conn, err := net.Dial("tcp", addr); err == nil {
			got, err := call(conn, bufio.NewReader(conn), "PING")
			conn.Close()
			if err == nil && got == "+PONG" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer PING on %s", name, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return testServer{name: name, addr: addr, pid: cmd.Process.Pid}
}

// onBoth runs f against redis-server and Damselfly as subtests.
func onBoth(t *testing.T, f func(t *testing.T, s testServer)) {
	for _, name := range []string{"redis", "damselfly"} {
		t.Run(name, func(t *testing.T) { f(t, startServer(t, name)) })
	}
}

func mustConfig(t *testing.T, args ...string) *config {
	t.Helper()
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		t.Fatalf("parseFlags(%q): %v", args, err)
	}
	return cfg
}
