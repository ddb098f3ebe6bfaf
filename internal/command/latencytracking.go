package command

import (
	"strconv"
	"strings"
)

// Redis's latency-tracking and latency-tracking-info-percentiles: whether
// each call feeds its command's latency histogram (INFO latencystats,
// LATENCY HISTOGRAM), and which percentiles INFO latencystats prints.
// Dragonfly's latency_tracking flag is the same switch.

// WatchLatencyConfig applies the two parameters now and on every change.
func (e *Env) WatchLatencyConfig() {
	apply := func() {
		if v := e.Config.Get("latency-tracking"); len(v) == 1 {
			e.latencyOff.Store(v[0][1] == "no")
		}
		if v := e.Config.Get("latency-tracking-info-percentiles"); len(v) == 1 {
			p := parsePercentiles(v[0][1])
			e.latencyPercentiles.Store(&p)
		}
	}
	apply()
	e.Config.OnChange("latency-tracking", apply)
	e.Config.OnChange("latency-tracking-info-percentiles", apply)
}

// parsePercentiles reads a space-separated list of percentiles; the
// setting's check has already refused anything else.
func parsePercentiles(s string) []float64 {
	var out []float64
	for _, f := range strings.Fields(s) {
		if x, err := strconv.ParseFloat(f, 64); err == nil {
			out = append(out, x)
		}
	}
	return out
}

// infoPercentiles is what INFO latencystats prints (Redis's default
// until the config is watched).
func (e *Env) infoPercentiles() []float64 {
	if p := e.latencyPercentiles.Load(); p != nil {
		return *p
	}
	return []float64{50, 99, 99.9}
}

// histBucket is the histogram bucket of a call taking ns, or -1 when
// latency tracking is off.
func (e *Env) histBucket(ns int64) int {
	if e.latencyOff.Load() {
		return -1
	}
	return histIndex(ns)
}
