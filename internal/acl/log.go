package acl

import (
	"sync"
	"time"
)

// Entry is one ACL LOG record. Like Redis, repeated denials of the same
// kind (reason, context, object, user) within a minute update one entry.
type Entry struct {
	Count      int64
	Reason     string // command, key, channel, auth
	Context    string // toplevel, multi, lua
	Object     string // the command, key or channel refused; "auth"
	Username   string
	Created    time.Time // of the last occurrence
	ClientInfo string    // CLIENT LIST line of the client, at that time
}

// groupWindow is how long a repeated denial keeps updating one entry.
const groupWindow = 60 * time.Second

// groupScan bounds the entries searched for a repeat.
const groupScan = 10

// Log is the ACL LOG: newest first, at most a configured length.
type Log struct {
	mu      sync.Mutex
	entries []*Entry // newest first
}

// Add records a denial; maxLen is acllog-max-len.
func (l *Log) Add(e Entry, maxLen int) {
	e.Count = 1
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < len(l.entries) && i < groupScan; i++ {
		cur := l.entries[i]
		if cur.Reason == e.Reason && cur.Context == e.Context && cur.Object == e.Object &&
			cur.Username == e.Username && e.Created.Sub(cur.Created) <= groupWindow {
			cur.Count++
			cur.Created = e.Created
			cur.ClientInfo = e.ClientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = cur
			return
		}
	}
	l.entries = append(l.entries, nil)
	copy(l.entries[1:], l.entries)
	l.entries[0] = &e
	if maxLen >= 0 && len(l.entries) > maxLen {
		l.entries = l.entries[:maxLen]
	}
}

// Entries returns copies of the newest n entries (all when n < 0).
func (l *Log) Entries(n int) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]Entry, n)
	for i := 0; i < n; i++ {
		out[i] = *l.entries[i]
	}
	return out
}

// Reset empties the log.
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// Trim drops entries beyond maxLen (CONFIG SET acllog-max-len).
func (l *Log) Trim(maxLen int) {
	l.mu.Lock()
	if len(l.entries) > maxLen {
		l.entries = l.entries[:maxLen]
	}
	l.mu.Unlock()
}
