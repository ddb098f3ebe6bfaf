package keyspace

// side is a table of values named by int32 handle, in fixed-size chunks so
// that growing it never copies what it holds. Released handles are reused.
// The side tables (out-of-line strings, complex values) are the only parts
// of a DB that hold Go pointers.
type side[T any] struct {
	chunks [][]T
	n      int32
	free   []int32
	used   int
}

const sideChunk = 1024

func (s *side[T]) get(h int32) *T { return &s.chunks[h/sideChunk][h%sideChunk] }

func (s *side[T]) alloc(v T) int32 {
	var h int32
	if k := len(s.free); k > 0 {
		h = s.free[k-1]
		s.free = s.free[:k-1]
	} else {
		if int(s.n)/sideChunk == len(s.chunks) {
			s.chunks = append(s.chunks, make([]T, sideChunk))
		}
		h = s.n
		s.n++
	}
	*s.get(h) = v
	s.used++
	return h
}

func (s *side[T]) release(h int32) {
	var zero T
	*s.get(h) = zero
	s.free = append(s.free, h)
	s.used--
}

// slotBytes is what the table's slots cost, for accounting.
func (s *side[T]) slotBytes(slot int) int64 {
	return int64(len(s.chunks))*sideChunk*int64(slot) + int64(cap(s.free))*4
}
