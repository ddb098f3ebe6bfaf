package main

import (
	"math/bits"
)

// histogram records latencies in nanoseconds in log-linear buckets, as HDR
// histograms do: every power of two is split into 64 equal sub-buckets, so a
// reported percentile is within 1/64 (1.6 %) of the true value, over the whole
// range from 1 ns to hours, in a fixed 30 KiB array with no allocation per
// record. One per client; merged at the end.
type histogram struct {
	counts [histBuckets]uint64
	total  uint64
	sum    uint64
	max    uint64
}

const (
	histSubBits = 7                      // values below 1<<histSubBits get one bucket each
	histHalf    = 1 << (histSubBits - 1) // sub-buckets per power of two above that
	histBuckets = (64-histSubBits+1)*histHalf + histHalf
)

// histIndex maps v to its bucket: v itself below 128, then for v with
// bit length histSubBits+e the top histSubBits bits (m, in [64,128)) select
// one of 64 sub-buckets of width 2^e.
func histIndex(v uint64) int {
	if v < 1<<histSubBits {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits
	return e*histHalf + int(v>>uint(e))
}

// histLow is the smallest value that maps to bucket i.
func histLow(i int) uint64 {
	if i < 1<<histSubBits {
		return uint64(i)
	}
	e := i/histHalf - 1
	m := uint64(i - e*histHalf)
	return m << uint(e)
}

func (h *histogram) record(v uint64) {
	h.counts[histIndex(v)]++
	h.total++
	h.sum += v
	if v > h.max {
		h.max = v
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q (0..1): the middle of the bucket
// holding the ceil(q*total)-th smallest record, capped at the maximum seen.
func (h *histogram) quantile(q float64) uint64 {
	if h.total == 0 {
		return 0
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(q * float64(h.total))
	if float64(rank) < q*float64(h.total) || rank == 0 {
		rank++
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := histLow(i), h.max
			if i+1 < histBuckets {
				hi = histLow(i+1) - 1
			}
			return min(lo+(hi-lo)/2, h.max)
		}
	}
	return h.max
}

func (h *histogram) mean() float64 {
	if h.total == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.total)
}
