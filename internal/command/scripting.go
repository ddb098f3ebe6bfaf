package command

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/acl"
	"github.com/damselfly-db/damselfly/internal/glob"
	"github.com/damselfly-db/damselfly/internal/info"
	"github.com/damselfly-db/damselfly/internal/metrics"
	"github.com/damselfly-db/damselfly/internal/resp"
	"github.com/damselfly-db/damselfly/internal/script"
	"github.com/damselfly-db/damselfly/internal/shard"
)

// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL, FCALL_RO
// and FUNCTION, on internal/script's Lua engine.
//
// Locking (see internal/script's package doc for the why): a script runs
// on its client's goroutine holding shards through Store.AcquireSetOwned
// with the client id, so the commands it calls lock nothing more (their
// Acquire is a no-op for the owner). By default it holds every shard, as
// Redis runs a script with the whole server stopped; with
// --lua_strict_keys it holds only its declared keys' shards and may touch
// only those keys.
//
// Time limit: each running script is registered in Scripting. Exec checks
// one atomic counter; while it is not zero, a command that needs a shard a
// script holds waits for the script's end rather than on the shard mutex
// (unless the script started less than busyGrace ago), and gets -BUSY once
// the script has run longer than busy-reply-threshold (lua-time-limit).
// SCRIPT KILL / FUNCTION KILL cancel the script's context unless it
// already wrote.

// Run states (scriptRun.state).
const (
	runClean int32 = iota
	runDirty
	runKilled
)

// Error replies of the scripting commands, in Redis 7.0's words.
const (
	errNoScript     = "NOSCRIPT No matching script. Please use EVAL."
	errBusyEval     = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errNotBusy      = "NOTBUSY No scripts in execution right now."
	errUnkillable   = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	errKeysGreater  = "ERR Number of keys can't be greater than number of args"
	errKeysNegative = "ERR Number of keys can't be negative"
	errWriteFlagRO  = "ERR Can not execute a script with write flag using *_ro command."
	errUndeclared   = "ERR script tried accessing undeclared key"
)

// busyGrace: a command that finds a conflicting script younger than this
// blocks on the shard locks as usual, which is far cheaper under load
// than parking on the script's end (scripts usually run for
// microseconds). Only a command that arrived in that first moment of a
// script that then runs past busy-reply-threshold waits for its end
// instead of getting -BUSY.
const busyGrace = time.Millisecond

// redisVersionNum is redis.REDIS_VERSION_NUM for RedisVersion (0x00MMmmpp).
const redisVersionNum = 7<<16 | 4<<8 | 0

// Scripting is the server's scripting state: the Lua engine and the
// scripts running now.
type Scripting struct {
	once   sync.Once
	engine *script.Engine

	running atomic.Int32 // scripts running: the only cost on the hot path
	mu      sync.Mutex   // guards runs; a leaf lock
	runs    []*scriptRun

	busyReplies atomic.Int64
	waited      atomic.Int64
	pool        sync.Pool // *scriptRun
	countError  func(msg string)
}

// Scripts returns the Lua engine, creating it on first use.
func (e *Env) Scripts() *script.Engine {
	s := &e.Scripting
	s.once.Do(func() {
		s.engine = script.NewEngine(e.Log, RedisVersion, redisVersionNum)
		s.countError = func(msg string) { e.Errors.Add(msg) }
	})
	return s.engine
}

// scriptRun is one running script or function.
type scriptRun struct {
	client *Client
	args   [][]byte // the EVAL/FCALL command, for FUNCTION STATS
	name   string
	eval   bool
	start  atomic.Int64 // unix ns
	shards shard.Set
	// state is runDirty once the script called a write command, or
	// runKilled once SCRIPT KILL stopped it: whichever comes first wins,
	// so a script is never killed after it wrote.
	state  atomic.Int32
	warned atomic.Bool // the slow-script warning was logged
	kill   *script.KillSwitch
	done   chan struct{} // made by the first waiter, under Scripting.mu

	caller scriptCaller
	run    script.Run
}

func (s *Scripting) newRun() *scriptRun {
	if v := s.pool.Get(); v != nil {
		rs := v.(*scriptRun)
		rs.kill.Reset()
		return rs
	}
	return &scriptRun{kill: script.NewKillSwitch()}
}

func (s *Scripting) register(rs *scriptRun, now time.Time) {
	rs.start.Store(now.UnixNano())
	s.mu.Lock()
	s.runs = append(s.runs, rs)
	s.running.Add(1)
	s.mu.Unlock()
}

func (s *Scripting) unregister(rs *scriptRun) {
	s.mu.Lock()
	for i, r := range s.runs {
		if r == rs {
			s.runs = append(s.runs[:i], s.runs[i+1:]...)
			break
		}
	}
	s.running.Add(-1)
	if rs.done != nil {
		close(rs.done)
		rs.done = nil
	}
	s.mu.Unlock()
	rs.client, rs.args = nil, nil
	rs.state.Store(runClean)
	rs.warned.Store(false)
	rs.caller = scriptCaller{w: rs.caller.w}
	rs.caller.w.Buf = rs.caller.w.Buf[:0]
	if cap(rs.caller.w.Buf) > 64<<10 {
		rs.caller.w.Buf = nil
	}
	rs.run = script.Run{}
	s.pool.Put(rs)
}

func registerScripting(t *Table) {
	const evalFlags = NoScript | Stale | SkipMonitor | NoMandatoryKeys | MovableKeys | NoLock
	ev := func(name string, ro bool, h func(*Ctx), since, summary string) *Spec {
		f := Flag(evalFlags)
		if ro {
			f |= ReadOnly
		}
		return &Spec{Name: name, Arity: -3, Flags: f, KeysFn: numKeysPositions(2), Group: "scripting", Since: since, Summary: summary, Categories: []string{"scripting"}, Handler: h}
	}
	sub := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, Group: "scripting", Since: since, Summary: summary, Handler: h}
	}
	t.add(
		ev("eval", false, func(c *Ctx) { cmdEval(c, false, false) }, "2.6.0", "Executes a server-side Lua script."),
		ev("evalsha", false, func(c *Ctx) { cmdEval(c, true, false) }, "2.6.0", "Executes a server-side Lua script by SHA1 digest."),
		ev("eval_ro", true, func(c *Ctx) { cmdEval(c, false, true) }, "7.0.0", "Executes a read-only server-side Lua script."),
		ev("evalsha_ro", true, func(c *Ctx) { cmdEval(c, true, true) }, "7.0.0", "Executes a read-only server-side Lua script by SHA1 digest."),
		ev("fcall", false, func(c *Ctx) { cmdFCall(c, false) }, "7.0.0", "Invokes a function."),
		ev("fcall_ro", true, func(c *Ctx) { cmdFCall(c, true) }, "7.0.0", "Invokes a read-only function."),
		&Spec{
			Name: "script", Arity: -2, Group: "scripting", Since: "2.6.0", Summary: "A container for Lua scripts management commands.",
			Subcommands: []*Spec{
				sub("debug", 3, NoScript, cmdScriptDebug, "3.2.0", "Sets the debug mode of server-side Lua scripts."),
				sub("exists", -3, NoScript, cmdScriptExists, "2.6.0", "Determines whether server-side Lua scripts exist in the script cache."),
				sub("flush", -2, NoScript, cmdScriptFlush, "2.6.0", "Removes all server-side Lua scripts from the script cache."),
				sub("help", 2, Loading|Stale, scriptHelp, "5.0.0", "Returns helpful text about the different subcommands."),
				sub("kill", 2, NoScript|AllowBusy, func(c *Ctx) { scriptKill(c, true) }, "2.6.0", "Terminates a server-side Lua script during execution."),
				sub("load", 3, NoScript|Stale, cmdScriptLoad, "2.6.0", "Loads a server-side Lua script to the script cache."),
			},
			Handler: runSub,
		},
		&Spec{
			Name: "function", Arity: -2, Group: "scripting", Since: "7.0.0", Summary: "A container for function commands.",
			Subcommands: []*Spec{
				sub("delete", 3, Write|NoScript, cmdFunctionDelete, "7.0.0", "Deletes a library and its functions."),
				sub("dump", 2, NoScript, cmdFunctionDump, "7.0.0", "Dumps all libraries into a serialized binary payload."),
				sub("flush", -2, Write|NoScript, cmdFunctionFlush, "7.0.0", "Deletes all libraries and functions."),
				sub("help", 2, Loading|Stale, functionHelp, "7.0.0", "Returns helpful text about the different subcommands."),
				sub("kill", 2, NoScript|AllowBusy, func(c *Ctx) { scriptKill(c, false) }, "7.0.0", "Terminates a function during execution."),
				sub("list", -2, NoScript, cmdFunctionList, "7.0.0", "Returns information about all libraries."),
				sub("load", -3, Write|DenyOOM|NoScript, cmdFunctionLoad, "7.0.0", "Creates a library."),
				sub("restore", -3, Write|DenyOOM|NoScript, cmdFunctionRestore, "7.0.0", "Restores all libraries from a payload."),
				sub("stats", 2, NoScript|AllowBusy, cmdFunctionStats, "7.0.0", "Returns information about a function during execution."),
			},
			Handler: runSub,
		},
	)
}

// numKeys reads and checks EVAL's numkeys; badNum is the error for a
// non-integer.
func (c *Ctx) numKeys(badNum string) (int, bool) {
	n, ok := parseInt(c.Args[2])
	if !ok {
		c.Err(badNum)
		return 0, false
	}
	if n > int64(len(c.Args)-3) {
		c.Err(errKeysGreater)
		return 0, false
	}
	if n < 0 {
		c.Err(errKeysNegative)
		return 0, false
	}
	return int(n), true
}

// feedMonitor shows EVAL and FCALL in MONITOR first, before the commands
// they run and whether they fail or not, as Redis does (they are
// skip_monitor for the dispatcher).
func feedMonitor(c *Ctx) {
	if c.Env.Monitor.Active() {
		c.Env.Monitor.Feed(c.Client, c.Args, time.Now())
	}
}

func cmdEval(c *Ctx, bySHA, ro bool) {
	feedMonitor(c)
	if bySHA && len(c.Args[1]) != 40 {
		c.Err(errNoScript)
		return
	}
	numkeys, ok := c.numKeys(ErrNotInt)
	if !ok {
		return
	}
	eng := c.Env.Scripts()
	var s *script.Script
	if bySHA {
		if s = eng.GetBytes(c.Args[1]); s == nil {
			c.Err(errNoScript)
			return
		}
	} else {
		var err error
		if s, err = eng.Load(c.Args[1]); err != nil {
			c.Err(err.Error())
			return
		}
	}
	c.runScript(true, s.SHA, s.Flags, ro, numkeys, func(r *script.Run) { eng.Eval(s, r) })
}

func cmdFCall(c *Ctx, ro bool) {
	feedMonitor(c)
	eng := c.Env.Scripts()
	f := eng.Function(string(c.Args[1]))
	if f == nil {
		c.Err("ERR Function not found")
		return
	}
	numkeys, ok := c.numKeys("ERR Bad number of keys provided")
	if !ok {
		return
	}
	c.runScript(false, f.Name, f.Flags, ro, numkeys, func(r *script.Run) { eng.CallFunction(f, r) })
}

// runScript checks a script's flags against the command (Redis's
// scriptPrepareForRun), takes its shards and runs it.
func (c *Ctx) runScript(eval bool, name string, flags script.Flags, ro bool, numkeys int, exec func(r *script.Run)) {
	compat := flags&script.FlagEvalCompat != 0
	if !compat && flags&script.FlagNoWrites == 0 && ro {
		c.Err(errWriteFlagRO)
		return
	}
	env := c.Env
	st := env.Store
	// Redis decides on memory at the script's start: a script that
	// declares flags without no-writes or allow-oom is refused at once;
	// one in compatibility mode fails at its first denyoom call, if it
	// wrote nothing before (scriptCaller.Call).
	oom := flags&(script.FlagNoWrites|script.FlagAllowOOM) == 0 && env.scriptOOM(c)
	if oom && !compat {
		c.Err(errOOM)
		return
	}
	sc := &env.Scripting
	keys := c.Args[3 : 3+numkeys]
	strict := env.Config.LuaStrictKeys && flags&script.FlagAllowUndeclared == 0
	rs := sc.newRun()
	rs.client, rs.args, rs.name, rs.eval = c.Client, c.Args, name, eval
	if strict {
		rs.shards = shard.Set{}
		for _, k := range keys {
			rs.shards.Add(st.Of(k))
		}
	} else {
		rs.shards = st.All()
	}
	rs.caller = scriptCaller{c: c, rs: rs, ro: ro || (!compat && flags&script.FlagNoWrites != 0), oom: oom, strict: strict, keys: keys, w: rs.caller.w}
	rs.run = script.Run{
		Keys:       keys,
		Args:       c.Args[3+numkeys:],
		Caller:     &rs.caller,
		W:          c.W,
		Ctx:        rs.kill,
		CountError: sc.countError,
	}
	took := st.AcquireSetOwned(&rs.shards, c.Client.ID, c.Now)
	rs.caller.began = time.Now()
	sc.register(rs, rs.caller.began)
	db := c.Client.DB
	exec(&rs.run)
	// Like Redis 7, SELECT inside a script does not change the caller's
	// database.
	c.Client.DB = db
	if rs.run.Failed {
		c.failed = true
	}
	env.serveReady(&rs.shards, c.Now)
	st.UnlockSetOwned(&took)
	sc.unregister(rs)
}

// scriptCaller runs the commands of one script (script.Caller).
type scriptCaller struct {
	c      *Ctx
	rs     *scriptRun
	ro     bool
	oom    bool // over maxmemory when the script started
	strict bool
	keys   [][]byte
	w      resp.Writer
	inner  Ctx
	// began is when the script started: commands are timed as monotonic
	// offsets from it, one clock read each end instead of time.Now's two.
	began time.Time
}

// mayReplicate lists the commands Redis flags may_replicate that a
// read-only script may not call.
func mayReplicate(name string) bool {
	switch name {
	case "publish", "spublish", "pfcount":
		return true
	}
	return false
}

// scriptSafeNoLock lists the self-locking (NoLock) commands that touch no
// shard, so strict-keys scripts may call them.
func scriptSafeNoLock(name string) bool {
	switch name {
	case "time", "lastsave", "command", "echo", "ping":
		return true
	}
	return false
}

func (sc *scriptCaller) refuse(msg string, target *Spec) []byte {
	sc.w.Error(msg)
	sc.c.Env.Errors.Add(msg)
	if target != nil {
		sc.c.Env.noteRejected(sc.c.Client, target)
	}
	return sc.w.Buf
}

// Call implements script.Caller: Redis's scriptCall checks, then the
// handler, writing into the script's reply buffer.
func (sc *scriptCaller) Call(args [][]byte, proto int, out []byte) []byte {
	env := sc.c.Env
	sc.w.Buf, sc.w.Proto = out, proto
	spec := env.Table.Lookup(args[0])
	if spec == nil {
		return sc.refuse("ERR Unknown Redis command called from script", nil)
	}
	target := spec
	if spec.Subcommands != nil && len(args) > 1 {
		if target = spec.Sub(args[1]); target == nil {
			return sc.refuse("ERR Unknown Redis command called from script", nil)
		}
	}
	if !arityOK(spec.Arity, len(args)) || !arityOK(target.Arity, len(args)) {
		return sc.refuse("ERR Wrong number of args calling Redis command from script", target)
	}
	if (spec.Has(NoScript) || target.Has(NoScript)) && !env.DisableDenyScripts.Load() {
		return sc.refuse("ERR This Redis command is not allowed from script", target)
	}
	if msg := env.scriptDenied(sc.c, spec, args); msg != "" {
		return sc.refuse(msg, target)
	}
	write := target.Has(Write) || spec.Has(Write)
	if sc.ro && (write || mayReplicate(target.Name)) {
		return sc.refuse("ERR Write commands are not allowed from read-only scripts.", target)
	}
	if sc.strict {
		if msg := sc.undeclared(spec, target, args); msg != "" {
			return sc.refuse(msg, target)
		}
	}
	if sc.oom && (spec.Has(DenyOOM) || target.Has(DenyOOM)) && sc.rs.state.Load() != runDirty {
		return sc.refuse(errOOM, target)
	}
	if write && sc.rs.state.Load() != runDirty && !sc.rs.state.CompareAndSwap(runClean, runDirty) {
		// SCRIPT KILL came first.
		return sc.refuse("ERR Script killed by user with SCRIPT KILL...", nil)
	}
	startOff := time.Since(sc.began)
	sc.inner = Ctx{Env: env, Client: sc.c.Client, W: &sc.w, Args: args, Spec: spec, Now: sc.c.Now, noBlock: true, inScript: true}
	inner := &sc.inner
	env.beforeWrite(inner, spec)
	spec.Handler(inner)
	env.afterCommand(inner, spec)
	if env.Monitor.Active() && !target.Has(SkipMonitor) && !target.Has(Admin) {
		env.Monitor.Feed(&Client{Addr: "lua", DB: sc.c.Client.DB}, args, sc.began.Add(startOff))
	}
	env.noteCall(sc.c.Client, target, time.Since(sc.began)-startOff, inner.failed)
	return sc.w.Buf
}

// undeclared checks a command of a strict-keys script: every key must be
// one of the script's KEYS, and commands that walk shards themselves are
// refused.
func (sc *scriptCaller) undeclared(spec, target *Spec, args [][]byte) string {
	if spec.Has(AllShards) {
		return errUndeclared
	}
	pos := target.KeyPositions(args)
	if target == spec || len(pos) == 0 {
		pos = spec.KeyPositions(args)
	}
	if spec.Has(NoLock) && len(pos) == 0 && !scriptSafeNoLock(spec.Name) {
		return errUndeclared
	}
	for _, p := range pos {
		if p >= len(args) {
			continue
		}
		declared := false
		for _, k := range sc.keys {
			if string(k) == string(args[p]) {
				declared = true
				break
			}
		}
		if !declared {
			return errUndeclared + ", key: " + string(args[p])
		}
	}
	return ""
}

// KnownCommand implements script.ACLChecker.
func (sc *scriptCaller) KnownCommand(args [][]byte) bool {
	spec := sc.c.Env.Table.Lookup(args[0])
	if spec == nil {
		return false
	}
	if spec.Subcommands != nil && len(args) > 1 {
		return spec.Sub(args[1]) != nil
	}
	return true
}

// CommandAllowed implements script.ACLChecker: redis.acl_check_cmd asks
// without recording a denial.
func (sc *scriptCaller) CommandAllowed(args [][]byte) bool {
	u := sc.c.Client.aclUser()
	if u == nil {
		return true
	}
	spec := sc.c.Env.Table.Lookup(args[0])
	target := aclTarget(spec, args)
	if target == nil {
		return false
	}
	d, _ := u.Check(sc.c.Env.Table.aclRequest(&acl.Request{}, spec, target, args))
	return d == acl.Allowed
}

// scriptBusy runs for a command arriving while scripts run (Exec checks
// the counter first). A command that needs a shard a script holds waits
// for it, and, once the script has run past busy-reply-threshold, is
// answered -BUSY instead, as Redis answers every command but a few while a
// script is past its time limit. queueing: the command is only being
// queued in MULTI, so it waits for nothing. It reports whether it replied.
func (e *Env) scriptBusy(c *Ctx, spec *Spec, queueing bool) bool {
	target := spec
	if spec.Subcommands != nil && len(c.Args) > 1 {
		if sub := spec.Sub(c.Args[1]); sub != nil {
			target = sub
		}
	}
	if target.Has(AllowBusy) && !(target.Name == "shutdown" && !hasArg(c.Args[1:], "nosave")) {
		return false
	}
	strict := e.Config.LuaStrictKeys
	var need shard.Set
	needAll := spec.Has(NoLock) || spec.Has(AllShards)
	lockFree := queueing
	if !needAll {
		pos := spec.KeyPositions(c.Args)
		for _, p := range pos {
			need.Add(e.Store.Of(c.Args[p]))
		}
		if len(pos) == 0 {
			lockFree = true
		}
	}
	limit := time.Duration(e.Config.LuaTimeLimit.Get()) * time.Millisecond
	s := &e.Scripting
	for {
		now := time.Now().UnixNano()
		var busy, wait *scriptRun
		var waitLeft time.Duration
		s.mu.Lock()
		for _, rs := range s.runs {
			if rs.client == c.Client {
				continue
			}
			conflict := needAll || rs.shards.Intersects(&need)
			elapsed := time.Duration(now - rs.start.Load())
			if limit > 0 && elapsed >= limit && (!strict || conflict) {
				busy = rs
				break
			}
			if !lockFree && conflict && elapsed >= busyGrace {
				left := time.Duration(1<<62 - 1)
				if limit > 0 {
					left = limit - elapsed
				}
				if wait == nil || left < waitLeft {
					wait, waitLeft = rs, left
				}
			}
		}
		var done chan struct{}
		if busy == nil && wait != nil {
			if wait.done == nil {
				wait.done = make(chan struct{})
			}
			done = wait.done
		}
		s.mu.Unlock()
		if busy != nil {
			if busy.warned.CompareAndSwap(false, true) {
				kill := "FUNCTION KILL"
				if busy.eval {
					kill = "SCRIPT KILL"
				}
				e.Log.Warn("Slow script detected: still in execution after " + time.Duration(now-busy.start.Load()).Round(time.Millisecond).String() + ". You can try killing the script using the " + kill + " command. Script name is: " + busy.name + ".")
			}
			msg := errBusyFunction
			if busy.eval {
				msg = errBusyEval
			}
			s.busyReplies.Add(1)
			e.reject(c, target, msg)
			return true
		}
		if done == nil {
			return false
		}
		s.waited.Add(1)
		if limit > 0 {
			t := time.NewTimer(waitLeft)
			select {
			case <-done:
			case <-t.C:
			}
			t.Stop()
		} else {
			<-done
		}
	}
}

func hasArg(args [][]byte, name string) bool {
	for _, a := range args {
		if strings.EqualFold(string(a), name) {
			return true
		}
	}
	return false
}

// scriptKill is SCRIPT KILL (eval) and FUNCTION KILL.
func scriptKill(c *Ctx, eval bool) {
	s := &c.Env.Scripting
	s.mu.Lock()
	var rs *scriptRun
	for _, r := range s.runs {
		if rs == nil || r.eval == eval && rs.eval != eval {
			rs = r
		}
	}
	msg := ""
	switch {
	case rs == nil:
		msg = errNotBusy
	case rs.state.Load() == runDirty:
		msg = errUnkillable
	case eval && !rs.eval:
		msg = errBusyFunction
	case !eval && rs.eval:
		msg = errBusyEval
	case rs.state.CompareAndSwap(runClean, runKilled) || rs.state.Load() == runKilled:
		rs.kill.Kill()
	default:
		msg = errUnkillable // it wrote just now
	}
	s.mu.Unlock()
	if msg != "" {
		c.Err(msg)
		return
	}
	c.Env.Log.Warn("Lua script killed by user with SCRIPT KILL.")
	c.W.OK()
}

func cmdScriptLoad(c *Ctx) {
	s, err := c.Env.Scripts().Load(c.Args[2])
	if err != nil {
		c.Err(err.Error())
		return
	}
	c.W.BulkString(s.SHA)
}

func cmdScriptExists(c *Ctx) {
	eng := c.Env.Scripts()
	c.W.Array(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		if eng.GetBytes(a) != nil {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

// flushMode checks the optional ASYNC|SYNC argument of SCRIPT FLUSH and
// FUNCTION FLUSH.
func scriptFlushMode(c *Ctx, errMsg string) bool {
	switch {
	case len(c.Args) == 2:
		return true
	case len(c.Args) == 3 && (strings.EqualFold(string(c.Args[2]), "sync") || strings.EqualFold(string(c.Args[2]), "async")):
		return true
	}
	c.Err(errMsg)
	return false
}

func cmdScriptFlush(c *Ctx) {
	if !scriptFlushMode(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option") {
		return
	}
	c.Env.Scripts().Flush()
	c.W.OK()
}

func cmdScriptDebug(c *Ctx) {
	switch strings.ToLower(string(c.Args[2])) {
	case "no":
		c.W.OK()
	case "yes", "sync":
		c.Err("ERR SCRIPT DEBUG is not supported: Damselfly has no Lua debugger")
	default:
		c.Err("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

func scriptHelp(c *Ctx) {
	writeHelp(c, "SCRIPT",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
		"HELP",
		"    Prints this help.",
	)
}

func functionHelp(c *Ctx) {
	writeHelp(c, "FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
		"HELP",
		"    Prints this help.",
	)
}

func cmdFunctionLoad(c *Ctx) {
	replace := false
	i := 2
	for ; i < len(c.Args)-1; i++ {
		if strings.EqualFold(string(c.Args[i]), "replace") {
			replace = true
			continue
		}
		c.Err("ERR Unknown option given: " + string(c.Args[i]))
		return
	}
	if i >= len(c.Args) {
		c.Err("ERR Function code is missing")
		return
	}
	name, err := c.Env.Scripts().LoadLibrary(string(c.Args[i]), replace)
	if err != nil {
		c.Err(err.Error())
		return
	}
	c.W.BulkString(name)
}

func cmdFunctionDelete(c *Ctx) {
	if err := c.Env.Scripts().DeleteLibrary(string(c.Args[2])); err != nil {
		c.Err(err.Error())
		return
	}
	c.W.OK()
}

func cmdFunctionFlush(c *Ctx) {
	if len(c.Args) > 3 {
		c.subcommandSyntaxError()
		return
	}
	if !scriptFlushMode(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option") {
		return
	}
	c.Env.Scripts().FlushFunctions()
	c.W.OK()
}

func cmdFunctionList(c *Ctx) {
	withCode := false
	var pattern []byte
	havePattern := false
	for i := 2; i < len(c.Args); i++ {
		a := string(c.Args[i])
		if !withCode && strings.EqualFold(a, "withcode") {
			withCode = true
			continue
		}
		if !havePattern && strings.EqualFold(a, "libraryname") {
			if i >= len(c.Args)-1 {
				c.Err("ERR library name argument was not given")
				return
			}
			i++
			pattern, havePattern = c.Args[i], true
			continue
		}
		c.Err("ERR Unknown argument " + a)
		return
	}
	var libs []*script.Library
	for _, l := range c.Env.Scripts().Libraries() {
		if havePattern && !glob.Match(pattern, []byte(l.Name), true) {
			continue
		}
		libs = append(libs, l)
	}
	w := c.W
	w.Array(len(libs))
	for _, l := range libs {
		if withCode {
			w.Map(4)
		} else {
			w.Map(3)
		}
		w.BulkString("library_name")
		w.BulkString(l.Name)
		w.BulkString("engine")
		w.BulkString(l.Engine)
		w.BulkString("functions")
		w.Array(len(l.Functions))
		for _, f := range l.Functions {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.Name)
			w.BulkString("description")
			if f.HasDesc {
				w.BulkString(f.Desc)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			names := f.Flags.Names()
			w.Set(len(names))
			for _, n := range names {
				w.Simple(n)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.Code)
		}
	}
}

func cmdFunctionStats(c *Ctx) {
	s := &c.Env.Scripting
	limit := time.Duration(c.Env.Config.LuaTimeLimit.Get()) * time.Millisecond
	now := time.Now().UnixNano()
	var fn *scriptRun
	var args [][]byte
	var dur int64
	s.mu.Lock()
	for _, rs := range s.runs {
		elapsed := time.Duration(now - rs.start.Load())
		if rs.eval {
			if limit > 0 && elapsed >= limit {
				s.mu.Unlock()
				c.Err(errBusyEval)
				return
			}
			continue
		}
		if fn == nil {
			fn, args, dur = rs, rs.args, elapsed.Milliseconds()
		}
	}
	var name string
	if fn != nil {
		name = fn.name
		args = append([][]byte(nil), args...)
	}
	s.mu.Unlock()
	libs, funcs := c.Env.Scripts().FunctionCounts()
	w := c.W
	w.Map(2)
	w.BulkString("running_script")
	if fn == nil {
		w.Null()
	} else {
		w.Map(3)
		w.BulkString("name")
		w.BulkString(name)
		w.BulkString("command")
		w.Array(len(args))
		for _, a := range args {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int(dur)
	}
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(libs))
	w.BulkString("functions_count")
	w.Int(int64(funcs))
}

func cmdFunctionDump(c *Ctx) {
	c.W.Bulk(c.Env.Scripts().DumpFunctions())
}

func cmdFunctionRestore(c *Ctx) {
	if len(c.Args) > 4 {
		c.subcommandSyntaxError()
		return
	}
	policy := script.RestoreAppend
	if len(c.Args) == 4 {
		switch strings.ToLower(string(c.Args[3])) {
		case "append":
		case "replace":
			policy = script.RestoreReplace
		case "flush":
			policy = script.RestoreFlush
		default:
			c.Err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	if err := c.Env.Scripts().RestoreFunctions(c.Args[2], policy); err != nil {
		c.Err(err.Error())
		return
	}
	c.W.OK()
}

// ScriptStats are the scripting counters for metrics (Dragonfly's INFO
// names in brackets where it has one).
type ScriptStats struct {
	Interpreters  int64 // Lua states alive [lua_interpreter_cnt]
	WaitedTotal   int64 // commands that waited for a running script [lua_blocked_total]
	CachedScripts int64 // scripts in the EVAL cache
	Libraries     int64
	Functions     int64
	Calls         int64 // EVAL/EVALSHA/FCALL runs
	Errors        int64 // runs ending with an error reply
	Killed        int64 // runs stopped by SCRIPT KILL / FUNCTION KILL
	BusyReplies   int64 // -BUSY replies given to other clients
	Compilations  int64
	Running       int64 // scripts running now
	MemoryVM      int64 // estimated memory of the interpreters
	MemoryScripts int64 // script bodies and library code
	FunctionCode  int64 // the library code part of MemoryScripts
}

// ScriptStats reads the scripting counters.
func (e *Env) ScriptStats() ScriptStats {
	eng := e.Scripts()
	n, body := eng.CacheStats()
	libs, funcs := eng.FunctionCounts()
	code, fvm := eng.FunctionsMemory()
	return ScriptStats{
		Interpreters:  eng.Interpreters(),
		WaitedTotal:   e.Scripting.waited.Load(),
		CachedScripts: int64(n),
		Libraries:     int64(libs),
		Functions:     int64(funcs),
		Calls:         eng.Calls.Load(),
		Errors:        eng.Errors.Load(),
		Killed:        eng.Killed.Load(),
		BusyReplies:   e.Scripting.busyReplies.Load(),
		Compilations:  eng.Compilations.Load(),
		Running:       int64(e.Scripting.running.Load()),
		MemoryVM:      eng.VMMemory() + fvm,
		MemoryScripts: body + code,
		FunctionCode:  code,
	}
}

// ScriptingMetrics fills the scripting families of /metrics (a
// MetricHooks entry).
func (e *Env) ScriptingMetrics(s *metrics.Snapshot) {
	eng := e.Scripts()
	s.LuaInterpreters = eng.Interpreters()
	s.LuaBlocked = e.Scripting.waited.Load()
	s.ScriptErrors = eng.Errors.Load()
}

// ScriptingInfo fills INFO's scripting fields (an InfoHooks entry).
func (e *Env) ScriptingInfo(d *info.Data) {
	eng := e.Scripts()
	n, body := eng.CacheStats()
	libs, funcs := eng.FunctionCounts()
	code, fvm := eng.FunctionsMemory()
	d.NumberOfCachedScripts = int64(n)
	d.UsedMemoryLua = eng.VMMemory()
	d.UsedMemoryScriptsEval = body + int64(n)*96
	d.NumberOfFunctions = int64(funcs)
	d.NumberOfLibraries = int64(libs)
	d.UsedMemoryVMFunctions = fvm
	d.UsedMemoryFunctions = code
	d.UsedMemoryScripts = d.UsedMemoryScriptsEval + code
}
