package command

import (
	"sync"
	"sync/atomic"
	"time"
)

// Pause implements CLIENT PAUSE: until a deadline, commands of other
// clients wait before running (all of them, or only writes).
type Pause struct {
	mu        sync.Mutex
	until     time.Time
	onlyWrite bool
	wake      chan struct{}
	// untilNs mirrors until for the lock-free check on every command.
	untilNs atomic.Int64
}

// Set pauses until t.
func (p *Pause) Set(t time.Time, onlyWrite bool) {
	p.mu.Lock()
	p.until = t
	p.onlyWrite = onlyWrite
	p.untilNs.Store(t.UnixNano())
	if p.wake == nil {
		p.wake = make(chan struct{})
	}
	p.mu.Unlock()
}

// Unpause ends a pause now.
func (p *Pause) Unpause() {
	p.mu.Lock()
	p.until = time.Time{}
	p.untilNs.Store(0)
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
	p.mu.Unlock()
}

// Wait blocks while a pause applies to a command with flags f.
func (p *Pause) Wait(f Flag) {
	for {
		p.mu.Lock()
		until, onlyWrite, wake := p.until, p.onlyWrite, p.wake
		p.mu.Unlock()
		d := time.Until(until)
		if d <= 0 || (onlyWrite && f&Write == 0) {
			return
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-wake:
		}
		t.Stop()
	}
}

// Active reports whether a pause may be in force: one atomic load.
func (p *Pause) Active() bool {
	u := p.untilNs.Load()
	return u != 0 && time.Now().UnixNano() < u
}
