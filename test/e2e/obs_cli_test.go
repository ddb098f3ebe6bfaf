package e2e

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// redis-cli modes not covered by cli_*_test.go: --bigkeys, --memkeys,
// --latency and interactive mode (with its COMMAND DOCS hints), each
// compared with what redis-cli shows against redis-server.

// obsCLIData writes string keys of known sizes.
func obsCLIData(t *testing.T, s *Server) {
	t.Helper()
	c := s.Client(t, 2)
	for i := 0; i < 30; i++ {
		c.Set(Ctx(t), fmt.Sprintf("str:%02d", i), strings.Repeat("x", i*10), 0)
	}
	c.Set(Ctx(t), "the-biggest", strings.Repeat("y", 5000), 0)
}

// obsSummary returns what follows redis-cli's "-------- summary -------"
// line, without blank lines.
func obsSummary(t *testing.T, out string) []string {
	t.Helper()
	_, after, ok := strings.Cut(out, "-------- summary -------")
	if !ok {
		t.Fatalf("no summary in:\n%s", out)
	}
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestObsCLIBigkeys(t *testing.T) {
	d, r := Start(t), StartRedis(t)
	obsCLIData(t, d)
	obsCLIData(t, r)
	dout, rout := redisCLI(t, d, "--bigkeys"), redisCLI(t, r, "--bigkeys")
	if dout.err != nil || rout.err != nil {
		t.Fatalf("--bigkeys: damselfly %v %s / redis %v %s", dout.err, dout.stderr, rout.err, rout.stderr)
	}
	g, w := obsSummary(t, dout.stdout), obsSummary(t, rout.stdout)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("--bigkeys summary differs:\n got:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

func TestObsCLIMemkeys(t *testing.T) {
	d, r := Start(t), StartRedis(t)
	obsCLIData(t, d)
	obsCLIData(t, r)
	dout, rout := redisCLI(t, d, "--memkeys"), redisCLI(t, r, "--memkeys")
	if dout.err != nil || rout.err != nil {
		t.Fatalf("--memkeys: damselfly %v %s / redis %v %s", dout.err, dout.stderr, rout.err, rout.stderr)
	}
	// Byte counts are each server's own accounting; the shape, the key
	// counts and which key is biggest must agree.
	digits := regexp.MustCompile(`\d+(\.\d+)?`)
	mask := func(ls []string) string {
		var out []string
		for _, l := range ls {
			if strings.HasPrefix(l, "Biggest") || strings.Contains(l, " strings with ") {
				l = digits.ReplaceAllString(l, "N")
			}
			out = append(out, l)
		}
		return strings.Join(out, "\n")
	}
	g, w := obsSummary(t, dout.stdout), obsSummary(t, rout.stdout)
	if mask(g) != mask(w) {
		t.Errorf("--memkeys summary differs:\n got:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	if !strings.Contains(dout.stdout, `Biggest string found '"the-biggest"'`) {
		t.Errorf("--memkeys did not find the biggest key:\n%s", dout.stdout)
	}
}

func TestObsCLILatency(t *testing.T) {
	d := Start(t)
	// In --raw mode, --latency samples for -i seconds, prints
	// "min max avg samples" and exits.
	r := runRedisCLI(t, d, 15*time.Second, nil, false, "--latency", "--raw", "-i", "1")
	if r.err != nil || r.timedOut {
		t.Fatalf("--latency: %v (timed out %v) %s", r.err, r.timedOut, r.stderr)
	}
	if !regexp.MustCompile(`^\d+ \d+ \d+(\.\d+)? \d+\n?$`).MatchString(r.stdout) {
		t.Errorf("--latency --raw printed %q", r.stdout)
	}
	var min, max, samples int
	var avg float64
	fmt.Sscanf(r.stdout, "%d %d %f %d", &min, &max, &avg, &samples)
	if samples < 10 || max > 1000 {
		t.Errorf("--latency: %d samples, max %d ms", samples, max)
	}
}

// obsTmux drives an interactive program in a private tmux server (its own
// socket, killed when the test ends).
type obsTmux struct {
	t    *testing.T
	bin  string
	sock string
}

func obsStartTmux(t *testing.T, command string) *obsTmux {
	t.Helper()
	bin := obsTool(t, "tmux", "tmux")
	x := &obsTmux{t: t, bin: bin, sock: fmt.Sprintf("damselfly-obs-%d", time.Now().UnixNano())}
	if out, err := exec.Command(bin, "-L", x.sock, "-f", "/dev/null", "new-session", "-d", "-s", "cli", "-x", "220", "-y", "30", command).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command(bin, "-L", x.sock, "kill-server").Run() })
	return x
}

func (x *obsTmux) keys(keys ...string) {
	args := append([]string{"-L", x.sock, "send-keys", "-t", "cli"}, keys...)
	if out, err := exec.Command(x.bin, args...).CombinedOutput(); err != nil {
		x.t.Fatalf("tmux send-keys: %v %s", err, out)
	}
}

func (x *obsTmux) screen() string {
	out, err := exec.Command(x.bin, "-L", x.sock, "capture-pane", "-p", "-t", "cli").Output()
	if err != nil {
		x.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// waitFor polls the screen until it contains want.
func (x *obsTmux) waitFor(want string) string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := x.screen()
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("screen never showed %q:\n%s", want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// obsHintLine types "<cmd> " at the prompt and returns the line redis-cli
// shows, with its hint.
func obsHintLine(t *testing.T, port int, cmd string) string {
	t.Helper()
	cli := obsTool(t, "redis-cli", "redis-tools")
	x := obsStartTmux(t, fmt.Sprintf("%s -h 127.0.0.1 -p %d", cli, port))
	// capture-pane drops trailing blanks: the prompt reads "host:port>".
	prompt := fmt.Sprintf("127.0.0.1:%d> ", port)
	x.waitFor(strings.TrimSpace(prompt))
	x.keys(cmd + " ")
	x.waitFor(prompt + cmd)
	// Let the hint appear.
	time.Sleep(300 * time.Millisecond)
	screen := x.screen()
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, prompt+cmd) {
			x.keys("C-u", "quit", "Enter")
			return strings.TrimRight(strings.TrimPrefix(l, prompt), " ")
		}
	}
	t.Fatalf("no prompt line in:\n%s", screen)
	return ""
}

// TestObsCLIInteractive: interactive redis-cli shows the same argument
// hints (built from COMMAND DOCS) as with redis-server, and runs commands.
func TestObsCLIInteractive(t *testing.T) {
	d, r := Start(t), StartRedis(t)
	for _, cmd := range []string{"SET", "GETEX", "EXPIRE", "SCAN"} {
		g, w := obsHintLine(t, d.Port, cmd), obsHintLine(t, r.Port, cmd)
		if g != w {
			t.Errorf("hint for %s:\n got  %q\n want %q", cmd, g, w)
		}
		if !strings.Contains(g, " ") {
			t.Errorf("no hint shown for %s: %q", cmd, g)
		}
		t.Logf("%s", g)
	}
	cli := obsTool(t, "redis-cli", "redis-tools")
	x := obsStartTmux(t, fmt.Sprintf("%s -h 127.0.0.1 -p %d", cli, d.Port))
	x.waitFor(fmt.Sprintf("127.0.0.1:%d>", d.Port))
	x.keys("SET greeting hello", "Enter")
	x.waitFor("OK")
	x.keys("GET greeting", "Enter")
	x.waitFor(`"hello"`)
	x.keys("quit", "Enter")
}
