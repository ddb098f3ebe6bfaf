package command

import (
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/damselfly-db/damselfly/internal/shard"
)

// cmdDfly is Dragonfly's DFLY: the subcommands a single node has a
// meaning for, which Dragonfly's tools and test suites use. THREAD: the
// connection's event loop and the number of threads (THREAD n is accepted
// for a valid n, without moving the connection: loops here do not hand
// connections over); LOAD file [APPEND]: load an RDB file (relative to
// dir), after FLUSHALL unless APPEND, whose keys then replace existing
// ones; EXPIRE: reclaim expired keys now; REPLICAOFFSET: the journal
// position per shard, 0 here (no replication journal). The replication
// and cluster subcommands (FLOW, SYNC, STARTSTABLE, TAKEOVER) are refused.
func cmdDfly(c *Ctx) {
	sub := strings.ToUpper(string(c.Args[1]))
	n := len(c.Args)
	switch {
	case sub == "THREAD" && n == 2:
		c.W.Array(2)
		c.W.Int(int64(c.Client.Thread))
		c.W.Int(int64(runtime.GOMAXPROCS(0)))
	case sub == "THREAD" && n == 3:
		t, err := strconv.ParseUint(string(c.Args[2]), 10, 32)
		if err != nil {
			c.Err(ErrSyntax)
			return
		}
		if t >= uint64(runtime.GOMAXPROCS(0)) {
			c.Err(ErrNotInt)
			return
		}
		c.W.OK()
	case sub == "LOAD" && (n == 3 || n == 4):
		dflyLoad(c)
	case sub == "EXPIRE" && n == 2:
		st := c.Env.Store
		for i := 0; i < st.N(); i++ {
			sh := st.Shard(i)
			took := c.lock(sh)
			for d := 0; d < sh.NumDBs(); d++ {
				sh.DB(d).ExpireAll()
			}
			sh.Release(took)
		}
		c.W.OK()
	case sub == "REPLICAOFFSET" && n == 2:
		c.W.Array(c.Env.Store.N())
		for i := 0; i < c.Env.Store.N(); i++ {
			c.W.Int(0)
		}
	case sub == "HELP" && n == 2:
		writeHelp(c, "DFLY",
			"THREAD",
			"    Returns connection thread index and number of threads",
			"THREAD <thread-id>",
			"    Accepted for a valid thread; the connection stays on its thread.",
			"EXPIRE",
			"    Collects all expired items.",
			"REPLICAOFFSET",
			"    Returns the journal position per shard (0: no replication here).",
			"LOAD <filename> [APPEND]",
			"    Loads <filename> RDB file into the data store.",
			"    * APPEND: Existing keys are NOT removed before loading the file, conflicting ",
			"      keys (that exist in both data store and in file) are overridden.",
		)
	default:
		c.Err(ErrSyntax)
	}
}

// dflyLoad is DFLY LOAD file [APPEND], with every shard locked.
func dflyLoad(c *Ctx) {
	appendKeys := len(c.Args) == 4
	if appendKeys && !strings.EqualFold(string(c.Args[3]), "APPEND") || len(c.Args[2]) == 0 {
		c.Err(ErrSyntax)
		return
	}
	p := c.Env.Persist
	if p == nil {
		c.Err("ERR snapshots are not configured")
		return
	}
	path := string(c.Args[2])
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.Env.Config.Dir.Get(), path)
	}
	st := c.Env.Store
	for i := 0; i < st.N(); i++ {
		defer st.Shard(i).Release(c.lock(st.Shard(i)))
	}
	if !appendKeys {
		clearAllDBs(st)
	}
	if err := p.LoadFileLocked(path, true); err != nil {
		c.Err("ERR Could not load file " + path + ": " + err.Error())
		return
	}
	c.W.OK()
}

// clearAllDBs empties every database of every shard; the caller holds
// them all.
func clearAllDBs(st *shard.Store) {
	for i := 0; i < st.N(); i++ {
		sh := st.Shard(i)
		for j := 0; j < sh.NumDBs(); j++ {
			sh.DB(j).Clear()
		}
	}
}
