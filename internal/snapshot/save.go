package snapshot

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/rdb"
	"github.com/damselfly-db/damselfly/internal/shard"
)

// A save, without fork (see keyspace/snapshot.go for the invariant):
//
//  1. With every shard locked at once (a few microseconds), each database
//     of each shard starts its snapshot: it records the shard's version
//     counter V0 and the walk position 0. The file's point in time is this
//     moment, for every shard together.
//  2. One walker goroutine per shard serializes its databases' entries in
//     chunks: a lock hold covers at most chunkEntries entries, chunkBytes
//     of output or chunkSlots slots, then the chunk goes to the writer.
//  3. Meanwhile a command about to change an entry the walk has not
//     reached serializes it first (keyspace calls shardSaver.Save under
//     the lock it already holds) into the same per-shard buffer. Writers
//     never wait: the buffer is handed over without blocking.
//  4. One writer goroutine appends the chunks to <file>.tmp, folding them
//     into the CRC64; every chunk starts with SELECTDB, so chunks of
//     different shards interleave freely. Walkers wait while more than
//     queueLimit bytes are queued (the disk sets the pace of the walk, not
//     of the writers).
//  5. At the end: EOF and checksum, fsync, rename over the file, fsync the
//     directory. Any error leaves the old file untouched and removes the
//     temporary one.
//
// Extra memory is the queue (bounded for the walkers) plus what writers
// changed while the save ran: each changed entry is serialized once.

const (
	busyRate     = 1000 // commands a second above which the walk is paced
	chunkBytes   = 32 << 10
	chunkEntries = 512
	chunkSlots   = 16 << 10
	queueLimit   = 2 << 20
	writeBuffer  = 64 << 10
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkBytes+chunkBytes/4); return &b }}

func getBuf() []byte { return (*bufPool.Get().(*[]byte))[:0] }

func putBuf(b []byte) {
	if cap(b) <= 4*chunkBytes {
		bufPool.Put(&b)
	}
}

// queue hands chunks to the writer: push never blocks (commands call it
// with a shard locked); walkers wait for room before their next chunk.
type queue struct {
	mu     sync.Mutex
	cond   sync.Cond
	bufs   [][]byte
	bytes  int
	peak   int
	closed bool
}

func (q *queue) init() { q.cond.L = &q.mu }

func (q *queue) push(b []byte) {
	q.mu.Lock()
	q.bufs = append(q.bufs, b)
	q.bytes += len(b)
	q.peak = max(q.peak, q.bytes)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// waitRoom blocks while the queue is over its limit, unless stop.
func (q *queue) waitRoom(stop *atomic.Bool) {
	q.mu.Lock()
	for q.bytes > queueLimit && !stop.Load() {
		q.cond.Wait()
	}
	q.mu.Unlock()
}

// pop returns the next chunk, waiting for one; false once closed and
// drained.
func (q *queue) pop() ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.bufs) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.bufs) == 0 {
		return nil, false
	}
	b := q.bufs[0]
	q.bufs[0] = nil
	q.bufs = q.bufs[1:]
	q.bytes -= len(b)
	q.cond.Broadcast()
	return b, true
}

// sizes returns the bytes queued now and at most so far.
func (q *queue) sizes() (cur, peak int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return int64(q.bytes), int64(q.peak)
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// job is one save in progress.
type job struct {
	store  *shard.Store
	q      queue
	savers []*shardSaver
	start  time.Time

	keysTotal int64
	keysDone  atomic.Int64
	hooked    atomic.Int64 // entries written ahead of a change
	stop      atomic.Bool  // a write failed or the save was cancelled
	cancelled atomic.Bool
	written   atomic.Int64 // bytes written to the file
	done      chan struct{}
	err       error         // set before done closes
	finished  chan struct{} // closed once the manager recorded the outcome
	// ops counts the commands the server ran (pacing); nil: none.
	activity func() int64
	// slots bounds how many walkers serialize at once: at most half the
	// processors, so that one stays idle enough to poll the network (a
	// Go scheduler with every P busy notices ready connections only every
	// 10 ms, which writers would see as latency).
	slots chan struct{}
}

// shardSaver walks one shard and receives its pre-write hand-offs. Its
// fields are guarded by the shard's lock.
type shardSaver struct {
	j     *job
	sh    *shard.Shard
	dbs   []*keyspace.DB // what to walk: the databases as they were at the start
	cur   int            // index in dbs of the walk
	enc   rdb.Encoder
	curDB int // database of the last SELECTDB in enc.Buf; -1 for none
}

// Save implements keyspace.Saver.
func (s *shardSaver) Save(d *keyspace.DB, r keyspace.Ref) {
	s.j.hooked.Add(1)
	s.write(d, r)
	if len(s.enc.Buf) >= chunkBytes {
		s.j.q.push(s.take())
	}
}

// Cleared implements keyspace.Saver: the walk goes on over old.
func (s *shardSaver) Cleared(d, old *keyspace.DB) {
	for i, x := range s.dbs {
		if x == d {
			s.dbs[i] = old
		}
	}
}

func (s *shardSaver) write(d *keyspace.DB, r keyspace.Ref) {
	if idx := d.SnapshotIndex(); idx != s.curDB {
		s.enc.SelectDB(idx)
		s.curDB = idx
	}
	if EncodeEntry(&s.enc, d, r) {
		s.j.keysDone.Add(1)
	}
}

// take returns the pending bytes and starts a new buffer, which will
// begin with a SELECTDB of its own.
func (s *shardSaver) take() []byte {
	b := s.enc.Buf
	s.enc.Buf = getBuf()
	s.curDB = -1
	return b
}

// step serializes one chunk; it reports whether the shard is done.
func (s *shardSaver) step() bool {
	entries := 0
	for s.cur < len(s.dbs) {
		d := s.dbs[s.cur]
		full := false
		done := d.SnapshotWalk(chunkSlots, func(r keyspace.Ref) bool {
			s.write(d, r)
			entries++
			full = entries >= chunkEntries || len(s.enc.Buf) >= chunkBytes
			return !full
		})
		if !done {
			return false
		}
		s.cur++
		if full {
			return s.cur == len(s.dbs)
		}
	}
	return true
}

func (j *job) ops() int64 {
	if j.activity == nil {
		return 0
	}
	return j.activity()
}

// end detaches the shard's databases; the shard must be locked.
func (s *shardSaver) end() {
	for _, d := range s.dbs {
		d.EndSnapshot()
	}
	for i := 0; i < s.sh.NumDBs(); i++ {
		s.sh.DB(i).EndSnapshot()
	}
}

// walk runs the shard's side of the save.
func (s *shardSaver) walk(wg *sync.WaitGroup) {
	defer wg.Done()
	lastOps, lastAt := s.j.ops(), time.Now()
	for {
		s.j.slots <- struct{}{}
		t0 := time.Now()
		s.sh.Lock(t0.UnixMilli())
		stop := s.j.stop.Load()
		done := stop || s.step()
		if done {
			s.end()
		}
		b := s.take()
		s.sh.Unlock()
		<-s.j.slots
		if len(b) > 0 && !stop {
			s.j.q.push(b)
		} else {
			putBuf(b)
		}
		if done {
			return
		}
		s.j.q.waitRoom(&s.j.stop)
		// Park between chunks so that the processor polls the network:
		// with every P kept busy (runtime.Gosched is not enough: the walker
		// is the next runnable goroutine), Go notices ready connections only
		// every 10 ms, which writers see as latency (bench/snapshot.sh:
		// writer p99 9-12 ms with Gosched, about 4 ms with this, for ~10%
		// longer saves).
		//
		// While clients are busy (over busyRate commands a second), the
		// walk also gives way: it sleeps twice as long as the chunk took,
		// using at most a third of a processor. On few cores a walk at full
		// speed takes CPU time the connections need (Redis's fork uses a
		// core of its own): writer p99 4 ms at full speed, 0.9 ms paced,
		// against 1.6 ms for Redis on the same 2-core machine, while the
		// save still ends sooner than Redis's (bench/snapshot.sh).
		pause := time.Microsecond
		if now := time.Now(); now.Sub(lastAt) > 0 {
			ops := s.j.ops()
			if float64(ops-lastOps)/now.Sub(lastAt).Seconds() > busyRate {
				pause = 2 * now.Sub(t0)
			}
			lastOps, lastAt = ops, now
		}
		time.Sleep(pause)
		if chunkPause > 0 {
			time.Sleep(chunkPause)
		}
	}
}

// chunkPause slows the walk down between chunks (tests race writers
// against it).
var chunkPause time.Duration

// begin starts a save of st into path; header holds the file's first
// bytes (signature, AUX fields, functions). The save runs in the
// background; wait on j.done. held: the caller holds every shard (a
// command inside MULTI/EXEC or a script); with inline too, the walk runs
// now in the caller's goroutine, which keeps the world stopped as Redis's
// SAVE does, instead of in walkers that would wait for the locks.
func begin(st *shard.Store, path string, header []byte, held, inline bool, activity func() int64) (*job, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	j := &job{store: st, start: time.Now(), done: make(chan struct{}), finished: make(chan struct{}), activity: activity,
		slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))}
	j.q.init()
	all := st.All()
	if !held {
		st.LockSet(&all, j.start.UnixMilli())
	}
	for i := 0; i < st.N(); i++ {
		sh := st.Shard(i)
		s := &shardSaver{j: j, sh: sh, curDB: -1}
		s.enc.Buf = getBuf()
		for k := 0; k < sh.NumDBs(); k++ {
			d := sh.DB(k)
			d.StartSnapshot(s, k)
			s.dbs = append(s.dbs, d)
			j.keysTotal += int64(d.Len())
		}
		j.savers = append(j.savers, s)
	}
	st.SetSaving(true)
	if !held {
		st.UnlockSet(&all)
	}
	go j.writeFile(f, tmp, path, header)
	if held && inline {
		for _, s := range j.savers {
			s.walkHeld()
		}
		j.q.close()
		return j, nil
	}
	var wg sync.WaitGroup
	for _, s := range j.savers {
		wg.Add(1)
		go s.walk(&wg)
	}
	go func() {
		wg.Wait()
		j.q.close()
	}()
	return j, nil
}

// walkHeld is walk for a caller that holds every shard.
func (s *shardSaver) walkHeld() {
	for {
		stop := s.j.stop.Load()
		done := stop || s.step()
		if done {
			s.end()
		}
		if b := s.take(); len(b) > 0 && !stop {
			s.j.q.push(b)
		}
		if done {
			return
		}
		s.j.q.waitRoom(&s.j.stop)
	}
}

var errCancelled = errors.New("snapshot: save cancelled")

// writeFile is the writer goroutine.
func (j *job) writeFile(f *os.File, tmp, path string, header []byte) {
	defer close(j.done)
	defer j.store.SetSaving(false)
	w := bufio.NewWriterSize(f, writeBuffer)
	crc := rdb.CRC64(0, header)
	_, err := w.Write(header)
	for {
		b, ok := j.q.pop()
		if !ok {
			break
		}
		if err == nil {
			crc = rdb.CRC64(crc, b)
			_, err = w.Write(b)
			j.written.Add(int64(len(b)))
			if err != nil {
				j.stop.Store(true)
				j.q.cond.Broadcast()
			}
		}
		putBuf(b)
	}
	if err == nil && j.cancelled.Load() {
		err = errCancelled
	}
	if err == nil {
		tail := rdb.AppendChecksum([]byte{rdb.OpEOF}, rdb.CRC64(crc, []byte{rdb.OpEOF}))
		_, err = w.Write(tail)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	} else {
		os.Remove(tmp)
	}
	j.err = err
}

// cancel stops the save; the old file stays.
func (j *job) cancel() {
	j.cancelled.Store(true)
	j.stop.Store(true)
	j.q.cond.Broadcast()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
