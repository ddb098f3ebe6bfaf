package sysmem

import (
	"runtime"
	"testing"
)

func TestReadings(t *testing.T) {
	if RSS() <= 0 {
		t.Fatal("RSS not read from /proc/self/statm")
	}
	if Available() <= 0 || DefaultMaxMemory() <= 0 || DefaultMaxMemory() >= Available() {
		t.Fatalf("Available %d, DefaultMaxMemory %d", Available(), DefaultMaxMemory())
	}
	if meminfo("MemTotal") < Available() && cgroupLimit() == 0 {
		t.Fatalf("MemAvailable %d above MemTotal %d", Available(), meminfo("MemTotal"))
	}
}

// The open-file reader agrees with a fresh read of /proc/self/statm, and
// follows RSS as it grows.
func TestRSSReader(t *testing.T) {
	var r RSSReader
	defer r.Close()
	a, b := r.Read(), RSS()
	if a <= 0 || a < b/2 || a > b*2 {
		t.Fatalf("RSSReader %d, RSS %d", a, b)
	}
	buf := make([]byte, 64<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	if c := r.Read(); c < a+32<<20 {
		t.Fatalf("after touching 64 MB: %d, before %d", c, a)
	}
	runtime.KeepAlive(buf)
}
