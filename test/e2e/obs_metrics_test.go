package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// obsLoad writes a small dataset: keys in db0 and db2, some expiring,
// hits and misses.
func obsLoad(t *testing.T, s *obsServer) {
	t.Helper()
	c := s.Client(t, 2)
	ctx := Ctx(t)
	for i := 0; i < 50; i++ {
		c.Set(ctx, fmt.Sprintf("k:%d", i), strings.Repeat("v", i), 0)
	}
	for i := 0; i < 10; i++ {
		c.Set(ctx, fmt.Sprintf("ttl:%d", i), "x", time.Hour)
	}
	for i := 0; i < 30; i++ {
		c.Get(ctx, fmt.Sprintf("k:%d", i))
	}
	for i := 0; i < 7; i++ {
		c.Get(ctx, fmt.Sprintf("missing:%d", i))
	}
	c.Do(ctx, "SELECT", "2")
	c2 := s.Client(t, 2)
	c2.Do(ctx, "MULTI")
	pipe := c2.Pipeline()
	pipe.Select(ctx, 2)
	pipe.Set(ctx, "in-db2", "1", 0)
	pipe.Get(ctx, "in-db2")
	pipe.Get(ctx, "nope")
	if _, err := pipe.Exec(ctx); err != nil && !strings.Contains(err.Error(), "nil") {
		t.Fatal(err)
	}
}

// TestObsMetricsMatchInfo scrapes /metrics on the three ports and checks
// Dragonfly's core families against INFO.
func TestObsMetricsMatchInfo(t *testing.T) {
	s := obsStart(t, "--maxmemory", "256mb")
	obsLoad(t, s)
	c := s.Client(t, 2)
	info := obsInfo(t, c, "all")
	num := func(k string) float64 {
		v, err := strconv.ParseFloat(info[k], 64)
		if err != nil {
			t.Fatalf("INFO %s = %q", k, info[k])
		}
		return v
	}
	for _, url := range []string{s.promURL("/metrics"), s.mainURL("/metrics"), s.adminURL("/metrics")} {
		fams := obsScrape(t, url)
		exact := []struct {
			name   string
			labels []string
			want   float64
		}{
			{"dragonfly_keyspace_hits_total", nil, num("keyspace_hits")},
			{"dragonfly_keyspace_misses_total", nil, num("keyspace_misses")},
			{"dragonfly_keyspace_hits_total", []string{"db", "db0"}, 30},
			{"dragonfly_keyspace_misses_total", []string{"db", "db0"}, 7},
			{"dragonfly_keyspace_hits_total", []string{"db", "db2"}, 1},
			{"dragonfly_keyspace_misses_total", []string{"db", "db2"}, 1},
			{"dragonfly_db_keys", []string{"db", "db0"}, 60},
			{"dragonfly_db_keys_expiring", []string{"db", "db0"}, 10},
			{"dragonfly_db_keys", []string{"db", "db2"}, 1},
			{"dragonfly_memory_max_bytes", nil, num("maxmemory")},
			{"dragonfly_connections_received_total", nil, num("total_connections_received")},
			{"dragonfly_blocked_clients", nil, num("blocked_clients")},
			{"dragonfly_commands_total", []string{"cmd", "set"}, 61},
			{"dragonfly_evicted_keys_total", []string{"db", "db0"}, 0},
			{"dragonfly_expired_keys_total", []string{"db", "db0"}, 0},
			{"dragonfly_master", nil, 1},
		}
		for _, e := range exact {
			if v, ok := obsValue(fams, e.name, e.labels...); !ok || v != e.want {
				t.Errorf("%s: %s%v = %v (present %v), want %v", url, e.name, e.labels, v, ok, e.want)
			}
		}
		near := []struct {
			name string
			want float64
		}{
			{"dragonfly_memory_used_bytes", num("used_memory")},
			{"dragonfly_used_memory_rss_bytes", num("used_memory_rss")},
			{"dragonfly_net_input_bytes_total", num("total_net_input_bytes")},
		}
		for _, n := range near {
			v, ok := obsValue(fams, n.name)
			if !ok || v < n.want*0.8 || v > n.want*1.25+4096 {
				t.Errorf("%s: %s = %v, INFO says %v", url, n.name, v, n.want)
			}
		}
		// The clients that scraped nothing: the go-redis connections.
		if v, _ := obsValue(fams, "dragonfly_connected_clients", "listener", "main"); v < 1 || v != num("connected_clients") {
			t.Errorf("%s: connected_clients{main} = %v, INFO %v", url, v, num("connected_clients"))
		}
		if v, _ := obsValue(fams, "dragonfly_commands_processed_total", "listener", "main"); v < num("total_commands_processed")-1 {
			t.Errorf("%s: commands_processed_total{main} = %v, INFO %v", url, v, num("total_commands_processed"))
		}
		if v, ok := obsValue(fams, "dragonfly_version", "version", info["damselfly_version"]); !ok || v != 1 {
			t.Errorf("%s: dragonfly_version{version=%q} missing", url, info["damselfly_version"])
		}
		if v, _ := obsValue(fams, "dragonfly_uptime_in_seconds"); v < 0 || v > num("uptime_in_seconds")+1 {
			t.Errorf("%s: uptime %v", url, v)
		}
	}
	if code, body := obsGet(t, s.promURL("/healthz"), "", ""); code != 200 || string(body) != "OK\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
}

// TestObsSeedMetrics checks the four metrics the seeds name, with the
// hit ratio computable from the two counters.
func TestObsSeedMetrics(t *testing.T) {
	s := obsStart(t)
	obsLoad(t, s)
	fams := obsScrape(t, s.promURL("/metrics"))
	want := map[string]dto.MetricType{
		"dragonfly_memory_used_bytes":        dto.MetricType_GAUGE,
		"dragonfly_commands_processed_total": dto.MetricType_COUNTER,
		"dragonfly_connected_clients":        dto.MetricType_GAUGE,
		"dragonfly_keyspace_hits_total":      dto.MetricType_COUNTER,
		"dragonfly_keyspace_misses_total":    dto.MetricType_COUNTER,
	}
	for name, ty := range want {
		f := fams[name]
		if f == nil || f.GetType() != ty || len(f.Metric) == 0 {
			t.Errorf("%s: %v", name, f)
		}
	}
	hits, _ := obsValue(fams, "dragonfly_keyspace_hits_total")
	misses, _ := obsValue(fams, "dragonfly_keyspace_misses_total")
	if r := hits / (hits + misses); r < 0.7 || r > 0.9 {
		t.Errorf("hit ratio %v from %v hits / %v misses", r, hits, misses)
	}
}

// TestObsPromtool runs Prometheus's own linter on a live page.
func TestObsPromtool(t *testing.T) {
	promtool := obsTool(t, "promtool", "prometheus")
	s := obsStart(t)
	obsLoad(t, s)
	for _, url := range []string{s.promURL("/metrics"), s.mainURL("/metrics")} {
		_, page := obsGet(t, url, "", "")
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(page)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics %s: %v\n%s", url, err, out)
		}
	}
	// The shipped scrape configuration is valid too.
	cmd := exec.Command(promtool, "check", "config", obsRepo(t, "deploy/prometheus.yml"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}

func obsRepo(t *testing.T, rel string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", rel)
}

// obsSelector is one series selector found in a PromQL expression.
type obsSelector struct {
	name     string
	matchers [][2]string // label = "literal" matchers only
	expr     string
}

var (
	obsNameRe    = regexp.MustCompile(`\b(dragonfly_[a-zA-Z0-9_]+)\s*(\{[^}]*\})?`)
	obsMatcherRe = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"([^"]*)"`)
)

// obsDashboardSelectors extracts every dragonfly_* selector from the
// expressions and variable queries of a Grafana dashboard.
func obsDashboardSelectors(t *testing.T, path string) []obsSelector {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "expr" || k == "definition" || k == "query") {
					exprs = append(exprs, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(dash)
	var out []obsSelector
	for _, e := range exprs {
		for _, m := range obsNameRe.FindAllStringSubmatch(e, -1) {
			sel := obsSelector{name: m[1], expr: e}
			for _, mm := range obsMatcherRe.FindAllStringSubmatch(m[2], -1) {
				if mm[2] == "=" && !strings.Contains(mm[3], "$") {
					sel.matchers = append(sel.matchers, [2]string{mm[1], mm[3]})
				}
			}
			out = append(out, sel)
		}
	}
	return out
}

// TestObsDashboardSeries: every series the shipped Grafana dashboard (our own,
// on Dragonfly's metric names) queries exists in a scrape, with the label values it selects.
func TestObsDashboardSeries(t *testing.T) {
	s := obsStart(t)
	obsLoad(t, s)
	// A pipelined batch, so the pipeline summary has quantiles too.
	c := s.Client(t, 2)
	pipe := c.Pipeline()
	for i := 0; i < 20; i++ {
		pipe.Get(Ctx(t), "k:1")
	}
	pipe.Exec(Ctx(t))
	fams := obsScrape(t, s.promURL("/metrics"))
	sels := obsDashboardSelectors(t, obsRepo(t, "deploy/grafana/provisioning/dashboards/damselfly.json"))
	if len(sels) < 40 {
		t.Fatalf("only %d selectors found in the dashboard", len(sels))
	}
	names := map[string]bool{}
	for _, sel := range sels {
		names[sel.name] = true
		f := fams[sel.name]
		if f == nil {
			t.Errorf("dashboard queries %s, which /metrics lacks (expr %q)", sel.name, sel.expr)
			continue
		}
		found := false
		for _, m := range f.Metric {
			ok := true
			for _, want := range sel.matchers {
				has := false
				for _, l := range m.Label {
					has = has || l.GetName() == want[0] && l.GetValue() == want[1]
				}
				ok = ok && has
			}
			found = found || ok
		}
		if !found {
			t.Errorf("no %s sample matches %v (expr %q)", sel.name, sel.matchers, sel.expr)
		}
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	t.Logf("%d series names checked: %s", len(list), strings.Join(list, " "))
	if q := fams["dragonfly_pipeline_latency_seconds"]; q == nil || len(q.Metric[0].GetSummary().GetQuantile()) != 2 {
		t.Errorf("pipeline latency summary has no quantiles: %v", q)
	}
}
