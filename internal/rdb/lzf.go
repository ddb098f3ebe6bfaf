package rdb

// LZF format (liblzf): a sequence of
//
//	000LLLLL <L+1 literal bytes>          literal run, 1..32 bytes
//	LLLooooo oooooooo                     back reference, L in 1..6: length L+2
//	111ooooo LLLLLLLL oooooooo            back reference, length L+9
//
// where the offset o+1 counts back from the current output position.

const (
	lzfHashLog = 14
	lzfMaxLit  = 32
	lzfMaxOff  = 1 << 13
	lzfMaxRef  = (1 << 8) + (1 << 3) // 264
)

// lzfTable is the compressor's hash table. It is reused across calls
// without clearing: each call stores positions offset by a base above
// every value stored before, so older entries read as empty.
type lzfTable struct {
	htab [1 << lzfHashLog]int32
	base int32
}

// LZFCompress compresses in into dst (which it may grow), giving up and
// returning nil when the output would exceed max bytes (Redis only keeps a
// compressed string that saves at least 4 bytes).
func LZFCompress(dst, in []byte, max int) []byte {
	var t lzfTable
	return t.compress(dst, in, max)
}

func (t *lzfTable) compress(dst, in []byte, max int) []byte {
	n := len(in)
	if n < 4 || max <= 0 {
		return nil
	}
	if int64(t.base)+int64(n)+2 >= 1<<31-1 {
		t.htab = [1 << lzfHashLog]int32{}
		t.base = 0
	}
	base := t.base
	t.base += int32(n) + 1
	htab := &t.htab // positions + 1 + base; anything <= base is empty
	out := dst[:0]
	// A literal run starts with a placeholder control byte at litPos.
	litPos := len(out)
	out = append(out, 0)
	lit := 0
	ip := 0
	hash := func(p int) uint32 {
		v := uint32(in[p])<<16 | uint32(in[p+1])<<8 | uint32(in[p+2])
		return (v * 2654435761) >> (32 - lzfHashLog)
	}
	for ip+2 < n {
		h := hash(ip)
		ref := int(htab[h]-base) - 1
		htab[h] = int32(ip+1) + base
		off := ip - ref - 1
		if ref >= 0 && off < lzfMaxOff && ip+4 < n &&
			in[ref] == in[ip] && in[ref+1] == in[ip+1] && in[ref+2] == in[ip+2] {
			// Match: find its length (at least 3, at most lzfMaxRef, and
			// leaving at least one byte after so the loop bound holds).
			maxLen := n - ip - 1
			if maxLen > lzfMaxRef {
				maxLen = lzfMaxRef
			}
			l := 3
			for l < maxLen && in[ref+l] == in[ip+l] {
				l++
			}
			// Close the pending literal run.
			if lit > 0 {
				out[litPos] = byte(lit - 1)
			} else {
				out = out[:len(out)-1] // drop the unused placeholder
			}
			enc := l - 2
			if enc < 7 {
				out = append(out, byte(off>>8)|byte(enc<<5))
			} else {
				out = append(out, byte(off>>8)|7<<5, byte(enc-7))
			}
			out = append(out, byte(off))
			if len(out)+1 > max {
				return nil
			}
			litPos = len(out)
			out = append(out, 0)
			lit = 0
			// Index the positions inside the match (liblzf's "ultra"
			// variant does the last two; all of them is cheap here).
			end := ip + l
			for ip++; ip < end && ip+2 < n; ip++ {
				htab[hash(ip)] = int32(ip+1) + base
			}
			ip = end
			continue
		}
		out = append(out, in[ip])
		ip++
		lit++
		if lit == lzfMaxLit {
			out[litPos] = lzfMaxLit - 1
			litPos = len(out)
			out = append(out, 0)
			lit = 0
		}
		if len(out) > max {
			return nil
		}
	}
	for ip < n {
		out = append(out, in[ip])
		ip++
		lit++
		if lit == lzfMaxLit {
			out[litPos] = lzfMaxLit - 1
			litPos = len(out)
			out = append(out, 0)
			lit = 0
		}
	}
	if lit > 0 {
		out[litPos] = byte(lit - 1)
	} else {
		out = out[:len(out)-1]
	}
	if len(out) > max {
		return nil
	}
	return out
}

// LZFDecompress expands in, which must decompress to exactly outLen bytes,
// appending to dst. It reports false on any malformed input.
func LZFDecompress(dst, in []byte, outLen int) ([]byte, bool) {
	start := len(dst)
	if cap(dst)-start < outLen {
		nd := make([]byte, start, start+outLen)
		copy(nd, dst)
		dst = nd
	}
	out := dst[:start+outLen]
	op := start
	end := start + outLen
	for ip := 0; ip < len(in); {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 {
			l := ctrl + 1
			if op+l > end || ip+l > len(in) {
				return nil, false
			}
			copy(out[op:], in[ip:ip+l])
			op += l
			ip += l
			continue
		}
		l := ctrl >> 5
		if ip >= len(in) {
			return nil, false
		}
		if l == 7 {
			l += int(in[ip])
			ip++
			if ip >= len(in) {
				return nil, false
			}
		}
		ref := op - ((ctrl & 0x1f) << 8) - 1 - int(in[ip])
		ip++
		l += 2
		if ref < start || op+l > end {
			return nil, false
		}
		// Overlapping copies repeat a pattern: byte by byte.
		for i := 0; i < l; i++ {
			out[op+i] = out[ref+i]
		}
		op += l
	}
	if op != end {
		return nil, false
	}
	return out, true
}
