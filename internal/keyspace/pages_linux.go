package keyspace

import (
	"fmt"
	"syscall"
)

const offHeap = true

// mapPages maps n bytes of private anonymous memory, no huge pages asked
// for: a page returned to the pool gives its memory back by the megabyte,
// which a 2 MiB huge page would split.
func mapPages(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		// As the Go runtime does when the heap cannot grow: there is no
		// memory to put the record in.
		panic(fmt.Sprintf("keyspace: mapping %d bytes for arena pages: %v", n, err))
	}
	return b
}

// releasePages gives b's physical memory back to the kernel; the
// addresses stay mapped and read as zeros until written again.
func releasePages(b []byte) {
	if err := syscall.Madvise(b, syscall.MADV_DONTNEED); err != nil {
		panic(fmt.Sprintf("keyspace: releasing %d bytes of arena pages: %v", len(b), err))
	}
}
