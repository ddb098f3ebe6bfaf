package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLogAccepted(t *testing.T) {
	c := load(t, []string{"--port=7000", "--requirepass=secret", "--conn_io_threads=2", "--logtostderr", "--proto-max-bulk-len=1gb"},
		"DFLY_hz=50")
	var buf bytes.Buffer
	c.LogAccepted(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})))
	out := buf.String()
	for _, want := range []string{
		`level=INFO msg=setting setting=hz value=50 from="environment variable DFLY_hz"`,
		`level=INFO msg=setting setting=port value=7000 from="command line"`,
		`msg=setting setting=proto-max-bulk-len value=1073741824 from="command line"`,
		`setting=requirepass value=(hidden)`,
		`msg=setting setting=conn_io_threads value=2 from="command line"`,
		`msg="setting accepted for compatibility; it has no effect" setting=logtostderr value=true`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") {
		t.Error("the password was logged")
	}
	if n := strings.Count(out, "\n"); n != 6 {
		t.Errorf("%d lines logged, want one per explicit setting:\n%s", n, out)
	}
}

func TestSlogLevel(t *testing.T) {
	tests := []struct {
		args []string
		want slog.Level
	}{
		{nil, slog.LevelInfo},
		{[]string{"--log_level=debug"}, slog.LevelDebug},
		{[]string{"--loglevel=verbose"}, slog.LevelDebug},
		{[]string{"--log_level=notice"}, slog.LevelInfo},
		{[]string{"--log_level=WARNING"}, slog.LevelWarn},
		{[]string{"--log_level=error"}, slog.LevelError},
		{[]string{"--log_level=nothing"}, slog.LevelError + 8},
		{[]string{"--minloglevel=1"}, slog.LevelWarn},
		{[]string{"--minloglevel=2"}, slog.LevelError},
		{[]string{"--minloglevel=3"}, slog.LevelError + 4},
		{[]string{"--minloglevel=2", "--log_level=info"}, slog.LevelInfo},
		{[]string{"--v=1", "--log_level=error"}, slog.LevelDebug},
	}
	for _, tt := range tests {
		if got := load(t, tt.args).SlogLevel(); got != tt.want {
			t.Errorf("%q: SlogLevel = %v, want %v", tt.args, got, tt.want)
		}
	}
}

func TestTickInterval(t *testing.T) {
	for hz, want := range map[string]time.Duration{"100": 10 * time.Millisecond, "10": 100 * time.Millisecond,
		"0": 0, "1000": time.Millisecond, "5000": time.Millisecond, "3": 333333333} {
		c := Default()
		if err := c.Set(pairs("hz", hz)); err != nil {
			t.Fatal(err)
		}
		if got := c.TickInterval(); got != want {
			t.Errorf("hz %s: TickInterval = %v, want %v", hz, got, want)
		}
	}
}
