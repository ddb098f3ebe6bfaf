// Package bigcopy copies big byte slices (values of hundreds of megabytes)
// without holding up the garbage collector.
//
// A single copy of hundreds of megabytes cannot be preempted: memmove is
// runtime assembly, where the signal-based preemption never stops a
// goroutine, so a collection waiting to stop the world waits for the whole
// copy, and every other client with it (a 512 MB SET held PINGs on other
// connections for 0.3-1.5 s). Copying a megabyte at a time is not enough
// either: the loop between the copies has no preemption check, and the
// signal almost always lands inside memmove. Each chunk therefore goes
// through a function call that is not inlined, whose prologue is a
// synchronous preemption point.
package bigcopy

// chunk is the most copied between two preemption points: about 100 µs.
const chunk = 1 << 20

// Big reports whether n bytes are worth copying with this package.
func Big(n int) bool { return n >= chunk }

// Copy copies src into dst as the built-in copy does, a chunk at a time.
func Copy(dst, src []byte) int {
	n := min(len(dst), len(src))
	for off := 0; off < n; off += chunk {
		copyChunk(dst[off:n], src[off:min(off+chunk, n)])
	}
	return n
}

// Clone returns a copy of v (nil for an empty v, as append does).
func Clone(v []byte) []byte {
	if len(v) < chunk {
		return append([]byte(nil), v...)
	}
	out := make([]byte, len(v))
	Copy(out, v)
	return out
}

//go:noinline
func copyChunk(dst, src []byte) { copy(dst, src) }

// Append appends b to dst like the built-in append, growing dst at most
// once. The new array comes from make, whose clearing of a large array the
// runtime does in preemptible pieces; append's own growth would copy and
// clear in single calls.
func Append(dst, b []byte) []byte {
	if !Big(len(b)) {
		return append(dst, b...)
	}
	n := len(dst)
	if cap(dst)-n < len(b) {
		// Room for the two bytes a reply writer adds after a value.
		nd := make([]byte, n, n+len(b)+2)
		Copy(nd, dst)
		dst = nd
	}
	dst = dst[:n+len(b)]
	Copy(dst[n:], b)
	return dst
}

// Extend appends b to dst like the built-in append, growing dst
// geometrically as append does for big slices (by a quarter: a value
// built by repeated APPENDs costs linear time without doubling a 512 MB
// string's memory), the copies of a big result going through Copy.
func Extend(dst, b []byte) []byte {
	n := len(dst) + len(b)
	if !Big(n) {
		return append(dst, b...)
	}
	if n <= cap(dst) {
		Copy(dst[len(dst):n], b)
		return dst[:n]
	}
	nd := make([]byte, n, grownCap(cap(dst), n))
	Copy(nd, dst)
	Copy(nd[len(dst):], b)
	return nd
}

// ZeroExtend returns b lengthened to n with zero bytes (b itself when n is
// not longer), growing geometrically like Extend.
func ZeroExtend(b []byte, n int) []byte {
	if n <= len(b) {
		return b
	}
	if !Big(n) {
		return append(b, make([]byte, n-len(b))...)
	}
	if n <= cap(b) {
		// The bytes past len may hold old data.
		for off := len(b); off < n; off += chunk {
			clearChunk(b[off:min(off+chunk, n)])
		}
		return b[:n]
	}
	nd := make([]byte, n, grownCap(cap(b), n))
	Copy(nd, b)
	return nd
}

// grownCap is the capacity a slice of capacity c needing n grows to.
func grownCap(c, n int) int { return max(c+c/4, n) }

//go:noinline
func clearChunk(b []byte) { clear(b) }
