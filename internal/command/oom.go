package command

import (
	"time"

	"github.com/damselfly-db/damselfly/internal/config"
)

// errOOM is Redis's reply to a write refused for lack of memory.
const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// checkMemory is Redis's maxmemory gate (processCommand), run before a
// command while usage is over the limit, with no shard held. Every command
// first lets the policy evict; commands that may grow memory (denyoom, an EXEC whose queue holds one, and anything
// queued inside MULTI but EXEC, DISCARD, QUIT and RESET) first make room by
// the eviction policy; they are refused with -OOM only when nothing could
// be evicted (noeviction, or a volatile-* policy with no key with a TTL).
// It reports whether the command may run; if not, the reply is written.
func (e *Env) checkMemory(c *Ctx, spec *Spec) bool {
	m := c.Client.multi
	deny := spec.Has(DenyOOM)
	if spec.Subcommands != nil && len(c.Args) > 1 {
		if sub := spec.Sub(c.Args[1]); sub != nil && sub.Has(DenyOOM) {
			deny = true // FUNCTION LOAD, FUNCTION RESTORE
		}
	}
	switch spec.Name {
	case "exec":
		deny = deny || m != nil && m.denyOOM()
	case "discard", "quit", "reset":
	default:
		deny = deny || m != nil
	}
	// Eviction takes shard locks: a squashed pipeline's held shard is
	// released first.
	c.EndSquash()
	if deny && e.Store.RSSDeny() {
		// Dragonfly's rss_oom_deny_ratio: RSS is too far over the limit
		// for eviction to be trusted to bring it back in time.
		e.reject(c, spec, errOOM)
		return false
	}
	if !deny {
		// Like Redis (performEvictions in processCommand), any command
		// makes room while usage is over the limit; only the ones that
		// may grow memory are refused when nothing can go.
		e.Store.EvictForWrite(e.keyShard(c, spec), time.Now().UnixMilli())
		return true
	}
	if _, ok := e.Store.EvictForWrite(e.keyShard(c, spec), time.Now().UnixMilli()); ok {
		return true
	}
	e.reject(c, spec, errOOM)
	return false
}

// denyOOM reports whether a queued command may grow memory.
func (m *multiState) denyOOM() bool {
	for _, q := range m.cmds {
		if q.spec.Has(DenyOOM) {
			return true
		}
	}
	return false
}

// keyShard is the shard of the command's first key, where eviction for
// its write starts; -1 for keyless commands.
func (e *Env) keyShard(c *Ctx, spec *Spec) int {
	if spec.KeysFn == nil && spec.First > 0 && spec.First < len(c.Args) {
		return e.Store.Of(c.Args[spec.First])
	}
	return -1
}

// scriptOOM reports whether a script must be refused, or its first write
// refused, for lack of memory: Redis decides at the script's start, after
// trying to evict. owned is whether the caller already holds shards (a
// script run by EXEC), when eviction cannot take a lock.
func (e *Env) scriptOOM(c *Ctx) bool {
	st := e.Store
	if st.RSSDeny() {
		return true
	}
	if !st.OverLimit() {
		return false
	}
	if st.N() > 0 && st.Shard(0).OwnedBy(c.Client.ID) {
		return true
	}
	_, ok := st.EvictForWrite(-1, time.Now().UnixMilli())
	return !ok
}

// Evicted is told of each evicted key (shard.Store's evict hook): keyspace
// notification "evicted" (class e) and client-side caching invalidation,
// as for any deletion.
func (e *Env) Evicted(db int, key string) {
	e.notify(config.EventEvicted, "evicted", []byte(key), db)
	e.invalidate(nil, []byte(key), 0)
}
