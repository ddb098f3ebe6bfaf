//go:build !linux

package keyspace

// Elsewhere arena pages come from the Go heap (NewPagePool returns nil).
const offHeap = false

func mapPages(n int) []byte { panic("keyspace: no off-heap pages on this system") }

func releasePages(b []byte) {}
