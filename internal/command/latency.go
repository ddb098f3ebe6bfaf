package command

import "sync"

// LatencySample is one point of a latency event's history.
type LatencySample struct {
	Time   int64 // unix seconds
	Millis int64
}

// LatencyEvent is LATENCY LATEST's row for one event.
type LatencyEvent struct {
	Name    string
	History []LatencySample // oldest first, at most 160 as in Redis
	Max     int64
}

// Latency is the latency monitor: spikes above latency-monitor-threshold,
// per event name, one sample per second (the max within that second).
type Latency struct {
	mu     sync.Mutex
	events map[string]*LatencyEvent
}

const latencyHistory = 160

// Add records a spike of ms milliseconds for event at unix second t.
func (l *Latency) Add(event string, t, ms int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.events == nil {
		l.events = map[string]*LatencyEvent{}
	}
	e := l.events[event]
	if e == nil {
		e = &LatencyEvent{Name: event}
		l.events[event] = e
	}
	if n := len(e.History); n > 0 && e.History[n-1].Time == t {
		if ms > e.History[n-1].Millis {
			e.History[n-1].Millis = ms
		}
	} else {
		e.History = append(e.History, LatencySample{t, ms})
		if len(e.History) > latencyHistory {
			e.History = e.History[1:]
		}
	}
	if ms > e.Max {
		e.Max = ms
	}
}

// Events returns a copy of every event.
func (l *Latency) Events() []LatencyEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]LatencyEvent, 0, len(l.events))
	for _, e := range l.events {
		c := *e
		c.History = append([]LatencySample(nil), e.History...)
		out = append(out, c)
	}
	return out
}

// Reset clears the named events (all when none are named) and returns how
// many it cleared.
func (l *Latency) Reset(names ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(names) == 0 {
		n := len(l.events)
		l.events = nil
		return n
	}
	n := 0
	for _, name := range names {
		if _, ok := l.events[name]; ok {
			delete(l.events, name)
			n++
		}
	}
	return n
}
