package command

import (
	"strconv"
	"time"
)

// Damselfly has no replicas. These commands answer what a master with no
// replica answers, so clients that probe replication state keep working.

func registerReplication(t *Table) {
	t.add(
		&Spec{Name: "role", Arity: 1, Flags: NoScript | Loading | Stale | Fast | NoLock, Group: "server", Since: "2.8.12", Summary: "Returns the replication role.", Handler: cmdRole},
		&Spec{Name: "wait", Arity: 3, Flags: NoLock, Group: "generic", Since: "3.0.0", Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.", Handler: cmdWait},
		&Spec{Name: "waitaof", Arity: 4, Flags: NoLock, Group: "generic", Since: "7.2.0", Summary: "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.", Handler: cmdWaitAOF},
	)
}

func cmdRole(c *Ctx) {
	c.W.Array(3)
	c.W.BulkString("master")
	c.W.Int(0)
	c.W.Array(0)
}

// waitTimeout parses a WAIT timeout in milliseconds.
func (c *Ctx) waitTimeout(i int) (time.Duration, bool) {
	ms, err := strconv.ParseInt(string(c.Args[i]), 10, 64)
	if err != nil {
		c.Err("ERR timeout is not an integer or out of range")
		return 0, false
	}
	if ms < 0 {
		c.Err(ErrTimeoutNeg)
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// waitForAcks blocks like Redis does when fewer replicas than asked have
// acknowledged: until the timeout (0 = for ever, until the client leaves),
// since with no replica no acknowledgement will come.
func (c *Ctx) waitForAcks(want int64, timeout time.Duration) {
	if want <= 0 || c.Client.HasFlag(ClientMulti) {
		return
	}
	deadline := time.Now().Add(timeout)
	c.Client.SetFlag(ClientBlocked, true)
	defer c.Client.SetFlag(ClientBlocked, false)
	for !c.Client.CloseRequested() && (c.Client.PeerGone == nil || !c.Client.PeerGone()) {
		step := 100 * time.Millisecond
		if timeout > 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return
			}
			step = min(step, left)
		}
		time.Sleep(step)
	}
}

func cmdWait(c *Ctx) {
	n, ok := c.intArg(1)
	if !ok {
		return
	}
	timeout, ok := c.waitTimeout(2)
	if !ok {
		return
	}
	c.waitForAcks(n, timeout)
	c.W.Int(0)
}

func cmdWaitAOF(c *Ctx) {
	local, ok := c.intArg(1)
	if !ok {
		return
	}
	replicas, ok := c.intArg(2)
	if !ok {
		return
	}
	timeout, ok := c.waitTimeout(3)
	if !ok {
		return
	}
	if local > 0 {
		c.Err("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
		return
	}
	c.waitForAcks(replicas, timeout)
	c.W.Array(2)
	c.W.Int(0)
	c.W.Int(0)
}
