package shard

import "testing"

// BenchmarkLockUnlock is a read's lock round trip: Unlock publishes the
// dataset size only after writes, so it should cost what the bare mutex
// does (BenchmarkRawMutex).
func BenchmarkLockUnlock(b *testing.B) {
	sh := NewStore(2, 16).Shard(0)
	for i := 0; i < b.N; i++ {
		sh.Lock(1)
		sh.Unlock()
	}
}

func BenchmarkRawMutex(b *testing.B) {
	sh := NewStore(2, 16).Shard(0)
	for i := 0; i < b.N; i++ {
		sh.Lock(1)
		sh.mu.Unlock()
	}
}
