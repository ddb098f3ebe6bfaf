package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// populateAll writes every type and encoding Damselfly has, with binary
// data, expiries and several databases. The same commands run on
// redis-server, so DEBUG DIGEST compares the two.
func populateAll(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := Ctx(t)
	p := c.Pipeline()
	p.Set(ctx, "str", "hello", 0)
	p.Set(ctx, "int", "123456", 0)
	p.Set(ctx, "neg", "-42", 0)
	p.Set(ctx, "big", "98765432101234", 0)
	p.Set(ctx, "bin", "a\x00b\xff\r\n", 0)
	p.Set(ctx, "long", strings.Repeat("compressible ", 100), 0)
	p.Set(ctx, "ttl", "v", time.Hour)
	p.Append(ctx, "raw", "appended")
	p.HSet(ctx, "hash:small", "f1", "v1", "f2", "2", "f3", "")
	for i := 0; i < 300; i++ {
		p.HSet(ctx, "hash:big", fmt.Sprintf("field-%d", i), strings.Repeat("v", i%90))
	}
	p.SAdd(ctx, "set:ints", 1, 2, 3, -100, 70000, 5000000000)
	p.SAdd(ctx, "set:strs", "a", "b", "c", "1")
	for i := 0; i < 600; i++ {
		p.SAdd(ctx, "set:bigints", i*3)
	}
	p.ZAdd(ctx, "zset:small", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: -1e300, Member: "c"})
	for i := 0; i < 200; i++ {
		p.ZAdd(ctx, "zset:big", redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("member-%d", i)})
	}
	p.Expire(ctx, "zset:big", time.Hour)
	for i := 1; i <= 150; i++ {
		p.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: fmt.Sprintf("%d-1", i), Values: []string{"f", strconv.Itoa(i), "g", "x"}})
	}
	p.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "200-0", Values: []string{"other", "fields"}})
	p.XDel(ctx, "stream", "5-1", "6-1")
	p.XGroupCreate(ctx, "stream", "g1", "0")
	p.XGroupCreate(ctx, "stream", "g2", "$")
	p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "alice", Streams: []string{"stream", ">"}, Count: 3})
	p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "bob", Streams: []string{"stream", ">"}, Count: 2})
	p.XAck(ctx, "stream", "g1", "2-1")
	p.RPush(ctx, "list:small", "a", "b", 1, 2, -3, "")
	for i := 0; i < 2000; i++ {
		p.RPush(ctx, "list:big", fmt.Sprintf("element-%d-%s", i, strings.Repeat("z", i%70)))
	}
	p.LPush(ctx, "list:big", strings.Repeat("L", 20000)) // larger than a node
	p.Do(ctx, "FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)")
	p.PFAdd(ctx, "hll", "a", "b", "c")
	p.GeoAdd(ctx, "geo", &redis.GeoLocation{Name: "here", Longitude: 13.361389, Latitude: 38.115556})
	p.SetBit(ctx, "bits", 1000, 1)
	p.Do(ctx, "SELECT", 5)
	p.Set(ctx, "in-db-5", "five", 0)
	p.HSet(ctx, "hash-db-5", "a", "b")
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitLoaded waits until the server has loaded its snapshot (Start only
// waits for PING, which works while loading).
func waitLoaded(t *testing.T, c *redis.Client) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		if info, err := c.Info(Ctx(t), "persistence").Result(); err == nil && faultInfoField(info, "loading") == "0" { // not async_loading
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the snapshot did not load")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func digestOf(t *testing.T, c *redis.Client) string {
	t.Helper()
	waitLoaded(t, c)
	d, err := c.Do(Ctx(t), "DEBUG", "DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func checkRDB(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("redis-check-rdb"); err != nil {
		t.Log("redis-check-rdb not installed")
		return
	}
	out, err := exec.Command("redis-check-rdb", path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Fatalf("redis-check-rdb %s: %v\n%s", path, err, out)
	}
}

// TestSnapshotRedisRoundTrip: Damselfly → RDB → redis-server 7.0 →
// RDB → Damselfly, and Damselfly → RDB → Damselfly (restart and DEBUG
// RELOAD), with DEBUG DIGEST equal at every step, and each Damselfly
// digest equal to redis-server's for the same commands.
func TestSnapshotRedisRoundTrip(t *testing.T) {
	d := Start(t, "--dbfilename", "dump.rdb")
	dc := d.Client(t, 2)
	populateAll(t, dc)
	ref := StartRedis(t, "--enable-debug-command", "yes")
	populateAll(t, ref.Client(t, 2))
	want := digestOf(t, ref.Client(t, 2))
	if got := digestOf(t, dc); got != want {
		t.Fatalf("damselfly digest %s, redis %s for the same data", got, want)
	}
	if err := dc.Save(Ctx(t)).Err(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(d.Dir, "dump.rdb")
	checkRDB(t, file)

	// redis-server loads our file, with deep sanitization.
	r := StartRedis(t, "--enable-debug-command", "yes", "--sanitize-dump-payload", "yes", "--enable-protected-configs", "yes",
		"--dir", d.Dir, "--dbfilename", "dump.rdb")
	rc := r.Client(t, 2)
	if got := digestOf(t, rc); got != want {
		t.Fatalf("redis-server loaded digest %s, want %s\n%s", got, want, r.Log())
	}
	if v, err := rc.FCall(Ctx(t), "myfunc", nil, "arg").Text(); v != "arg" {
		t.Errorf("the function library was not loaded: %q %v", v, err)
	}
	if n, _ := rc.Do(Ctx(t), "XINFO", "GROUPS", "stream").Slice(); len(n) != 2 {
		t.Errorf("consumer groups after load: %v", n)
	}
	pend, err := rc.XPending(Ctx(t), "stream", "g1").Result()
	if err != nil || pend.Count != 4 || pend.Consumers["alice"] != 2 || pend.Consumers["bob"] != 2 {
		t.Errorf("pending after load: %+v %v", pend, err)
	}
	// Redis saves it again; Damselfly loads Redis's file.
	rdir := t.TempDir()
	if err := rc.ConfigSet(Ctx(t), "dir", rdir).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.ConfigSet(Ctx(t), "dbfilename", "redis.rdb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.Save(Ctx(t)).Err(); err != nil {
		t.Fatal(err)
	}
	d2 := Start(t, "--dir", rdir, "--dbfilename", "redis.rdb")
	d2c := d2.Client(t, 2)
	if got := digestOf(t, d2c); got != want {
		t.Fatalf("damselfly loading redis's file: digest %s, want %s\n%s", got, want, d2.Log())
	}
	waitLoaded(t, d2c)
	pend, err = d2c.XPending(Ctx(t), "stream", "g1").Result()
	if err != nil || pend.Count != 4 || pend.Consumers["alice"] != 2 {
		t.Errorf("pending after loading redis's file: %+v %v", pend, err)
	}
	if v, err := d2c.FCall(Ctx(t), "myfunc", nil, "arg").Text(); v != "arg" {
		t.Errorf("the function library was not loaded from redis's file: %q %v", v, err)
	}
	if enc, _ := d2c.ObjectEncoding(Ctx(t), "hash:small").Result(); enc != "listpack" {
		t.Errorf("hash:small encoding %s", enc)
	}
	if ttl := d2c.TTL(Ctx(t), "ttl").Val(); ttl < 59*time.Minute {
		t.Errorf("ttl %v", ttl)
	}

	// Damselfly → Damselfly: restart on our own file, and DEBUG RELOAD.
	d3 := Start(t, "--dir", d.Dir, "--dbfilename", "dump.rdb", "--proactor_threads", "3")
	if got := digestOf(t, d3.Client(t, 2)); got != want {
		t.Fatalf("restart: digest %s, want %s", got, want)
	}
	if err := dc.Do(Ctx(t), "DEBUG", "RELOAD").Err(); err != nil {
		t.Fatal(err)
	}
	if got := digestOf(t, dc); got != want {
		t.Fatalf("DEBUG RELOAD: digest %s, want %s", got, want)
	}
	info := dc.Info(Ctx(t), "persistence").Val()
	for _, f := range []string{"loading:0", "rdb_bgsave_in_progress:0", "rdb_last_bgsave_status:ok", "rdb_changes_since_last_save:0"} {
		if !strings.Contains(info, f+"\r\n") {
			t.Errorf("INFO persistence lacks %s:\n%s", f, info)
		}
	}
}

// TestSnapshotConsistency: BGSAVE while clients write. Every transaction
// increments two counters in different shards, and every HSET sets two
// fields to the same value: in the file each pair must be equal (one
// point in time across shards, and values changed in place saved before
// the change). Keys created after BGSAVE replied must be absent, keys
// deleted after it present.
func TestSnapshotConsistency(t *testing.T) {
	d := Start(t, "--dbfilename", "dump.rdb", "--proactor_threads", "4")
	c := d.Client(t, 2)
	ctx := Ctx(t)
	// A big dataset, so that the save takes a while.
	if err := c.Do(ctx, "DEBUG", "POPULATE", 400000, "filler", 200).Err(); err != nil {
		t.Fatal(err)
	}
	const pairs = 200
	p := c.Pipeline()
	for i := 0; i < pairs; i++ {
		p.Set(ctx, fmt.Sprintf("a:%d", i), 0, 0)
		p.Set(ctx, fmt.Sprintf("b:%d", i), 0, 0)
		p.HSet(ctx, fmt.Sprintf("h:%d", i), "x", 0, "y", 0)
		p.Set(ctx, fmt.Sprintf("del:%d", i), "before", 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var ops atomic.Int64
	var wg sync.WaitGroup
	started := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cl := d.Client(t, 2)
			for n := 0; !stop.Load(); n++ {
				i := (n*8 + w) % pairs
				switch n % 3 {
				case 0:
					_, err := cl.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Incr(ctx, fmt.Sprintf("a:%d", i))
						p.Incr(ctx, fmt.Sprintf("b:%d", i))
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
				case 1:
					v := strconv.Itoa(n)
					cl.HSet(ctx, fmt.Sprintf("h:%d", i), "x", v, "y", v)
				case 2:
					select {
					case <-started:
						cl.Del(ctx, fmt.Sprintf("del:%d", i))
						cl.Set(ctx, fmt.Sprintf("new:%d:%d", w, n), "after", 0)
					default:
					}
				}
				ops.Add(1)
			}
		}(w)
	}
	time.Sleep(100 * time.Millisecond)
	before := ops.Load()
	if res, err := c.BgSave(ctx).Result(); err != nil || res != "Background saving started" {
		t.Fatal(res, err)
	}
	close(started)
	if err := c.BgSave(ctx).Err(); err == nil || !strings.Contains(err.Error(), "already in progress") {
		t.Errorf("second BGSAVE: %v", err)
	}
	inProgress := false
	for deadline := time.Now().Add(60 * time.Second); ; {
		info := c.Info(ctx, "persistence").Val()
		if strings.Contains(info, "rdb_bgsave_in_progress:1") {
			inProgress = true
		}
		if strings.Contains(info, "rdb_bgsave_in_progress:0") {
			if !strings.Contains(info, "rdb_last_bgsave_status:ok") {
				t.Fatalf("save failed:\n%s", info)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("BGSAVE did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	during := ops.Load() - before
	stop.Store(true)
	wg.Wait()
	t.Logf("writes during the save: %d (saw it in progress: %v)", during, inProgress)
	if during < 10 {
		t.Errorf("the save did not overlap the writers (%d writes)", during)
	}
	checkRDB(t, filepath.Join(d.Dir, "dump.rdb"))

	// Load the file into redis-server and check the invariants there.
	r := StartRedis(t, "--dir", d.Dir, "--dbfilename", "dump.rdb")
	rc := r.Client(t, 2)
	for i := 0; i < pairs; i++ {
		a, _ := rc.Get(ctx, fmt.Sprintf("a:%d", i)).Result()
		b, _ := rc.Get(ctx, fmt.Sprintf("b:%d", i)).Result()
		if a != b {
			t.Fatalf("pair %d: a=%s b=%s: not one point in time", i, a, b)
		}
		h, _ := rc.HGetAll(ctx, fmt.Sprintf("h:%d", i)).Result()
		if h["x"] != h["y"] {
			t.Fatalf("hash %d: %v", i, h)
		}
		if v, _ := rc.Get(ctx, fmt.Sprintf("del:%d", i)).Result(); v != "before" {
			t.Fatalf("del:%d deleted after the save started is missing", i)
		}
	}
	if keys, _ := rc.Keys(ctx, "new:*").Result(); len(keys) != 0 {
		t.Fatalf("%d keys created after the save started are in the file", len(keys))
	}
	if n := rc.DBSize(ctx).Val(); n != 400000+4*pairs {
		t.Fatalf("dbsize %d", n)
	}
}

// TestSnapshotCrash: kill -9 during a save; the restart loads the last
// good snapshot and never a partial file.
func TestSnapshotCrash(t *testing.T) {
	d := Start(t, "--dbfilename", "dump.rdb")
	c := d.Client(t, 2)
	ctx := Ctx(t)
	c.Set(ctx, "first", "1", 0)
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	want := digestOf(t, c)
	c.Do(ctx, "DEBUG", "POPULATE", 1000000, "more", 300)
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(d.Dir, "dump.rdb.tmp")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if st, err := os.Stat(tmp); err == nil && st.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the save did not start writing")
		}
		time.Sleep(time.Millisecond)
	}
	d.cmd.Process.Signal(syscall.SIGKILL)
	d.cmd.Wait()
	if _, err := os.Stat(tmp); err != nil {
		t.Logf("the save had finished before the kill: %v", err)
	}
	d2 := Start(t, "--dir", d.Dir, "--dbfilename", "dump.rdb")
	if got := digestOf(t, d2.Client(t, 2)); got != want {
		t.Fatalf("after the crash: digest %s, want the last good snapshot's %s", got, want)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Error("the partial file was not removed at start")
	}
}

// TestSnapshotLoading: while a big snapshot loads, INFO says loading:1,
// /healthz answers 503 and data commands get -LOADING.
func TestSnapshotLoading(t *testing.T) {
	d := Start(t, "--dbfilename", "dump.rdb")
	// POPULATE and SAVE of 2M keys can outlast go-redis's 3 s read
	// timeout on a busy machine, and its retry of SAVE then meets the
	// first one still running ("Background save already in progress").
	c := redis.NewClient(&redis.Options{Addr: d.Addr, ReadTimeout: 30 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	ctx := Ctx(t)
	if err := c.Do(ctx, "DEBUG", "POPULATE", 2000000, "k", 100).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	d2 := Start(t, "--dir", d.Dir, "--dbfilename", "dump.rdb")
	c2 := d2.Client(t, 2)
	sawLoading, saw503, sawErr := false, false, false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		info, _ := c2.Info(ctx, "persistence").Result()
		loading := strings.Contains(info, "loading:1\r\n")
		if loading {
			sawLoading = true
			if !strings.Contains(info, "loading_eta_seconds:") || !strings.Contains(info, "loading_total_bytes:") {
				t.Errorf("INFO while loading lacks the progress fields:\n%s", info)
			}
			if resp, err := http.Get("http://" + d2.Addr + "/healthz"); err == nil {
				saw503 = saw503 || resp.StatusCode == 503
				resp.Body.Close()
			}
			if err := c2.Get(ctx, "k:1").Err(); err != nil && strings.HasPrefix(err.Error(), "LOADING") {
				sawErr = true
			}
			continue
		}
		if strings.Contains(info, "loading:0\r\n") {
			break
		}
	}
	if n := c2.DBSize(ctx).Val(); n != 2000000 {
		t.Fatalf("dbsize %d after load", n)
	}
	resp, err := http.Get("http://" + d2.Addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after load: %v %v", resp, err)
	}
	resp.Body.Close()
	if !sawLoading {
		t.Skip("the load finished before INFO could see it")
	}
	if !saw503 || !sawErr {
		t.Errorf("while loading: healthz 503 %v, -LOADING %v", saw503, sawErr)
	}
	if info := c2.Info(ctx, "persistence").Val(); !strings.Contains(info, "rdb_last_load_keys_loaded:2000000") {
		t.Errorf("INFO after load:\n%s", info)
	}
}

// TestSnapshotShutdown: SHUTDOWN and SIGTERM save when a dbfilename is
// set (Dragonfly's rule); SHUTDOWN NOSAVE does not.
func TestSnapshotShutdown(t *testing.T) {
	d := Start(t, "--dbfilename", "dump-{timestamp}")
	c := d.Client(t, 2)
	ctx := Ctx(t)
	c.Set(ctx, "k", "v1", 0)
	c.Shutdown(ctx) // the reply is the closed connection
	d.cmd.Wait()
	files, _ := filepath.Glob(filepath.Join(d.Dir, "dump-*.rdb"))
	if len(files) != 1 {
		t.Fatalf("files after SHUTDOWN: %v", files)
	}
	checkRDB(t, files[0])

	time.Sleep(1100 * time.Millisecond) // the next file gets a later name
	d2 := Start(t, "--dir", d.Dir, "--dbfilename", "dump-{timestamp}")
	c2 := d2.Client(t, 2)
	waitLoaded(t, c2)
	if v := c2.Get(ctx, "k").Val(); v != "v1" {
		t.Fatalf("after restart: %q", v)
	}
	c2.Set(ctx, "k", "v2", 0)
	d2.cmd.Process.Signal(syscall.SIGTERM)
	d2.cmd.Wait()
	files, _ = filepath.Glob(filepath.Join(d.Dir, "dump-*.rdb"))
	if len(files) != 2 {
		t.Fatalf("files after SIGTERM: %v\n%s", files, d2.Log())
	}

	d3 := Start(t, "--dir", d.Dir, "--dbfilename", "dump-{timestamp}")
	c3 := d3.Client(t, 2)
	waitLoaded(t, c3)
	if v := c3.Get(ctx, "k").Val(); v != "v2" {
		t.Fatalf("the newest file was not loaded: %q", v)
	}
	c3.Set(ctx, "k", "v3", 0)
	c3.ShutdownNoSave(ctx)
	d3.cmd.Wait()
	files, _ = filepath.Glob(filepath.Join(d.Dir, "dump-*.rdb"))
	if len(files) != 2 {
		t.Fatalf("SHUTDOWN NOSAVE saved: %v", files)
	}
}

// TestSnapshotSaveRules: --save "1 1" saves one second after a change;
// the change counter and LASTSAVE follow.
func TestSnapshotSaveRules(t *testing.T) {
	d := Start(t, "--dbfilename", "dump.rdb", "--save", "1 1")
	c := d.Client(t, 2)
	ctx := Ctx(t)
	last := c.LastSave(ctx).Val()
	c.Set(ctx, "a", "1", 0)
	c.Set(ctx, "b", "1", 0)
	if info := c.Info(ctx, "persistence").Val(); !strings.Contains(info, "rdb_changes_since_last_save:2\r\n") {
		t.Errorf("changes:\n%s", info)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(filepath.Join(d.Dir, "dump.rdb")); err == nil && c.LastSave(ctx).Val() > last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the save rule did not save")
		}
		time.Sleep(50 * time.Millisecond)
	}
	info := c.Info(ctx, "persistence").Val()
	if !strings.Contains(info, "rdb_changes_since_last_save:0\r\n") || !strings.Contains(info, "rdb_saves:1\r\n") {
		t.Errorf("after the save:\n%s", info)
	}
	// BGSAVE SCHEDULE while nothing runs starts a save at once.
	if res := c.Do(ctx, "BGSAVE", "SCHEDULE").Val(); res != "Background saving started" {
		t.Errorf("BGSAVE SCHEDULE: %v", res)
	}
	if err := c.Do(ctx, "BGSAVE", "NOW").Err(); err == nil || !strings.Contains(err.Error(), "syntax") {
		t.Errorf("BGSAVE NOW: %v", err)
	}
}

var _ = context.Background

// TestSnapshotInsideTransactions: INFO and LASTSAVE inside MULTI/EXEC
// (every shard held) while BGSAVEs start, BGSAVE inside EXEC, and DEBUG
// RELOAD inside EXEC (a stop-the-world save in the caller's goroutine).
func TestSnapshotInsideTransactions(t *testing.T) {
	d := Start(t, "--dbfilename", "dump.rdb", "--proactor_threads", "4")
	c := d.Client(t, 2)
	ctx := Ctx(t)
	c.Do(ctx, "DEBUG", "POPULATE", 50000)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		cl := d.Client(t, 2)
		for i := 0; i < 200; i++ {
			_, err := cl.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Info(ctx, "persistence")
				p.LastSave(ctx)
				p.Incr(ctx, "counter")
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		cl := d.Client(t, 2)
		for i := 0; i < 30; i++ {
			if err := cl.BgSave(ctx).Err(); err != nil && !strings.Contains(err.Error(), "in progress") {
				t.Error(err)
				return
			}
			if _, err := cl.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Do(ctx, "BGSAVE", "SCHEDULE")
				return nil
			}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	waitNoSave := func() {
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:0"); {
			if time.Now().After(deadline) {
				t.Fatal("saves did not end")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitNoSave()
	time.Sleep(100 * time.Millisecond) // a scheduled save may follow
	waitNoSave()
	want := digestOf(t, c)
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "DEBUG", "RELOAD")
		p.Get(ctx, "counter")
		return nil
	})
	if err != nil || cmds[1].(*redis.StringCmd).Val() != "200" {
		t.Fatalf("DEBUG RELOAD in MULTI: %v %v", cmds, err)
	}
	if got := digestOf(t, c); got != want {
		t.Fatalf("digest %s after DEBUG RELOAD in MULTI, want %s", got, want)
	}
}
