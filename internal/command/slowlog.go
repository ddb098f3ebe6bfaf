package command

import (
	"strconv"
	"sync"
	"time"
)

// SlowlogEntry is one SLOWLOG GET record.
type SlowlogEntry struct {
	ID     int64
	Time   int64 // unix seconds
	Micros int64
	Args   [][]byte
	Addr   string
	Name   string
}

// Slowlog keeps the newest slow commands, newest first, as Redis does.
type Slowlog struct {
	mu      sync.Mutex
	entries []SlowlogEntry
	nextID  int64
}

// Redis's slowlog truncation limits.
const (
	slowlogMaxArgc = 32
	slowlogMaxArg  = 128
)

// Add records a command that took micros, keeping at most max entries.
func (s *Slowlog) Add(args [][]byte, micros int64, c *Client, now time.Time, max int) {
	argc := len(args)
	n := argc
	if n > slowlogMaxArgc {
		n = slowlogMaxArgc
	}
	kept := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		if n < argc && i == n-1 {
			kept = append(kept, []byte("... ("+strconv.Itoa(argc-n+1)+" more arguments)"))
			break
		}
		a := args[i]
		if i >= 1 && i >= redactedFrom(args) {
			a = []byte("(redacted)")
		}
		if len(a) > slowlogMaxArg {
			a = append(append([]byte(nil), a[:slowlogMaxArg]...), []byte("... ("+strconv.Itoa(len(a)-slowlogMaxArg)+" more bytes)")...)
		} else {
			a = append([]byte(nil), a...)
		}
		kept = append(kept, a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := SlowlogEntry{ID: s.nextID, Time: now.Unix(), Micros: micros, Args: kept, Addr: c.Addr, Name: c.Name()}
	s.nextID++
	s.entries = append([]SlowlogEntry{e}, s.entries...)
	if max >= 0 && len(s.entries) > max {
		s.entries = s.entries[:max]
	}
}

// Get returns up to n newest entries (n < 0: all).
func (s *Slowlog) Get(n int) []SlowlogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 || n > len(s.entries) {
		n = len(s.entries)
	}
	return append([]SlowlogEntry(nil), s.entries[:n]...)
}

// Len is the number of entries.
func (s *Slowlog) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Reset empties the log.
func (s *Slowlog) Reset() {
	s.mu.Lock()
	s.entries = nil
	s.mu.Unlock()
}

// Trim applies a new maximum length.
func (s *Slowlog) Trim(max int) {
	s.mu.Lock()
	if max >= 0 && len(s.entries) > max {
		s.entries = s.entries[:max]
	}
	s.mu.Unlock()
}
