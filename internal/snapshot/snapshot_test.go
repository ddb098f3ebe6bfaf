package snapshot

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/digest"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/shard"
	"github.com/damselfly-db/damselfly/internal/value"
)

func newManager(t *testing.T, dir string, shards int, flags ...string) (*Manager, *shard.Store) {
	t.Helper()
	args := append([]string{"--dir", dir, "--dbfilename", "dump.rdb"}, flags...)
	cfg, err := config.Load(args, nil, io.Discard, "test")
	if err != nil {
		t.Fatal(err)
	}
	st := shard.NewStore(shards, 16)
	var loading atomic.Bool
	m := New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), &loading)
	m.RedisVersion = "7.4.0"
	return m, st
}

// contents renders every key of the store canonically: database, key,
// type, expiry and a digest of the value, so two stores compare equal
// when they hold the same data whatever the encodings.
func contents(st *shard.Store) map[string]string {
	out := map[string]string{}
	for i := 0; i < st.N(); i++ {
		sh := st.Shard(i)
		sh.Lock(time.Now().UnixMilli())
		for db := 0; db < sh.NumDBs(); db++ {
			d := sh.DB(db)
			d.Each(func(r keyspace.Ref) bool {
				var s digest.Sum
				if d.Kind(r) == value.String {
					s.Mix(d.Str(r))
				} else if dg, ok := d.Obj(r).(digest.Digester); ok {
					dg.Digest(&s)
				}
				extra := ""
				if h, ok := d.Obj(r).(*value.HashValue); ok && h.HasFieldTTLs() {
					var ttls []string
					h.EachFieldTTL(func(f string, at int64) { ttls = append(ttls, f+"@"+strconv.FormatInt((at+999)/1000, 10)) })
					sort.Strings(ttls)
					extra = fmt.Sprint(ttls)
				}
				if sv, ok := d.Obj(r).(*value.StreamValue); ok {
					extra = fmt.Sprintf("%v %v %v %d %+v", sv.LastID(), sv.FirstID(), sv.MaxDeletedID(), sv.EntriesAdded(), streamOf(sv).Groups)
				}
				out[fmt.Sprintf("%d:%s", db, d.Key(r))] = fmt.Sprintf("%s exp=%d %s %s", d.Kind(r), d.ExpireAt(r), s.Hex(), extra)
				return true
			})
		}
		sh.Unlock()
	}
	return out
}

// populate fills the store with every type and encoding.
func populate(st *shard.Store, n int, withFieldTTL bool) {
	now := time.Now().UnixMilli()
	lim := DefaultLimits
	put := func(db int, key string, fn func(d *keyspace.DB)) {
		sh := st.Shard(st.Of([]byte(key)))
		sh.Lock(now)
		fn(sh.DB(db))
		sh.Unlock()
	}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("str:%d", i)
		put(0, k, func(d *keyspace.DB) {
			var exp int64
			if i%7 == 0 {
				exp = now + 3600_000 + int64(i)
			}
			val := []byte(fmt.Sprintf("value-%d", i))
			switch i % 4 {
			case 1:
				val = []byte(strconv.Itoa(i * 1000))
			case 2:
				val = bytes.Repeat([]byte{byte(i), 0, '\n'}, i%50)
			}
			d.SetString([]byte(k), val, exp, false)
		})
	}
	put(0, "hash:small", func(d *keyspace.DB) {
		h := value.NewHash()
		h.Set([]byte("f"), []byte("v"), lim.Hash)
		h.Set([]byte("n"), []byte("42"), lim.Hash)
		d.SetObject([]byte("hash:small"), h, false)
	})
	put(1, "hash:big", func(d *keyspace.DB) {
		h := value.NewHash()
		for i := 0; i < 500; i++ {
			h.Set([]byte(fmt.Sprintf("field-%d", i)), []byte(fmt.Sprintf("v%d", i)), lim.Hash)
		}
		d.SetObject([]byte("hash:big"), h, false)
	})
	if withFieldTTL {
		put(0, "hash:ttl", func(d *keyspace.DB) {
			h := value.NewHash()
			h.Set([]byte("a"), []byte("1"), lim.Hash)
			h.Set([]byte("b"), []byte("2"), lim.Hash)
			h.SetFieldTTL([]byte("a"), now+7200_000)
			d.SetObject([]byte("hash:ttl"), h, false)
		})
	}
	put(0, "set:ints", func(d *keyspace.DB) {
		s := value.NewSet()
		for _, m := range []string{"3", "-1", "100000", "9000000000"} {
			s.Add([]byte(m), lim.MaxIntset)
		}
		d.SetObject([]byte("set:ints"), s, false)
	})
	put(2, "set:strs", func(d *keyspace.DB) {
		s := value.NewSetSized([]byte("a"), 3)
		for _, m := range []string{"a", "b", "1"} {
			s.Add([]byte(m), lim.MaxIntset)
		}
		d.SetObject([]byte("set:strs"), s, false)
	})
	put(0, "zset:small", func(d *keyspace.DB) {
		z := value.NewZSet()
		z.Set([]byte("a"), 1.5, lim.ZSet)
		z.Set([]byte("b"), -3, lim.ZSet)
		d.SetObject([]byte("zset:small"), z, false)
	})
	put(0, "zset:big", func(d *keyspace.DB) {
		z := value.NewZSet()
		for i := 0; i < 300; i++ {
			z.Set([]byte(fmt.Sprintf("m%d", i)), float64(i)/7, lim.ZSet)
		}
		d.SetObject([]byte("zset:big"), z, false)
	})
	put(3, "list", func(d *keyspace.DB) {
		l := value.NewQuicklist(lim.ListFill)
		for i := 0; i < 3000; i++ {
			l.PushBack([]byte(fmt.Sprintf("el-%d", i)))
		}
		d.SetObject([]byte("list"), l, false)
	})
	put(15, "stream", func(d *keyspace.DB) {
		s := value.NewStream()
		for i := 1; i <= 250; i++ {
			s.Append(value.StreamID{Ms: uint64(i), Seq: 0}, [][]byte{[]byte("f"), []byte(strconv.Itoa(i))}, lim.Stream)
		}
		s.DeleteIDs([]value.StreamID{{Ms: 5}})
		g := s.CreateGroup([]byte("grp"), value.StreamID{Ms: 3}, 3)
		c := g.CreateConsumer([]byte("alice"), now)
		s.Deliver(g, value.StreamID{Ms: 1}, c, false, now)
		s.Deliver(g, value.StreamID{Ms: 2}, c, false, now)
		d.SetObject([]byte("stream"), s, false)
	})
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m, st := newManager(t, dir, 4)
	populate(st, 2000, true)
	want := contents(st)
	if err := m.Save(false, ""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dump.rdb")
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
	m2, st2 := newManager(t, dir, 3)
	if err := m2.LoadAtStart(); err != nil {
		t.Fatal(err)
	}
	got := contents(st2)
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: got %q want %q", k, got[k], v)
		}
	}
}

// TestRedisCheckRDB has redis-check-rdb 7.0 verify a file of every type
// Redis 7.0 has (field TTLs are Dragonfly's type).
func TestRedisCheckRDB(t *testing.T) {
	if _, err := exec.LookPath("redis-check-rdb"); err != nil {
		t.Skip("redis-check-rdb not installed")
	}
	dir := t.TempDir()
	m, st := newManager(t, dir, 2)
	populate(st, 500, false)
	if err := m.Save(false, ""); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("redis-check-rdb", filepath.Join(dir, "dump.rdb")).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}
}

// TestPointInTime writes while a save runs: the file must hold exactly the
// data as it was when the save started.
func TestPointInTime(t *testing.T) {
	dir := t.TempDir()
	m, st := newManager(t, dir, 4)
	populate(st, 20000, true)
	// A slow walk, so that writers race it.
	chunkPause = 2 * time.Millisecond
	defer func() { chunkPause = 0 }()
	want := contents(st)
	if _, err := m.BGSave(false, false, ""); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	lim := DefaultLimits
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := []byte(fmt.Sprintf("str:%d", r.IntN(20000)))
				sh := st.Shard(st.Of(key))
				sh.Lock(time.Now().UnixMilli())
				d := sh.DB(0)
				d.BeforeWrite(key) // what the dispatcher does for a write command
				switch n % 6 {
				case 0:
					d.Delete(key)
				case 1:
					if ref, ok := d.Peek(key); ok {
						d.AppendString(ref, []byte("+"))
					}
				case 2:
					d.SetString(key, []byte("overwritten"), 0, false)
				case 3:
					d.SetString([]byte(fmt.Sprintf("new:%d:%d", w, n)), []byte("x"), 0, false)
				case 4:
					hk := []byte("hash:small")
					if hsh := st.Shard(st.Of(hk)); hsh == sh {
						d.BeforeWrite(hk)
						if ref, ok := d.Peek(hk); ok {
							d.Obj(ref).(*value.HashValue).Set([]byte(fmt.Sprint("f", n)), []byte("changed"), lim.Hash)
						}
					}
				case 5:
					if ref, ok := d.Peek(key); ok {
						d.SetExpireAt(ref, time.Now().UnixMilli()+1000)
					}
				}
				sh.Unlock()
			}
		}(w)
	}
	// FLUSHDB of database 2 and SWAPDB 1 15 while the save runs.
	all := st.All()
	st.LockSet(&all, time.Now().UnixMilli())
	for i := 0; i < st.N(); i++ {
		st.Shard(i).DB(2).Clear()
		st.Shard(i).SwapDB(1, 15)
	}
	st.UnlockSet(&all)
	m.Wait()
	close(stop)
	wg.Wait()
	if s := m.Status(); s.Saves != 1 || s.LastStatus != "ok" {
		t.Fatalf("status %+v", s)
	}
	t.Logf("%d entries written ahead of a change", m.lastHooked)
	if m.lastHooked == 0 {
		t.Error("no write raced the walk")
	}
	m2, st2 := newManager(t, dir, 2)
	if err := m2.LoadAtStart(); err != nil {
		t.Fatal(err)
	}
	got := contents(st2)
	if len(got) != len(want) {
		t.Errorf("%d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: got %q want %q", k, got[k], v)
		}
	}
}

// TestFailedSaveKeepsOldFile: a write error leaves the previous file and
// reports the failure.
func TestFailedSaveKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	m, st := newManager(t, dir, 2)
	populate(st, 100, false)
	if err := m.Save(false, ""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dump.rdb")
	old, _ := os.ReadFile(path)
	// The temporary file is /dev/full: every write fails with ENOSPC.
	if err := os.Symlink("/dev/full", path+".tmp"); err != nil {
		t.Skip(err)
	}
	if err := m.Save(false, ""); err == nil {
		t.Fatal("save to a full disk succeeded")
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Fatal("the old file changed")
	}
	if s := m.Status(); s.LastStatus != "err" || s.Fails != 1 {
		t.Fatalf("status %+v", s)
	}
	if _, err := os.Lstat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary file left")
	}
	if err := m.Save(false, ""); err != nil {
		t.Fatal(err)
	}
}

func TestFileNames(t *testing.T) {
	dir := t.TempDir()
	m, _ := newManager(t, dir, 1, "--dbfilename", "dump-{timestamp}")
	at := time.Date(2024, 3, 5, 7, 8, 9, 0, time.Local)
	if p := m.Path(at); p != filepath.Join(dir, "dump-2024-03-05T07:08:09.rdb") {
		t.Fatal(p)
	}
	for i, name := range []string{"dump-2024-03-05T07:08:09.rdb", "dump-2024-03-06T07:08:09.rdb", "dump-2024-03-07T07:08:09.rdb.tmp", "other.rdb"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, nil, 0o644)
		tm := time.Now().Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, tm, tm)
	}
	if p, _ := m.FindLatest(); filepath.Base(p) != "dump-2024-03-06T07:08:09.rdb" {
		t.Fatal(p)
	}
	m.removeStaleTemps()
	if _, err := os.Stat(filepath.Join(dir, "dump-2024-03-07T07:08:09.rdb.tmp")); !os.IsNotExist(err) {
		t.Fatal("stale temporary file kept")
	}
}
