package config

import (
	"math"
	"strings"
	"testing"
)

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1", 1},
		{"300000000", 300000000},
		{"0100", 100},
		{"1b", 1},
		{"100B", 100},
		{"1k", 1 << 10},
		{"1K", 1 << 10},
		{"1kb", 1 << 10},
		{"1KiB", 1 << 10},
		{"1ki", 1 << 10},
		{"100kb", 100 << 10},
		{"512mb", 512 << 20},
		{"512MB", 512 << 20},
		{"1m", 1 << 20},
		// Dragonfly's units are binary however spelled; Redis would read
		// "2g" as 2*10^9.
		{"2GB", 2 << 30},
		{"2G", 2 << 30},
		{"2g", 2 << 30},
		{"2gib", 2 << 30},
		{"1.5GiB", 1610612736},
		{"1.25GiB", 1342177280},
		{"0.5k", 512},
		{".5k", 512},
		{"1.", 1},
		{"1.5", 2},
		{"1T", 1 << 40},
		{"1P", 1 << 50},
		{"7E", 7 << 60},
		{"9223372036854775807", math.MaxInt64},
	}
	for _, tt := range tests {
		got, err := ParseMemory(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseMemoryErrors(t *testing.T) {
	for _, in := range []string{"", "abc", "1x", "1A", "1KMB", "1kbb", "1bb", "-1", "1.2.3", ".", "1 GB", " 1", "1e3", "GB",
		"8E", "9223372036854775808", "8388608T"} {
		if v, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) = %d, want an error", in, v)
		} else if !strings.Contains(err.Error(), in) {
			t.Errorf("ParseMemory(%q) error %q does not name the value", in, err)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for v, want := range map[int64]string{0: "0", 64: "64", 1 << 10: "1KB", 1536: "1536", 512 << 20: "512MB", 1 << 30: "1GB", 3 << 40: "3TB"} {
		if got := humanBytes(v); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", v, got, want)
		}
	}
}
