package command

import (
	"sync/atomic"
	"time"
)

// Command statistics (INFO commandstats and latencystats, LATENCY
// HISTOGRAM, dragonfly_commands_total) are kept per connection, not per
// command: every core bumping one shared counter per command would make
// those counters' cache lines bounce between cores on every call. Each
// registered client owns a statTable that only its own goroutine writes;
// readers sum the live tables plus the folded totals of closed
// connections (Env.looseStats) under Env.connMu, so no count is seen twice
// or goes backwards. Clients that are not registered (the admin console's
// in-process client) record straight into looseStats.

// statBlockSize specs share one lazily allocated block, so a connection
// that only ever runs GET and SET pays for one or two blocks, not for the
// whole table.
const (
	statBlockSize = 32
	statBlocks    = 32 // room for 1024 commands and subcommands
)

// cmdCounter is one command's counters in one table. The histogram is
// allocated on the command's first call in that table.
type cmdCounter struct {
	calls, usec, failed, rejected atomic.Int64
	hist                          atomic.Pointer[Histogram]
}

type statBlock [statBlockSize]cmdCounter

// statTable holds a counter per spec index (Spec.idx).
type statTable struct {
	blocks [statBlocks]atomic.Pointer[statBlock]
}

// at returns spec index i's counter, allocating its block if needed. The
// compare-and-swap keeps the shared looseStats safe with several writers.
func (t *statTable) at(i int) *cmdCounter {
	p := &t.blocks[i/statBlockSize]
	b := p.Load()
	if b == nil {
		p.CompareAndSwap(nil, new(statBlock)) // a loser uses the winner's
		b = p.Load()
	}
	return &b[i%statBlockSize]
}

// record adds one call, in histogram bucket (-1: none).
func (s *cmdCounter) record(d time.Duration, failed bool, bucket int) {
	var f int64
	if failed {
		f = 1
	}
	s.add(1, d.Microseconds(), f, bucket)
}

// add adds calls calls taking usec in all, failed of them failed, all in
// latency histogram bucket (none when -1: latency tracking is off).
func (s *cmdCounter) add(calls, usec, failed int64, bucket int) {
	s.calls.Add(calls)
	s.usec.Add(usec)
	if failed != 0 {
		s.failed.Add(failed)
	}
	if bucket < 0 {
		return
	}
	h := s.hist.Load()
	if h == nil {
		h = new(Histogram)
		if !s.hist.CompareAndSwap(nil, h) {
			h = s.hist.Load()
		}
	}
	h.b[bucket].Add(calls)
}

// addTo adds every counter of t into the dense totals (indexed by spec
// index); hists gets a fresh merged histogram per command seen.
func (t *statTable) addTo(st []CommandStats, hists []*Histogram) {
	for bi := range t.blocks {
		b := t.blocks[bi].Load()
		if b == nil {
			continue
		}
		for j := range b {
			i := bi*statBlockSize + j
			if i >= len(st) {
				return
			}
			c := &b[j]
			st[i].Calls += c.calls.Load()
			st[i].Usec += c.usec.Load()
			st[i].Failed += c.failed.Load()
			st[i].Rejected += c.rejected.Load()
			if h := c.hist.Load(); h != nil {
				if hists[i] == nil {
					hists[i] = new(Histogram)
				}
				hists[i].merge(h)
			}
		}
	}
}

// fold adds src into t (a closing connection's counters into the totals).
func (t *statTable) fold(src *statTable) {
	for bi := range src.blocks {
		b := src.blocks[bi].Load()
		if b == nil {
			continue
		}
		for j := range b {
			c := &b[j]
			if c.calls.Load() == 0 && c.rejected.Load() == 0 {
				continue
			}
			d := t.at(bi*statBlockSize + j)
			d.calls.Add(c.calls.Load())
			d.usec.Add(c.usec.Load())
			d.failed.Add(c.failed.Load())
			d.rejected.Add(c.rejected.Load())
			if h := c.hist.Load(); h != nil {
				dh := d.hist.Load()
				if dh == nil {
					d.hist.CompareAndSwap(nil, new(Histogram))
					dh = d.hist.Load()
				}
				dh.merge(h)
			}
		}
	}
}

// reset drops every counter (CONFIG RESETSTAT). A writer racing with it
// may land its add in a dropped block; that call is then not counted,
// which is the same as it happening just before the reset.
func (t *statTable) reset() {
	for i := range t.blocks {
		t.blocks[i].Store(nil)
	}
}

// merge adds src's buckets into h.
func (h *Histogram) merge(src *Histogram) {
	for i := range src.b {
		if v := src.b[i].Load(); v != 0 {
			h.b[i].Add(v)
		}
	}
}

// statsFor is the table cl's commands count in.
func (e *Env) statsFor(cl *Client) *statTable {
	if cl != nil && cl.registered {
		return &cl.cmdStats
	}
	return &e.looseStats
}

// noteCall records one call of spec (a command or subcommand) by cl.
// noteFailedAfterBlock counts as failed a blocking command whose wait
// ended with an error reply (its call was counted when it blocked).
func (e *Env) noteFailedAfterBlock(cl *Client, spec *Spec) {
	e.statsFor(cl).at(spec.idx).failed.Add(1)
}

func (e *Env) noteCall(cl *Client, spec *Spec, d time.Duration, failed bool) {
	e.statsFor(cl).at(spec.idx).record(d, failed, e.histBucket(int64(d)))
}

// noteRejected records one call of spec refused before it ran.
func (e *Env) noteRejected(cl *Client, spec *Spec) {
	e.statsFor(cl).at(spec.idx).rejected.Add(1)
}

// CmdStatsSnapshot is every command's counters summed over all
// connections, indexed by spec index.
type CmdStatsSnapshot struct {
	stats []CommandStats
	hists []*Histogram
}

// Of returns spec's counters.
func (s *CmdStatsSnapshot) Of(spec *Spec) CommandStats { return s.stats[spec.idx] }

// Histogram returns spec's latency histogram, nil before its first call
// (or since CONFIG RESETSTAT).
func (s *CmdStatsSnapshot) Histogram(spec *Spec) *Histogram { return s.hists[spec.idx] }

// CommandStats sums the command statistics of every connection, open or
// closed.
func (e *Env) CommandStats() *CmdStatsSnapshot {
	n := e.Table.specs
	s := &CmdStatsSnapshot{stats: make([]CommandStats, n), hists: make([]*Histogram, n)}
	e.connMu.Lock()
	defer e.connMu.Unlock()
	e.looseStats.addTo(s.stats, s.hists)
	for _, cl := range e.Clients.List() {
		if cl.registered {
			cl.cmdStats.addTo(s.stats, s.hists)
		}
	}
	return s
}

// resetCommandStats clears every connection's command statistics.
func (e *Env) resetCommandStats() {
	e.connMu.Lock()
	defer e.connMu.Unlock()
	e.looseStats.reset()
	for _, cl := range e.Clients.List() {
		cl.cmdStats.reset()
	}
}
