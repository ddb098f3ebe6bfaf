// Command loadgen drives a Redis-protocol server with a seeded, pipelined,
// closed-loop workload and reports throughput, latency percentiles, GET hit
// ratio and errors: memtier_benchmark's knobs (key distributions, SET:GET
// ratio, pipelining) plus Directus's real command mix, in Go, with a RESP
// client that costs the machine as little as possible. bench/README.md has
// the flags and how bench/suite.sh uses it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// config is the validated command line.
type config struct {
	addr         string
	clients      int
	pipeline     int
	duration     time.Duration
	requests     uint64
	keys         uint64
	keyPrefix    string
	dist         distSpec
	distText     string
	ratio        string
	weights      [numOps]int
	valueSize    int
	ttlMS        int64
	seed         uint64
	mixName      string
	capacityKeys uint64
	jsonOut      bool
	prefill      bool
	cacheAside   bool
	subscribers  int
	channel      string
	rlPrefix     string
	rlPoints     int64
	rlDuration   int64
	pid          int
	timeout      time.Duration
	threads      int
	warmup       time.Duration
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	runtime.GOMAXPROCS(cfg.threads)
	res, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if cfg.jsonOut {
		err = res.writeJSON(os.Stdout)
	} else {
		err = res.writeText(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if res.IOError != "" {
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	var keys, requests, capacity, seed uint64
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:6379", "server address (loopback only)")
	fs.IntVar(&cfg.clients, "clients", 50, "connections, each running its own pipelined closed loop")
	fs.IntVar(&cfg.pipeline, "pipeline", 1, "commands per batch (one write, then all replies read)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "run time, unless -requests is set; 0 with -capacity-keys only prints the ideal hit ratio")
	fs.Uint64Var(&requests, "requests", 0, "total commands over all clients (overrides -duration)")
	fs.Uint64Var(&keys, "keys", 100000, "key range: key indexes 0..N-1")
	fs.StringVar(&cfg.keyPrefix, "key-prefix", "key:", "key name prefix; the key is prefix + decimal index")
	fs.StringVar(&cfg.distText, "dist", "uniform", "key distribution: uniform, zipf:S (exponent S > 0; key 0 most popular) or gaussian:SIGMA (std-dev as a fraction of the key range, centred in the middle)")
	fs.StringVar(&cfg.ratio, "ratio", "1:10", "SET:GET ratio of the plain mix")
	fs.IntVar(&cfg.valueSize, "value-size", 100, "bytes per SET value (and PUBLISH payload)")
	fs.Int64Var(&cfg.ttlMS, "ttl-ms", 0, "SET with PX this many milliseconds (0: no expiry; the directus mix defaults to 300000, Directus's CACHE_TTL 5m)")
	fs.Uint64Var(&seed, "seed", 1, "random seed: same seed, same key and command sequence per client")
	fs.StringVar(&cfg.mixName, "mix", "", "\"directus\": Directus's traffic (EVALSHA rate limiter, GET/SET PX cache, PUBLISH to subscribers) instead of -ratio")
	dw := fs.String("directus-weights", "452:221:65:64", "PUBLISH:EVALSHA:GET:SET weights of -mix directus (default: test/directus/commands-seen.txt)")
	fs.Uint64Var(&capacity, "capacity-keys", 0, "also print the ideal hit ratio of a cache holding the N most popular keys")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print one JSON object instead of text")
	fs.BoolVar(&cfg.prefill, "prefill", false, "SET every key once before measuring (unmeasured), so GETs hit")
	fs.BoolVar(&cfg.cacheAside, "cache-aside", false, "after a GET miss, SET that key in the next batch (a cache in front of a database)")
	fs.IntVar(&cfg.subscribers, "subscribers", 2, "subscriber connections on -channel for -mix directus")
	fs.StringVar(&cfg.channel, "channel", "directus:bus", "PUBLISH channel of -mix directus")
	fs.StringVar(&cfg.rlPrefix, "rl-prefix", "rlflx:", "rate-limiter key prefix of -mix directus (rate-limiter-flexible's default)")
	fs.Int64Var(&cfg.rlPoints, "rl-points", 50, "rate-limiter points (Directus RATE_LIMITER_POINTS)")
	fs.Int64Var(&cfg.rlDuration, "rl-duration", 1, "rate-limiter window in seconds (Directus RATE_LIMITER_DURATION)")
	fs.IntVar(&cfg.pid, "pid", 0, "server process id: also report its CPU time per request from /proc")
	fs.DurationVar(&cfg.warmup, "warmup", 0, "run the workload this long first, unmeasured (e.g. to fill a cache with -cache-aside before measuring its hit ratio)")
	fs.IntVar(&cfg.threads, "threads", 1, "OS threads running the clients (GOMAXPROCS); 1, like redis-benchmark's default, costs the least CPU per request")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "I/O deadline per batch (0: none)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.keys, cfg.requests, cfg.capacityKeys, cfg.seed = keys, requests, capacity, seed
	return cfg, cfg.validate(*dw)
}

func (cfg *config) validate(directusWeights string) error {
	var err error
	if cfg.dist, err = parseDist(cfg.distText); err != nil {
		return err
	}
	directus, err := parseWeights(directusWeights)
	if err != nil {
		return err
	}
	switch cfg.mixName {
	case "":
		if cfg.weights, err = parseRatio(cfg.ratio); err != nil {
			return err
		}
	case "directus":
		cfg.weights = directus
		if cfg.ttlMS == 0 {
			cfg.ttlMS = 300000
		}
	default:
		return fmt.Errorf("-mix %q: the only named mix is \"directus\"", cfg.mixName)
	}
	switch {
	case cfg.clients < 1:
		return fmt.Errorf("-clients %d: need at least 1", cfg.clients)
	case cfg.pipeline < 1:
		return fmt.Errorf("-pipeline %d: need at least 1", cfg.pipeline)
	case cfg.keys < 1:
		return fmt.Errorf("-keys %d: need at least 1", cfg.keys)
	case cfg.valueSize < 0:
		return fmt.Errorf("-value-size %d: must not be negative", cfg.valueSize)
	case cfg.ttlMS < 0:
		return fmt.Errorf("-ttl-ms %d: must not be negative", cfg.ttlMS)
	case cfg.duration < 0:
		return fmt.Errorf("-duration %v: must not be negative", cfg.duration)
	case cfg.warmup < 0:
		return fmt.Errorf("-warmup %v: must not be negative", cfg.warmup)
	case cfg.threads < 1:
		return fmt.Errorf("-threads %d: need at least 1", cfg.threads)
	case cfg.subscribers < 0:
		return fmt.Errorf("-subscribers %d: must not be negative", cfg.subscribers)
	}
	if cfg.requests == 0 && cfg.duration == 0 && cfg.capacityKeys == 0 {
		return errors.New("nothing to do: -duration 0 and no -requests (add -capacity-keys to print only the ideal hit ratio)")
	}
	host, _, err := net.SplitHostPort(cfg.addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", cfg.addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: loopback addresses only", cfg.addr)
	}
	return nil
}

// measuring reports whether the run sends traffic (not just the ideal-hit math).
func (cfg *config) measuring() bool { return cfg.requests > 0 || cfg.duration > 0 }

// run sets up, measures and returns the merged result.
func run(cfg *config) (*result, error) {
	res := newResult(cfg)
	if !cfg.measuring() {
		return res, nil
	}
	value := make([]byte, cfg.valueSize)
	vr := rand.New(rand.NewPCG(cfg.seed, 1<<62))
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	for i := range value {
		value[i] = letters[vr.IntN(len(letters))]
	}
	clients := make([]*client, 0, cfg.clients)
	defer func() {
		for _, c := range clients {
			c.conn.Close()
		}
	}()
	for i := range cfg.clients {
		c, err := newClient(cfg, i, value)
		if err != nil {
			return nil, fmt.Errorf("client %d: %w", i, err)
		}
		clients = append(clients, c)
	}
	if cfg.mixName == "directus" && cfg.weights[opEvalsha] > 0 {
		got, err := call(clients[0].conn, clients[0].r, "SCRIPT", "LOAD", rateLimiterScript)
		if err != nil {
			return nil, fmt.Errorf("SCRIPT LOAD: %w", err)
		}
		if got != "$"+rateLimiterSHA {
			return nil, fmt.Errorf("SCRIPT LOAD of the rate-limiter script returned %q, want sha1 %s", got, rateLimiterSHA)
		}
	}
	if cfg.prefill {
		if err := prefill(clients, cfg.keys); err != nil {
			return nil, err
		}
	}
	subs, err := startSubscribers(cfg)
	if err != nil {
		return nil, err
	}
	defer subs.close()

	if cfg.warmup > 0 {
		// The same clients go on from where the warm-up left them, so the
		// key sequence of a seed is the same with or without it.
		runAll(clients, nil, time.Now().Add(cfg.warmup))
		for i, c := range clients {
			if c.stats.ioErr != nil {
				return nil, fmt.Errorf("warm-up, client %d: %w", i, c.stats.ioErr)
			}
			c.stats = stats{errors: map[string]uint64{}}
		}
	}

	cpu0 := selfCPU()
	srv0, srvErr := serverTicks(cfg.pid)
	if cfg.pid > 0 && srvErr != nil {
		return nil, srvErr
	}
	var quotas []uint64
	if cfg.requests > 0 {
		quotas = splitQuota(cfg.requests, len(clients))
	}
	start := time.Now()
	runAll(clients, quotas, start.Add(cfg.duration))
	elapsed := time.Since(start)
	cpu1 := selfCPU()
	srv1, _ := serverTicks(cfg.pid)

	var total stats
	for _, c := range clients {
		total.merge(&c.stats)
	}
	res.fill(&total, elapsed, cpu1-cpu0)
	if cfg.pid > 0 && res.Requests > 0 {
		res.ServerCPUUsPerReq = float64(srv1-srv0) * (1e6 / clockTicks) / float64(res.Requests)
	}
	// Messages still in flight to the subscribers are part of the work
	// the server was asked to do; give them a moment to arrive.
	res.SubscriberMessages = subs.wait(total.delivered, 5*time.Second)
	return res, nil
}

// runAll runs every client until its quota (quotas non-nil) or the
// deadline, and waits for all of them.
func runAll(clients []*client, quotas []uint64, deadline time.Time) {
	var wg sync.WaitGroup
	for i, c := range clients {
		var q uint64
		if quotas != nil {
			if q = quotas[i]; q == 0 {
				continue
			}
		}
		wg.Go(func() { c.run(q, deadline) })
	}
	wg.Wait()
}

// splitQuota spreads n requests over k clients as evenly as possible.
func splitQuota(n uint64, k int) []uint64 {
	q := make([]uint64, k)
	for i := range q {
		q[i] = n / uint64(k)
		if uint64(i) < n%uint64(k) {
			q[i]++
		}
	}
	return q
}

// prefill splits the key range over the clients and SETs it in parallel.
func prefill(clients []*client, keys uint64) error {
	errs := make(chan error, len(clients))
	per := (keys + uint64(len(clients)) - 1) / uint64(len(clients))
	for i, c := range clients {
		lo := min(uint64(i)*per, keys)
		hi := min(lo+per, keys)
		go func() { errs <- c.prefill(lo, hi) }()
	}
	var first error
	for range clients {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// describe names the workload for reports.
func (cfg *config) describe() string {
	if cfg.mixName == "directus" {
		return fmt.Sprintf("directus mix (PUBLISH:EVALSHA:GET:SET %d:%d:%d:%d)", cfg.weights[opPublish], cfg.weights[opEvalsha], cfg.weights[opGet], cfg.weights[opSet])
	}
	return "SET:GET " + strings.TrimSpace(cfg.ratio)
}
