package command

import (
	"fmt"
	"testing"
)

// TestPrefetchAheadBatch runs one pipeline batch twice, once as a plain
// sequence and once as the connection runs a long batch (squashing, with
// Ahead naming the rest of the batch, so the dispatcher prefetches): the
// replies must be the same, prefetching must have happened, and the held
// shard must be free once the batch ends.
func TestPrefetchAheadBatch(t *testing.T) {
	var batch [][]string
	for i := 0; i < 100; i++ {
		k := fmt.Sprintf("key:%d", i%37)
		switch i % 7 {
		case 0:
			batch = append(batch, []string{"SET", k, fmt.Sprint(i)})
		case 1:
			batch = append(batch, []string{"INCR", "n:" + k})
		case 2:
			batch = append(batch, []string{"PING"})
		case 3:
			batch = append(batch, []string{"SELECT", fmt.Sprint(i % 2)})
		case 4:
			batch = append(batch, []string{"DEL", k})
		default:
			batch = append(batch, []string{"GET", k})
		}
	}
	for _, shards := range []int{1, 3} {
		want := runBatch(t, testEnv(shards), batch, false)
		got := runBatch(t, testEnv(shards), batch, true)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%d shards, command %d %v: got %q, want %q", shards, i, batch[i], got[i], want[i])
			}
		}
	}
}

func runBatch(t *testing.T, e *Env, batch [][]string, squash bool) []string {
	t.Helper()
	c := testCtx(e, 2)
	ahead := make([][][]byte, len(batch))
	for i, cmd := range batch {
		for _, a := range cmd {
			ahead[i] = append(ahead[i], []byte(a))
		}
	}
	var out []string
	prefetched := false
	for i := range batch {
		if squash {
			c.Squash, c.Ahead = true, ahead[i+1:]
		}
		out = append(out, run(c, batch[i]...))
		prefetched = prefetched || c.prefetched > 0
	}
	c.EndSquash()
	c.Ahead = nil
	if squash && !prefetched {
		t.Fatal("the squashed batch prefetched nothing")
	}
	for i := 0; i < e.Store.N(); i++ {
		if !e.Store.Shard(i).TryLock(0) {
			t.Fatalf("shard %d still held after the batch", i)
		}
		e.Store.Shard(i).Unlock()
	}
	return out
}
