package keyspace

import "unsafe"

// Prefetch warms the cache for lookups of the keys whose Hash values are
// hs, the next commands of a pipeline. A lookup is three dependent cache
// misses (bucket, entry, arena record: about 100 ns each once the
// keyspace outgrows the caches); one after the other they stall the
// command, but issued for several keys at once they overlap. So Prefetch
// runs three rounds over hs: prefetch every bucket; read the buckets (in
// cache or on their way by then) and prefetch the first entry of each
// chain; read those entries and prefetch the record of each whose tag
// matches, two lines of it (the header and key, then the value). It
// changes nothing, and reads only what a lookup would; a wrong guess
// costs a wasted line. Only the first entry of a chain is followed, and
// nothing while the table is resizing.
func (d *DB) Prefetch(hs []uint64) {
	if d.count == 0 || d.rehashing() || len(hs) == 0 {
		return
	}
	b := d.ht[0].buckets
	m := d.ht[0].mask()
	for _, h := range hs {
		prefetch(uintptr(unsafe.Pointer(&b[h&m])))
	}
	for _, h := range hs {
		if r := b[h&m]; r != noRef {
			prefetch(uintptr(unsafe.Pointer(d.ent(r))))
		}
	}
	for _, h := range hs {
		r := b[h&m]
		if r == noRef {
			continue
		}
		e := d.ent(r)
		if e.tag() != tagOf(h) {
			continue
		}
		p := &d.arena.pages[e.loc.page()]
		if off := int(e.loc.off()); off < len(p.buf) {
			addr := uintptr(unsafe.Pointer(&p.buf[off]))
			prefetch(addr)
			prefetch(addr + 64)
		}
	}
}
