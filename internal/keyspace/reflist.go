package keyspace

// refList is a list of Refs in fixed-size chunks (the keys with an
// expiry), so that a big list grows without copying itself.
type refList struct {
	chunks [][]Ref
	n      int
}

const refChunk = 4096

func (l *refList) len() int         { return l.n }
func (l *refList) at(i int) Ref     { return l.chunks[i/refChunk][i%refChunk] }
func (l *refList) set(i int, r Ref) { l.chunks[i/refChunk][i%refChunk] = r }
func (l *refList) bytes() int64     { return int64(len(l.chunks)) * refChunk * 4 }

func (l *refList) push(r Ref) {
	if l.n/refChunk == len(l.chunks) {
		l.chunks = append(l.chunks, make([]Ref, refChunk))
	}
	l.set(l.n, r)
	l.n++
}

// remove swaps the last element into i.
func (l *refList) remove(i int) {
	l.n--
	l.set(i, l.at(l.n))
	if c := l.n / refChunk; l.n%refChunk == 0 && c+1 < len(l.chunks) {
		// Keep one spare chunk so push/pop at a boundary doesn't churn.
		l.chunks[c+1] = nil
		l.chunks = l.chunks[:c+1]
	}
}
