package command

import "github.com/damselfly-db/damselfly/internal/shard"

// Pipeline squashing (Dragonfly's pipeline_squash). When a connection has
// more than pipeline_squash commands queued from one read, it sets
// Ctx.Squash, and the dispatcher keeps the shard of a single-key command
// locked after the command instead of releasing it: the next command of
// the batch that lives in the same shard runs under the same lock
// acquisition. The run ends, and the shard is released, as soon as the
// batch reaches anything else: a command of another shard, one with no
// key or several shards, a blocking command, MULTI/EXEC, a script, pub/sub,
// a pause, a running script elsewhere, any reply flush (the connection
// calls EndSquash before it writes to the socket), or squashMaxRun
// commands, so one long pipeline cannot keep a shard from other clients
// for long. Replies stay in order since the commands still run one after
// the other; no atomicity is promised beyond Redis's (another client's
// command may run between two of the batch's commands whenever the run
// breaks).
//
// A held shard is never held while waiting for anything but another
// shard's mutex, and a command of another shard releases the held one
// before it locks its own, so a connection holds at most one shard this
// way and the lock order of LOCKORDER.md is kept.

// squashMaxRun bounds how many commands one lock acquisition serves.
const squashMaxRun = 64

// squashState is the shard a squashed run holds.
type squashState struct {
	held *shard.Shard
	idx  int
	run  int
}

// EndSquash releases the shard a squashed run holds, if any. The
// connection calls it before writing replies and at the end of a batch.
func (c *Ctx) EndSquash() {
	if c.squash.held != nil {
		c.squash.held.Unlock()
		c.squash = squashState{}
	}
	c.prefetched = 0
}

// squashHolds reports whether the run holds shard i and may serve one
// more command with it.
func (c *Ctx) squashHolds(i int) bool {
	return c.squash.held != nil && c.squash.idx == i && c.squash.run < squashMaxRun
}

// squashKeep decides, after a single-key command ran with shard i locked,
// whether to keep the shard for the next command.
func (c *Ctx) squashKeep(sh *shard.Shard, i int, spec *Spec) bool {
	if !c.Squash || spec.Has(Blocking) || c.blocked != nil || c.Client.multi != nil {
		return false
	}
	if c.squash.held == sh {
		c.squash.run++
	} else {
		c.squash = squashState{held: sh, idx: i, run: 1}
	}
	return true
}
