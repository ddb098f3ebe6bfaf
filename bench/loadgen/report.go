package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"time"
)

// result is the report; its JSON names are the stable interface that
// bench/suite.sh and other scripts read.
type result struct {
	Addr        string  `json:"addr"`
	Workload    string  `json:"workload"`
	Dist        string  `json:"dist"`
	Keys        uint64  `json:"keys"`
	Clients     int     `json:"clients"`
	Pipeline    int     `json:"pipeline"`
	ValueSize   int     `json:"value_size"`
	TTLms       int64   `json:"ttl_ms"`
	Seed        uint64  `json:"seed"`
	CacheAside  bool    `json:"cache_aside"`
	Prefill     bool    `json:"prefill"`
	Subscribers int     `json:"subscribers,omitempty"`
	WarmupS     float64 `json:"warmup_s,omitempty"`

	Requests  uint64            `json:"requests"`
	Seconds   float64           `json:"seconds"`
	OpsPerSec float64           `json:"ops_per_sec"`
	Commands  map[string]uint64 `json:"commands"`
	Latency   latency           `json:"latency_us"`

	Hits         uint64            `json:"hits"`
	Misses       uint64            `json:"misses"`
	HitRatio     *float64          `json:"hit_ratio"`
	CapacityKeys uint64            `json:"capacity_keys,omitempty"`
	IdealHit     *float64          `json:"ideal_hit_ratio,omitempty"`
	Errors       map[string]uint64 `json:"errors"`
	ErrorCount   uint64            `json:"error_count"`
	IOError      string            `json:"io_error,omitempty"`

	Delivered          uint64 `json:"publish_receivers,omitempty"`
	SubscriberMessages uint64 `json:"subscriber_messages,omitempty"`

	ClientCPUUsPerReq float64 `json:"client_cpu_us_per_req"`
	ClientCPUCores    float64 `json:"client_cpu_cores"`
	ServerCPUUsPerReq float64 `json:"server_cpu_us_per_req,omitempty"`
	GOMAXPROCS        int     `json:"gomaxprocs"`
}

type latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func newResult(cfg *config) *result {
	r := &result{
		Addr: cfg.addr, Workload: cfg.describe(), Dist: cfg.dist.String(), Keys: cfg.keys,
		Clients: cfg.clients, Pipeline: cfg.pipeline, ValueSize: cfg.valueSize, TTLms: cfg.ttlMS,
		Seed: cfg.seed, CacheAside: cfg.cacheAside, Prefill: cfg.prefill,
		Commands: map[string]uint64{}, Errors: map[string]uint64{}, GOMAXPROCS: runtime.GOMAXPROCS(0),
		WarmupS: cfg.warmup.Seconds(),
	}
	if cfg.mixName == "directus" {
		r.Subscribers = cfg.subscribers
	}
	if cfg.capacityKeys > 0 {
		r.CapacityKeys = cfg.capacityKeys
		v := idealHitRatio(cfg.dist, cfg.keys, cfg.capacityKeys)
		r.IdealHit = &v
	}
	return r
}

func (r *result) fill(s *stats, elapsed, clientCPU time.Duration) {
	us := func(ns uint64) float64 { return float64(ns) / 1e3 }
	r.Requests = s.hist.total
	r.Seconds = elapsed.Seconds()
	if r.Seconds > 0 {
		r.OpsPerSec = float64(r.Requests) / r.Seconds
		r.ClientCPUCores = clientCPU.Seconds() / r.Seconds
	}
	for i, n := range s.count {
		if n > 0 {
			r.Commands[opKind(i).String()] = n
		}
	}
	r.Latency = latency{
		P50: us(s.hist.quantile(0.50)), P90: us(s.hist.quantile(0.90)),
		P99: us(s.hist.quantile(0.99)), P999: us(s.hist.quantile(0.999)),
		Max: us(s.hist.max), Mean: s.hist.mean() / 1e3,
	}
	r.Hits, r.Misses = s.hits, s.misses
	if s.hits+s.misses > 0 {
		v := float64(s.hits) / float64(s.hits+s.misses)
		r.HitRatio = &v
	}
	for k, v := range s.errors {
		r.Errors[k] = v
		r.ErrorCount += v
	}
	if s.ioErr != nil {
		r.IOError = s.ioErr.Error()
	}
	r.Delivered = s.delivered
	if r.Requests > 0 {
		r.ClientCPUUsPerReq = float64(clientCPU.Microseconds()) / float64(r.Requests)
	}
}

func (r *result) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(r)
}

func (r *result) writeText(w io.Writer) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	if r.IdealHit != nil {
		p("ideal hit ratio, cache of the %d most popular of %d keys (%s): %.4f\n", r.CapacityKeys, r.Keys, r.Dist, *r.IdealHit)
	}
	if r.Requests == 0 && r.Seconds == 0 {
		return nil
	}
	p("%s, %s over %d keys, %d clients x pipeline %d, %d B values, seed %d\n",
		r.Addr, r.Workload, r.Keys, r.Clients, r.Pipeline, r.ValueSize, r.Seed)
	p("requests   %d in %.2f s = %.0f ops/s\n", r.Requests, r.Seconds, r.OpsPerSec)
	names := make([]string, 0, len(r.Commands))
	for k := range r.Commands {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p("  %-8s %d\n", k, r.Commands[k])
	}
	l := r.Latency
	p("latency us p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n", l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	if r.HitRatio != nil {
		p("GET        hits %d  misses %d  hit ratio %.4f\n", r.Hits, r.Misses, *r.HitRatio)
	}
	if r.SubscriberMessages > 0 || r.Delivered > 0 {
		p("PUBLISH    reached %d subscriber(s) in total, subscribers read %d messages\n", r.Delivered, r.SubscriberMessages)
	}
	p("errors     %d\n", r.ErrorCount)
	errs := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		errs = append(errs, k)
	}
	sort.Slice(errs, func(i, j int) bool { return r.Errors[errs[i]] > r.Errors[errs[j]] })
	for _, k := range errs {
		p("  %8d  %s\n", r.Errors[k], k)
	}
	if r.IOError != "" {
		p("I/O error  %s\n", r.IOError)
	}
	p("loadgen CPU %.2f us/req (%.2f cores)", r.ClientCPUUsPerReq, r.ClientCPUCores)
	if r.ServerCPUUsPerReq > 0 {
		p(", server CPU %.2f us/req", r.ServerCPUUsPerReq)
	}
	p("\n")
	return nil
}
