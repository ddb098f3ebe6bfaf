package value

// The keyspace keeps small hashes that nobody is using as their listpack
// bytes alone, in its pointer-free arena, and rebuilds the HashValue when a
// command asks for the object: these two functions are that round trip.

// Packed returns the listpack bytes of a hash in the compact encoding with
// no field TTLs (nil, false otherwise). The bytes are the hash's own: copy
// them before changing the hash.
func (h *HashValue) Packed() ([]byte, bool) {
	if h.dict != nil || h.ttl != nil || h.n == 0 {
		return nil, false
	}
	return h.lp, true
}

// HashFromPacked rebuilds a hash from Packed's bytes, which it copies.
func HashFromPacked(lp []byte) *HashValue {
	n := 0
	for off := 0; off < len(lp); n++ {
		_, off = lpElem(lp, off)
		_, off = lpElem(lp, off)
	}
	return &HashValue{lp: append(make([]byte, 0, len(lp)), lp...), n: n}
}
