package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// faultsDropNew deletes the keys the background writers made (new:*), so
// that what remains can be compared with the last completed snapshot.
func faultsDropNew(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := Ctx(t)
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, "new:*", 5000).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			c.Unlink(ctx, keys...)
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}

// faultsWriters runs writers against addr until stop is closed; errors
// once the server is killed are expected and ignored.
func faultsWriters(addr string, seed int64, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
			defer c.Close()
			rng := rand.New(rand.NewSource(seed + int64(w)))
			ctx := context.Background()
			for {
				select {
				case <-stop:
					return
				default:
				}
				p := c.Pipeline()
				for i := 0; i < 100; i++ {
					k := fmt.Sprintf("new:%d:%d", w, rng.Intn(20000))
					switch rng.Intn(4) {
					case 0:
						p.Set(ctx, k, strings.Repeat("x", rng.Intn(200)), 0)
					case 1:
						p.HSet(ctx, k+":h", "f", rng.Int())
					case 2:
						p.LPush(ctx, k+":l", rng.Int())
					default:
						p.Del(ctx, k)
					}
				}
				if _, err := p.Exec(ctx); err != nil && !strings.Contains(err.Error(), "WRONGTYPE") {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}(w)
	}
	return &wg
}

// TestFaultsKill9 kills the server with SIGKILL at random moments of a
// write load, with and without a background save under way, and restarts
// it from the same directory each round: every key of the last completed
// snapshot is back with its value (the dataset minus the writers' keys
// has the digest taken at that SAVE), and no temporary file is left or
// loaded. Runs with a fixed file name and with a {timestamp} one (where
// the newest file wins, so a partial file taken for a snapshot would
// show).
func TestFaultsKill9(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	for _, name := range []string{"dump.rdb", "dump-{timestamp}"} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			dir := t.TempDir()
			want := ""
			for round := 0; round < 3; round++ {
				s := Start(t, "--dir", dir, "--dbfilename", name)
				c := s.Client(t, 2)
				ctx := Ctx(t)
				waitLoaded(t, c)
				faultsDropNew(t, c)
				if got := digestOf(t, c); want != "" && got != want {
					t.Fatalf("round %d: after kill -9 the dataset (writers' keys removed) has digest %s, want the last completed snapshot's %s", round, got, want)
				}
				if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) > 0 {
					t.Fatalf("round %d: temporary files left after restart: %v", round, tmps)
				}
				c.Do(ctx, "DEBUG", "POPULATE", 60000, fmt.Sprintf("base%d", round), 120)
				c.HSet(ctx, fmt.Sprintf("basehash%d", round), "a", "1", "b", round)
				c.ZAdd(ctx, fmt.Sprintf("basezset%d", round), redis.Z{Score: float64(round), Member: "m"})
				if err := c.Save(ctx).Err(); err != nil {
					t.Fatal(err)
				}
				want = digestOf(t, c)

				stop := make(chan struct{})
				wg := faultsWriters(s.Addr, rng.Int63(), stop)
				mode := round % 3
				delay := time.Duration(rng.Intn(300)) * time.Millisecond
				time.Sleep(time.Duration(50+rng.Intn(200)) * time.Millisecond)
				switch mode {
				case 0: // only the write load
					time.Sleep(delay)
				case 1: // a save under way, killed at a random moment
					if err := c.BgSave(ctx).Err(); err != nil {
						t.Fatal(err)
					}
					time.Sleep(delay / 4)
				case 2: // killed once the temporary file holds data
					if err := c.BgSave(ctx).Err(); err != nil {
						t.Fatal(err)
					}
					faultsWaitTmp(t, dir)
				}
				s.cmd.Process.Signal(syscall.SIGKILL)
				s.cmd.Wait()
				close(stop)
				wg.Wait()
				t.Logf("round %d: mode %d, killed after %v", round, mode, delay)
			}
			s := Start(t, "--dir", dir, "--dbfilename", name)
			c := s.Client(t, 2)
			waitLoaded(t, c)
			faultsDropNew(t, c)
			if got := digestOf(t, c); got != want {
				t.Fatalf("final restart: digest %s, want %s", got, want)
			}
		})
	}
}

func faultsWaitTmp(t *testing.T, dir string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
		for _, p := range tmps {
			if st, err := os.Stat(p); err == nil && st.Size() > 0 {
				return
			}
		}
	}
	t.Log("the save finished before a temporary file was seen; killing anyway")
}

// startFsizeLimited runs damselfly under prlimit --fsize, so that writing
// a file beyond limit bytes fails with EFBIG (a full disk as the process
// sees it, without root or a loop device). The Go runtime does not die of
// SIGXFSZ, and main ignores it explicitly.
func startFsizeLimited(t *testing.T, limit int, flags ...string) *Server {
	t.Helper()
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is required: %v", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	args := append([]string{fmt.Sprintf("--fsize=%d", limit), binary(t),
		"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--log_level", "info"}, flags...)
	return startProcess(t, prlimit, args, port, dir)
}

// faultsCheckFailedSave asserts what a failed save must leave: SAVE gets
// an error, BGSAVE is accepted and then INFO reports
// rdb_last_bgsave_status:err, the log names the failure, the previous file
// is byte for byte what it was and the server still serves.
func faultsCheckFailedSave(t *testing.T, s *Server, c *redis.Client, file string, before []byte) {
	t.Helper()
	ctx := Ctx(t)
	err := c.Save(ctx).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR") {
		t.Fatalf("SAVE on a failing disk: %v, want an -ERR reply", err)
	}
	t.Logf("SAVE: %v", err)
	if v := c.Info(ctx, "persistence").Val(); faultInfoField(v, "rdb_last_bgsave_status") != "err" {
		t.Fatalf("after a failed SAVE: rdb_last_bgsave_status %q", faultInfoField(v, "rdb_last_bgsave_status"))
	}
	if err := c.BgSave(ctx).Err(); err != nil && !strings.HasPrefix(err.Error(), "ERR") {
		t.Fatalf("BGSAVE: %v", err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		v := c.Info(ctx, "persistence").Val()
		if faultInfoField(v, "rdb_bgsave_in_progress") == "0" {
			if st := faultInfoField(v, "rdb_last_bgsave_status"); st != "err" {
				t.Fatalf("after a failed BGSAVE: rdb_last_bgsave_status %q", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("BGSAVE did not end")
		}
	}
	// The log reaches the test through a pipe read by another goroutine.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(s.Log(), "snapshot failed"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("no log line for the failed save:\n%s", s.Log())
			break
		}
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, before) {
		t.Fatalf("the previous snapshot changed (%d bytes, was %d)", len(got), len(before))
	}
	checkRDB(t, file)
	if err := c.Set(ctx, "after-failure", "1", 0).Err(); err != nil {
		t.Fatalf("the server stopped serving after a failed save: %v", err)
	}
	if v := c.Get(ctx, "after-failure").Val(); v != "1" {
		t.Fatalf("GET after a failed save: %q", v)
	}
}

// TestFaultsDiskFull: saves that hit the file size limit fail cleanly and
// the last good snapshot is kept and loadable.
func TestFaultsDiskFull(t *testing.T) {
	s := startFsizeLimited(t, 256<<10, "--dbfilename", "dump.rdb")
	c := s.Client(t, 2)
	ctx := Ctx(t)
	populateAll(t, c)
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatalf("a small SAVE under the limit: %v", err)
	}
	want := digestOf(t, c)
	file := filepath.Join(s.Dir, "dump.rdb")
	before := fileBytes(t, file)
	c.Do(ctx, "DEBUG", "POPULATE", 20000, "big", 100)
	faultsCheckFailedSave(t, s, c, file, before)
	if !strings.Contains(s.Log(), "file too large") {
		t.Errorf("the log does not say why:\n%s", s.Log())
	}
	s.Stop()
	s2 := Start(t, "--dir", s.Dir, "--dbfilename", "dump.rdb")
	if got := digestOf(t, s2.Client(t, 2)); got != want {
		t.Fatalf("restart after the failed saves: digest %s, want %s", got, want)
	}
}

// unwritable makes path's directory refuse new files. Without root that
// is chmod 0555. Root ignores permissions, so there the file the save
// must create is taken by a non-empty directory of the same name, which
// makes its creation fail the way a read-only directory does; the
// snapshot file next to it stays in place. It returns an undo function.
func unwritable(t *testing.T, dir, tmpName string) func() {
	t.Helper()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(dir, ".probe")
	if f, err := os.Create(probe); err != nil {
		t.Log("dir made read-only with chmod 0555")
		return func() { os.Chmod(dir, 0o755) }
	} else {
		f.Close()
		os.Remove(probe)
		os.Chmod(dir, 0o755)
	}
	blocker := filepath.Join(dir, tmpName)
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("running as root: %s is a directory so that the save cannot create it", tmpName)
	return func() { os.RemoveAll(blocker) }
}

// TestFaultsUnwritableDir: with --dir refusing writes, SAVE and BGSAVE
// report the error and the old snapshot stays; redis-server 7.0 answers
// SAVE with the same error class in the same situation.
func TestFaultsUnwritableDir(t *testing.T) {
	s := Start(t, "--dbfilename", "dump.rdb", "--log_level", "info")
	c := s.Client(t, 2)
	ctx := Ctx(t)
	populateAll(t, c)
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	want := digestOf(t, c)
	file := filepath.Join(s.Dir, "dump.rdb")
	before := fileBytes(t, file)
	undo := unwritable(t, s.Dir, "dump.rdb.tmp")
	c.Set(ctx, "changed", "after the save", 0)
	faultsCheckFailedSave(t, s, c, file, before)
	undo()
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatalf("SAVE once the directory is writable again: %v", err)
	}
	if v := c.Info(ctx, "persistence").Val(); faultInfoField(v, "rdb_last_bgsave_status") != "ok" {
		t.Fatalf("status after a good save: %q", faultInfoField(v, "rdb_last_bgsave_status"))
	}
	s.Stop()
	s2 := Start(t, "--dir", s.Dir, "--dbfilename", "dump.rdb")
	c2 := s2.Client(t, 2)
	c2.Del(ctx, "changed", "after-failure")
	if got := digestOf(t, c2); got != want {
		t.Fatalf("restart: digest %s, want %s", got, want)
	}

	r := StartRedis(t, "--dbfilename", "dump.rdb")
	rc := r.Client(t, 2)
	rc.Set(ctx, "k", "v", 0)
	undoR := unwritable(t, r.Dir, fmt.Sprintf("temp-%d.rdb", r.cmd.Process.Pid))
	defer undoR()
	err := rc.Save(ctx).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR") {
		t.Fatalf("redis-server SAVE on an unwritable dir: %v", err)
	}
}
