package command

import (
	"sync/atomic"
	"time"
)

// ConnStats are one connection's I/O and pipeline counters for /metrics.
// The connection's goroutine is the only writer, so the atomic adds are
// uncontended; a scrape sums the live connections' counters and the
// counters of those already closed (Env.Stats.Closed).
//
// A pipeline, in Damselfly, is a read that brought more than one command:
// the connection runs them back to back and flushes the replies once. For
// each such command the latency is measured from the start of the batch's
// first command to the end of the command itself, and the queue wait from
// the start of the batch to the start of the command, so both reuse the
// timestamps the dispatcher takes anyway.
type ConnStats struct {
	Reads       atomic.Int64 // read calls that returned data
	BufResizes  atomic.Int64 // read buffer grown or shrunk
	Replies     atomic.Int64 // write calls that sent replies
	ReplyNanos  atomic.Int64 // time spent in those writes
	PipeCmds    atomic.Int64 // commands that arrived in a pipeline
	PipeBatches atomic.Int64 // pipelined batches
	PipeFlushes atomic.Int64 // flushes ending a pipelined batch
	PipeFlushNs atomic.Int64
	PipeLatNs   atomic.Int64
	PipeWaitNs  atomic.Int64
	PipeBlocked atomic.Int64 // blocking commands inside a pipeline
	// Squashed counts commands that ran under a shard lock an earlier
	// command of the same pipeline took (pipeline_squash).
	Squashed atomic.Int64

	hist atomic.Pointer[Histogram]
}

// PipeHistogram records one pipelined command's latency in the histogram
// behind the summary's quantiles; the connection adds the batch's total
// latency to PipeLatNs once per batch.
func (s *ConnStats) PipeHistogram(d time.Duration) {
	h := s.hist.Load()
	if h == nil {
		h = new(Histogram)
		s.hist.Store(h)
	}
	h.b[histIndex(int64(d))].Add(1)
}

// add adds src's counters to s.
func (s *ConnStats) add(src *ConnStats) {
	for _, p := range [][2]*atomic.Int64{
		{&s.Reads, &src.Reads}, {&s.BufResizes, &src.BufResizes},
		{&s.Replies, &src.Replies}, {&s.ReplyNanos, &src.ReplyNanos},
		{&s.PipeCmds, &src.PipeCmds}, {&s.PipeBatches, &src.PipeBatches},
		{&s.PipeFlushes, &src.PipeFlushes}, {&s.PipeFlushNs, &src.PipeFlushNs},
		{&s.PipeLatNs, &src.PipeLatNs}, {&s.PipeWaitNs, &src.PipeWaitNs},
		{&s.PipeBlocked, &src.PipeBlocked}, {&s.Squashed, &src.Squashed},
	} {
		if v := p[1].Load(); v != 0 {
			p[0].Add(v)
		}
	}
	if h := src.hist.Load(); h != nil {
		dst := s.hist.Load()
		if dst == nil {
			s.hist.CompareAndSwap(nil, new(Histogram))
			dst = s.hist.Load()
		}
		for i := range h.b {
			if v := h.b[i].Load(); v != 0 {
				dst.b[i].Add(v)
			}
		}
	}
}

// reset clears the counters (CONFIG RESETSTAT).
func (s *ConnStats) reset() {
	for _, v := range []*atomic.Int64{&s.Reads, &s.BufResizes, &s.Replies, &s.ReplyNanos,
		&s.PipeCmds, &s.PipeBatches, &s.PipeFlushes, &s.PipeFlushNs, &s.PipeLatNs,
		&s.PipeWaitNs, &s.PipeBlocked, &s.Squashed} {
		v.Store(0)
	}
	s.hist.Store(nil)
}

// RemoveClient unregisters a closing connection and folds its counters
// into the server's, atomically with respect to a scrape (so no counter
// is seen twice or goes backwards).
func (e *Env) RemoveClient(c *Client) {
	e.connMu.Lock()
	e.Clients.Remove(c)
	e.Stats.Closed.add(&c.Conn)
	if c.registered {
		e.looseStats.fold(&c.cmdStats)
	}
	e.Stats.CommandsProcessed.Add(c.Cmds.Load())
	if c.otherListener() {
		e.Stats.CommandsOther.Add(c.Cmds.Load())
	}
	e.Stats.NetInput.Add(c.TotNetIn.Load())
	e.Stats.NetOutput.Add(c.TotNetOut.Load())
	e.connMu.Unlock()
}

// otherListener: the client came through a listener other than the main
// one (the admin port), for commands_processed_total{listener="other"}.
func (c *Client) otherListener() bool { return c.Listener != "main" && c.Listener != "" }

// Totals are the server-wide counters that connections keep per batch.
type Totals struct {
	Commands, CommandsOther, NetInput, NetOutput int64
}

// Totals sums every connection's batch counters, open or closed. Each
// connection counts its own, so the hot path writes no shared cache
// line; this read visits every client instead.
func (e *Env) Totals() Totals {
	e.connMu.Lock()
	defer e.connMu.Unlock()
	t := Totals{Commands: e.Stats.CommandsProcessed.Load(), CommandsOther: e.Stats.CommandsOther.Load(),
		NetInput: e.Stats.NetInput.Load(), NetOutput: e.Stats.NetOutput.Load()}
	for _, cl := range e.Clients.List() {
		n := cl.Cmds.Load()
		t.Commands += n
		if cl.otherListener() {
			t.CommandsOther += n
		}
		t.NetInput += cl.TotNetIn.Load()
		t.NetOutput += cl.TotNetOut.Load()
	}
	return t
}

// resetTotals makes Totals start again from zero (CONFIG RESETSTAT)
// without touching the clients' own counters, which CLIENT LIST shows.
func (e *Env) resetTotals() {
	e.connMu.Lock()
	defer e.connMu.Unlock()
	var t Totals
	for _, cl := range e.Clients.List() {
		n := cl.Cmds.Load()
		t.Commands -= n
		if cl.otherListener() {
			t.CommandsOther -= n
		}
		t.NetInput -= cl.TotNetIn.Load()
		t.NetOutput -= cl.TotNetOut.Load()
	}
	e.Stats.CommandsProcessed.Store(t.Commands)
	e.Stats.CommandsOther.Store(t.CommandsOther)
	e.Stats.NetInput.Store(t.NetInput)
	e.Stats.NetOutput.Store(t.NetOutput)
}

// connTotals sums the counters of every connection, open or closed.
func (e *Env) connTotals() *ConnStats {
	t := &ConnStats{}
	e.connMu.Lock()
	defer e.connMu.Unlock()
	t.add(&e.Stats.Closed)
	for _, cl := range e.Clients.List() {
		t.add(&cl.Conn)
	}
	return t
}

// resetConnStats clears every connection's counters (CONFIG RESETSTAT).
func (e *Env) resetConnStats() {
	e.connMu.Lock()
	defer e.connMu.Unlock()
	e.Stats.Closed.reset()
	for _, cl := range e.Clients.List() {
		cl.Conn.reset()
	}
}
