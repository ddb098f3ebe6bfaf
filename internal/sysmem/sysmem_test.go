package sysmem

import "testing"

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
