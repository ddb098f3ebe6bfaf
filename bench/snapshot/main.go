// Command snapshot measures a background save under the same conditions on
// Damselfly (fork-less, point in time) and redis-server (fork): how long
// BGSAVE takes, the peak extra memory it costs, and the p99 latency of
// clients writing meanwhile. Run it through bench/snapshot.sh.
//
// Extra memory is what the save adds over the memory before it: for
// Damselfly the growth of the process's RSS; for Redis the growth of the
// parent's RSS plus the private dirty pages of the forked child (the pages
// copy-on-write duplicated), read from /proc every 5 ms. The base is the
// highest value over 2 s of the same load without a save. "cow" is the
// server's own figure, INFO rdb_last_cow_size: Redis's fork's
// copy-on-write pages, Damselfly's peak of serialized bytes waiting for
// the disk. Damselfly's RSS also moves with the Go heap's garbage between
// collections (GOGC), which the RSS figure cannot tell from the save's.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	damselfly = flag.String("damselfly", "bin/damselfly", "damselfly binary")
	keys      = flag.Int("keys", 1000000, "number of keys")
	size      = flag.Int("size", 100, "value size in bytes")
	writers   = flag.Int("writers", 8, "concurrent writer clients during the loaded run")
	only      = flag.String("only", "", "damselfly or redis: run one server only")
	threads   = flag.Int("threads", 0, "damselfly --proactor_threads (0: default)")
)

type server struct {
	name string
	cmd  *exec.Cmd
	addr string
	dir  string
	c    *redis.Client
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func start(name string) *server {
	dir, err := os.MkdirTemp("", "snapbench-")
	if err != nil {
		panic(err)
	}
	port := freePort()
	var cmd *exec.Cmd
	if name == "damselfly" {
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "dump.rdb",
			"--save", "", "--log_level", "warning"}
		if *threads > 0 {
			args = append(args, "--proactor_threads", strconv.Itoa(*threads))
		}
		cmd = exec.Command(*damselfly, args...)
	} else {
		cmd = exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes")
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	s := &server{name: name, cmd: cmd, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir}
	s.c = redis.NewClient(&redis.Options{Addr: s.addr, PoolSize: 64, ReadTimeout: time.Minute})
	for i := 0; ; i++ {
		if s.c.Ping(context.Background()).Err() == nil {
			break
		}
		if i > 200 {
			panic(name + " did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func (s *server) stop() {
	s.c.Close()
	s.cmd.Process.Kill()
	s.cmd.Wait()
	os.RemoveAll(s.dir)
}

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"

// value returns size bytes of random letters: LZF finds nothing to
// compress, as with most real payloads (JSON gets some), the same for both.
func value(r *rand.Rand, buf []byte) []byte {
	for i := range buf {
		buf[i] = alphabet[r.IntN(64)]
	}
	return buf
}

func populate(s *server) {
	ctx := context.Background()
	const workers = 4
	var wg sync.WaitGroup
	per := *keys / workers
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			buf := make([]byte, *size)
			for lo := w * per; lo < (w+1)*per; lo += 1000 {
				p := s.c.Pipeline()
				for k := lo; k < min(lo+1000, (w+1)*per); k++ {
					p.Set(ctx, "key:"+strconv.Itoa(k), string(value(r, buf)), 0)
				}
				if _, err := p.Exec(ctx); err != nil {
					panic(err)
				}
			}
		}(w)
	}
	wg.Wait()
}

// procKB reads a "Name: N kB" field of a /proc file.
func procKB(path, field string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// memKB is the server's memory: its RSS plus, for a forked child, the
// child's private dirty pages.
func memKB(pid int) int64 {
	m := procKB(fmt.Sprintf("/proc/%d/status", pid), "VmRSS")
	kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	for _, k := range strings.Fields(string(kids)) {
		m += procKB("/proc/"+k+"/smaps_rollup", "Private_Dirty")
	}
	return m
}

type result struct {
	secs           float64
	baseKB, peakKB int64
	p50, p99       time.Duration
	p99Before      time.Duration
	writes         int64
	fileMB         float64
	cowMB          float64 // INFO rdb_last_cow_size: the server's own count
}

func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[min(len(lat)-1, int(float64(len(lat))*p))]
}

func bgsave(s *server, nwriters int) result {
	ctx := context.Background()
	pid := s.cmd.Process.Pid
	var res result
	var stop, saving atomic.Bool
	var mu sync.Mutex
	var before, during []time.Duration
	var wg sync.WaitGroup
	for w := 0; w < nwriters; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			buf := make([]byte, *size)
			var mine, mineBefore []time.Duration
			for !stop.Load() {
				k := "key:" + strconv.Itoa(r.IntN(*keys))
				v := string(value(r, buf))
				t0 := time.Now()
				if err := s.c.Set(ctx, k, v, 0).Err(); err != nil {
					panic(err)
				}
				d := time.Since(t0)
				if saving.Load() {
					mine = append(mine, d)
				} else {
					mineBefore = append(mineBefore, d)
				}
			}
			mu.Lock()
			during = append(during, mine...)
			before = append(before, mineBefore...)
			mu.Unlock()
		}(w)
	}
	// The base is the highest memory over a second of the same activity
	// (writers, INFO polling) without a save, so that the runtime's own
	// swings are not counted as the save's.
	for t := time.Now(); time.Since(t) < 2*time.Second; time.Sleep(5 * time.Millisecond) {
		s.c.Info(ctx, "persistence")
		res.baseKB = max(res.baseKB, memKB(pid))
	}
	res.peakKB = res.baseKB
	t0 := time.Now()
	saving.Store(true)
	if err := s.c.BgSave(ctx).Err(); err != nil {
		panic(err)
	}
	for {
		if m := memKB(pid); m > res.peakKB {
			res.peakKB = m
		}
		info := s.c.Info(ctx, "persistence").Val()
		if strings.Contains(info, "rdb_bgsave_in_progress:0") && time.Since(t0) > 10*time.Millisecond {
			if !strings.Contains(info, "rdb_last_bgsave_status:ok") {
				panic("save failed")
			}
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.secs = time.Since(t0).Seconds()
	for _, line := range strings.Split(s.c.Info(ctx, "persistence").Val(), "\r\n") {
		if v, ok := strings.CutPrefix(line, "rdb_last_cow_size:"); ok {
			n, _ := strconv.ParseFloat(v, 64)
			res.cowMB = n / (1 << 20)
		}
	}
	saving.Store(false)
	stop.Store(true)
	wg.Wait()
	res.writes = int64(len(during))
	res.p50, res.p99 = pct(during, 0.50), pct(during, 0.99)
	res.p99Before = pct(before, 0.99)
	if st, err := os.Stat(filepath.Join(s.dir, "dump.rdb")); err == nil {
		res.fileMB = float64(st.Size()) / (1 << 20)
	}
	return res
}

func main() {
	flag.Parse()
	names := []string{"damselfly", "redis"}
	if *only != "" {
		names = []string{*only}
	}
	fmt.Printf("BGSAVE of %d keys x %d B (random letters), %d writer clients in the loaded run\n", *keys, *size, *writers)
	fmt.Printf("%-10s %-7s %8s %9s %9s %7s %8s %9s %9s %9s %8s\n", "server", "writers", "secs", "base MiB", "extra MiB", "extra%", "cow MiB", "p99 pre", "p99 save", "p50 save", "file MiB")
	for _, n := range names {
		s := start(n)
		populate(s)
		time.Sleep(time.Second)
		// A first, unreported save: the Go heap of Damselfly grows towards
		// its GC goal with any activity after the bulk load, which would
		// otherwise be counted as the first save's memory.
		bgsave(s, 0)
		for _, w := range []int{0, *writers} {
			r := bgsave(s, w)
			extra := r.peakKB - r.baseKB
			fmt.Printf("%-10s %-7d %8.2f %9.0f %9.0f %6.1f%% %8.0f %9s %9s %9s %8.0f\n", n, w, r.secs, float64(r.baseKB)/1024,
				float64(extra)/1024, 100*float64(extra)/float64(r.baseKB), r.cowMB, dur(r.p99Before, w), dur(r.p99, w), dur(r.p50, w), r.fileMB)
		}
		s.stop()
	}
}

func dur(d time.Duration, w int) string {
	if w == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
}
