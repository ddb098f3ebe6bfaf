// Command gcload measures what a big keyspace costs Damselfly in garbage
// collection: it starts the server, loads -keys keys with DEBUG POPULATE,
// runs a steady SET/GET load for -duration, and reports the GC's CPU share
// and the load's latency percentiles. It does the same with -small keys as
// the baseline, alternating baseline and big runs (A B B A per round), and
// prints the medians.
//
// GC CPU comes from INFO's used_cpu_gc (runtime/metrics
// /cpu/classes/gc/total:cpu-seconds): "share of process CPU" divides its
// growth over the load by the growth of used_cpu_user+used_cpu_sys, and
// "share of GOMAXPROCS" by GOMAXPROCS x wall time (Go's GCCPUFraction).
// At the end of each run it forces one collection (MEMORY PURGE) and
// reports its GC CPU ("gc-cycle"): what a cycle costs with that heap.
//
//	go run ./bench/gcload -keys 10000000 -duration 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	binary   = flag.String("damselfly", "bin/damselfly", "damselfly binary")
	bigKeys  = flag.Int("keys", 10_000_000, "keys in the big runs")
	small    = flag.Int("small", 100_000, "keys in the baseline runs")
	hot      = flag.Int("hot", 100_000, "the load's keys: key:0 .. key:hot-1")
	duration = flag.Duration("duration", 20*time.Second, "load per run")
	clients  = flag.Int("clients", 8, "concurrent clients")
	setPct   = flag.Int("set", 20, "percent of SETs in the load (the rest GETs)")
	rounds   = flag.Int("rounds", 1, "A B B A rounds")
	threads  = flag.Int("threads", 2, "damselfly --proactor_threads")
	gogc     = flag.String("gogc", "", "GOGC for the server (empty: inherit)")
)

type result struct {
	ops                         int
	p50, p99, p999              time.Duration
	gcShareCPU, gcShareProcs    float64
	rssMB                       float64
	usedMB                      float64
	gcSeconds, cpuSeconds, wall float64
	cycleMs                     float64 // GC CPU of one forced collection
}

func main() {
	flag.Parse()
	var base, big []result
	for r := 0; r < *rounds; r++ {
		for _, n := range []int{*small, *bigKeys, *bigKeys, *small} {
			res, err := run(n)
			if err != nil {
				fmt.Fprintln(os.Stderr, "gcload:", err)
				os.Exit(1)
			}
			fmt.Printf("keys=%-9d ops=%-8d p50=%-9v p99=%-9v p99.9=%-9v gc/cpu=%.2f%% gc/procs=%.2f%% used=%.0fMB rss=%.0fMB gc-cycle=%.1fms\n",
				n, res.ops, res.p50, res.p99, res.p999, 100*res.gcShareCPU, 100*res.gcShareProcs, res.usedMB, res.rssMB, res.cycleMs)
			if n == *small {
				base = append(base, res)
			} else {
				big = append(big, res)
			}
		}
	}
	fmt.Printf("\nmedians over %d runs each (clients=%d, %d%% SET, %v per run, 100-byte values)\n", len(base), *clients, *setPct, *duration)
	for _, g := range []struct {
		name string
		rs   []result
		n    int
	}{{"baseline", base, *small}, {"big", big, *bigKeys}} {
		fmt.Printf("%-8s keys=%-9d p99=%-9v p99.9=%-9v gc/cpu=%.2f%% gc/procs=%.2f%% ops/s=%.0f gc-cycle=%.1fms\n", g.name, g.n,
			medDur(g.rs, func(r result) time.Duration { return r.p99 }),
			medDur(g.rs, func(r result) time.Duration { return r.p999 }),
			100*medF(g.rs, func(r result) float64 { return r.gcShareCPU }),
			100*medF(g.rs, func(r result) float64 { return r.gcShareProcs }),
			medF(g.rs, func(r result) float64 { return float64(r.ops) / r.wall }),
			medF(g.rs, func(r result) float64 { return r.cycleMs }))
	}
}

func medF(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func medDur(rs []result, f func(result) time.Duration) time.Duration {
	return time.Duration(medF(rs, func(r result) float64 { return float64(f(r)) }))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run starts a server with n keys, loads it for the duration and measures.
func run(n int) (result, error) {
	var res result
	port, err := freePort()
	if err != nil {
		return res, err
	}
	cmd := exec.Command(*binary, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--proactor_threads", strconv.Itoa(*threads), "--dbfilename", "", "--log_level", "warning")
	cmd.Env = os.Environ()
	if *gogc != "" {
		cmd.Env = append(cmd.Env, "GOGC="+*gogc)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("starting %s: %w", *binary, err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), PoolSize: *clients + 2,
		ReadTimeout: -1, WriteTimeout: -1})
	defer rdb.Close()
	for i := 0; ; i++ {
		if rdb.Ping(ctx).Err() == nil {
			break
		}
		if i > 200 {
			return res, fmt.Errorf("server on port %d does not answer", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := rdb.Do(ctx, "DEBUG", "POPULATE", n, "key", 100).Err(); err != nil {
		return res, fmt.Errorf("DEBUG POPULATE %d: %w", n, err)
	}
	// Let the population's garbage go before measuring.
	time.Sleep(2 * time.Second)
	info0, err := cpuInfo(ctx, rdb)
	if err != nil {
		return res, err
	}
	start := time.Now()
	deadline := start.Add(*duration)
	lats := make([][]time.Duration, *clients)
	var wg sync.WaitGroup
	val := strings.Repeat("v", 100)
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			buf := make([]time.Duration, 0, 1<<16)
			for time.Now().Before(deadline) {
				k := "key:" + strconv.Itoa(rng.IntN(*hot))
				t0 := time.Now()
				if rng.IntN(100) < *setPct {
					rdb.Set(ctx, k, val, 0)
				} else {
					rdb.Get(ctx, k)
				}
				buf = append(buf, time.Since(t0))
			}
			lats[c] = buf
		}(c)
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	info1, err := cpuInfo(ctx, rdb)
	if err != nil {
		return res, err
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	res.ops = len(all)
	res.p50, res.p99, res.p999 = pct(0.50), pct(0.99), pct(0.999)
	res.gcSeconds = info1["used_cpu_gc"] - info0["used_cpu_gc"]
	res.cpuSeconds = info1["used_cpu_user"] + info1["used_cpu_sys"] - info0["used_cpu_user"] - info0["used_cpu_sys"]
	res.wall = wall
	if res.cpuSeconds > 0 {
		res.gcShareCPU = res.gcSeconds / res.cpuSeconds
	}
	res.gcShareProcs = res.gcSeconds / (wall * float64(*threads))
	res.usedMB = info1["used_memory"] / (1 << 20)
	res.rssMB = info1["used_memory_rss"] / (1 << 20)
	// One whole collection on demand (MEMORY PURGE runs runtime.GC and
	// returns memory to the OS): what a cycle costs with this heap.
	if err := rdb.Do(ctx, "MEMORY", "PURGE").Err(); err != nil {
		return res, fmt.Errorf("MEMORY PURGE: %w", err)
	}
	info2, err := cpuInfo(ctx, rdb)
	if err != nil {
		return res, err
	}
	res.cycleMs = 1000 * (info2["used_cpu_gc"] - info1["used_cpu_gc"])
	return res, nil
}

func cpuInfo(ctx context.Context, rdb *redis.Client) (map[string]float64, error) {
	s, err := rdb.Info(ctx, "cpu", "memory").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO: %w", err)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				m[k] = f
			}
		}
	}
	if _, ok := m["used_cpu_gc"]; !ok {
		return nil, fmt.Errorf("INFO has no used_cpu_gc: is %s this branch's build?", *binary)
	}
	return m, nil
}
