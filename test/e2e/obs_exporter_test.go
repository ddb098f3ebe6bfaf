package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// obsExporter runs Debian's redis_exporter against addr and returns its
// /metrics URL. It is killed when the test ends.
func obsExporter(t *testing.T, addr string, extra ...string) string {
	t.Helper()
	bin := obsTool(t, "prometheus-redis-exporter", "prometheus-redis-exporter")
	port := freePort(t)
	args := append([]string{"-redis.addr", "redis://" + addr, "-web.listen-address", fmt.Sprintf("127.0.0.1:%d", port)}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("redis_exporter log:\n%s", log.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
			c.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis_exporter did not start:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// obsExporterLoad writes the same data to Damselfly or redis-server.
func obsExporterLoad(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := Ctx(t)
	if err := c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		c.Set(ctx, fmt.Sprintf("key:%d", i), strings.Repeat("x", 10+i), 0)
	}
	for i := 0; i < 5; i++ {
		c.Set(ctx, fmt.Sprintf("exp:%d", i), "1", time.Hour)
	}
	for i := 0; i < 25; i++ {
		c.Get(ctx, fmt.Sprintf("key:%d", i))
	}
	for i := 0; i < 9; i++ {
		c.Get(ctx, fmt.Sprintf("nokey:%d", i))
	}
	c.Do(ctx, "NOSUCHCOMMAND")
	c.Do(ctx, "SELECT", "1")
}

// TestObsRedisExporter runs the real redis_exporter against Damselfly and
// checks the core metrics; then against redis-server with the same data,
// and checks that every redis_* family it reports for Redis it also
// reports for Damselfly (apart from features Damselfly has not).
func TestObsRedisExporter(t *testing.T) {
	d := obsStart(t)
	dc := d.Client(t, 2)
	obsExporterLoad(t, dc)
	dfams := obsScrape(t, obsExporter(t, d.Addr))

	info := obsInfo(t, dc, "all")
	num := func(k string) float64 {
		v, _ := strconv.ParseFloat(info[k], 64)
		return v
	}
	exact := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"redis_up", nil, 1},
		{"redis_keyspace_hits_total", nil, 25},
		{"redis_keyspace_misses_total", nil, 9},
		{"redis_db_keys", []string{"db", "db0"}, 45},
		{"redis_db_keys_expiring", []string{"db", "db0"}, 5},
		{"redis_commands_total", []string{"cmd", "set"}, 45},
		{"redis_commands_total", []string{"cmd", "get"}, 34},
		{"redis_memory_max_bytes", nil, num("maxmemory")},
		{"redis_config_maxmemory", nil, num("maxmemory")},
		{"redis_errors_total", []string{"err", "ERR"}, 1},
		{"redis_rdb_last_bgsave_status", nil, 1},
	}
	for _, e := range exact {
		if v, ok := obsValue(dfams, e.name, e.labels...); !ok || v != e.want {
			t.Errorf("%s%v = %v (present %v), want %v", e.name, e.labels, v, ok, e.want)
		}
	}
	atLeast := []struct {
		name string
		min  float64
	}{
		{"redis_connected_clients", 1},
		{"redis_commands_processed_total", 80},
		{"redis_connections_received_total", 1},
		{"redis_memory_used_bytes", 1},
		{"redis_memory_used_rss_bytes", 1},
		{"redis_slowlog_length", 1},
		{"redis_uptime_in_seconds", 0},
		{"redis_net_input_bytes_total", 1000},
	}
	for _, a := range atLeast {
		if v, ok := obsValue(dfams, a.name); !ok || v < a.min {
			t.Errorf("%s = %v (present %v), want >= %v", a.name, v, ok, a.min)
		}
	}
	if v, ok := obsValue(dfams, "redis_commands_duration_seconds_total", "cmd", "set"); !ok || v <= 0 {
		t.Errorf("redis_commands_duration_seconds_total{cmd=set} = %v %v", v, ok)
	}
	if v, ok := obsValue(dfams, "redis_memory_used_bytes"); !ok || v < num("used_memory")*0.8 || v > num("used_memory")*1.25 {
		t.Errorf("redis_memory_used_bytes = %v, INFO used_memory %v", v, num("used_memory"))
	}
	if f := dfams["redis_exporter_last_scrape_error"]; f != nil {
		for _, m := range f.Metric {
			if obsSampleValue(m) != 0 {
				t.Errorf("redis_exporter_last_scrape_error: %v", m)
			}
		}
	}
	// SLOWLOG GET 1 parsed: the last entry's id and duration.
	if v, ok := obsValue(dfams, "redis_slowlog_last_id"); !ok || v < 1 {
		t.Errorf("redis_slowlog_last_id = %v %v: SLOWLOG GET not understood", v, ok)
	}
	if _, ok := obsValue(dfams, "redis_last_slow_execution_duration_seconds"); !ok {
		t.Error("no redis_last_slow_execution_duration_seconds: SLOWLOG GET not understood")
	}

	// The same families as for redis-server.
	r := StartRedis(t)
	rc := r.Client(t, 2)
	obsExporterLoad(t, rc)
	rfams := obsScrape(t, obsExporter(t, r.Addr))
	// Families that describe features Damselfly does not have, or values
	// Redis reports only after events that did not happen here.
	absentOK := map[string]string{
		// CONFIG GET * lists Damselfly's proactor_threads; io-threads
		// (and io_threads) are only accepted as its aliases.
		"redis_config_io_threads": "no io-threads setting",
	}
	var missing []string
	for name := range rfams {
		if _, ok := dfams[name]; !ok {
			if _, known := absentOK[name]; !known {
				missing = append(missing, name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("redis_exporter reports %d families for redis-server but not for Damselfly:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	// And the per-command and keyspace families agree on the workload.
	for _, e := range []struct {
		name   string
		labels []string
	}{
		{"redis_keyspace_hits_total", nil},
		{"redis_keyspace_misses_total", nil},
		{"redis_db_keys", []string{"db", "db0"}},
		{"redis_db_keys_expiring", []string{"db", "db0"}},
		{"redis_commands_total", []string{"cmd", "set"}},
		{"redis_commands_total", []string{"cmd", "get"}},
	} {
		dv, _ := obsValue(dfams, e.name, e.labels...)
		rv, _ := obsValue(rfams, e.name, e.labels...)
		if dv != rv {
			t.Errorf("%s%v: Damselfly %v, redis-server %v", e.name, e.labels, dv, rv)
		}
	}
}

// TestObsRedisExporterAuth: with requirepass, the exporter logs in with
// the password (user default), and without it reports redis_up 0.
func TestObsRedisExporterAuth(t *testing.T) {
	d := obsStart(t, "--requirepass", "pw")
	fams := obsScrape(t, obsExporter(t, d.Addr, "-redis.password", "pw"))
	if v, ok := obsValue(fams, "redis_up"); !ok || v != 1 {
		t.Errorf("with the password: redis_up = %v %v", v, ok)
	}
	if _, ok := obsValue(fams, "redis_db_keys", "db", "db0"); !ok {
		t.Error("with the password: no redis_db_keys")
	}
	fams = obsScrape(t, obsExporter(t, d.Addr))
	if v, ok := obsValue(fams, "redis_up"); !ok || v != 0 {
		t.Errorf("without the password: redis_up = %v %v", v, ok)
	}
}
