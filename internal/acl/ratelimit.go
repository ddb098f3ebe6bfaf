package acl

import (
	"sync"
	"time"
)

// Limiter lets one warning through per interval (Every, a second when
// zero) and counts the ones it
// held back, so a password brute force cannot flood the server log.
type Limiter struct {
	Every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int64
}

// Allow reports whether to log now, and how many warnings were held back
// since the last one logged.
func (l *Limiter) Allow(now time.Time) (bool, int64) {
	every := l.Every
	if every == 0 {
		every = time.Second
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < every {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	return true, n
}
