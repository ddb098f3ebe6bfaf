package command

import "time"

// pendingCalls batches a connection's statistics for runs of one fast
// command: each call's four atomic adds (calls, usec, failures and a
// histogram bucket) cost more than the rest of a pipelined SET's
// bookkeeping, so consecutive calls of one command whose latencies fall
// in one histogram bucket are summed here, in the connection's own Ctx,
// and added once: when the command or the bucket changes, before a
// command that is not fast (INFO, CONFIG... which may read the counters)
// and when the connection counts its batch, before the batch's replies go
// out. Readers on other connections therefore see a pipeline's calls
// at the latest when its replies do, as they did before.
type pendingCalls struct {
	c                   *cmdCounter
	calls, usec, failed int64
	bucket              int
}

// add counts one call of counter c, in histogram bucket b (-1: none).
func (p *pendingCalls) add(c *cmdCounter, d time.Duration, failed bool, b int) {
	if p.c != c || p.bucket != b {
		p.flush()
		p.c, p.bucket = c, b
	}
	p.calls++
	p.usec += d.Microseconds()
	if failed {
		p.failed++
	}
}

// flush adds the pending calls to their counter.
func (p *pendingCalls) flush() {
	if p.calls == 0 {
		return
	}
	p.c.add(p.calls, p.usec, p.failed, p.bucket)
	p.c, p.calls, p.usec, p.failed = nil, 0, 0, 0
}

// FlushStats adds the connection's pending command statistics to its
// counters; the server calls it before writing a batch's replies and
// before the connection closes.
func (c *Ctx) FlushStats() { c.pend.flush() }
