package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPidfile: Redis's pidfile holds the server's process id while it runs
// and is removed when it exits (on SIGTERM).
func TestPidfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "damselfly.pid")
	s := Start(t, "--pidfile", path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(b)), strconv.Itoa(s.cmd.Process.Pid); got != want {
		t.Fatalf("pidfile holds %q, want %s", got, want)
	}
	s.cmd.Process.Signal(syscall.SIGTERM) // Stop kills: no exit path runs
	s.cmd.Wait()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pidfile left behind after exit")
		}
	}
}

// TestLogfile: Redis's logfile receives the log; one that cannot be
// opened stops the start with an error.
func TestLogfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "damselfly.log")
	s := Start(t, "--logfile", path, "--log_level", "info")
	s.Stop()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Ready to accept connections") || !strings.Contains(string(b), "PID: ") {
		t.Fatalf("log file lacks the start-up lines:\n%s", b)
	}
	out, err := exec.Command(binary(t), "--port", "0", "--logfile", filepath.Join(t.TempDir(), "no", "such", "dir.log")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "can't open the log file") {
		t.Fatalf("unopenable log file: %v\n%s", err, out)
	}
}

// TestDaemonize: daemonize yes returns at once and leaves the server
// running in the background, where its pidfile names it.
func TestDaemonize(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "d.pid")
	port := freePort(t)
	out, err := exec.Command(binary(t), "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--daemonize", "yes", "--pidfile", pidfile, "--logfile", filepath.Join(dir, "d.log")).CombinedOutput()
	if err != nil {
		t.Fatalf("daemonize: %v\n%s", err, out)
	}
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(pidfile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if pid == 0 && time.Now().After(deadline) {
			t.Fatal("no pidfile from the daemon")
		}
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) }) // the daemon we started
	w := dialWire(t, fmt.Sprintf("127.0.0.1:%d", port))
	w.expect0("PING", "+PONG\r\n")
}
