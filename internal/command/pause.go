package command

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/script"
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
func (p *Pause) Wait(write bool) {
	for {
		p.mu.Lock()
		until, onlyWrite, wake := p.until, p.onlyWrite, p.wake
		p.mu.Unlock()
		d := time.Until(until)
		if d <= 0 || (onlyWrite && !write) {
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

// Blocks reports whether a command (write: it may change data or be
// replicated) would wait now.
func (p *Pause) Blocks(write bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Until(p.until) > 0 && (!p.onlyWrite || write)
}

// pauseWait holds a command while CLIENT PAUSE applies to it. As in
// Redis, WRITE pauses what may change data or be replicated: write
// commands, PUBLISH-like ones, scripts that are not _RO, and an EXEC
// whose queue holds any of them; a waiting client counts as blocked.
func (e *Env) pauseWait(c *Ctx, spec *Spec) {
	write := spec.Has(Write) || mayReplicate(spec.Name) || scriptMayWrite(c, spec, c.Args)
	if m := c.Client.multi; m != nil && spec.Name == "exec" {
		for _, q := range m.cmds {
			if q.spec.Has(Write) || mayReplicate(q.spec.Name) || scriptMayWrite(c, q.spec, q.args) {
				write = true
				break
			}
		}
	}
	if !e.Pause.Blocks(write) {
		return
	}
	c.Client.SetFlag(ClientBlocked, true)
	e.Stats.BlockedClients.Add(1)
	e.Pause.Wait(write)
	e.Stats.BlockedClients.Add(-1)
	c.Client.SetFlag(ClientBlocked, false)
}

// scriptMayWrite reports whether EVAL, EVALSHA or FCALL runs a script that
// may write: all but those declaring the no-writes flag (Redis's
// evalGetCommandFlags; an unknown script counts as writing).
func scriptMayWrite(c *Ctx, spec *Spec, args [][]byte) bool {
	if len(args) < 2 {
		return false
	}
	eng := c.Env.Scripts()
	var flags script.Flags
	switch spec.Name {
	case "eval":
		s, err := eng.Load(args[1])
		if err != nil {
			return true
		}
		flags = s.Flags
	case "evalsha":
		s := eng.GetBytes(args[1])
		if s == nil {
			return true
		}
		flags = s.Flags
	case "fcall":
		f := eng.Function(string(args[1]))
		if f == nil {
			return true
		}
		flags = f.Flags
	default:
		return false
	}
	return flags&script.FlagEvalCompat != 0 || flags&script.FlagNoWrites == 0
}
