package keyspace

// cloneValue returns a copy of v. Values of a megabyte or more are copied a
// megabyte at a time: a single copy of hundreds of megabytes (a 512 MB SET)
// cannot be preempted, so a garbage collection stopping the world would wait
// for it, and every other client with it.
func cloneValue(v []byte) []byte {
	const chunk = 1 << 20
	if len(v) < chunk {
		return append([]byte(nil), v...)
	}
	out := make([]byte, len(v))
	for off := 0; off < len(v); off += chunk {
		copy(out[off:], v[off:min(off+chunk, len(v))])
	}
	return out
}
