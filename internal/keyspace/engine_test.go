package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/damselfly-db/damselfly/internal/value"
)

// mval is the model's view of one key.
type mval struct {
	str string
	obj value.Object // nil for strings
	exp int64
	raw bool
}

// checkModel compares the DB with the model key by key and checks the
// DB's internal bookkeeping: live arena bytes, expiry count and list,
// value accounting.
func checkModel(t *testing.T, d *DB, model map[string]*mval, step int) {
	t.Helper()
	for k, v := range model {
		r, ok := d.Peek([]byte(k))
		if v.exp != 0 && v.exp <= d.clock.Ms {
			if ok {
				t.Fatalf("step %d: %q should have expired", step, k)
			}
			delete(model, k)
			continue
		}
		if !ok {
			t.Fatalf("step %d: %q missing", step, k)
		}
		if d.Key(r) != k {
			t.Fatalf("step %d: key %q reads back as %q", step, k, d.Key(r))
		}
		if got := d.ExpireAt(r); got != v.exp {
			t.Fatalf("step %d: %q expiry %d want %d", step, k, got, v.exp)
		}
		if v.obj != nil {
			if d.Obj(r) != v.obj || d.Kind(r) != v.obj.Kind() {
				t.Fatalf("step %d: %q object mismatch", step, k)
			}
			continue
		}
		if d.Kind(r) != value.String || string(d.Str(r)) != v.str {
			t.Fatalf("step %d: %q = %.40q want %.40q", step, k, d.Str(r), v.str)
		}
		if d.IsRaw(r) != v.raw {
			t.Fatalf("step %d: %q raw %v want %v", step, k, d.IsRaw(r), v.raw)
		}
	}
	if d.Len() != len(model) {
		t.Fatalf("step %d: len %d want %d", step, d.Len(), len(model))
	}
	var live int64
	nexp, inExp, n := 0, 0, 0
	var strBytes int64
	for i := 0; i < d.nslots; i++ {
		e := d.ent(Ref(i))
		if e.meta&flagInExp != 0 {
			inExp++
		}
		if !e.live() {
			continue
		}
		n++
		rc := d.rec(e)
		live += int64(rc.size)
		if e.hasExp() {
			nexp++
		}
		if e.kind() == value.String {
			strBytes += d.valueBytes(e, &rc)
		}
	}
	if n != len(model) || live != d.arena.live || nexp != d.ExpiresLen() || inExp != d.exp.len() {
		t.Fatalf("step %d: entries %d/%d, arena live %d/%d, expires %d/%d, exp list %d/%d",
			step, n, len(model), live, d.arena.live, nexp, d.ExpiresLen(), inExp, d.exp.len())
	}
	if strBytes != d.BytesOf(value.String) {
		t.Fatalf("step %d: string bytes %d, accounted %d", step, strBytes, d.BytesOf(value.String))
	}
	var pageLive int64
	for _, p := range d.arena.pages {
		pageLive += int64(p.live)
	}
	if pageLive != live {
		t.Fatalf("step %d: pages say %d live bytes, entries %d", step, pageLive, live)
	}
}

func randVal(rng *rand.Rand, i int) string {
	switch rng.IntN(20) {
	case 0:
		return strings.Repeat("b", inlineMax+rng.IntN(5000)) // out of line
	case 1:
		return strings.Repeat("m", 100+rng.IntN(300)) // two-byte varint
	case 2:
		return ""
	}
	return fmt.Sprint("v", i)
}

// TestEngineModel runs random operations of every kind against the DB and
// a Go map, with expiry, compaction and rehash steps interleaved.
func TestEngineModel(t *testing.T) {
	d, c := newDB()
	model := map[string]*mval{}
	rng := rand.New(rand.NewPCG(7, 9))
	key := func() string {
		if rng.IntN(50) == 0 {
			return strings.Repeat("K", 130+rng.IntN(200)) + fmt.Sprint(rng.IntN(20))
		}
		return fmt.Sprintf("k%d", rng.IntN(3000))
	}
	for i := 0; i < 150_000; i++ {
		k := key()
		cur := model[k]
		if cur != nil && cur.exp != 0 && cur.exp <= c.Ms {
			cur = nil // expired: commands see it absent
		}
		r, ok := d.Find([]byte(k))
		if ok != (cur != nil) {
			t.Fatalf("step %d: find %q = %v, model %v", i, k, ok, cur != nil)
		}
		if !ok {
			delete(model, k)
		}
		switch op := rng.IntN(14); {
		case op < 4:
			v := randVal(rng, i)
			var exp int64
			if rng.IntN(4) == 0 {
				exp = c.Ms + int64(1+rng.IntN(500))
			}
			keep := rng.IntN(5) == 0
			d.SetString([]byte(k), []byte(v), exp, keep)
			nv := &mval{str: v, exp: exp}
			if keep && cur != nil {
				nv.exp = cur.exp
			}
			model[k] = nv
		case op == 4 && ok && cur.obj == nil:
			v := randVal(rng, i)
			d.ReplaceString(r, []byte(v))
			cur.str, cur.raw = v, false
		case op == 5 && ok && cur.obj == nil:
			s := strings.Repeat("a", rng.IntN(700))
			d.AppendString(r, []byte(s))
			cur.str += s
			cur.raw = true
		case op == 6 && ok && cur.obj == nil:
			n := rng.IntN(200)
			b := d.MutableString(r, n)
			if len(b) < n {
				t.Fatalf("mutable string short")
			}
			if len(b) > 0 {
				b[0] = 'Z'
			}
			s := []byte(cur.str)
			for len(s) < n {
				s = append(s, 0)
			}
			if len(s) > 0 {
				s[0] = 'Z'
			}
			cur.str = string(s)
			cur.raw = true
		case op == 7:
			var o value.Object = value.NewHash()
			if rng.IntN(2) == 0 {
				o = value.NewSet()
			}
			keep := rng.IntN(2) == 0
			d.SetObject([]byte(k), o, keep)
			nv := &mval{obj: o}
			if keep && cur != nil {
				nv.exp = cur.exp
			}
			model[k] = nv
		case op == 8 && ok:
			var at int64
			if rng.IntN(3) > 0 {
				at = c.Ms + int64(rng.IntN(1000))
			}
			d.SetExpireAt(r, at)
			cur.exp = at
		case op == 9:
			if got := d.Delete([]byte(k)); got != (cur != nil) {
				t.Fatalf("step %d: delete %q = %v", i, k, got)
			}
			delete(model, k)
		case op == 10:
			c.Ms += int64(rng.IntN(20))
			d.ActiveExpire(20)
		case op == 11:
			d.Maintain(rng.IntN(3000), rng.IntN(64<<10))
		case op == 12:
			d.RehashSome(rng.IntN(50))
		}
		if i%10_000 == 0 {
			checkModel(t, d, model, i)
		}
	}
	checkModel(t, d, model, -1)
	// Drain compaction: afterwards no sparse page holds much.
	for i := 0; i < 100; i++ {
		d.Maintain(1<<20, 1<<30)
	}
	checkModel(t, d, model, -2)
	if d.arena.bytes > 4*d.arena.live+4*maxPageSize {
		t.Fatalf("after compaction the arena is %d bytes for %d live", d.arena.bytes, d.arena.live)
	}
}

// TestCompactionReclaims fills a DB, deletes most keys, and checks that
// heartbeat maintenance gives the arena pages back while keys stay right.
func TestCompactionReclaims(t *testing.T) {
	d, _ := newDB()
	val := bytes.Repeat([]byte("x"), 100)
	for i := 0; i < 100_000; i++ {
		d.SetString([]byte(fmt.Sprint("key:", i)), val, 0, false)
	}
	before := d.arena.bytes
	for i := 0; i < 100_000; i++ {
		if i%10 != 0 {
			d.Delete([]byte(fmt.Sprint("key:", i)))
		}
	}
	if d.arena.bytes < before/2 {
		t.Fatalf("deletes alone should leave sparse pages: %d of %d", d.arena.bytes, before)
	}
	var moved int
	for i := 0; i < 1000; i++ {
		moved += d.Maintain(64<<10, 256<<10).Moved
	}
	if d.arena.bytes > before/4 || moved == 0 {
		t.Fatalf("arena %d bytes after compaction (was %d, live %d), %d records moved", d.arena.bytes, before, d.arena.live, moved)
	}
	for i := 0; i < 100_000; i += 10 {
		r, ok := d.Find([]byte(fmt.Sprint("key:", i)))
		if !ok || !bytes.Equal(d.Str(r), val) {
			t.Fatalf("key:%d lost by compaction", i)
		}
	}
}

// TestViewsSurviveCompaction checks the string-view contract: a Key or
// Str kept past changes and compaction still reads the same bytes.
func TestViewsSurviveCompaction(t *testing.T) {
	d, _ := newDB()
	var keys []string
	var vals [][]byte
	for i := 0; i < 20_000; i++ {
		r := d.SetString([]byte(fmt.Sprint("key:", i)), []byte(fmt.Sprint("val:", i)), 0, false)
		keys = append(keys, d.Key(r))
		vals = append(vals, d.Str(r))
	}
	for i := 0; i < 20_000; i++ {
		if i%3 != 0 {
			d.Delete([]byte(keys[i]))
		} else {
			// A value of another length: one of the same length is
			// written in place (TestSameSizeOverwriteInPlace).
			d.SetString([]byte(keys[i]), []byte("changed, and longer than before"), 0, false)
		}
	}
	for i := 0; i < 200; i++ {
		d.Maintain(1<<16, 1<<20)
	}
	for i := range keys {
		if keys[i] != fmt.Sprint("key:", i) || string(vals[i]) != fmt.Sprint("val:", i) {
			t.Fatalf("view %d changed: %q %q", i, keys[i], vals[i])
		}
	}
}

// TestSameSizeOverwriteInPlace: a string overwritten by a value of its
// length, with an expiry only if it had one, keeps its record (no dead
// bytes, nothing for compaction); its key view stays valid; a change of
// length or of having an expiry writes a new record.
func TestSameSizeOverwriteInPlace(t *testing.T) {
	d, c := newDB()
	key := []byte("cache:item")
	r := d.SetString(key, bytes.Repeat([]byte("a"), 100), 0, false)
	keyView, l := d.Key(r), d.ent(r).loc
	ver, arenaBytes := d.Version(r), d.arena.bytes
	for i := 0; i < 1000; i++ {
		d.SetString(key, bytes.Repeat([]byte{byte('b' + i%20)}, 100), 0, false)
	}
	if d.ent(r).loc != l || d.arena.bytes != arenaBytes || d.DeadBytes() != arenaBytes-int64(recSize(len(key), 100, false, 0, false)) {
		t.Fatalf("same-size overwrites moved the record or left dead bytes: loc %v->%v, arena %d->%d bytes, %d dead", l, d.ent(r).loc, arenaBytes, d.arena.bytes, d.DeadBytes())
	}
	if d.Version(r) == ver {
		t.Fatal("an overwrite in place must give the entry a new version (WATCH, snapshots)")
	}
	if got := d.Str(r); !bytes.Equal(got, bytes.Repeat([]byte{byte('b' + 999%20)}, 100)) {
		t.Fatalf("value %q", got[:10])
	}
	// Gaining an expiry changes the layout: a new record.
	d.SetString(key, bytes.Repeat([]byte("x"), 100), c.Ms+5000, false)
	if d.ent(r).loc == l || d.ExpireAt(r) != c.Ms+5000 {
		t.Fatal("gaining an expiry must write a new record")
	}
	l = d.ent(r).loc
	// Expiry to expiry, same length: in place, expiry updated.
	d.SetString(key, bytes.Repeat([]byte("y"), 100), c.Ms+9000, false)
	if d.ent(r).loc != l || d.ExpireAt(r) != c.Ms+9000 || d.ExpiresLen() != 1 {
		t.Fatalf("in-place overwrite with expiry: loc moved %v, expiry %d", d.ent(r).loc != l, d.ExpireAt(r))
	}
	// KEEPTTL keeps it.
	d.SetString(key, bytes.Repeat([]byte("z"), 100), 0, true)
	if d.ent(r).loc != l || d.ExpireAt(r) != c.Ms+9000 {
		t.Fatal("KEEPTTL overwrite lost the expiry")
	}
	// Losing the expiry, or another length: a new record.
	d.SetString(key, bytes.Repeat([]byte("z"), 100), 0, false)
	if d.ent(r).loc == l || d.ExpireAt(r) != 0 || d.ExpiresLen() != 0 {
		t.Fatal("losing the expiry must write a new record")
	}
	l = d.ent(r).loc
	d.SetString(key, bytes.Repeat([]byte("z"), 101), 0, false)
	if d.ent(r).loc == l || len(d.Str(r)) != 101 {
		t.Fatal("a longer value must write a new record")
	}
	// A string changed in place by SETRANGE is "raw"; SET makes it a plain string again.
	d.MutableString(r, 101)[0] = 'Q'
	if !d.IsRaw(r) {
		t.Fatal("MutableString should mark the value raw")
	}
	d.SetString(key, bytes.Repeat([]byte("w"), 101), 0, false)
	if d.IsRaw(r) {
		t.Fatal("SET over a raw string must clear raw")
	}
	if keyView != "cache:item" {
		t.Fatalf("key view changed: %q", keyView)
	}
}

// TestRecordEncoding round-trips random records through the arena,
// including multi-byte lengths, expiries, handles and records bigger than
// a page.
func TestRecordEncoding(t *testing.T) {
	var a arena
	var holds uint64
	a.init(&holds, NewPagePool())
	rng := rand.New(rand.NewPCG(3, 4))
	type want struct {
		l                 loc
		key, val          []byte
		exp               int64
		handle            int32
		hasExp, hasHandle bool
		size              int
	}
	var all []want
	size := func() int {
		switch rng.IntN(10) {
		case 0:
			return rng.IntN(1 << 15)
		case 1:
			if rng.IntN(50) == 0 {
				return maxPageSize + rng.IntN(1000)
			}
		}
		return rng.IntN(200)
	}
	for i := 0; i < 5000; i++ {
		w := want{key: make([]byte, size()), val: make([]byte, size())}
		for j := range w.key {
			w.key[j] = byte(rng.Uint32())
		}
		for j := range w.val {
			w.val[j] = byte(rng.Uint32())
		}
		w.hasExp, w.hasHandle = rng.IntN(2) == 0, rng.IntN(2) == 0
		if w.hasExp {
			w.exp = int64(rng.Uint64())
		}
		if w.hasHandle {
			w.handle = int32(rng.Uint32() >> uint(rng.IntN(32)))
			w.handle &= 0x7fffffff
		}
		split := rng.IntN(len(w.val) + 1)
		w.l, w.size = a.put(w.key, w.val[:split], w.val[split:], w.exp, w.hasExp, w.handle, w.hasHandle)
		all = append(all, w)
	}
	for i, w := range all {
		rc := a.decode(w.l, w.hasExp, w.hasHandle)
		if !bytes.Equal(rc.key, w.key) || !bytes.Equal(rc.val, w.val) || rc.size != w.size ||
			(w.hasExp && rc.exp != w.exp) || (w.hasHandle && rc.handle != w.handle) {
			t.Fatalf("record %d does not round-trip", i)
		}
		if !bytes.Equal(a.keyAt(w.l, w.hasExp, w.hasHandle), w.key) {
			t.Fatalf("record %d: keyAt", i)
		}
		if w.size != slotSize(recSize(len(w.key), len(w.val), w.hasExp, w.handle, w.hasHandle)) {
			t.Fatalf("record %d: size", i)
		}
	}
}

// TestPackedHashes checks that idle small hashes are packed into the arena
// by Maintain, read back equal, stay changeable through Obj, and cost less.
func TestPackedHashes(t *testing.T) {
	d, c := newDB()
	lim := value.HashLimits{MaxEntries: 128, MaxValue: 64}
	for i := 0; i < 10_000; i++ {
		h := value.NewHash()
		h.Set([]byte("f"), []byte(fmt.Sprint("v", i)), lim)
		r := d.SetObject([]byte(fmt.Sprint("h:", i)), h, false)
		if i%2 == 0 {
			d.SetExpireAt(r, c.Ms+1_000_000)
		}
	}
	before := d.Bytes()
	var packed int
	d.Maintain(1<<20, 0)
	if packed = d.Maintain(1<<20, 0).Packed; packed != 0 {
		t.Fatalf("packed %d hashes used this second", packed)
	}
	c.Ms += 1000
	if packed = d.Maintain(1<<20, 0).Packed; packed != 10_000 {
		t.Fatalf("packed %d of 10000 idle hashes", packed)
	}
	if after := d.Bytes(); after >= before-10_000*40 {
		t.Fatalf("packing saved only %d bytes", before-after)
	}
	for i := 0; i < 10_000; i += 7 {
		k := []byte(fmt.Sprint("h:", i))
		r, ok := d.Find(k)
		if !ok || d.Kind(r) != value.Hash {
			t.Fatalf("h:%d lost", i)
		}
		h := d.Obj(r).(*value.HashValue)
		if v, _ := h.Get([]byte("f")); string(v) != fmt.Sprint("v", i) || h.Len() != 1 {
			t.Fatalf("h:%d reads %q", i, v)
		}
		h.Set([]byte("g"), []byte("new"), lim)
		if want := int64(0); i%2 == 0 {
			want = c.Ms - 1000 + 1_000_000
			if d.ExpireAt(r) != want {
				t.Fatalf("h:%d expiry %d want %d", i, d.ExpireAt(r), want)
			}
		} else if d.ExpireAt(r) != want {
			t.Fatalf("h:%d gained an expiry", i)
		}
	}
	c.Ms += 1000
	d.Maintain(1<<20, 0)
	for i := 0; i < 10_000; i += 7 {
		r, _ := d.Find([]byte(fmt.Sprint("h:", i)))
		h := d.Obj(r).(*value.HashValue)
		if v, _ := h.Get([]byte("g")); string(v) != "new" || h.Len() != 2 {
			t.Fatalf("h:%d lost its change across packing", i)
		}
	}
	if d.Len() != 10_000 || d.ExpiresLen() != 5000 {
		t.Fatalf("len %d expires %d", d.Len(), d.ExpiresLen())
	}
}

// TestLFUDecay: the counter starts at 5, loses one per lfu-decay-time
// minutes of idleness, and the idle time reads back from the LRU bits.
func TestLFUDecay(t *testing.T) {
	d, c := newDB()
	c.Policy = NewPolicy()
	c.Policy.Set("allkeys-lfu", 10, 1)
	r := d.SetString([]byte("k"), []byte("v"), 0, false)
	if f := d.Freq(r); f != lfuInit {
		t.Fatalf("new key freq %d", f)
	}
	c.Ms += 3 * minuteMs
	if f := d.Freq(r); f != lfuInit-3 {
		t.Fatalf("after 3 idle minutes freq %d, want %d", f, lfuInit-3)
	}
	d.Find([]byte("k")) // decays to 2, then a certain increment
	if f := d.Freq(r); f != lfuInit-3+1 {
		t.Fatalf("after a hit freq %d", f)
	}
	c.Policy.Set("allkeys-lru", 10, 1)
	d.Find([]byte("k"))
	c.Ms += 7_000
	if idle := d.LRUIdleMs(r); idle < 6_000 || idle > 8_000 {
		t.Fatalf("idle %d ms, want ~7000", idle)
	}
	if at := d.AccessTime(r); c.Ms-at < 6_000 || c.Ms-at > 8_000 {
		t.Fatalf("access time %d ms ago", c.Ms-at)
	}
}

// TestTightCompactionKeepsFewerDeadBytes: under overwrites spread over the
// keyspace (a cache's SETs) pages decay evenly, so the live-share
// threshold bounds the dead share of the arena; SetCompactTight (an
// evicting cache near its limit) must hold it well under the default's.
func TestTightCompactionKeepsFewerDeadBytes(t *testing.T) {
	deadShare := func(tight bool) float64 {
		d, _ := newDB()
		d.SetCompactTight(tight)
		// Values of varying length, so overwrites are new records (a
		// value of the same length is written in place).
		val := bytes.Repeat([]byte("v"), 240)
		const keys = 50_000
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < keys; i++ {
			d.SetString([]byte(fmt.Sprint("key:", i)), val[:160+rng.IntN(80)], 0, false)
		}
		worst := 0.0
		for round := 0; round < 40; round++ {
			for i := 0; i < keys/10; i++ {
				d.SetString([]byte(fmt.Sprint("key:", rng.IntN(keys))), val[:160+rng.IntN(80)], 0, false)
			}
			for i := 0; i < 20; i++ {
				d.Maintain(64<<10, 256<<10)
			}
			if round >= 20 {
				worst = max(worst, float64(d.DeadBytes())/float64(d.arena.bytes))
			}
		}
		return worst
	}
	loose, tight := deadShare(false), deadShare(true)
	t.Logf("worst dead share of the arena: loose %.3f, tight %.3f", loose, tight)
	if tight > 0.15 || tight > loose*0.7 {
		t.Fatalf("tight compaction left %.3f of the arena dead (loose %.3f)", tight, loose)
	}
}

// TestDroppedPagesReusedInLaterHolds: a full-size page emptied and dropped
// is kept for reuse, but only once the shard's lock hold it was dropped in
// has ended (Clock.Holds moved): views taken in that hold keep reading the
// old bytes until then. Afterwards new pages come from the spares instead
// of new memory.
func TestDroppedPagesReusedInLaterHolds(t *testing.T) {
	t.Run("pool", func(t *testing.T) { droppedPagesReusedInLaterHolds(t, newDB) })
	t.Run("heap", func(t *testing.T) { droppedPagesReusedInLaterHolds(t, newHeapDB) })
}

func droppedPagesReusedInLaterHolds(t *testing.T, newDB func() (*DB, *Clock)) {
	d, c := newDB()
	val := bytes.Repeat([]byte("v"), 1000)
	const n = 20000 // ~20 MB: pages grow to full size past 8 MB
	for i := 0; i < n; i++ {
		d.SetString([]byte(fmt.Sprint("key:", i)), val, 0, false)
	}
	c.Holds++
	r, _ := d.Find([]byte("key:10"))
	keyView, valView := d.Key(r), d.Str(r)
	for i := 0; i < n/2; i++ {
		d.Delete([]byte(fmt.Sprint("key:", i))) // empties the first pages
	}
	if len(d.arena.spare) == 0 {
		t.Fatal("no dropped full-size page was kept for reuse")
	}
	spares := len(d.arena.spare)
	// Same hold: new records must not land in the spares.
	for i := 0; i < 1500; i++ {
		d.SetString([]byte(fmt.Sprint("new:", i)), bytes.Repeat([]byte("n"), 1000), 0, false)
	}
	if len(d.arena.spare) != spares {
		t.Fatalf("a page dropped in this hold was reused in it (%d spares, were %d)", len(d.arena.spare), spares)
	}
	if keyView != "key:10" || !bytes.Equal(valView, val) {
		t.Fatalf("views changed within their hold: %q %.10q", keyView, valView)
	}
	// A later hold reuses them.
	c.Holds++
	for i := 1500; i < 9000; i++ {
		d.SetString([]byte(fmt.Sprint("new:", i)), bytes.Repeat([]byte("m"), 1000), 0, false)
	}
	if len(d.arena.spare) >= spares {
		t.Fatalf("spares not reused in a later hold: %d left of %d", len(d.arena.spare), spares)
	}
	for i := n / 2; i < n; i++ {
		r, ok := d.Find([]byte(fmt.Sprint("key:", i)))
		if !ok || !bytes.Equal(d.Str(r), val) {
			t.Fatalf("key:%d damaged by page reuse", i)
		}
	}
	for i := 1500; i < 9000; i++ {
		r, ok := d.Find([]byte(fmt.Sprint("new:", i)))
		if !ok || !bytes.Equal(d.Str(r), bytes.Repeat([]byte("m"), 1000)) {
			t.Fatalf("new:%d damaged by page reuse", i)
		}
	}
}
