package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// num is a figure that may be missing (NaN); JSON writes it as null,
// which encoding/json cannot do for a plain NaN.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, math.Round(float64(n)*1e4)/1e4, 'f', -1, 64), nil
}

func (n num) nan() bool { return math.IsNaN(float64(n)) }

// side is the medians of one server's runs in one scenario.
type side struct {
	Server    string `json:"server"`
	Runs      int    `json:"runs"`
	Failed    int    `json:"failed_runs"`
	RPS       num    `json:"rps"`
	P50       num    `json:"p50_ms"`
	P99       num    `json:"p99_ms"`
	CPU       num    `json:"cpu_us_per_req"`
	ClientCPU num    `json:"client_cpu_us_per_req"`
	Errors    num    `json:"errors"`
	RPSSpread num    `json:"rps_spread_pct"`
	CPUSpread num    `json:"cpu_spread_pct"`
	AllRPS    []num  `json:"runs_rps"`
	AllCPU    []num  `json:"runs_cpu_us_per_req"`
}

// ratios are A over B of the medians: rps > 1 and cpu, p50, p99 < 1 favour A.
type ratios struct {
	RPS num `json:"rps"`
	CPU num `json:"cpu"`
	P50 num `json:"p50"`
	P99 num `json:"p99"`
}

type target struct {
	Expr  string `json:"expr"` // e.g. "rps>=1.5"
	Value num    `json:"value"`
	OK    bool   `json:"ok"`
}

type scenario struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Tool     string   `json:"tool"`
	A        side     `json:"a"`
	B        side     `json:"b"`
	Ratio    ratios   `json:"ratio"`
	RPSNoise num      `json:"rps_noise_pct"` // larger rps spread of the two sides
	CPUNoise num      `json:"cpu_noise_pct"` // larger cpu spread of the two sides
	Targets  []target `json:"targets"`
}

// summarize groups runs by scenario, in first-seen order.
func summarize(runs []run) []scenario {
	var order []string
	by := map[string][]run{}
	for _, r := range runs {
		if _, ok := by[r.scenario]; !ok {
			order = append(order, r.scenario)
		}
		by[r.scenario] = append(by[r.scenario], r)
	}
	out := make([]scenario, 0, len(order))
	for _, id := range order {
		rs := by[id]
		sc := scenario{ID: id, Title: rs[0].title, Tool: rs[0].tool}
		sc.A = sideOf(rs, "A", rs[0].a)
		sc.B = sideOf(rs, "B", rs[0].b)
		sc.Ratio = ratios{
			RPS: div(sc.A.RPS, sc.B.RPS), CPU: div(sc.A.CPU, sc.B.CPU),
			P50: div(sc.A.P50, sc.B.P50), P99: div(sc.A.P99, sc.B.P99),
		}
		sc.RPSNoise = nanMax(sc.A.RPSSpread, sc.B.RPSSpread)
		sc.CPUNoise = nanMax(sc.A.CPUSpread, sc.B.CPUSpread)
		sc.Targets = evalTargets(rs[0].targets, sc.Ratio)
		out = append(out, sc)
	}
	return out
}

func sideOf(rs []run, which, label string) side {
	s := side{Server: label}
	var rps, p50, p99, cpu, ccpu, errs []float64
	for _, r := range rs {
		if r.side != which {
			continue
		}
		s.Runs++
		if math.IsNaN(r.rps) {
			s.Failed++
		}
		rps = append(rps, r.rps)
		p50 = append(p50, r.p50)
		p99 = append(p99, r.p99)
		cpu = append(cpu, r.cpu)
		ccpu = append(ccpu, r.clientCPU)
		errs = append(errs, r.errors)
	}
	s.RPS, s.P50, s.P99, s.CPU = num(median(rps)), num(median(p50)), num(median(p99)), num(median(cpu))
	s.ClientCPU, s.Errors = num(median(ccpu)), num(median(errs))
	s.RPSSpread, s.CPUSpread = num(spread(rps)), num(spread(cpu))
	for _, v := range finite(rps) {
		s.AllRPS = append(s.AllRPS, num(v))
	}
	for _, v := range finite(cpu) {
		s.AllCPU = append(s.AllCPU, num(v))
	}
	return s
}

func div(a, b num) num {
	if a.nan() || b.nan() || b == 0 {
		return num(math.NaN())
	}
	return a / b
}

func nanMax(v ...num) num {
	m := num(math.NaN())
	for _, x := range v {
		if !x.nan() && (m.nan() || x > m) {
			m = x
		}
	}
	return m
}

// evalTargets checks "rps>=1.0;cpu<=1.0;p99<=1.0" against the ratios.
func evalTargets(spec string, r ratios) []target {
	var out []target
	for _, expr := range strings.Split(spec, ";") {
		expr = strings.TrimSpace(expr)
		if expr == "" {
			continue
		}
		t := target{Expr: expr, Value: num(math.NaN())}
		for _, op := range []string{">=", "<="} {
			name, limText, ok := strings.Cut(expr, op)
			if !ok {
				continue
			}
			lim, err := strconv.ParseFloat(limText, 64)
			if err != nil {
				break
			}
			v, known := map[string]num{"rps": r.RPS, "cpu": r.CPU, "p50": r.P50, "p99": r.P99}[name]
			if known {
				t.Value = v
			}
			if !t.Value.nan() {
				// Compare at the table's two decimals, as a reader would.
				v := math.Round(float64(t.Value)*100) / 100
				t.OK = op == ">=" && v >= lim || op == "<=" && v <= lim
			}
			break
		}
		out = append(out, t)
	}
	return out
}

func (t target) String() string {
	if t.Value.nan() {
		return t.Expr + " ?"
	}
	name, _, _ := strings.Cut(strings.ReplaceAll(t.Expr, "<", ">"), ">")
	mark := "ok"
	if !t.OK {
		mark = "MISS"
	}
	return fmt.Sprintf("%s %s %.2f", mark, name, t.Value)
}
