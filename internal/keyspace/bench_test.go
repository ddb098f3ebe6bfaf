package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The benchmarks below touch keys in a random order, as a server's
// clients do: records then sit in random arena places, and the cost of a
// lookup is its cache misses (bucket, entry, record), which sequential
// access would hide.

// randomOrder returns keys shuffled by a fixed seed.
func randomOrder(keys [][]byte) [][]byte {
	out := append([][]byte(nil), keys...)
	rng := rand.New(rand.NewPCG(7, 9))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// randomDB is benchDB with the keys written in a random order, so the
// arena's record order is unrelated to the key order.
func randomDB(n int) (*DB, [][]byte) {
	d, _ := newDB()
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i))
	}
	keys = randomOrder(keys)
	val := make([]byte, 100)
	for _, k := range keys {
		d.SetString(k, val, 0, false)
	}
	return d, randomOrder(keys)
}

// BenchmarkFindRandom: GET's keyspace part over 1 M keys.
func BenchmarkFindRandom(b *testing.B) {
	d, keys := randomDB(1 << 20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := d.Find(keys[i&(len(keys)-1)]); !ok {
			b.Fatal("missing")
		}
		i++
	}
}

// BenchmarkFindMissRandom: lookups of absent keys walk whole chains, the
// case hash tags are for.
func BenchmarkFindMissRandom(b *testing.B) {
	d, keys := randomDB(1 << 20)
	miss := make([][]byte, len(keys))
	for i := range miss {
		miss[i] = []byte(fmt.Sprintf("nokey:%012d", i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := d.Find(miss[i&(len(miss)-1)]); ok {
			b.Fatal("found")
		}
		i++
	}
}

// BenchmarkSetRandom: SET's keyspace part (lookup, then overwrite) over
// 1 M keys, with the heartbeat's compaction run every 4096 writes at the
// shard's default budget, so its copying is part of the cost per SET.
func BenchmarkSetRandom(b *testing.B) {
	d, keys := randomDB(1 << 20)
	val := make([]byte, 100)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[i&(len(keys)-1)]
		h := d.Hash(k)
		r, _ := d.FindHashed(k, h)
		d.SetStringAt(r, k, h, val, 0, false)
		i++
		if i&4095 == 0 {
			d.Maintain(16<<10, 256<<10)
		}
	}
}

// BenchmarkCompact times whole compaction passes: 256 K keys written in a
// random order and all overwritten once in another (so, as in a server
// that has run a while, a record's place in the arena says nothing about
// its slot's), then 40 % of them overwritten at random, which leaves
// pages about 60 % live for Maintain to empty. It reports the time per
// record moved.
func BenchmarkCompact(b *testing.B) {
	val := make([]byte, 100)
	moved := 0
	compact := func(d *DB) int {
		n := 0
		for {
			m := d.Maintain(1<<20, 1<<30).Moved
			n += m
			if m == 0 && !d.maint.passing {
				return n
			}
		}
	}
	for b.Loop() {
		b.StopTimer()
		d, keys := randomDB(1 << 18)
		for _, k := range randomOrder(keys) {
			d.SetString(k, val, 0, false)
		}
		compact(d)
		for _, k := range keys[:len(keys)*2/5] {
			d.SetString(k, val, 0, false)
		}
		b.StartTimer()
		moved += compact(d)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(moved), "ns/moved")
}
