package snapshot

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
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
// skipped (counted as expired), as a Redis master does. Unless the caller
// holds every shard, decoding runs on this goroutine and one goroutine
// per shard inserts batches of keys under its shard's lock.
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
		return st, fmt.Errorf("%s at offset %d: %w", path, r.Offset(), err)
	}
	st.Version = r.Version
	m.mu.Lock()
	m.loadStart, m.loadTotal, m.loadUsedMem = time.Now(), size, 0
	m.loadRead.Store(0)
	m.mu.Unlock()
	ins := m.newInserter(opt)
	err = m.decode(r, path, &st, ins)
	if ierr := ins.close(); err == nil {
		err = ierr
	}
	st.Skipped += int64(r.Skipped)
	return st, err
}

func (m *Manager) decode(r *rdb.Reader, path string, st *LoadStats, ins *inserter) error {
	lim := m.Limits()
	ndb := m.store.Shard(0).NumDBs()
	var rec rdb.Record
	for n := 0; ; n++ {
		if err := r.Next(&rec); err != nil {
			return fmt.Errorf("%s at offset %d: %w", path, r.Offset(), err)
		}
		switch rec.Kind {
		case rdb.RecEOF:
			return nil
		case rdb.RecAux:
			switch string(rec.AuxKey) {
			case "redis-ver", "df-ver", "damselfly-ver":
				m.log.Info("loading a snapshot", "file", path, string(rec.AuxKey), string(rec.AuxVal))
			case "used-mem":
				n, _ := strconv.ParseInt(string(rec.AuxVal), 10, 64)
				m.mu.Lock()
				m.loadUsedMem = n
				m.mu.Unlock()
			}
		case rdb.RecFunction:
			if m.LoadFunction == nil {
				m.log.Warn("the snapshot holds a function library, which this build cannot load: skipped")
				continue
			}
			if err := m.LoadFunction(rec.Code); err != nil {
				return fmt.Errorf("failed loading library: %w", err)
			}
			st.Functions++
		case rdb.RecSelectDB:
			if rec.DB >= ndb {
				return fmt.Errorf("the snapshot uses database %d; this server has %d (--databases)", rec.DB, ndb)
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
					return fmt.Errorf("key %q: duplicate or inconsistent elements", rec.Key)
				}
				return fmt.Errorf("key %q: %w", rec.Key, err)
			}
			if !ok {
				st.Expired++
				continue
			}
			ins.add(loadItem{db: rec.DB, key: rec.Key, kind: kind, str: str, obj: obj, expireAt: rec.ExpireMs, idle: rec.Idle, freq: rec.Freq})
			st.Loaded++
			if n%1024 == 0 {
				m.loadRead.Store(r.Offset())
			}
			if n%4096 == 0 {
				if err := ins.failed(); err != nil {
					return err
				}
			}
		}
	}
}

type loadItem struct {
	db       int
	key, str []byte
	kind     value.Kind
	obj      value.Object
	expireAt int64
	idle     int64
	freq     int
}

const loadBatch = 512

// inserter puts loaded keys into their shards.
type inserter struct {
	m       *Manager
	opt     LoadOptions
	batches [][]loadItem
	chans   []chan []loadItem
	wg      sync.WaitGroup
	errMu   sync.Mutex
	err     error
}

func (m *Manager) newInserter(opt LoadOptions) *inserter {
	in := &inserter{m: m, opt: opt}
	if opt.Locked {
		return in
	}
	n := m.store.N()
	in.batches = make([][]loadItem, n)
	in.chans = make([]chan []loadItem, n)
	for i := range in.chans {
		ch := make(chan []loadItem, 4)
		in.chans[i] = ch
		in.wg.Add(1)
		go func(sh int) {
			defer in.wg.Done()
			for batch := range ch {
				s := m.store.Shard(sh)
				s.Lock(time.Now().UnixMilli())
				for _, it := range batch {
					if err := m.put(it, opt); err != nil {
						in.setErr(err)
						break
					}
				}
				s.Unlock()
			}
		}(i)
	}
	return in
}

func (in *inserter) setErr(err error) {
	in.errMu.Lock()
	if in.err == nil {
		in.err = err
	}
	in.errMu.Unlock()
}

func (in *inserter) failed() error {
	in.errMu.Lock()
	defer in.errMu.Unlock()
	return in.err
}

func (in *inserter) add(it loadItem) {
	if in.opt.Locked {
		if err := in.m.put(it, in.opt); err != nil {
			in.setErr(err)
		}
		return
	}
	i := in.m.store.Of(it.key)
	in.batches[i] = append(in.batches[i], it)
	if len(in.batches[i]) >= loadBatch {
		in.chans[i] <- in.batches[i]
		in.batches[i] = make([]loadItem, 0, loadBatch)
	}
}

func (in *inserter) close() error {
	for i, ch := range in.chans {
		if len(in.batches[i]) > 0 {
			ch <- in.batches[i]
		}
		close(ch)
	}
	in.wg.Wait()
	return in.failed()
}

// put stores one loaded key; its shard is locked.
func (m *Manager) put(it loadItem, opt LoadOptions) error {
	d := m.store.Shard(m.store.Of(it.key)).DB(it.db)
	before := d.Len()
	var r keyspace.Ref
	if it.kind == value.String {
		r = d.SetString(it.key, it.str, it.expireAt, false)
	} else {
		r = d.SetObject(it.key, it.obj, false)
		if it.expireAt != 0 {
			d.SetExpireAt(r, it.expireAt)
		}
	}
	if d.Len() == before && !opt.Replace {
		return fmt.Errorf("the snapshot has the key %q twice in database %d", it.key, it.db)
	}
	now := time.Now().UnixMilli()
	atime := now
	if it.idle >= 0 {
		atime = now - it.idle*1000
	}
	d.SetAccess(r, atime, it.freq)
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
	return m.LoadFileLocked(path, merge)
}

// LoadFileLocked loads the snapshot at path into the locked store (DFLY
// LOAD); with replace, its keys replace existing ones.
func (m *Manager) LoadFileLocked(path string, replace bool) error {
	st, err := m.Load(path, LoadOptions{Locked: true, Replace: replace})
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
		if m.cfg.StartEmptyOnCorruptSnapshot {
			return m.startEmpty(path)
		}
		return err
	}
	m.log.Info("snapshot loaded", "file", path, "keys", st.Loaded, "expired", st.Expired,
		"skipped", st.Skipped, "seconds", time.Since(start).Seconds())
	return nil
}

// startEmpty is --start_empty_on_corrupt_snapshot after a failed load:
// whatever part of the file was loaded is dropped, so that the server
// never serves half a snapshot, and the file is renamed aside, so that
// the next save cannot overwrite the only copy of that data. If the
// rename fails the load error stands: starting would risk exactly that.
func (m *Manager) startEmpty(path string) error {
	aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("cannot move the unloadable snapshot aside: %w", err)
	}
	now := time.Now().UnixMilli()
	for i := 0; i < m.store.N(); i++ {
		sh := m.store.Shard(i)
		sh.Lock(now)
		for d := 0; d < sh.NumDBs(); d++ {
			sh.DB(d).Clear()
		}
		sh.Unlock()
	}
	m.mu.Lock()
	m.lastFile = ""
	m.dirtyAtSave = m.store.Dirty()
	m.mu.Unlock()
	m.log.Warn("starting with an empty dataset (--start_empty_on_corrupt_snapshot); the unloadable snapshot was kept",
		"file", aside)
	return nil
}
