package shard

import (
	"fmt"
	"testing"
	"time"
)

// overwritten returns a one-database shard where every other key was
// written twice, so its first pages are half dead: megabytes of dead
// records, sparse enough for a compaction pass.
func overwritten(t *testing.T) *Shard {
	t.Helper()
	sh := NewStore(1, 1).Shard(0)
	val := make([]byte, 101)
	sh.Lock(1)
	for round := 0; round < 2; round++ {
		for i := 0; i < 40000; i += 1 + round {
			// The second round's values are a byte longer: one of the
			// same length would be written in place, leaving nothing dead.
			sh.DB(0).SetString([]byte(fmt.Sprintf("key:%d", i)), val[:100+round], 0, false)
		}
	}
	sh.Unlock()
	return sh
}

// When the heartbeat's slices run out of time, the compaction left over
// is paid by the writes that follow, until the pass is over.
func TestWritersPayCompactionDebt(t *testing.T) {
	sh := overwritten(t)
	sh.Lock(1)
	dead0 := sh.DB(0).DeadBytes()
	sh.Unlock()
	if dead0 < 1<<20 {
		t.Fatalf("dead bytes after overwrites = %d, want over 1 MiB", dead0)
	}

	sh.maintain(0, time.Now()) // deadline already passed: one slice
	sh.Lock(1)
	owed := sh.owed
	sh.Unlock()
	if owed <= 0 {
		t.Fatalf("owed after a cut-short tick = %d, want > 0", owed)
	}

	// Writes of new keys add no dead bytes: whatever goes is compaction.
	val := make([]byte, 100)
	writes := 0
	for ; writes < 100000; writes++ {
		sh.Lock(1)
		sh.DB(0).SetString([]byte(fmt.Sprintf("new:%d", writes)), val, 0, false)
		sh.Unlock()
		sh.Lock(1)
		owed = sh.owed
		sh.Unlock()
		if owed == 0 {
			break
		}
	}
	sh.Lock(1)
	dead := sh.DB(0).DeadBytes()
	sh.Unlock()
	if owed != 0 {
		t.Fatalf("still owed %d after %d writes", owed, writes)
	}
	if dead >= dead0 {
		t.Fatalf("dead bytes %d -> %d after %d writes paid the debt, want fewer", dead0, dead, writes)
	}
	t.Logf("%d writes paid the debt; dead bytes %d -> %d", writes, dead0, dead)
}

// Reads create no versions and pay nothing: a GET must not copy records.
func TestReadsOweNothing(t *testing.T) {
	sh := overwritten(t)
	sh.maintain(0, time.Now())
	sh.Lock(1)
	owed, dead := sh.owed, sh.DB(0).DeadBytes()
	sh.Unlock()
	for i := 0; i < 1000; i++ {
		sh.Lock(1)
		sh.DB(0).Len()
		sh.Unlock()
	}
	sh.Lock(1)
	defer sh.Unlock()
	if sh.owed != owed || sh.DB(0).DeadBytes() != dead {
		t.Fatalf("reads changed owed %d -> %d, dead %d -> %d", owed, sh.owed, dead, sh.DB(0).DeadBytes())
	}
}

// A heartbeat with time to spare does its whole budget itself and owes
// nothing.
func TestMaintainInTimeOwesNothing(t *testing.T) {
	sh := overwritten(t)
	sh.maintain(0, time.Now().Add(time.Hour))
	sh.Lock(1)
	defer sh.Unlock()
	if sh.owed != 0 {
		t.Fatalf("owed = %d after a tick with time to spare, want 0", sh.owed)
	}
}
