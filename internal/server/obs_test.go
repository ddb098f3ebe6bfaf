package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/damselfly-db/damselfly/internal/config"
)

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs an in-process server on loopback ports chosen here.
func start(t *testing.T, args ...string) *Server {
	t.Helper()
	return startTB(t, args...)
}

// startTB is start for tests and benchmarks.
func startTB(t testing.TB, args ...string) *Server {
	t.Helper()
	// New sets GOMAXPROCS from --proactor_threads; give it back after.
	procs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	args = append([]string{"--port", fmt.Sprint(freePort(t)), "--bind", "127.0.0.1", "--proactor_threads", "2"}, args...)
	cfg, err := config.Load(args, nil, io.Discard, "test")
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), "test")
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(s.Close)
	return s
}

// cmd sends RESP commands (inline) on a fresh connection and returns the
// first reply line of each.
func cmd(t *testing.T, addr string, lines ...string) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, strings.Join(lines, "\r\n")+"\r\n")
	r := bufio.NewReader(c)
	var out []string
	for range lines {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading reply: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "$") && line != "$-1" {
			body, _ := r.ReadString('\n')
			line = strings.TrimRight(body, "\r\n")
		}
		out = append(out, line)
	}
	return out
}

func get(t *testing.T, url string, user, pass string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	cl := &http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func families(t *testing.T, page []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("expfmt: %v\n%s", err, page)
	}
	return fams
}

func sampleValue(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels)/2 {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			ok := false
			for _, l := range m.Label {
				ok = ok || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !ok {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func TestMetricsOnEveryPort(t *testing.T) {
	prom, adm := freePort(t), freePort(t)
	s := start(t, "--prometheus_port", fmt.Sprint(prom), "--admin_port", fmt.Sprint(adm), "--admin_bind", "127.0.0.1")
	main := s.Addrs()[0].String()
	cmd(t, main, "SET a 1", "SET b 2", "GET a", "GET nope", "SELECT 3", "SET c 3", "GET c")
	for _, url := range []string{
		"http://" + main + "/metrics",
		fmt.Sprintf("http://127.0.0.1:%d/metrics", prom),
		fmt.Sprintf("http://127.0.0.1:%d/metrics", adm),
	} {
		code, body := get(t, url, "", "")
		if code != 200 {
			t.Fatalf("%s: %d", url, code)
		}
		fams := families(t, body)
		for _, c := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"dragonfly_db_keys", []string{"db", "db0"}, 2},
			{"dragonfly_db_keys", []string{"db", "db3"}, 1},
			{"dragonfly_keyspace_hits_total", nil, 2},
			{"dragonfly_keyspace_hits_total", []string{"db", "db3"}, 1},
			{"dragonfly_keyspace_misses_total", []string{"db", "db0"}, 1},
			{"dragonfly_commands_total", []string{"cmd", "set"}, 3},
			{"dragonfly_commands_processed_total", []string{"listener", "main"}, 7},
		} {
			if v, ok := sampleValue(fams, c.name, c.labels...); !ok || v != c.want {
				t.Errorf("%s: %s%v = %v (found %v), want %v", url, c.name, c.labels, v, ok, c.want)
			}
		}
		if _, ok := fams["dragonfly_db_keys"]; !ok {
			t.Fatal("no db_keys")
		}
	}
	for _, url := range []string{"http://" + main + "/healthz", fmt.Sprintf("http://127.0.0.1:%d/healthz", prom)} {
		if code, body := get(t, url, "", ""); code != 200 || string(body) != "OK\n" {
			t.Errorf("%s: %d %q", url, code, body)
		}
	}
	// The prometheus port serves metrics only.
	if code, _ := get(t, fmt.Sprintf("http://127.0.0.1:%d/", prom), "", ""); code != 404 {
		t.Errorf("console on the prometheus port: %d", code)
	}
	// RESP on the admin port counts as the "other" listener.
	if r := cmd(t, fmt.Sprintf("127.0.0.1:%d", adm), "PING", "CLIENT INFO"); r[0] != "+PONG" {
		t.Errorf("admin RESP: %v", r)
	}
	_, body := get(t, "http://"+main+"/metrics", "", "")
	if v, _ := sampleValue(families(t, body), "dragonfly_commands_processed_total", "listener", "other"); v != 2 {
		t.Errorf("commands on the admin port: %v", v)
	}
}

func TestInlineGETIsNotHTTP(t *testing.T) {
	s := start(t)
	main := s.Addrs()[0].String()
	cmd(t, main, "SET /foo bar")
	if r := cmd(t, main, "GET /foo"); r[0] != "bar" {
		t.Errorf("inline GET /foo: %v", r)
	}
}

func TestPipelineMetrics(t *testing.T) {
	s := start(t)
	main := s.Addrs()[0].String()
	var lines []string
	for i := 0; i < 20; i++ {
		lines = append(lines, fmt.Sprintf("SET k%d v", i))
	}
	cmd(t, main, lines...)
	_, body := get(t, "http://"+main+"/metrics", "", "")
	fams := families(t, body)
	if v, _ := sampleValue(fams, "dragonfly_pipeline_commands_total"); v < 2 {
		t.Errorf("pipeline_commands_total %v", v)
	}
	if v, _ := sampleValue(fams, "dragonfly_pipeline_dispatch_calls_total"); v < 1 {
		t.Errorf("pipeline_dispatch_calls_total %v", v)
	}
	sum := fams["dragonfly_pipeline_latency_seconds"]
	if sum == nil || sum.Metric[0].Summary.GetSampleCount() < 2 || len(sum.Metric[0].Summary.Quantile) != 2 {
		t.Errorf("pipeline latency summary: %v", sum)
	}
	if v, _ := sampleValue(fams, "dragonfly_reply_total"); v < 1 {
		t.Errorf("reply_total %v", v)
	}
	// The per-type census catches up within a few sampler ticks.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := get(t, "http://"+main+"/metrics", "", "")
		if v, ok := sampleValue(families(t, body), "dragonfly_type_used_memory", "type", "string"); ok && v > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("type_used_memory{type=string} never appeared")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestConsoleAuth(t *testing.T) {
	adm := freePort(t)
	s := start(t, "--requirepass", "s3cret", "--admin_port", fmt.Sprint(adm), "--admin_bind", "127.0.0.1")
	main := s.Addrs()[0].String()
	for _, base := range []string{"http://" + main, fmt.Sprintf("http://127.0.0.1:%d", adm)} {
		if code, _ := get(t, base+"/", "", ""); code != 401 {
			t.Errorf("%s/ without credentials: %d", base, code)
		}
		if code, _ := get(t, base+"/api/stats", "default", "wrong"); code != 401 {
			t.Errorf("%s/api/stats with a wrong password: %d", base, code)
		}
		if code, _ := get(t, base+"/api/stats", "other", "s3cret"); code != 401 {
			t.Errorf("%s/api/stats as another user: %d", base, code)
		}
		if code, body := get(t, base+"/", "default", "s3cret"); code != 200 || !bytes.Contains(body, []byte("<title>Damselfly")) {
			t.Errorf("%s/ with credentials: %d", base, code)
		}
		if code, _ := get(t, base+"/metrics", "", ""); code != 200 {
			t.Errorf("%s/metrics must stay open: %d", base, code)
		}
		if code, _ := get(t, base+"/healthz", "", ""); code != 200 {
			t.Errorf("%s/healthz must stay open: %d", base, code)
		}
	}
	// RESP on the admin port still asks for AUTH.
	if r := cmd(t, fmt.Sprintf("127.0.0.1:%d", adm), "GET x"); !strings.HasPrefix(r[0], "-NOAUTH") {
		t.Errorf("admin RESP without AUTH: %v", r)
	}
}

func TestAdminPortIgnoresMaxClients(t *testing.T) {
	adm := freePort(t)
	s := start(t, "--maxclients", "1", "--admin_port", fmt.Sprint(adm), "--admin_bind", "127.0.0.1")
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "PING\r\n")
	bufio.NewReader(c).ReadString('\n')
	if r := cmd(t, s.Addrs()[0].String(), "PING"); !strings.Contains(r[0], "max number of clients") {
		t.Errorf("second client on the main port: %v", r)
	}
	if r := cmd(t, fmt.Sprintf("127.0.0.1:%d", adm), "PING"); r[0] != "+PONG" {
		t.Errorf("admin port under maxclients: %v", r)
	}
}

func TestConsoleAPI(t *testing.T) {
	s := start(t)
	main := "http://" + s.Addrs()[0].String()
	cmd(t, s.Addrs()[0].String(), "SET user:1 alice", "SET user:2 bob", "PEXPIRE user:2 100000", "SET other x", "SLOWLOG RESET")
	var keys struct {
		Cursor string
		Keys   []struct {
			Key, Raw, Type string
			TTLMs          int64 `json:"ttl_ms"`
			Bytes          int64
		}
	}
	cursor := "0"
	var found []string
	for {
		code, body := get(t, main+"/api/keys?match=user:*&count=10&cursor="+cursor, "", "")
		if code != 200 {
			t.Fatalf("keys: %d %s", code, body)
		}
		if err := json.Unmarshal(body, &keys); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys.Keys {
			found = append(found, k.Key)
			if k.Type != "string" || k.Bytes <= 0 {
				t.Errorf("key row %+v", k)
			}
			if k.Key == "user:2" && (k.TTLMs <= 0 || k.TTLMs > 100000) {
				t.Errorf("ttl of user:2: %d", k.TTLMs)
			}
		}
		if cursor = keys.Cursor; cursor == "0" {
			break
		}
	}
	if len(found) != 2 {
		t.Errorf("SCAN user:* found %v", found)
	}
	code, body := get(t, main+"/api/key?key=user:1", "", "")
	var key map[string]any
	json.Unmarshal(body, &key)
	if code != 200 || key["preview"] != "alice" || key["type"] != "string" {
		t.Errorf("key preview: %d %s", code, body)
	}
	// A hash is previewed with HSCAN (this one counts as a read).
	cmd(t, s.Addrs()[0].String(), "HSET profile name alice city paris")
	code, body = get(t, main+"/api/key?key=profile", "", "")
	var h struct {
		Type     string
		Encoding string
		Length   int64
		Preview  []string
	}
	json.Unmarshal(body, &h)
	if code != 200 || h.Type != "hash" || h.Length != 2 || len(h.Preview) != 4 || h.Encoding == "" {
		t.Errorf("hash preview: %d %s", code, body)
	}
	if code, _ := get(t, main+"/api/key?key=nope", "", ""); code != 404 {
		t.Errorf("missing key: %d", code)
	}
	if code, _ := get(t, main+"/api/keys?db=99", "", ""); code != 400 {
		t.Errorf("bad db: %d", code)
	}
	code, body = get(t, main+"/api/config", "", "")
	if code != 200 || !bytes.Contains(body, []byte(`"name":"maxmemory"`)) {
		t.Errorf("config: %d %.200s", code, body)
	}
	code, body = get(t, main+"/api/slowlog", "", "")
	if code != 200 || !bytes.Contains(body, []byte(`"entries":[]`)) {
		t.Errorf("slowlog: %d %s", code, body)
	}
	code, body = get(t, main+"/api/clients", "", "")
	if code != 200 || !bytes.Contains(body, []byte(`"clients":[`)) {
		t.Errorf("clients: %d %s", code, body)
	}
	code, body = get(t, main+"/api/stats", "", "")
	var st struct {
		Keyspace struct{ Keys, Expires int64 }
		Snapshot struct{ Status string }
	}
	json.Unmarshal(body, &st)
	if code != 200 || st.Keyspace.Keys != 4 || st.Keyspace.Expires != 1 || st.Snapshot.Status != "last save: never" {
		t.Errorf("stats: %d %+v", code, st)
	}
	// Listing keys and showing strings do not move the hit counters; the
	// hash preview above counted one read.
	_, m := get(t, main+"/metrics", "", "")
	fams := families(t, m)
	if v, _ := sampleValue(fams, "dragonfly_keyspace_hits_total"); v > 2 {
		t.Errorf("browsing counted %v hits", v)
	}
	// Only GET is offered.
	resp, err := http.Post(main+"/api/keys", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}
