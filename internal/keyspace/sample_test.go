package keyspace

import (
	"fmt"
	"testing"
)

// TestSampleCoversKeysEvenly: eviction samples (runs of consecutive
// buckets from a random one) reach every key, none more than a few times
// as often as the average; expired keys met are reclaimed, never
// returned. Runs favour
// a key after empty buckets over one deep in a cluster, as Redis's
// dictGetSomeKeys does (measured here: 0.17 to 3 times the mean at load
// 1), which the pool of candidates kept across evictions evens out.
func TestSampleCoversKeysEvenly(t *testing.T) {
	for _, n := range []int{1000, 1500, 3000} { // load factors 0.98, 0.73, 0.73
		d, c := newDB()
		for i := 0; i < n; i++ {
			d.SetString([]byte(fmt.Sprint("k", i)), []byte("v"), 0, false)
		}
		d.SetString([]byte("gone"), []byte("v"), c.Ms+10, false)
		c.Ms += 20
		counts := map[string]int{}
		draws := 300 * n
		got := 0
		for got < draws {
			d.Sample(5, func(r Ref) {
				counts[d.Key(r)]++
				got++
			})
		}
		if counts["gone"] > 0 {
			t.Fatalf("%d keys: an expired key was sampled", n)
		}
		mean := float64(draws) / float64(n)
		lo, hi := draws, 0
		for i := 0; i < n; i++ {
			c := counts[fmt.Sprint("k", i)]
			lo, hi = min(lo, c), max(hi, c)
		}
		t.Logf("%d keys: per key min %.2f, max %.2f of the mean", n, float64(lo)/mean, float64(hi)/mean)
		if float64(lo) < mean/25 || float64(hi) > mean*5 {
			t.Fatalf("%d keys: sampled from %.2f to %.2f times the mean", n, float64(lo)/mean, float64(hi)/mean)
		}
	}
}
