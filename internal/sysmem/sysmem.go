// Package sysmem reads the process's and the machine's memory figures from
// /proc and the cgroup filesystem (Linux).
package sysmem

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// RSS is the process's resident set size in bytes, from /proc/self/statm;
// 0 when it cannot be read.
func RSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * int64(os.Getpagesize())
}

// RSSReader reads the resident set size from a /proc/self/statm kept
// open: the RSS watch reads it 50 times a second, where opening, reading
// and closing the file each time was most of an idle server's CPU.
// Not safe for concurrent use.
type RSSReader struct {
	f   *os.File
	buf [128]byte
}

// Read is RSS through the open file (opened on first use; RSS's answer
// if that fails).
func (r *RSSReader) Read() int64 {
	if r.f == nil {
		f, err := os.Open("/proc/self/statm")
		if err != nil {
			return RSS()
		}
		r.f = f
	}
	n, err := r.f.ReadAt(r.buf[:], 0)
	if n == 0 && err != nil {
		return RSS()
	}
	// "size resident shared ...": the second field, in pages.
	b := r.buf[:n]
	i := 0
	for i < len(b) && b[i] != ' ' {
		i++
	}
	var pages int64
	for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		pages = pages*10 + int64(b[i]-'0')
	}
	return pages * int64(os.Getpagesize())
}

// Close closes the file.
func (r *RSSReader) Close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// meminfo returns a /proc/meminfo field in bytes, 0 when absent.
func meminfo(field string) int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		name, rest, ok := strings.Cut(s.Text(), ":")
		if !ok || name != field {
			continue
		}
		v := strings.Fields(rest)
		if len(v) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(v[0], 10, 64)
		if len(v) > 1 && v[1] == "kB" {
			n <<= 10
		}
		return n
	}
	return 0
}

// cgroupLimit is the memory limit of the process's cgroup (v2, then v1),
// 0 when there is none.
func cgroupLimit() int64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		// cgroup v1 reports "no limit" as a huge page-aligned number.
		if err == nil && n > 0 && n < 1<<60 {
			return n
		}
	}
	return 0
}

// Available is the memory the server may plan to use: the kernel's
// MemAvailable (MemTotal on kernels without it), capped by the cgroup's
// limit, as Dragonfly decides when --maxmemory is not given.
func Available() int64 {
	avail := meminfo("MemAvailable")
	if avail == 0 {
		avail = meminfo("MemTotal")
	}
	if lim := cgroupLimit(); lim > 0 && (avail == 0 || lim < avail) {
		avail = lim
	}
	return avail
}

// DefaultMaxMemory is the limit used when maxmemory is 0: 80% of Available,
// Dragonfly's share.
func DefaultMaxMemory() int64 { return Available() / 10 * 8 }
