package metrics

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func sample() *Snapshot {
	return &Snapshot{
		Version:        "v0.1.0",
		Master:         true,
		UptimeSeconds:  42,
		MaxClients:     10000,
		ConnectedMain:  3,
		ConnectedOther: 1,
		ConnectionLibs: map[string]int64{"go-redis:9.0": 2, `we"ird\lib` + "\n": 1},
		Pipeline: Pipeline{Commands: 10, DispatchCalls: 2, DispatchCommands: 10, Flushes: 2,
			FlushSeconds: 0.001, CommandsSeconds: 0.0005, WaitSeconds: 0.0002, P95: 0.0001, P99: 0.0002, HaveQuantiles: true},
		MemoryUsed:    1 << 20,
		MemoryPeak:    2 << 20,
		MemoryMax:     1 << 30,
		RSS:           30 << 20,
		TypeMemory:    map[string]int64{"string": 100, "hash": 0},
		MemoryByClass: []Class{{"table_used", 10}, {"object_used", 20}},
		Hits:          7,
		Misses:        3,
		DBs: []DB{
			{Index: 0, Keys: 5, Expiring: 1, Capacity: 8, Hits: 6, Misses: 2, Expired: 4},
			{Index: 3, Keys: 1, Capacity: 4, Hits: 1, Misses: 1},
		},
		Commands: []Command{{"get", 10, 0.00123}, {"set", 5, 0.0004}},
	}
}

func parse(t *testing.T, page []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("expfmt: %v\n%s", err, page)
	}
	return fams
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("family %s missing", name)
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels)/2 {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	t.Fatalf("%s%v not found", name, labels)
	return 0
}

func TestRenderParses(t *testing.T) {
	page := Render(sample())
	fams := parse(t, page)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"dragonfly_uptime_in_seconds", nil, 42},
		{"dragonfly_connected_clients", []string{"listener", "main"}, 3},
		{"dragonfly_connected_clients", []string{"listener", "other"}, 1},
		{"dragonfly_keyspace_hits_total", nil, 7},
		{"dragonfly_keyspace_hits_total", []string{"db", "db0"}, 6},
		{"dragonfly_keyspace_misses_total", []string{"db", "db3"}, 1},
		{"dragonfly_db_keys", []string{"db", "db3"}, 1},
		{"dragonfly_db_capacity", []string{"db", "db0", "type", "prime"}, 8},
		{"dragonfly_expired_keys_total", []string{"db", "db0"}, 4},
		{"dragonfly_commands_total", []string{"cmd", "get"}, 10},
		{"dragonfly_commands_duration_seconds", []string{"cmd", "get"}, 0.00123},
		{"dragonfly_memory_used_bytes", nil, 1 << 20},
		{"dragonfly_type_used_memory", []string{"type", "string"}, 100},
		{"dragonfly_connections_libs", []string{"lib", `we"ird\lib` + "\n"}, 1},
		{"dragonfly_version", []string{"version", "v0.1.0"}, 1},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := fams["dragonfly_type_used_memory"]; ok {
		for _, m := range fams["dragonfly_type_used_memory"].Metric {
			if m.Label[0].GetValue() == "hash" {
				t.Error("zero type memory reported")
			}
		}
	}
	s := fams["dragonfly_pipeline_latency_seconds"]
	if s.GetType() != dto.MetricType_SUMMARY || s.Metric[0].Summary.GetSampleCount() != 10 || len(s.Metric[0].Summary.Quantile) != 2 {
		t.Errorf("pipeline summary: %v", s)
	}
}

// TestTypes pins the declared types: Dragonfly's, except counters without
// the _total suffix, which are untyped (package doc).
func TestTypes(t *testing.T) {
	fams := parse(t, Render(sample()))
	want := map[string]dto.MetricType{
		"dragonfly_version":                            dto.MetricType_GAUGE,
		"dragonfly_uptime_in_seconds":                  dto.MetricType_UNTYPED,
		"dragonfly_connected_clients":                  dto.MetricType_GAUGE,
		"dragonfly_commands_processed_total":           dto.MetricType_COUNTER,
		"dragonfly_commands_total":                     dto.MetricType_COUNTER,
		"dragonfly_commands_duration_seconds":          dto.MetricType_UNTYPED,
		"dragonfly_keyspace_hits_total":                dto.MetricType_COUNTER,
		"dragonfly_memory_used_bytes":                  dto.MetricType_GAUGE,
		"dragonfly_pipeline_latency_seconds":           dto.MetricType_SUMMARY,
		"dragonfly_pipeline_commands_duration_seconds": dto.MetricType_UNTYPED,
		"dragonfly_evicted_keys_total":                 dto.MetricType_COUNTER,
	}
	for n, ty := range want {
		if f := fams[n]; f == nil || f.GetType() != ty {
			t.Errorf("%s: %v, want %v", n, f.GetType(), ty)
		}
	}
	for n, f := range fams {
		if f.GetHelp() == "" {
			t.Errorf("%s has no help", n)
		}
		if f.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(n, "_total") {
			t.Errorf("counter %s without _total", n)
		}
	}
}

func TestEmpty(t *testing.T) {
	fams := parse(t, Render(&Snapshot{}))
	if _, ok := fams["dragonfly_commands_total"]; ok {
		t.Error("commands_total without commands")
	}
	if _, ok := fams["dragonfly_type_used_memory"]; ok {
		t.Error("type_used_memory without data")
	}
}

// TestPromtool runs `promtool check metrics` when Debian's prometheus
// package is installed.
func TestPromtool(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(Render(sample()))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestFloat(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 3: "3", 0.5: "0.5", 1e-7: "1e-07", 1e20: "1e+20"} {
		if got := string(AppendFloat(nil, v)); got != want {
			t.Errorf("%v: %q want %q", v, got, want)
		}
	}
}
