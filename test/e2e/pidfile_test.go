package e2e

import (
	"os"
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
