package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrapeGauge reads one unlabelled sample from the server's /metrics on
// its client port (HTTP is sniffed there).
func scrapeGauge(t testing.TB, s *Server, name string) int64 {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("metric %s: %q", name, line)
			}
			return int64(v)
		}
	}
	t.Fatalf("metric %s not on /metrics", name)
	return 0
}

// waitGoroutines polls the server's goroutine count until it is at most
// limit, and fails with the last value seen after a bounded wait.
func waitGoroutines(t testing.TB, s *Server, limit int64, what string) int64 {
	t.Helper()
	var n int64
	for deadline := time.Now().Add(15 * time.Second); ; {
		n = scrapeGauge(t, s, "dragonfly_goroutines")
		if n <= limit {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d goroutines, want at most %d (baseline plus slack): a leak", what, n, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rawDial opens a plain TCP connection for tests that abandon it half-way.
func rawDial(t testing.TB, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	return nc
}

// fileBytes reads a file and fails the test when it cannot.
func fileBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

// infoField returns one field of INFO's text.
func faultInfoField(info, field string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return fmt.Sprintf("<no %s>", field)
}
