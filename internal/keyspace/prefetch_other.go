//go:build !amd64

package keyspace

// prefetch is a hint; where no instruction is wired up it does nothing.
func prefetch(addr uintptr) {}
