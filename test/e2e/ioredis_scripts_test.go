package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIoredisScripts runs Directus's Lua scripts through ioredis and the
// npm packages Directus uses (test/scripts) against Damselfly and against
// redis-server. It needs node and npm and fails without them.
func TestIoredisScripts(t *testing.T) {
	dir := scriptsDir(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required (test/scripts): %v", err)
	}
	npmInstall(t, dir)
	servers := map[string]*Server{
		"damselfly":        Start(t, "--proactor_threads", "4"),
		"damselfly-strict": Start(t, "--proactor_threads", "4", "--lua_strict_keys"),
		"redis-server":     StartRedis(t),
	}
	for name, srv := range servers {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "directus.test.mjs")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "REDIS_URL=redis://"+srv.Addr)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("node --test against %s: %v\n%s\nserver log:\n%s", name, err, out, srv.Log())
			}
			if !bytes.Contains(out, []byte("fail 0")) {
				t.Fatalf("unexpected node output:\n%s", out)
			}
			t.Logf("%s", lastLines(string(out), 8))
		})
	}
}

func scriptsDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "scripts")
}

var npmOnce sync.Once
var npmErr error
var npmOut []byte

// npmInstall runs "npm ci" once per test run, unless node_modules is newer
// than package-lock.json.
func npmInstall(t *testing.T, dir string) {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("npm is required (test/scripts): %v", err)
	}
	npmOnce.Do(func() {
		lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
		if err != nil {
			npmErr = err
			return
		}
		if mods, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && mods.ModTime().After(lock.ModTime()) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		npmOut, npmErr = cmd.CombinedOutput()
	})
	if npmErr != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, npmErr, npmOut)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
