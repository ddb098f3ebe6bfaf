package value

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// registersOf decodes any HLL into 8-bit registers.
func registersOf(t *testing.T, s []byte) []uint8 {
	t.Helper()
	regs := make([]uint8, HLLRegisters)
	if err := HLLMergeInto(regs, s); err != nil {
		t.Fatal(err)
	}
	return regs
}

// TestHLLModel adds random elements to an HLL and to a plain register
// array, checking after every step that the encoding decodes to the model,
// that "changed" is reported exactly when a register rises, that the
// sparse form respects its size limit and that the estimate is the model's.
func TestHLLModel(t *testing.T) {
	for _, maxSparse := range []int64{0, 40, 300, 3000, 1 << 30} {
		t.Run(fmt.Sprint(maxSparse), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(maxSparse), 7))
			s := NewHLL()
			model := make([]uint8, HLLRegisters)
			n := 3000
			if maxSparse == 1<<30 {
				n = 20000
			}
			for i := 0; i < n; i++ {
				var ele []byte
				if r.IntN(4) == 0 && i > 0 {
					ele = fmt.Appendf(nil, "e%d", r.IntN(i)) // repeat
				} else {
					ele = fmt.Appendf(nil, "e%d", i)
				}
				idx, cnt := HLLPatLen(ele)
				want := cnt > model[idx]
				if want {
					model[idx] = cnt
				}
				out, changed, err := HLLAdd(s, ele, maxSparse)
				if err != nil {
					t.Fatal(err)
				}
				s = out
				if changed != want {
					t.Fatalf("step %d: changed=%v, want %v", i, changed, want)
				}
				if !IsHLL(s) {
					t.Fatalf("step %d: not a valid HLL", i)
				}
				if HLLEncoding(s) == HLLSparse && int64(len(s)) > maxSparse && len(s) > len(NewHLL()) {
					t.Fatalf("step %d: sparse HLL of %d bytes over limit %d", i, len(s), maxSparse)
				}
				if i%97 == 0 || i == n-1 {
					got := registersOf(t, s)
					for j := range got {
						if got[j] != model[j] {
							t.Fatalf("step %d: register %d = %d, want %d", i, j, got[j], model[j])
						}
					}
					c1, err := HLLCount(s)
					if err != nil {
						t.Fatal(err)
					}
					if c2 := HLLCountRegisters(model); c1 != c2 {
						t.Fatalf("step %d: count %d, model %d", i, c1, c2)
					}
				}
			}
			if maxSparse == 1<<30 && HLLEncoding(s) != HLLSparse {
				t.Fatalf("promoted without a size reason")
			}
			d, err := HLLToDense(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(d) != HLLDenseSize || !IsHLL(d) {
				t.Fatal("bad dense conversion")
			}
			c1, _ := HLLCount(s)
			c2, _ := HLLCount(d)
			if c1 != c2 {
				t.Fatalf("sparse count %d, dense %d", c1, c2)
			}
		})
	}
}

// TestHLLFromRegisters rebuilds HLLs from register arrays (PFMERGE) and
// checks they decode back, sparse and dense.
func TestHLLFromRegisters(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		regs := make([]uint8, HLLRegisters)
		k := r.IntN(2000)
		for i := 0; i < k; i++ {
			regs[r.IntN(HLLRegisters)] = uint8(1 + r.IntN(40))
		}
		for _, dense := range []bool{false, true} {
			s, err := HLLFromRegisters(nil, regs, dense, 3000)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := HLLCached(s); ok {
				t.Fatal("cache should be stale after a merge")
			}
			got := registersOf(t, s)
			for i := range got {
				if got[i] != regs[i] {
					t.Fatalf("trial %d dense=%v: register %d = %d, want %d", trial, dense, i, got[i], regs[i])
				}
			}
		}
	}
}

func TestHLLCorrupt(t *testing.T) {
	hdr := string(NewHLL()[:HLLHeaderSize])
	for _, body := range []string{"", "\x00", "\x7f\xff\x00", "\xff\xff\xff\xff\xff", "\x7f"} {
		s := []byte(hdr + body)
		if _, err := HLLCount(s); err == nil {
			t.Errorf("%q: count accepted a corrupt HLL", body)
		}
		if _, err := HLLToDense(s); err == nil {
			t.Errorf("%q: conversion accepted a corrupt HLL", body)
		}
	}
	for _, s := range []string{"HYLL", "HYLX" + hdr[4:] + "\x7f\xff", "HYLL\x02" + hdr[5:] + "\x7f\xff", "HYLL\x00" + hdr[5:] + "\x7f\xff"} {
		if IsHLL([]byte(s)) {
			t.Errorf("%q accepted as an HLL", s)
		}
	}
}

func TestMurmurHash64ATail(t *testing.T) {
	// Every tail length goes through the same mixing: distinct inputs of
	// each length give distinct hashes, and the hash is deterministic.
	seen := map[uint64]bool{}
	for n := 0; n <= 17; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i + 1)
		}
		h := MurmurHash64A(b, hllSeed)
		if seen[h] || h != MurmurHash64A(b, hllSeed) {
			t.Fatalf("length %d: collision or nondeterminism", n)
		}
		seen[h] = true
	}
}
