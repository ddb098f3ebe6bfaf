package command

import (
	"math/bits"
	"sync/atomic"
)

// Histogram counts one command's durations for LATENCY HISTOGRAM and INFO
// latencystats. Buckets are logarithmic in nanoseconds with four
// sub-buckets per power of two (about 19% relative error at worst), which
// keeps recording to one bit-length and one atomic add. Bucket 0 holds
// everything under 1024 ns, Redis's first bucket (1 µs).
type Histogram struct {
	b [histBuckets]atomic.Int64
}

const (
	histMinExp  = 10 // 2^10 ns: the first bucket's upper bound
	histMaxExp  = 45 // 2^45 ns ≈ 9.7 hours; longer durations share the last bucket
	histBuckets = (histMaxExp-histMinExp+1)*4 + 1
)

func histIndex(ns int64) int {
	if ns < 1<<histMinExp {
		return 0
	}
	e := bits.Len64(uint64(ns)) - 1
	if e > histMaxExp {
		return histBuckets - 1
	}
	sub := int(uint64(ns)>>(e-2)) & 3
	return (e-histMinExp)*4 + sub + 1
}

// histUpper is the largest duration (ns) that bucket i holds.
func histUpper(i int) int64 {
	if i == 0 {
		return 1<<histMinExp - 1
	}
	e := (i-1)/4 + histMinExp
	sub := int64((i - 1) % 4)
	return (4+sub+1)<<(e-2) - 1
}

// counts copies the buckets.
func (h *Histogram) counts() (c [histBuckets]int64, total int64) {
	for i := range h.b {
		c[i] = h.b[i].Load()
		total += c[i]
	}
	return c, total
}

// Percentile returns the duration in microseconds below which p percent of
// calls fell (the upper bound of the bucket holding that rank).
func (h *Histogram) Percentile(p float64) float64 {
	c, total := h.counts()
	if total == 0 {
		return 0
	}
	rank := int64(float64(total)*p/100 + 0.5)
	if rank < 1 {
		rank = 1
	}
	var cum int64
	for i, n := range c {
		cum += n
		if cum >= rank {
			return float64(histUpper(i)+1) / 1000
		}
	}
	return float64(histUpper(histBuckets-1)+1) / 1000
}

// CDF returns LATENCY HISTOGRAM's cumulative distribution: at each power
// of two from 1024 ns, the number of calls at most that long, keyed by
// microseconds as Redis prints them (1, 2, 4, 8, 16, 33, 66, ...), only
// where the count grows.
func (h *Histogram) CDF() (total int64, points [][2]int64) {
	c, total := h.counts()
	var cum, prev int64
	i := 0
	for e := histMinExp; e <= histMaxExp+1 && prev < total; e++ {
		// Buckets below 2^e ns: bucket 0 and the four of each octave below e.
		for ; i < histBuckets && (i == 0 || (i-1)/4+histMinExp < e); i++ {
			cum += c[i]
		}
		if e > histMaxExp {
			cum = total
		}
		if cum > prev {
			// Redis reports HdrHistogram's highest equivalent value of
			// 2^e ns at two significant digits, in microseconds.
			us := (int64(1)<<e + int64(1)<<(e-7) - 1) / 1000
			points = append(points, [2]int64{us, cum})
			prev = cum
		}
	}
	return total, points
}
