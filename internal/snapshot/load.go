package snapshot

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/rdb"
	"github.com/damselfly-db/damselfly/internal/value"
)

// LoadOptions say how a file is loaded.
type LoadOptions struct {
	// Locked: the caller holds every shard (DEBUG RELOAD); otherwise each
	// key's shard is locked in turn.
	Locked bool
	// Replace: a key that exists is replaced (DEBUG RELOAD MERGE); without
	// it a duplicate key is an error, as in Redis.
	Replace bool
}

// LoadStats says what a load did.
type LoadStats struct {
	Loaded, Expired, Skipped int64
	Functions                int
	Version                  int
}

// Load reads an RDB file into the store. Keys whose expiry has passed are
// skipped (counted as expired), as a Redis master does.
func (m *Manager) Load(path string, opt LoadOptions) (LoadStats, error) {
	var st LoadStats
	f, err := os.Open(path)
	if err != nil {
		return st, err
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	r := rdb.NewReader(f, size)
	if err := r.ReadHeader(); err != nil {
		return st, err
	}
	st.Version = r.Version
	lim := m.Limits()
	ndb := m.store.Shard(0).NumDBs()
	var rec rdb.Record
	for {
		if err := r.Next(&rec); err != nil {
			return st, fmt.Errorf("%s at offset %d: %w", path, r.Offset(), err)
		}
		switch rec.Kind {
		case rdb.RecEOF:
			st.Skipped += int64(r.Skipped)
			return st, nil
		case rdb.RecAux:
			if string(rec.AuxKey) == "redis-ver" || string(rec.AuxKey) == "df-ver" || string(rec.AuxKey) == "damselfly-ver" {
				m.log.Info("loading a snapshot", "file", path, string(rec.AuxKey), string(rec.AuxVal))
			}
		case rdb.RecFunction:
			if m.LoadFunction == nil {
				m.log.Warn("the snapshot holds a function library, which this build cannot load: skipped")
				continue
			}
			if err := m.LoadFunction(rec.Code); err != nil {
				return st, fmt.Errorf("failed loading library: %w", err)
			}
			st.Functions++
		case rdb.RecSelectDB:
			if rec.DB >= ndb {
				return st, fmt.Errorf("the snapshot uses database %d; this server has %d (--databases)", rec.DB, ndb)
			}
		case rdb.RecKey:
			now := time.Now().UnixMilli()
			if rec.ExpireMs != 0 && rec.ExpireMs < now {
				st.Expired++
				continue
			}
			kind, str, obj, ok, err := Build(rec.Value, lim, now)
			if err != nil {
				if errors.Is(err, ErrBadValue) {
					return st, fmt.Errorf("key %q: duplicate or inconsistent elements", rec.Key)
				}
				return st, fmt.Errorf("key %q: %w", rec.Key, err)
			}
			if !ok {
				st.Expired++
				continue
			}
			if err := m.put(rec.DB, rec.Key, kind, str, obj, rec.ExpireMs, rec.Idle, rec.Freq, opt); err != nil {
				return st, err
			}
			st.Loaded++
		}
	}
}

// put stores one loaded key.
func (m *Manager) put(db int, key []byte, kind value.Kind, str []byte, obj value.Object, expireAt, idle int64, freq int, opt LoadOptions) error {
	sh := m.store.Shard(m.store.Of(key))
	now := time.Now().UnixMilli()
	if !opt.Locked {
		sh.Lock(now)
		defer sh.Unlock()
	}
	d := sh.DB(db)
	if _, exists := d.Peek(key); exists && !opt.Replace {
		return fmt.Errorf("the snapshot has the key %q twice in database %d", key, db)
	}
	var r keyspace.Ref
	if kind == value.String {
		r = d.SetString(key, str, expireAt, false)
	} else {
		r = d.SetObject(key, obj, false)
		if expireAt != 0 {
			d.SetExpireAt(r, expireAt)
		}
	}
	atime := now
	if idle >= 0 {
		atime = now - idle*1000
	}
	d.SetAccess(r, atime, freq)
	return nil
}

// LoadAtStart finds and loads the newest snapshot (PrepareLoad and
// FinishLoad in one call).
func (m *Manager) LoadAtStart() error {
	path, err := m.PrepareLoad()
	if err != nil || path == "" {
		return err
	}
	return m.FinishLoad(path)
}

// ReloadLocked loads the last file saved, or the newest that matches the
// configuration, into the store; the caller holds every shard (DEBUG
// RELOAD).
func (m *Manager) ReloadLocked(merge bool) error {
	m.mu.Lock()
	path := m.lastFile
	m.mu.Unlock()
	if path == "" {
		var err error
		if path, err = m.FindLatest(); err != nil {
			return err
		}
		if path == "" {
			return errors.New("no snapshot file to load")
		}
	}
	st, err := m.Load(path, LoadOptions{Locked: true, Replace: merge})
	m.mu.Lock()
	m.keysLoaded, m.keysExpired = st.Loaded, st.Expired
	m.mu.Unlock()
	return err
}

// PrepareLoad finds the snapshot to load at start and, when there is one,
// sets LOADING; FinishLoad(path) then loads it and clears LOADING.
func (m *Manager) PrepareLoad() (string, error) {
	m.removeStaleTemps()
	path, err := m.FindLatest()
	if err != nil || path == "" {
		if path == "" && err == nil && m.Configured() {
			m.log.Info("no snapshot to load", "dir", m.cfg.Dir.Get(), "dbfilename", m.cfg.DBFilename.Get())
		}
		return "", err
	}
	if m.loading != nil {
		m.loading.Store(true)
	}
	return path, nil
}

// FinishLoad loads the file PrepareLoad found.
func (m *Manager) FinishLoad(path string) error {
	if m.loading != nil {
		defer m.loading.Store(false)
	}
	start := time.Now()
	st, err := m.Load(path, LoadOptions{})
	m.mu.Lock()
	m.keysLoaded, m.keysExpired = st.Loaded, st.Expired
	if err != nil {
		m.failedRestores++
	} else {
		m.restores++
		// Like Redis, the loaded file counts as the last save.
		m.dirtyAtSave = m.store.Dirty()
		m.lastFile = path
	}
	m.mu.Unlock()
	if err != nil {
		m.log.Error("loading the snapshot failed", "file", path, "err", err)
		return err
	}
	m.log.Info("snapshot loaded", "file", path, "keys", st.Loaded, "expired", st.Expired,
		"skipped", st.Skipped, "seconds", time.Since(start).Seconds())
	return nil
}
