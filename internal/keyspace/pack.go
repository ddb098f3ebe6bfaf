package keyspace

import "github.com/damselfly-db/damselfly/internal/value"

// Packed hashes. A small hash costs Redis about 90 bytes (robj, listpack,
// dict entry); as a Go object it costs more (the HashValue, its listpack
// slice, a side-table slot). So the heartbeat (Maintain) packs hashes in
// the compact encoding that have not been used for a while: their
// listpack bytes go into the arena record as the value and the object is
// dropped. Obj unpacks a packed hash back into a side-table object, since
// commands change the object they get in place; the value, and so the
// version, stay the same either way.

// packMax is the largest listpack the heartbeat packs.
const packMax = 256

// unpack turns packed entry e back into an object in the side table.
func (d *DB) unpack(r Ref, e *entry) value.Object {
	rc := d.rec(e)
	hv := value.HashFromPacked(rc.val)
	d.valBytes[value.Hash] -= int64(len(rc.val))
	e.meta &^= flagPacked
	h := d.objs.alloc(hv)
	d.rewrite(r, e, rc.key, nil, nil, h, rc.exp, rc.size)
	sz := int64(hv.Size())
	d.objBytes += sz
	d.valBytes[value.Hash] += sz
	return hv
}

// packStep looks at up to slots entries from its cursor and packs the
// small hashes not accessed in the current second (LRU clock) or, under an
// LFU policy, whatever their access.
func (d *DB) packStep(slots int, st *MaintainStats) {
	if d.valBytes[value.Hash] <= 0 {
		return // no hashes: don't walk the slab (a string cache's case)
	}
	lfu := d.clock.Policy.LFU()
	for n := min(slots, d.nslots); n > 0; n-- {
		if d.maint.packNext >= d.nslots {
			d.maint.packNext = 0
		}
		r := Ref(d.maint.packNext)
		d.maint.packNext++
		e := d.ent(r)
		if !e.live() || e.kind() != value.Hash || e.packed() {
			continue
		}
		if !lfu && (lruTickStart(d.clock.Ms)-lruIdleMs(e.meta&accessMask, d.clock.Ms))/1000 == d.clock.Ms/1000 {
			continue
		}
		rc := d.rec(e)
		hv, ok := (*d.objs.get(rc.handle)).(*value.HashValue)
		if !ok {
			continue
		}
		lp, ok := hv.Packed()
		if !ok || len(lp) > packMax {
			continue
		}
		sz := int64(hv.Size())
		d.objs.release(rc.handle)
		d.objBytes -= sz
		d.valBytes[value.Hash] -= sz
		e.meta |= flagPacked
		d.rewrite(r, e, rc.key, lp, nil, 0, rc.exp, rc.size)
		d.valBytes[value.Hash] += int64(len(lp))
		st.Packed++
	}
}
