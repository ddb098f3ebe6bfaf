package snapshot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/info"
	"github.com/damselfly-db/damselfly/internal/metrics"
	"github.com/damselfly-db/damselfly/internal/rdb"
	"github.com/damselfly-db/damselfly/internal/shard"
)

// Errors with Redis's texts.
var (
	ErrInProgress = errors.New("ERR Background save already in progress")
	ErrNoFile     = errors.New("ERR no dbfilename configured")
)

// Manager runs saves and loads for one server: BGSAVE and SAVE, the
// --save change-count rules, --save_schedule and --snapshot_cron, the save
// on shutdown, loading at start, and the persistence fields of INFO and
// /metrics.
type Manager struct {
	cfg     *config.Config
	store   *shard.Store
	log     *slog.Logger
	loading *atomic.Bool

	// RedisVersion and Version go into the file's AUX fields.
	RedisVersion, Version string
	// UsedMemory reports memory in use for the used-mem AUX field (the Go
	// heap when nil). It must not lock shards: a save may start inside
	// MULTI/EXEC with every shard held.
	UsedMemory func() int64
	// Functions returns the function libraries' code to save; nil when
	// scripting is not there.
	Functions func() [][]byte
	// LoadFunction restores one library; nil: libraries in a file are
	// skipped with a warning.
	LoadFunction func(code []byte) error
	// Limits returns the encoding thresholds in force.
	Limits func() Limits
	// Activity counts the commands the server has run; saves pace their
	// walk while clients are busy. Nil: never paced.
	Activity func() int64

	mu             sync.Mutex
	running        *job
	starting       bool // a save is being started (m.mu released meanwhile)
	scheduled      bool // BGSAVE SCHEDULE waiting for the running save
	lastSave       time.Time
	lastTry        time.Time
	lastOK         bool
	lastDuration   time.Duration
	lastFile       string
	dirtyAtSave    int64 // Dirty() when the last successful save started
	saves, fails   int64
	restores       int64
	failedRestores int64
	keysLoaded     int64
	keysExpired    int64
	peakQueue      int
	lastSchedMin   int64
	lastHooked     int64 // entries the last save wrote ahead of a change
	loadStart      time.Time
	loadTotal      int64
	loadUsedMem    int64
	loadRead       atomic.Int64  // bytes of the file read so far
	sync           chan struct{} // the running save's finished channel
}

// New makes a manager; loading is the server's LOADING flag.
func New(cfg *config.Config, store *shard.Store, log *slog.Logger, loading *atomic.Bool) *Manager {
	return &Manager{cfg: cfg, store: store, log: log, loading: loading, lastSave: time.Now(), lastOK: true,
		Limits: func() Limits { return limitsOf(cfg) }}
}

func limitsOf(c *config.Config) Limits {
	clamp := func(v int64) int { return int(min(max(v, 0), math.MaxInt32)) }
	l := DefaultLimits
	if c == nil || c.HashMaxListpackEntries.Get() == 0 && c.ZSetMaxListpackEntries.Get() == 0 {
		return l
	}
	l.Hash.MaxEntries = clamp(c.HashMaxListpackEntries.Get())
	l.Hash.MaxValue = clamp(c.HashMaxListpackValue.Get())
	l.ZSet.Entries = clamp(c.ZSetMaxListpackEntries.Get())
	l.ZSet.Value = clamp(c.ZSetMaxListpackValue.Get())
	l.Stream.MaxBytes = c.StreamNodeMaxBytes.Get()
	l.Stream.MaxEntries = c.StreamNodeMaxEntries.Get()
	l.MaxIntset = clamp(c.SetMaxIntsetEntries.Get())
	l.ListFill = int(c.ListMaxListpackSize.Get())
	return l
}

// Configured reports whether snapshots have a file name.
func (m *Manager) Configured() bool { return m.cfg.DBFilename.Get() != "" }

// placeholders are Dragonfly's dbfilename macros.
func substitute(name string, ts, y, mo, d string) string {
	return strings.NewReplacer("{timestamp}", ts, "{Y}", y, "{m}", mo, "{d}", d).Replace(name)
}

// Path is the file a save started at t writes: dir/dbfilename with the
// macros expanded (local time, as Dragonfly), ".rdb" added when the name
// has no extension.
func (m *Manager) Path(t time.Time) string { return m.pathOf(m.cfg.DBFilename.Get(), t) }

// pathOf is Path for the file name name (dbfilename, or SAVE's basename).
func (m *Manager) pathOf(name string, t time.Time) string {
	name = substitute(name, t.Format("2006-01-02T15:04:05"), t.Format("2006"), t.Format("01"), t.Format("02"))
	if filepath.Ext(name) == "" {
		name += ".rdb"
	}
	return filepath.Join(m.cfg.Dir.Get(), name)
}

// FindLatest returns the file to load at start: dir/dbfilename if it
// exists, otherwise the newest file matching the name with its macros as
// wildcards that ends in ".rdb"; "" when there is none.
func (m *Manager) FindLatest() (string, error) {
	name := m.cfg.DBFilename.Get()
	if name == "" {
		return "", nil
	}
	dir := m.cfg.Dir.Get()
	exact := filepath.Join(dir, name)
	if st, err := os.Stat(exact); err == nil && st.Mode().IsRegular() {
		return exact, nil
	}
	pattern := substitute(name, "*", "*", "*", "*")
	if filepath.Ext(pattern) == "" {
		pattern += "*"
	}
	matches, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return "", err
	}
	best, bestT := "", time.Time{}
	for _, p := range matches {
		if !strings.HasSuffix(p, ".rdb") {
			continue
		}
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		if best == "" || st.ModTime().After(bestT) {
			best, bestT = p, st.ModTime()
		}
	}
	return best, nil
}

// header is the file's beginning: signature, AUX fields, functions.
func (m *Manager) header(now time.Time) []byte {
	var e rdb.Encoder
	e.Header()
	e.Aux("redis-ver", m.RedisVersion)
	e.Aux("redis-bits", strconv.Itoa(32<<(^uint(0)>>63)))
	e.Aux("ctime", strconv.FormatInt(now.Unix(), 10))
	used := int64(0)
	if m.UsedMemory != nil {
		used = m.UsedMemory()
	} else {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		used = int64(ms.HeapAlloc)
	}
	e.Aux("used-mem", strconv.FormatInt(used, 10))
	e.Aux("aof-base", "0")
	if m.Version != "" {
		e.Aux("damselfly-ver", m.Version)
	}
	if m.Functions != nil {
		for _, code := range m.Functions() {
			e.Function(code)
		}
	}
	return e.Buf
}

// BGSave starts a background save. With schedule, a save already running
// makes it run again afterwards ("Background saving scheduled"). held:
// the caller holds every shard (inside MULTI/EXEC).
// basename, when not empty, replaces dbfilename for this save.
func (m *Manager) BGSave(schedule, held bool, basename string) (string, error) {
	m.mu.Lock()
	if m.busy() {
		defer m.mu.Unlock()
		if schedule {
			m.scheduled = true
			return "Background saving scheduled", nil
		}
		return "", ErrInProgress
	}
	if _, err := m.start("BGSAVE", held, false, basename); err != nil {
		return "", err
	}
	return "Background saving started", nil
}

// Save saves and waits (SAVE, DEBUG RELOAD, shutdown). It refuses while
// a background save runs, as Redis does. held: the caller holds every
// shard; the save then runs in its goroutine. basename, when not empty,
// replaces dbfilename for this save.
func (m *Manager) Save(held bool, basename string) error {
	m.mu.Lock()
	if m.busy() {
		m.mu.Unlock()
		return ErrInProgress
	}
	j, err := m.start("SAVE", held, held, basename)
	if err != nil {
		return err
	}
	<-j.finished
	return j.err
}

// busy reports whether a save runs or is starting; m.mu is held.
func (m *Manager) busy() bool { return m.running != nil || m.starting }

// start starts a save. It is called with m.mu held and returns with it
// released: m.mu is never held while shards are locked (INFO inside
// MULTI/EXEC reads the manager with every shard held). The returned job's
// finished channel closes once the manager has recorded its outcome.
func (m *Manager) start(why string, held, inline bool, basename string) (*job, error) {
	if !m.Configured() && basename == "" {
		m.mu.Unlock()
		return nil, ErrNoFile
	}
	m.starting = true
	m.mu.Unlock()
	now := time.Now()
	path := m.Path(now)
	if basename != "" {
		path = m.pathOf(basename, now)
	}
	dirty := m.store.Dirty()
	j, err := begin(m.store, path, m.header(now), held, inline, m.Activity)
	m.mu.Lock()
	m.starting = false
	m.lastTry = now
	if err != nil {
		m.fails++
		m.lastOK = false
		m.mu.Unlock()
		m.log.Error("snapshot failed", "reason", why, "file", path, "err", err)
		return nil, fmt.Errorf("ERR %v", err)
	}
	m.running = j
	m.sync = j.finished
	m.mu.Unlock()
	m.log.Info("snapshot started", "reason", why, "file", path, "keys", j.keysTotal)
	go func() {
		<-j.done
		m.finish(j, path, dirty, why)
	}()
	return j, nil
}

func (m *Manager) finish(j *job, path string, dirty int64, why string) {
	m.mu.Lock()
	m.running = nil
	m.lastDuration = time.Since(j.start)
	m.peakQueue = j.q.peak
	if j.err != nil {
		m.fails++
		m.lastOK = false
		if j.err == errCancelled {
			m.log.Warn("snapshot cancelled", "file", path)
		} else {
			m.log.Error("snapshot failed; the previous file is unchanged", "reason", why, "file", path, "err", j.err)
		}
	} else {
		m.saves++
		m.lastOK = true
		m.lastSave = j.start
		m.lastFile = path
		m.dirtyAtSave = dirty
		m.lastHooked = j.hooked.Load()
		m.log.Info("snapshot saved", "reason", why, "file", path, "keys", j.keysDone.Load(),
			"bytes", j.written.Load(), "ahead_of_writes", m.lastHooked, "seconds", m.lastDuration.Seconds())
	}
	again := m.scheduled
	m.scheduled = false
	close(j.finished)
	if again && !m.busy() {
		if _, err := m.start("BGSAVE SCHEDULE", false, false, ""); err != nil {
			m.log.Warn("scheduled snapshot not started", "err", err)
		}
		return
	}
	m.mu.Unlock()
}

// Wait blocks until no save runs.
func (m *Manager) Wait() {
	for {
		m.mu.Lock()
		done := m.sync
		running, starting := m.running != nil, m.starting
		m.mu.Unlock()
		switch {
		case running:
			<-done
		case starting:
			time.Sleep(time.Millisecond)
		default:
			return
		}
	}
}

// Shutdown cancels a running save and, when save is true and a file name
// is configured, saves synchronously.
func (m *Manager) Shutdown(save bool) error {
	m.mu.Lock()
	m.scheduled = false
	if j := m.running; j != nil {
		j.cancel()
	}
	m.mu.Unlock()
	m.Wait()
	if !save || !m.Configured() {
		return nil
	}
	m.log.Info("saving the dataset before shutdown")
	return m.Save(false, "")
}

// LastSave is the unix time of the last successful save (the start time
// before any).
func (m *Manager) LastSave() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastSave.Unix()
}

// Run checks the save rules and schedules every second until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.tick(now)
		}
	}
}

// tick is one check of the rules: Redis's serverCron save points (at least
// Changes changes and more than Seconds since the last save, retrying a
// failed save after 5 seconds), then the schedules, once per matching
// minute.
func (m *Manager) tick(now time.Time) {
	if m.loading != nil && m.loading.Load() {
		return
	}
	m.mu.Lock()
	if m.busy() || !m.Configured() {
		m.mu.Unlock()
		return
	}
	dirty := m.store.Dirty() - m.dirtyAtSave
	for _, sp := range m.cfg.Save.Get() {
		if dirty >= sp.Changes && now.Sub(m.lastSave) > time.Duration(sp.Seconds)*time.Second &&
			(m.lastOK || now.Sub(m.lastTry) > 5*time.Second) {
			m.log.Info(fmt.Sprintf("%d changes in %d seconds. Saving...", sp.Changes, sp.Seconds))
			m.start("save rule", false, false, "")
			return
		}
	}
	minute := now.Unix() / 60
	if minute != m.lastSchedMin && ((m.cfg.SaveSchedule != nil && m.cfg.SaveSchedule.Matches(now)) ||
		(m.cfg.SnapshotCron != nil && m.cfg.SnapshotCron.Matches(now))) {
		m.lastSchedMin = minute
		m.start("schedule", false, false, "")
		return
	}
	m.mu.Unlock()
}

// NextScheduled is when the schedule next saves (zero when none).
func (m *Manager) NextScheduled(now time.Time) time.Time {
	if c := m.cfg.SnapshotCron; c != nil {
		return c.Next(now)
	}
	if s := m.cfg.SaveSchedule; s != nil {
		t := now.Truncate(time.Minute).Add(time.Minute)
		for i := 0; i < 48*60; i++ {
			if s.Matches(t) {
				return t
			}
			t = t.Add(time.Minute)
		}
	}
	return time.Time{}
}

// Info fills INFO's persistence fields.
func (m *Manager) Info(d *info.Data) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d.Loading = m.loading != nil && m.loading.Load()
	if d.Loading {
		d.LoadingStartTime = m.loadStart.Unix()
		d.LoadingTotalBytes = m.loadTotal
		d.LoadingRDBUsedMem = m.loadUsedMem
		d.LoadingLoadedBytes = m.loadRead.Load()
	}
	d.RDBChangesSinceLastSave = m.store.Dirty() - m.dirtyAtSave
	d.RDBLastSaveTime = m.lastSave.Unix()
	d.RDBLastBgsaveStatus = "ok"
	if !m.lastOK {
		d.RDBLastBgsaveStatus = "err"
	}
	d.RDBLastBgsaveTimeSec = -1
	if m.saves+m.fails > 0 {
		d.RDBLastBgsaveTimeSec = int64(m.lastDuration.Seconds())
	}
	d.RDBCurrentBgsaveTimeSec = -1
	if j := m.running; j != nil {
		d.RDBBgsaveInProgress = true
		d.RDBCurrentBgsaveTimeSec = int64(time.Since(j.start).Seconds())
		d.CurrentSaveKeysProcessed = j.keysDone.Load()
		d.CurrentSaveKeysTotal = j.keysTotal
		d.CurrentCOWSize, d.CurrentCOWPeak = j.q.sizes()
	}
	d.RDBSaves = m.saves
	d.RDBLastCOWSize = int64(m.peakQueue)
	d.RDBLastLoadKeysLoaded = m.keysLoaded
	d.RDBLastLoadKeysExpired = m.keysExpired
}

// Metrics fills the snapshot counters of /metrics (Dragonfly counts every
// save attempt in backups_total and the failed ones again in
// failed_backups_total).
func (m *Manager) Metrics(s *metrics.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Backups = m.saves + m.fails
	s.FailedBackups = m.fails
	s.Restores = m.restores
	s.FailedRestores = m.failedRestores
}

// Status is the persistence state the admin console shows.
type Status struct {
	Configured    bool
	Dir, File     string
	InProgress    bool
	LastSave      time.Time
	LastStatus    string
	LastDuration  float64
	NextScheduled time.Time
	Saves, Fails  int64
}

// Status reports the persistence state.
func (m *Manager) Status() Status {
	now := time.Now()
	next := m.NextScheduled(now)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Status{Configured: m.Configured(), Dir: m.cfg.Dir.Get(), File: m.cfg.DBFilename.Get(),
		InProgress: m.running != nil, LastStatus: "ok", LastDuration: m.lastDuration.Seconds(),
		NextScheduled: next, Saves: m.saves, Fails: m.fails}
	if m.saves > 0 {
		s.LastSave = m.lastSave
	}
	if !m.lastOK {
		s.LastStatus = "err"
	}
	if m.lastFile != "" {
		s.File = filepath.Base(m.lastFile)
	}
	return s
}

// removeStaleTemps deletes leftovers of saves a crash interrupted.
func (m *Manager) removeStaleTemps() {
	name := m.cfg.DBFilename.Get()
	if name == "" {
		return
	}
	pattern := substitute(name, "*", "*", "*", "*")
	if filepath.Ext(pattern) == "" {
		pattern += "*"
	}
	matches, _ := filepath.Glob(filepath.Join(m.cfg.Dir.Get(), pattern+".tmp"))
	sort.Strings(matches)
	for _, p := range matches {
		m.log.Warn("removing the temporary file of an interrupted save", "file", p)
		os.Remove(p)
	}
}
