package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
)

// Helpers of the observability tests (obs_*_test.go).

// obsTool finds an external program. Without it the test is skipped on a
// developer's machine, but fails under CI (CI=true), where .ci/run must
// have installed Debian's package pkg.
func obsTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found: .ci/run must install the Debian package %s", name, pkg)
	}
	t.Skipf("%s not installed (Debian package %s)", name, pkg)
	return ""
}

// obsServer is Damselfly started with the Prometheus and admin ports on.
type obsServer struct {
	*Server
	PromPort, AdminPort int
}

func obsStart(t *testing.T, flags ...string) *obsServer {
	t.Helper()
	prom, adm := freePort(t), freePort(t)
	flags = append([]string{"--prometheus_port", fmt.Sprint(prom), "--admin_port", fmt.Sprint(adm), "--admin_bind", "127.0.0.1"}, flags...)
	return &obsServer{Server: Start(t, flags...), PromPort: prom, AdminPort: adm}
}

func (s *obsServer) promURL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.PromPort, path)
}

func (s *obsServer) adminURL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.AdminPort, path)
}

func (s *obsServer) mainURL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.Port, path)
}

// obsGet fetches url (with Basic credentials when user is set).
func obsGet(t *testing.T, url, user, pass string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, b
}

// obsParse parses a Prometheus text page with expfmt.
func obsParse(t *testing.T, page []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("expfmt rejects the page: %v\n%s", err, page)
	}
	return fams
}

// obsScrape fetches and parses a /metrics page.
func obsScrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := obsGet(t, url, "", "")
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	return obsParse(t, body)
}

// obsValue finds the sample of family name whose labels are exactly the
// given name, value pairs.
func obsValue(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
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
		return obsSampleValue(m), true
	}
	return 0, false
}

func obsSampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	case m.Summary != nil:
		return m.Summary.GetSampleSum()
	}
	return 0
}

// obsInfo runs INFO [section] and returns its fields.
func obsInfo(t *testing.T, c *redis.Client, section ...string) map[string]string {
	t.Helper()
	s, err := c.Info(Ctx(t), section...).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}
