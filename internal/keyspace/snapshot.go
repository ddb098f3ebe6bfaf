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
	ver     uint64 // V0: entries with a version <= ver belong to the snapshot
	next    Ref    // the walk's position: slots below it are written
	startMs int64  // keys expired at the start are not part of it
	index   int    // the database number written to the file
}

// StartSnapshot makes the DB part of a snapshot taken now, written as
// database index. The shard must be locked, and every DB of the shard
// started under the same hold (they share the version counter).
func (d *DB) StartSnapshot(s Saver, index int) {
	d.snap = &snapState{saver: s, ver: d.clock.Ver, startMs: d.clock.Ms, index: index}
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
	for ; maxSlots > 0 && int(s.next) < len(d.ents); maxSlots-- {
		r := s.next
		e := &d.ents[r]
		s.next++
		if e.live && e.version <= s.ver && (e.expireAt == 0 || e.expireAt > s.startMs) {
			if !fn(r) {
				break
			}
		}
	}
	return int(s.next) >= len(d.ents)
}

// preserve hands r to the snapshot if it still needs it, before a change.
func (d *DB) preserve(r Ref) {
	s := d.snap
	if s == nil || r < s.next {
		return
	}
	e := &d.ents[r]
	if e.version > s.ver || (e.expireAt != 0 && e.expireAt <= s.startMs) {
		return
	}
	s.saver.Save(d, r)
	d.clock.Ver++
	e.version = d.clock.Ver
}

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

// SetAccess sets r's last access time (unix ms) and, when freq >= 0, its
// LFU counter (RESTORE IDLETIME/FREQ, loading a snapshot).
func (d *DB) SetAccess(r Ref, atime int64, freq int) {
	e := &d.ents[r]
	e.atime = atime
	if freq >= 0 {
		e.freq = uint8(min(freq, 255))
	}
}
