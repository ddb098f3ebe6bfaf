package keyspace

import "unsafe"

// Heartbeat maintenance: arena compaction and version clamping. Both run
// only from Maintain, which the shard's heartbeat calls a bounded amount
// at a time, never inside a command.

const (
	// A page is compacted when less than this share of it is live. Under
	// overwrites spread over the keyspace (a cache's SETs) pages decay
	// evenly, so the threshold bounds the dead share of the arena: at 1/2
	// a capped cache held a quarter of its memory in dead records. 3/4
	// costs at most 3 bytes copied per byte reclaimed, cheap next to the
	// writes that made them dead (copying is memmove at GB/s).
	compactLiveNum, compactLiveDen = 3, 4
	// Under memory pressure (SetCompactTight) every dead byte is a cached
	// value less: pages under 7/8 live are compacted (at most 7 bytes
	// copied per byte reclaimed) and a pass starts once a 64th of the
	// arena is dead rather than a 16th.
	tightLiveNum, tightLiveDen     = 7, 8
	looseDeadShare, tightDeadShare = 16, 64
	// A pass starts only when it would reclaim this much, so a few dead
	// bytes don't cause endless walks over a big slab.
	compactMinDead = 256 << 10
	// Records a pass resolves together, their cache misses overlapping.
	compactBatch = 16
	// How far ahead of its reads the page walk prefetches, in bytes.
	compactReadAhead = 1024
	// Version clamping must visit every slot within clampWindow versions
	// (see doc.go).
	clampAge    = 1 << 30
	clampWindow = 1 << 29
)

type maintState struct {
	passing   bool     // a compaction pass runs
	victims   []uint32 // the pages it empties
	vi, voff  int      // its cursor: victims[vi], byte offset voff
	clampNext int      // the version clamp's cursor over the slab
	packNext  int      // packStep's cursor over the slab
	expNext   int      // sweepExp's cursor over the expiry list
	lastVer   uint64
}

// MaintainStats tells what one Maintain call did.
type MaintainStats struct {
	Scanned, Moved, MovedBytes, Clamped, PagesDropped, Packed int
	// Compacting says a compaction pass is still under way.
	Compacting bool
}

// Maintain does a bounded share of background work: it packs idle small
// hashes (pack.go), looks at up to slots slab slots and copies up to moveBytes of live records out of
// sparse arena pages (dropping them once empty), and clamps old versions
// (doc.go). The shard's heartbeat calls it with the shard locked.
func (d *DB) Maintain(slots, moveBytes int) MaintainStats {
	var st MaintainStats
	d.liveFresh = false // table resizes and compaction change the account without a version
	d.clampVersions(slots, &st)
	d.packStep(slots, &st)
	d.compactStep(slots, moveBytes, &st)
	d.sweepExp(slots / 4)
	d.arena.trim()
	d.arena.purgeHoles()
	st.Compacting = d.maint.passing
	return st
}

// TrimPages gives back to the page pool the emptied arena pages kept
// beyond the one spare (arena.trim), once the hold that emptied them is
// over. Maintain does it too; the heartbeat calls this for databases with
// nothing else to maintain, where a FLUSHDB left all its pages as spares.
func (d *DB) TrimPages() { d.arena.trim() }

// Compact is Maintain's compaction alone: it looks at up to slots
// records and copies up to moveBytes of live ones out of sparse pages.
// The shard runs it after a write's command when the heartbeat left part
// of its budget undone (shard.Shard.Unlock), so it must leave every
// entry as a command expects to find it, which moving records does.
func (d *DB) Compact(slots, moveBytes int) MaintainStats {
	var st MaintainStats
	d.compactStep(slots, moveBytes, &st)
	st.Compacting = d.maint.passing
	return st
}

// sweepExp drops up to n stale slots from the expiry list (slots whose key
// went or lost its TTL: entries keep no index into the list, so deletion
// leaves them). Sampling drops the stale slots it meets, but once every
// key with a TTL is gone active expiry samples no more, and after a TTL
// churn the list would keep a slot for every key the churn ever held.
func (d *DB) sweepExp(n int) {
	for ; n > 0 && d.exp.len() > d.nexp; n-- {
		if d.maint.expNext >= d.exp.len() {
			d.maint.expNext = 0
		}
		i := d.maint.expNext
		r := d.exp.at(i)
		e := d.ent(r)
		if e.live() && e.hasExp() {
			d.maint.expNext++
			continue
		}
		d.exp.remove(i)
		e.meta &^= flagInExp
	}
}

// clampVersions sets versions older than clampAge to 0 ("ancient"). It
// visits at least enough slots that a whole pass over the slab takes fewer
// than clampWindow new versions, so no live version ever falls 2^31 behind
// the counter, where serial-number comparison would go wrong.
func (d *DB) clampVersions(slots int, st *MaintainStats) {
	if d.nslots == 0 {
		return
	}
	writes := d.clock.Ver - d.maint.lastVer
	d.maint.lastVer = d.clock.Ver
	need := int(uint64(d.nslots)*writes/clampWindow) + 1
	n := max(min(slots/4, d.nslots), need)
	cur := uint32(d.clock.Ver)
	for ; n > 0; n-- {
		if d.maint.clampNext >= d.nslots {
			d.maint.clampNext = 0
		}
		e := d.ent(Ref(d.maint.clampNext))
		d.maint.clampNext++
		if !e.live() || e.ver == 0 || cur-e.ver <= clampAge {
			continue
		}
		if d.snap != nil && !d.snap.belongs(e.ver) {
			continue // made after the snapshot began: must stay "newer"
		}
		e.ver = 0
		st.Clamped++
	}
}

// compactStep advances the compaction pass, starting one when the sparse
// pages hold enough dead bytes. A pass marks the sparse pages (never the
// current one: new records go there) and walks each marked page's records
// in address order, moving the live ones to the current page; a page is
// dropped as its last live record leaves. Walking pages rather than the
// slab reads records sequentially (the hardware prefetches them) instead
// of one cache and TLB miss per record in slot order, and it skips the
// slots whose records lie elsewhere without touching them. A record finds
// its entry through its key: the hash picks the bucket, and the chain's
// entry whose loc is this record is the owner (comparing locs reads no
// other record); a record no entry points at is dead. New records never
// go to marked pages, and a marked page that empties is dropped and, if
// reused, unmarked, so the walk never meets a record it has not seen.
func (d *DB) compactStep(slots, moveBytes int, st *MaintainStats) {
	a := &d.arena
	m := &d.maint
	if !m.passing {
		num, den, share := compactLiveNum, compactLiveDen, int64(looseDeadShare)
		if d.tightCompact {
			num, den, share = tightLiveNum, tightLiveDen, tightDeadShare
		}
		dead := 0
		for i := range a.pages {
			p := &a.pages[i]
			if p.buf != nil && i != a.cur && p.live*den < cap(p.buf)*num {
				dead += cap(p.buf) - p.live
			}
		}
		if dead < compactMinDead || int64(dead) < a.bytes/share {
			return
		}
		m.victims = m.victims[:0]
		for i := range a.pages {
			p := &a.pages[i]
			if p.buf != nil && i != a.cur && p.live*den < cap(p.buf)*num {
				p.victim = true
				m.victims = append(m.victims, uint32(i))
			}
		}
		m.passing, m.vi, m.voff = true, 0, 0
	}
	for slots > 0 && st.MovedBytes < moveBytes && m.vi < len(m.victims) {
		pi := m.victims[m.vi]
		p := &a.pages[pi]
		if !p.victim || m.voff >= len(p.buf) {
			// Emptied and dropped (perhaps reused since), or walked to
			// its end: every live record left, so it was dropped, unless
			// the accounts are wrong; then let it be.
			p.victim = false
			m.vi, m.voff = m.vi+1, 0
			continue
		}
		// A batch of the page's next records: hash their keys and
		// prefetch their buckets, then the first entries of those
		// chains, so the owners' cache misses overlap (see
		// DB.Prefetch) instead of costing one after the other.
		var batch [compactBatch]struct {
			l    loc
			size int
		}
		var hs [compactBatch]uint64
		n := 0
		for ; n < compactBatch && n < slots && m.voff < len(p.buf); n++ {
			// The page is read in order, but its lines are cold and the
			// hardware prefetcher stops at each 4 KiB: ask for the
			// lines a few records ahead.
			prefetch(uintptr(unsafe.Pointer(&p.buf[m.voff])) + compactReadAhead)
			l := loc(pi<<pageBits | uint32(m.voff))
			size, key := a.walkRec(l)
			batch[n].l, batch[n].size = l, size
			hs[n] = d.Hash(key)
			m.voff += size
		}
		d.Prefetch(hs[:n])
		for j := 0; j < n; j++ {
			slots--
			st.Scanned++
			if !a.pages[pi].victim {
				// Emptied by a move, dropped, and maybe reused by the
				// next move: its other records were dead, and their
				// locs may now name new records.
				break
			}
			old, size := batch[j].l, batch[j].size
			r := d.ownerOf(hs[j], old)
			if r == noRef {
				continue
			}
			l, b := a.alloc(size, false)
			copy(b, a.at(old)[:size])
			d.ent(r).loc = l
			before := len(a.freePages)
			a.free(old, size)
			st.PagesDropped += len(a.freePages) - before
			st.Moved++
			st.MovedBytes += size
		}
	}
	if m.vi >= len(m.victims) {
		m.passing = false
		for _, pi := range m.victims {
			a.pages[pi].victim = false
		}
		m.victims = m.victims[:0]
	}
}

// SetCompactTight makes compaction keep fewer dead bytes (tight) or
// spend less CPU (loose, the default). The shard's heartbeat sets it
// while an evicting cache is near its limit, where dead records take the
// place of keys.
func (d *DB) SetCompactTight(tight bool) { d.tightCompact = tight }

// ownerOf returns the entry whose record is at l, whose key's Hash is h,
// or noRef when the record is dead.
func (d *DB) ownerOf(h uint64, l loc) Ref {
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if len(tb.buckets) == 0 {
			break
		}
		for r := tb.buckets[h&tb.mask()]; r != noRef; {
			e := d.ent(r)
			if e.loc == l {
				return r
			}
			r = e.next()
		}
	}
	return noRef
}

// Slots is the size of the entry slab, live or free: what Maintain's
// cursors walk. Zero for a database that never held a key.
func (d *DB) Slots() int { return d.nslots }

// ArenaStats reports the arena's size, live bytes and page count.
func (d *DB) ArenaStats() (bytes, live int64, pages int) {
	for _, p := range d.arena.pages {
		if p.buf != nil {
			pages++
		}
	}
	return d.arena.bytes, d.arena.live, pages
}
