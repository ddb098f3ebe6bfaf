package command

import "testing"

// Redis Cluster's documented slots.
func TestKeyHashSlot(t *testing.T) {
	for key, want := range map[string]int{
		"foo":                  12182,
		"bar":                  5061,
		"{user1000}.following": 3443,
		"{user1000}.followers": 3443,
		"user1000":             3443,
		"123456789":            12739,
	} {
		if got := keyHashSlot([]byte(key)); got != want {
			t.Errorf("slot of %q = %d, want %d", key, got, want)
		}
	}
}
