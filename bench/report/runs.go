package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// rawColumns are the columns bench/suite.sh writes, in order.
var rawColumns = []string{
	"scenario", "title", "tool", "a", "b", "targets", "round", "seq", "side", "server",
	"requests", "rps", "p50_ms", "p99_ms", "cpu_us_per_req", "client_cpu_us_per_req", "errors", "wall_s",
}

// run is one measured run of one side of a scenario. NaN marks a missing
// figure (a failed run, or a tool that does not report it).
type run struct {
	scenario, title, tool, a, b, targets string
	round, seq                           int
	side, server                         string
	requests                             float64
	rps, p50, p99, cpu, clientCPU        float64
	errors                               float64
	wall                                 float64
}

func readRuns(r io.Reader) ([]run, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, c := range rawColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("header lacks column %q", c)
		}
	}
	var runs []run
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return runs, nil
		}
		if err != nil {
			return nil, err
		}
		get := func(c string) string { return rec[col[c]] }
		num := func(c string) float64 {
			v, err := strconv.ParseFloat(get(c), 64)
			if err != nil {
				return math.NaN()
			}
			return v
		}
		ru := run{
			scenario: get("scenario"), title: get("title"), tool: get("tool"), a: get("a"), b: get("b"),
			targets: get("targets"), side: get("side"), server: get("server"),
			requests: num("requests"), rps: num("rps"), p50: num("p50_ms"), p99: num("p99_ms"),
			cpu: num("cpu_us_per_req"), clientCPU: num("client_cpu_us_per_req"), errors: num("errors"), wall: num("wall_s"),
		}
		ru.round, _ = strconv.Atoi(get("round"))
		ru.seq, _ = strconv.Atoi(get("seq"))
		if ru.side != "A" && ru.side != "B" {
			return nil, fmt.Errorf("line %d: side %q, want A or B", line, ru.side)
		}
		runs = append(runs, ru)
	}
}

// median of the non-NaN values, NaN if none.
func median(v []float64) float64 {
	s := finite(v)
	if len(s) == 0 {
		return math.NaN()
	}
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread is (max-min)/median in percent over the non-NaN values: how far
// the rounds disagree. NaN with fewer than two values.
func spread(v []float64) float64 {
	s := finite(v)
	if len(s) < 2 {
		return math.NaN()
	}
	sort.Float64s(s)
	m := median(s)
	if m == 0 {
		return math.NaN()
	}
	return (s[len(s)-1] - s[0]) / m * 100
}

func finite(v []float64) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}
