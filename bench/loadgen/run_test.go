package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
)

func mustRun(t *testing.T, args ...string) *result {
	t.Helper()
	res, err := run(mustConfig(t, args...))
	if err != nil {
		t.Fatalf("run %q: %v", args, err)
	}
	if res.IOError != "" {
		t.Fatalf("run %q: I/O error %s", args, res.IOError)
	}
	return res
}

func sum(m map[string]uint64) (n uint64) {
	for _, v := range m {
		n += v
	}
	return n
}

func TestRunExactRequestCount(t *testing.T) {
	onBoth(t, func(t *testing.T, s testServer) {
		res := mustRun(t, "-addr", s.addr, "-requests", "1000", "-clients", "7", "-pipeline", "3", "-ratio", "1:1")
		if res.Requests != 1000 || sum(res.Commands) != 1000 {
			t.Fatalf("requests %d, commands %v; want 1000", res.Requests, res.Commands)
		}
		if res.ErrorCount != 0 {
			t.Fatalf("errors: %v", res.Errors)
		}
		if res.Hits+res.Misses != res.Commands["GET"] || res.Commands["SET"] == 0 {
			t.Fatalf("hits %d + misses %d != GETs %d", res.Hits, res.Misses, res.Commands["GET"])
		}
		if !(res.Latency.P50 > 0 && res.Latency.P50 <= res.Latency.P99 && res.Latency.P99 <= res.Latency.Max) {
			t.Fatalf("latency percentiles out of order: %+v", res.Latency)
		}
	})
}

func TestRunHitsAndMisses(t *testing.T) {
	onBoth(t, func(t *testing.T, s testServer) {
		cold := mustRun(t, "-addr", s.addr, "-requests", "2000", "-clients", "4", "-keys", "500", "-ratio", "0:1", "-key-prefix", "cold:")
		if cold.Misses != 2000 || cold.Hits != 0 {
			t.Fatalf("GETs on an empty server: hits %d misses %d", cold.Hits, cold.Misses)
		}
		warm := mustRun(t, "-addr", s.addr, "-requests", "2000", "-clients", "4", "-keys", "500", "-ratio", "0:1", "-key-prefix", "warm:", "-prefill", "-pipeline", "8")
		if warm.Hits != 2000 || warm.HitRatio == nil || *warm.HitRatio != 1 {
			t.Fatalf("GETs after -prefill: hits %d misses %d", warm.Hits, warm.Misses)
		}
	})
}

// -cache-aside SETs each missed key, so with one client every key misses
// at most once; and the same seed replays the same key sequence.
func TestRunCacheAsideAndSeed(t *testing.T) {
	onBoth(t, func(t *testing.T, s testServer) {
		args := func(prefix, seed string) []string {
			return []string{"-addr", s.addr, "-requests", "3000", "-clients", "1", "-keys", "1000", "-ratio", "0:1",
				"-cache-aside", "-key-prefix", prefix, "-seed", seed, "-dist", "zipf:0.8"}
		}
		a := mustRun(t, args("ca1:", "5")...)
		if a.Misses == 0 || a.Misses > 1000 || a.Commands["SET"] != a.Misses {
			t.Fatalf("cache-aside: misses %d, SETs %d (want 0 < misses <= 1000 and one SET per miss)", a.Misses, a.Commands["SET"])
		}
		if a.Hits+a.Misses != a.Commands["GET"] {
			t.Fatalf("hits %d + misses %d != GETs %d", a.Hits, a.Misses, a.Commands["GET"])
		}
		b := mustRun(t, args("ca2:", "5")...)
		if a.Misses != b.Misses || a.Hits != b.Hits {
			t.Fatalf("same seed, fresh keys: %d/%d then %d/%d hits/misses", a.Hits, a.Misses, b.Hits, b.Misses)
		}
	})
}

// After a -warmup with -cache-aside every key is cached, so the measured
// phase only hits: the warm-up's misses are not counted.
func TestRunWarmupIsUnmeasured(t *testing.T) {
	onBoth(t, func(t *testing.T, s testServer) {
		res := mustRun(t, "-addr", s.addr, "-warmup", "500ms", "-requests", "1000", "-clients", "1", "-keys", "20",
			"-ratio", "0:1", "-cache-aside", "-key-prefix", "wu:")
		if res.Requests != 1000 || res.Misses != 0 || res.Hits != 1000 || res.Commands["SET"] != 0 {
			t.Fatalf("after warm-up: requests %d hits %d misses %d SETs %d; want 1000 hits", res.Requests, res.Hits, res.Misses, res.Commands["SET"])
		}
	})
}

func TestRunCountsErrorsByText(t *testing.T) {
	onBoth(t, func(t *testing.T, s testServer) {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := call(conn, bufio.NewReader(conn), "RPUSH", "wrong:0", "x"); err != nil || got != ":1" {
			t.Fatalf("RPUSH: %q %v", got, err)
		}
		conn.Close()
		res := mustRun(t, "-addr", s.addr, "-requests", "300", "-clients", "3", "-keys", "1", "-key-prefix", "wrong:", "-ratio", "0:1")
		const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
		if res.Errors[wrongType] != 300 || res.ErrorCount != 300 || res.Hits+res.Misses != 0 {
			t.Fatalf("errors %v (count %d), hits %d misses %d; want 300 x %q", res.Errors, res.ErrorCount, res.Hits, res.Misses, wrongType)
		}
	})
}

func TestRunDirectusMix(t *testing.T) {
	onBoth(t, func(t *testing.T, s testServer) {
		res := mustRun(t, "-addr", s.addr, "-mix", "directus", "-requests", "4000", "-clients", "8", "-pipeline", "4",
			"-keys", "200", "-subscribers", "2", "-dist", "zipf:0.99", "-prefill")
		if res.ErrorCount != 0 {
			t.Fatalf("errors: %v", res.Errors)
		}
		for _, cmd := range []string{"PUBLISH", "EVALSHA", "GET", "SET"} {
			if res.Commands[cmd] == 0 {
				t.Fatalf("no %s in the directus mix: %v", cmd, res.Commands)
			}
		}
		// PUBLISH is about 452/802 of the mix.
		if share := float64(res.Commands["PUBLISH"]) / 4000; share < 0.5 || share > 0.62 {
			t.Fatalf("PUBLISH share %.3f, want about 0.56", share)
		}
		if res.Delivered != 2*res.Commands["PUBLISH"] || res.SubscriberMessages != res.Delivered {
			t.Fatalf("PUBLISH x%d reached %d subscribers, they read %d messages; want 2 each", res.Commands["PUBLISH"], res.Delivered, res.SubscriberMessages)
		}
		if res.Hits != res.Commands["GET"] {
			t.Fatalf("prefilled cache keys: hits %d of %d GETs", res.Hits, res.Commands["GET"])
		}
		// The script really ran: rate-limiter keys exist with a TTL.
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		if got, err := call(conn, r, "EXISTS", "rlflx:0"); err != nil || got != ":1" {
			t.Fatalf("EXISTS rlflx:0 (most popular key) = %q %v", got, err)
		}
		if got, err := call(conn, r, "PTTL", "rlflx:0"); err != nil || !strings.HasPrefix(got, ":") || got == ":-1" || got == ":-2" {
			t.Fatalf("PTTL rlflx:0 = %q %v; want a TTL", got, err)
		}
	})
}

func TestJSONReport(t *testing.T) {
	s := startServer(t, "redis")
	res := mustRun(t, "-addr", s.addr, "-requests", "500", "-capacity-keys", "100", "-keys", "1000", "-dist", "zipf:1", "-json")
	var buf bytes.Buffer
	if err := res.writeJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ops_per_sec", "requests", "latency_us", "hits", "misses", "hit_ratio", "errors", "ideal_hit_ratio", "client_cpu_us_per_req"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, buf.String())
		}
	}
	lat := m["latency_us"].(map[string]any)
	for _, k := range []string{"p50", "p90", "p99", "p999"} {
		if v, _ := lat[k].(float64); v <= 0 {
			t.Errorf("latency_us.%s = %v", k, lat[k])
		}
	}
	spec, _ := parseDist("zipf:1")
	if m["ideal_hit_ratio"].(float64) != idealHitRatio(spec, 1000, 100) {
		t.Errorf("ideal_hit_ratio %v", m["ideal_hit_ratio"])
	}
}

func TestIdealOnlyNeedsNoServer(t *testing.T) {
	// Port 1 on loopback: nothing listens there, and nothing must dial it.
	res, err := run(mustConfig(t, "-addr", "127.0.0.1:1", "-duration", "0", "-capacity-keys", "10", "-keys", "100"))
	if err != nil || res.IdealHit == nil || *res.IdealHit != 0.1 {
		t.Fatalf("ideal-only run: %+v %v", res, err)
	}
}

func TestFlagValidation(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", "10.0.0.1:6379"}, {"-addr", "example.com:6379"}, {"-clients", "0"}, {"-pipeline", "0"},
		{"-ratio", "1"}, {"-ratio", "0:0"}, {"-mix", "twitter"}, {"-dist", "zipf"}, {"-keys", "0"},
		{"-duration", "0"}, {"-directus-weights", "1:2:3"}, {"extra"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	cfg := mustConfig(t, "-mix", "directus")
	if cfg.ttlMS != 300000 || cfg.weights != directusWeights {
		t.Errorf("directus defaults: ttl %d weights %v", cfg.ttlMS, cfg.weights)
	}
}

func TestParseStatTicks(t *testing.T) {
	got, err := parseStatTicks("4242 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 17 0 0 20 0 1 0")
	if err != nil || got != 267 {
		t.Fatalf("got %d %v, want 267", got, err)
	}
	if _, err := serverTicks(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}
