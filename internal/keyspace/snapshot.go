package keyspace

// Point-in-time snapshots without fork (see internal/snapshot). A save
// records the shard's version counter V0 when it starts and walks each
// DB's slab of entries in slot order, a chunk per lock hold, saving the
// entries whose version is <= V0. Before anything changes or removes such
// an entry in a slot the walk has not reached yet, the DB hands it to the
// Saver (serialize before mutate) and gives it a new version, so the walk
// skips it. Entries created after the start have versions > V0 and are
// skipped too. The result is the dataset as it was at V0, written while
// the server keeps serving.
//
// Walking slots instead of hash buckets is what makes this exact: a slot
// holds its entry until the entry is deleted (Refs are stable), so the
// walk meets every entry that existed at V0 exactly once, however the
// table grows, shrinks or rehashes meanwhile, and "already written" is
// just "slot below the walk's position or version above V0": no mark on
// the entries, and the versions WATCH compares are only changed for keys
// a write is about to change anyway.

// Saver receives, with the shard locked, the entries a running snapshot
// still needs just before they change. It must not block.
type Saver interface {
	// Save serializes entry r of d as it is now.
	Save(d *DB, r Ref)
	// Cleared tells that d was emptied (FLUSHDB, FLUSHALL): old holds
	// its former entries and the walk's position in them, for the saver
	// to walk instead of d. Nothing else references old.
	Cleared(d, old *DB)
}

type snapState struct {
	saver   Saver
	ver     uint32 // V0: entries with a version "<=" ver belong to the snapshot (belongs)
	next    Ref    // the walk's position: slots below it are written
	startMs int64  // keys expired at the start are not part of it
	index   int    // the database number written to the file
}

// StartSnapshot makes the DB part of a snapshot taken now, written as
// database index. The shard must be locked, and every DB of the shard
// started under the same hold (they share the version counter).
func (d *DB) StartSnapshot(s Saver, index int) {
	d.snap = &snapState{saver: s, ver: uint32(d.clock.Ver), startMs: d.clock.Ms, index: index}
}

// EndSnapshot detaches the DB from its snapshot (done or aborted).
func (d *DB) EndSnapshot() { d.snap = nil }

// SnapshotIndex is the database number the DB's entries are written as.
func (d *DB) SnapshotIndex() int {
	if d.snap == nil {
		return d.Index
	}
	return d.snap.index
}

// SnapshotWalk calls fn for the entries of the snapshot from the walk's
// position on, in slot order, until fn returns false, maxSlots slots have
// been looked at, or the slab ends. It reports whether the walk is
// complete. The shard must be locked; fn must not change the DB.
func (d *DB) SnapshotWalk(maxSlots int, fn func(r Ref) bool) (done bool) {
	s := d.snap
	if s == nil {
		return true
	}
	for ; maxSlots > 0 && int(s.next) < d.nslots; maxSlots-- {
		r := s.next
		e := d.ent(r)
		s.next++
		if e.live() && s.belongs(e.ver) && (!e.hasExp() || d.expOf(e) > s.startMs) {
			if !fn(r) {
				break
			}
		}
	}
	return int(s.next) >= d.nslots
}

// preserve hands r to the snapshot if it still needs it, before a change.
func (d *DB) preserve(r Ref) {
	s := d.snap
	if s == nil || r < s.next {
		return
	}
	e := d.ent(r)
	if !s.belongs(e.ver) || (e.hasExp() && d.expOf(e) <= s.startMs) {
		return
	}
	s.saver.Save(d, r)
	e.ver = d.newVersion()
}

// belongs reports whether version v is not newer than V0, in serial-number
// arithmetic: versions are the low 32 bits of Clock.Ver, and the heartbeat
// (clampVersions) keeps every live version within 2^30 of the counter or
// at 0, "ancient", which always belongs.
func (s *snapState) belongs(v uint32) bool { return v == 0 || int32(v-s.ver) <= 0 }

// BeforeWrite is called before a command changes key's value in place
// (a complex value mutated through Obj): a running snapshot that still
// needs the key serializes it first. It is cheap when no snapshot runs.
func (d *DB) BeforeWrite(key []byte) {
	if d.snap == nil || d.count == 0 {
		return
	}
	if r := d.lookup(key, d.Hash(key)); r != noRef {
		d.preserve(r)
	}
}

// BeforeWriteRef is BeforeWrite for an entry already found.
func (d *DB) BeforeWriteRef(r Ref) {
	if d.snap != nil {
		d.preserve(r)
	}
}

// SetAccess sets r's last access time (unix ms) under an LRU policy, or,
// when freq >= 0, its LFU counter under an LFU one, as Redis's
// objectSetLRUOrLFU does (RESTORE IDLETIME/FREQ, loading a snapshot).
func (d *DB) SetAccess(r Ref, atime int64, freq int) {
	e := d.ent(r)
	var a uint32
	switch {
	case d.clock.Policy.LFU() && freq >= 0:
		a = lfuMinutes(d.clock.Ms)<<8 | uint32(min(freq, 255))
	case d.clock.Policy.LFU():
		return
	default:
		a = lruClock(atime)
	}
	e.meta = e.meta&^accessMask | a
}
