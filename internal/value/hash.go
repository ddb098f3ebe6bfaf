package value

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/damselfly-db/damselfly/internal/digest"
)

// HashValue is a Redis hash. Small hashes are one byte slice in the spirit of
// Redis's listpack: field and value strings alternate, each preceded by its
// length as a uvarint, in insertion order (HGETALL returns that order, as
// Redis does for listpack hashes). Lookups scan it linearly, which is
// cheap at these sizes. When a hash grows past HashLimits.MaxEntries
// fields, or a field or value longer than HashLimits.MaxValue bytes is
// stored, it converts to a Dict ("hashtable") for good: like Redis, it
// never converts back.
type HashValue struct {
	lp   []byte
	n    int // fields in lp
	dict *Dict[string]
	ttl  *fieldTTLs // Redis 7.4 field expiry; nil until HEXPIRE is used
}

// HashLimits are the hash-max-listpack-entries and hash-max-listpack-value
// settings in force when a hash is written.
type HashLimits struct {
	MaxEntries int
	MaxValue   int
}

// hashOverhead approximates the object header Redis would count.
const hashOverhead = 48

// NewHash returns an empty hash in the compact encoding.
func NewHash() *HashValue { return &HashValue{} }

// Kind implements Object.
func (h *HashValue) Kind() Kind { return Hash }

// Encoding implements Object.
func (h *HashValue) Encoding() string {
	if h.dict != nil {
		return "hashtable"
	}
	if h.ttl != nil {
		return "listpackex" // Redis 7.4's listpack with field TTLs
	}
	return "listpack"
}

// Size implements Object.
func (h *HashValue) Size() int {
	n := hashOverhead + h.ttl.size()
	if h.dict != nil {
		return n + h.dict.Size()
	}
	return n + cap(h.lp)
}

// Clone implements Object.
func (h *HashValue) Clone() Object {
	if h.dict != nil {
		return &HashValue{dict: h.dict.Clone(), ttl: h.ttl.clone()}
	}
	return &HashValue{lp: append([]byte(nil), h.lp...), n: h.n, ttl: h.ttl.clone()}
}

// Len is the number of fields.
func (h *HashValue) Len() int {
	if h.dict != nil {
		return h.dict.Len()
	}
	return h.n
}

// IsCompact reports whether the hash still uses the listpack encoding.
func (h *HashValue) IsCompact() bool { return h.dict == nil }

// lpElem reads the element at off in lp: its bytes and the next offset.
func lpElem(lp []byte, off int) ([]byte, int) {
	if n := int(lp[off]); n < 0x80 {
		// One-byte length: nearly every listpack element.
		return lp[off+1 : off+1+n : off+1+n], off + 1 + n
	}
	n, w := binary.Uvarint(lp[off:])
	start := off + w
	end := start + int(n)
	return lp[start:end:end], end
}

func lpAppend(lp, b []byte) []byte {
	lp = binary.AppendUvarint(lp, uint64(len(b)))
	return append(lp, b...)
}

// lpFind returns the offset of field's entry, of its value, and of the
// entry after it; fieldOff is -1 when absent.
func (h *HashValue) lpFind(field []byte) (fieldOff, valOff, end int) {
	for off := 0; off < len(h.lp); {
		f, voff := lpElem(h.lp, off)
		_, next := lpElem(h.lp, voff)
		if string(f) == string(field) {
			return off, voff, next
		}
		off = next
	}
	return -1, 0, 0
}

// Get returns field's value. The slice is read-only and valid until the
// hash is next modified.
func (h *HashValue) Get(field []byte) ([]byte, bool) {
	if h.dict != nil {
		v, ok := h.dict.Get(field)
		return bytesOf(v), ok
	}
	off, voff, _ := h.lpFind(field)
	if off < 0 {
		return nil, false
	}
	v, _ := lpElem(h.lp, voff)
	return v, true
}

// Has reports whether field exists.
func (h *HashValue) Has(field []byte) bool {
	if h.dict != nil {
		return h.dict.Find(field) >= 0
	}
	off, _, _ := h.lpFind(field)
	return off >= 0
}

// Set stores field=val and reports whether field is new; like HSET, it
// clears the field's TTL. Storing a field or value longer than
// lim.MaxValue, or growing past lim.MaxEntries fields, converts the hash
// to a hashtable.
func (h *HashValue) Set(field, val []byte, lim HashLimits) bool {
	if h.ttl != nil {
		h.ttl.remove(field)
	}
	return h.Update(field, val, lim)
}

// Update is Set keeping the field's TTL (HINCRBY, HINCRBYFLOAT).
func (h *HashValue) Update(field, val []byte, lim HashLimits) bool {
	if h.dict == nil && (len(field) > lim.MaxValue || len(val) > lim.MaxValue) {
		h.convert()
	}
	if h.dict != nil {
		if i := h.dict.Find(field); i >= 0 {
			_, old := h.dict.At(i)
			h.dict.SetAt(i, string(val))
			h.dict.AddStrBytes(len(val) - len(old))
			return false
		}
		h.dict.Add(field, string(val))
		h.dict.AddStrBytes(len(val))
		return true
	}
	off, voff, end := h.lpFind(field)
	if off >= 0 {
		old, _ := lpElem(h.lp, voff)
		if len(old) == len(val) {
			copy(old, val)
			return false
		}
		rest := h.lp[end:]
		enc := lpAppend(make([]byte, 0, binary.MaxVarintLen64+len(val)+len(rest)), val)
		enc = append(enc, rest...)
		h.lp = append(h.lp[:voff], enc...)
		return false
	}
	h.lp = lpAppend(lpAppend(h.lp, field), val)
	h.n++
	if h.n > lim.MaxEntries {
		h.convert()
	}
	return true
}

// Delete removes field and reports whether it existed.
func (h *HashValue) Delete(field []byte) bool {
	if h.ttl != nil {
		h.ttl.remove(field)
	}
	if h.dict != nil {
		i := h.dict.Find(field)
		if i < 0 {
			return false
		}
		_, v := h.dict.At(i)
		h.dict.AddStrBytes(-len(v))
		h.dict.DeleteAt(i)
		return true
	}
	off, _, end := h.lpFind(field)
	if off < 0 {
		return false
	}
	h.lp = append(h.lp[:off], h.lp[end:]...)
	h.n--
	if cap(h.lp) > 256 && cap(h.lp) > 4*len(h.lp) {
		h.lp = append([]byte(nil), h.lp...)
	}
	return true
}

// convert moves the fields into a Dict, keeping their order in its slab.
func (h *HashValue) convert() {
	d := NewDict[string](h.n + 1)
	h.Each(func(f, v []byte) bool {
		d.AddString(string(f), string(v))
		d.AddStrBytes(len(v))
		return true
	})
	h.dict, h.lp, h.n = d, nil, 0
}

// Each calls fn for every field and value, in insertion order for the
// compact encoding, until fn returns false. The slices are read-only and
// valid only during the call; the hash must not be modified meanwhile.
func (h *HashValue) Each(fn func(field, val []byte) bool) {
	if h.dict != nil {
		for i := 0; i < h.dict.Len(); i++ {
			f, v := h.dict.At(i)
			if !fn(bytesOf(f), bytesOf(v)) {
				return
			}
		}
		return
	}
	for off := 0; off < len(h.lp); {
		f, voff := lpElem(h.lp, off)
		v, next := lpElem(h.lp, voff)
		if !fn(f, v) {
			return
		}
		off = next
	}
}

// Scan is HSCAN's walk: a compact hash returns everything at once with
// cursor 0, as Redis does for listpacks; a hashtable returns the fields of
// the bucket(s) at cursor (see Dict.Scan).
func (h *HashValue) Scan(cursor uint64, fn func(field, val []byte)) uint64 {
	if h.dict == nil {
		h.Each(func(f, v []byte) bool { fn(f, v); return true })
		return 0
	}
	return h.dict.Scan(cursor, func(i int) {
		f, v := h.dict.At(i)
		fn(bytesOf(f), bytesOf(v))
	})
}

// pairAt returns the i-th field and value given the offsets of the compact
// encoding's fields (nil for a hashtable).
func (h *HashValue) pairAt(offs []int, i int) ([]byte, []byte) {
	if h.dict != nil {
		f, v := h.dict.At(i)
		return bytesOf(f), bytesOf(v)
	}
	f, voff := lpElem(h.lp, offs[i])
	v, _ := lpElem(h.lp, voff)
	return f, v
}

func (h *HashValue) offsets() []int {
	if h.dict != nil {
		return nil
	}
	offs := make([]int, 0, h.n)
	for off := 0; off < len(h.lp); {
		offs = append(offs, off)
		_, voff := lpElem(h.lp, off)
		_, off = lpElem(h.lp, voff)
	}
	return offs
}

// Random returns one field and its value chosen uniformly. The hash must
// not be empty.
func (h *HashValue) Random() ([]byte, []byte) {
	if h.dict != nil {
		return h.pairAt(nil, h.dict.Random())
	}
	i := rand.IntN(h.n)
	for off := 0; ; i-- {
		f, voff := lpElem(h.lp, off)
		v, next := lpElem(h.lp, voff)
		if i == 0 {
			return f, v
		}
		off = next
	}
}

// RandomPairs is HRANDFIELD with a count: n > 0 calls fn for min(n, Len())
// distinct fields (every field, in order, when n >= Len()); n < 0 calls it
// -n times with independently chosen fields, repeats allowed. The hash
// must not be modified during the walk.
func (h *HashValue) RandomPairs(n int64, fn func(field, val []byte)) {
	size := h.Len()
	if size == 0 || n == 0 {
		return
	}
	offs := h.offsets()
	if n < 0 {
		for ; n < 0; n++ {
			fn(h.pairAt(offs, rand.IntN(size)))
		}
		return
	}
	if n >= int64(size) {
		h.Each(func(f, v []byte) bool { fn(f, v); return true })
		return
	}
	sampleIndexes(size, int(n), func(i int) { fn(h.pairAt(offs, i)) })
}

// sampleIndexes calls fn with k distinct indexes of [0, size), chosen
// uniformly, 0 < k < size.
func sampleIndexes(size, k int, fn func(i int)) {
	if k*3 > size {
		// A partial Fisher-Yates shuffle over all the indexes.
		idx := make([]int32, size)
		for i := range idx {
			idx[i] = int32(i)
		}
		for i := 0; i < k; i++ {
			j := i + rand.IntN(size-i)
			idx[i], idx[j] = idx[j], idx[i]
			fn(int(idx[i]))
		}
		return
	}
	// Robert Floyd's algorithm: k draws, each adding exactly one index.
	seen := make(map[int]struct{}, k)
	for j := size - k; j < size; j++ {
		t := rand.IntN(j + 1)
		if _, dup := seen[t]; dup {
			t = j
		}
		seen[t] = struct{}{}
		fn(t)
	}
}

// Digest implements digest.Digester with Redis's rule for hashes: the XOR
// over fields of SHA1(mix(field) then mix(value)).
func (h *HashValue) Digest(d *digest.Sum) {
	h.Each(func(f, v []byte) bool {
		var e digest.Sum
		e.Mix(f)
		e.Mix(v)
		d.XorSum(&e)
		return true
	})
}
