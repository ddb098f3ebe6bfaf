package command

import (
	"time"

	"github.com/damselfly-db/damselfly/internal/value"
)

// What the admin console reads directly rather than through commands, so
// that looking at the server does not change what it reports: these
// lookups count no keyspace hit or miss and touch no access time.

// KeyInfo describes one key for the console's key browser.
type KeyInfo struct {
	Type     string `json:"type"`
	Encoding string `json:"encoding"`
	TTLMs    int64  `json:"ttl_ms"` // -1: no expiry
	Bytes    int64  `json:"bytes"`  // as MEMORY USAGE reports

	// For strings: the length and the first PreviewBytes bytes.
	Len    int64  `json:"-"`
	Prefix []byte `json:"-"`
}

// PreviewBytes is how much of a string value KeyInfo copies.
const PreviewBytes = 1024

// KeyInfo looks key up in database db.
func (e *Env) KeyInfo(db int, key []byte) (KeyInfo, bool) {
	if db < 0 || e.Store.N() == 0 || db >= e.Store.Shard(0).NumDBs() {
		return KeyInfo{}, false
	}
	now := time.Now().UnixMilli()
	sh := e.Store.Shard(e.Store.Of(key))
	sh.Lock(now)
	defer sh.Unlock()
	d := sh.DB(db)
	r, ok := d.Peek(key)
	if !ok {
		return KeyInfo{}, false
	}
	ki := KeyInfo{Type: d.Kind(r).String(), TTLMs: -1, Bytes: int64(keyOverhead + len(d.Key(r)))}
	if at := d.ExpireAt(r); at > 0 {
		ki.TTLMs = max(at-now, 0)
	}
	if d.Kind(r) == value.String {
		v := d.Str(r)
		ki.Encoding = value.StringEncoding(v, d.IsRaw(r))
		ki.Bytes += int64(cap(v))
		ki.Len = int64(len(v))
		ki.Prefix = append([]byte(nil), v[:min(len(v), PreviewBytes)]...)
	} else if o := d.Obj(r); o != nil {
		ki.Encoding = o.Encoding()
		ki.Bytes += int64(o.Size())
	}
	return ki, true
}

// SnapshotInfo is the persistence state the admin console shows. The
// snapshot subsystem sets Env.Snapshots when it lands; until then the
// console says snapshots are not configured.
type SnapshotInfo struct {
	Configured    bool      `json:"configured"`
	Dir           string    `json:"dir"`
	File          string    `json:"file"`
	InProgress    bool      `json:"in_progress"`
	LastSave      time.Time `json:"last_save"`
	LastStatus    string    `json:"last_status"`
	LastDuration  float64   `json:"last_duration_seconds"`
	NextScheduled time.Time `json:"next_scheduled"`
	Saves         int64     `json:"saves"`
	Failures      int64     `json:"failures"`
}
