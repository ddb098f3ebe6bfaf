package script

import (
	"bytes"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// State kinds: an EVAL interpreter, or the functions interpreter.
const (
	kindEval = iota
	kindFunction
)

// state is one Lua interpreter with Redis's environment.
type state struct {
	e    *Engine
	kind int
	L    *lua.LState
	// env is the table code sees as its globals (_G): empty and
	// read-only; its metatable forwards reads to g (or, while a library
	// loads, to the library API table).
	env   *lua.LTable
	envMT *lua.LTable
	// gmtView is the read-only view of the globals' metatable that
	// getmetatable(_G) returns.
	gmtView *lua.LTable
	// g holds the real globals; reading a missing name from it raises
	// "Script attempted to access nonexistent global variable".
	g *lua.LTable
	// proxies maps each read-only proxy table to the table it shows.
	proxies map[*lua.LTable]*lua.LTable
	// libAPI is what library code sees while FUNCTION LOAD runs it.
	libAPI *lua.LTable

	fns    map[*Script]*lua.LFunction
	gen    uint64
	errh   *lua.LFunction
	nextFn *lua.LFunction
	// keys and argv are the KEYS and ARGV tables of EVAL runs, reused
	// while scripts leave them plain arrays (see globalArray.fill).
	keys, argv globalArray
	null       *lua.LUserData // cjson.null

	// Per run.
	run     *Run
	resp    int // redis.setresp
	name    string
	argBuf  [][]byte
	numBuf  []byte // redis.call's number arguments, formatted
	respBuf []byte
	// smallInts are the integers 0..len-1 as boxed Lua values: integer
	// replies (counters, TTLs of new keys) are mostly small, and boxing a
	// float64 into an interface allocates.
	smallInts [256]lua.LValue
	load      *loadCtx          // FUNCTION LOAD in progress
	sources   map[string]string // loadstring chunk names (see debugSource)
}

func newState(e *Engine, kind int) *state {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       20000,
		RegistrySize:        1024,
		RegistryMaxSize:     1 << 20,
		RegistryGrowStep:    1024,
		MinimizeStackMemory: true,
	})
	st := &state{e: e, kind: kind, L: L, proxies: map[*lua.LTable]*lua.LTable{}, fns: map[*Script]*lua.LFunction{}, resp: 2, sources: map[string]string{}}
	for i := range st.smallInts {
		st.smallInts[i] = lua.LNumber(i)
	}
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	st.g = g
	// Redis 7.0's globals: everything else the base library defines goes.
	for _, name := range []string{"print", "dofile", "loadfile", "require", "module", "getfenv", "setfenv",
		"newproxy", "_printregs", "_GOPHER_LUA_VERSION", "package", "channel", "os", "io", "debug"} {
		g.RawSetString(name, lua.LNil)
	}
	g.RawSetString("tostring", L.NewFunction(luaToString))
	g.RawSetString("error", L.NewFunction(luaError))
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(stateBaseBytes >> 10)); return 1 }))
	g.RawSetString("loadstring", L.NewFunction(st.loadString))
	g.RawSetString("load", L.NewFunction(st.load_))
	g.RawSetString("pairs", L.NewFunction(st.pairs))
	st.nextFn = L.NewFunction(st.next)
	g.RawSetString("next", st.nextFn)
	g.RawSetString("rawset", L.NewFunction(st.rawset))
	g.RawSetString("rawget", L.NewFunction(st.rawget))
	g.RawSetString("setmetatable", L.NewFunction(st.setmetatable))
	g.RawSetString("getmetatable", L.NewFunction(st.getmetatable))

	// gopher-lua uses the string module as the string metatable (with
	// __index pointing to itself); Lua 5.1 keeps them apart.
	strmod := g.RawGetString("string").(*lua.LTable)
	strmod.RawSetString("__index", lua.LNil)
	smt := L.CreateTable(0, 1)
	smt.RawSetString("__index", strmod)
	L.SetMetatable(lua.LString(""), smt)
	installCallNames(L)
	g.RawSetString("tonumber", L.NewFunction(luaToNumber))
	g.RawSetString("pcall", L.NewFunction(redisPcall))

	strmod.RawSetString("format", L.NewFunction(stringFormat(strmod.RawGetString("format").(*lua.LFunction))))
	strmod.RawSetString("dump", L.NewFunction(stringDump))

	tbl := g.RawGetString("table").(*lua.LTable)
	tbl.RawSetString("concat", L.NewFunction(tableConcat))
	tbl.RawSetString("foreach", L.NewFunction(tableForeach))
	tbl.RawSetString("foreachi", L.NewFunction(tableForeachi))
	// Lua 5.2's name for unpack, which Dragonfly's Lua 5.4 scripts use;
	// pairs(table) still lists Lua 5.1's functions.
	hideExtras(L, tbl, map[string]lua.LValue{"unpack": g.RawGetString("unpack")})
	tbl.RawSetString("setn", L.NewFunction(func(L *lua.LState) int {
		L.CheckTable(1)
		L.RaiseError("'setn' is obsolete")
		return 0
	}))
	m := g.RawGetString("math").(*lua.LTable)
	m.RawSetString("huge", lua.LNumber(inf))
	m.RawSetString("random", L.NewFunction(st.mathRandom))
	m.RawSetString("randomseed", L.NewFunction(st.mathRandomseed))

	st.null = L.NewUserData()
	g.RawSetString("cjson", st.openCJSON())
	g.RawSetString("bit", openBit(L))
	g.RawSetString("struct", openStruct(L))
	g.RawSetString("cmsgpack", st.openMsgpack())
	g.RawSetString("redis", st.openRedis())

	// Errors raised while a script runs get their position here, as
	// Redis's __redis__err__handler does.
	st.errh = L.NewFunction(st.errorHandler)
	if kind == kindEval {
		g.RawSetString("__redis__err__handler", st.errh)
	} else {
		st.libAPI = st.openLibraryAPI()
	}

	// Read-only library tables.
	for _, name := range []string{"string", "table", "math", "coroutine", "cjson", "bit", "struct", "cmsgpack", "redis"} {
		g.RawSetString(name, st.protect(g.RawGetString(name).(*lua.LTable)))
	}
	gmt := L.CreateTable(0, 2)
	forNum := L.NewFunction(forNumber)
	dfly := st.protect(st.openDragonfly())
	gmt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		// The for-bound conversion (fornum.go) and Dragonfly's helpers
		// (dragonflylib.go) are found here, outside the globals, so
		// pairs(_G) lists what Redis's does.
		if k, ok := L.Get(2).(lua.LString); ok && L.GetTop() == 2 {
			switch string(k) {
			case forNumberName:
				L.Push(forNum)
				return 1
			case dragonflyName:
				L.Push(dfly)
				return 1
			}
		}
		return nonexistentGlobal(L)
	}))
	L.SetMetatable(g, gmt)
	// getmetatable(_G) shows that metatable read-only, as Redis does.
	st.gmtView = st.protect(gmt)

	st.env = L.CreateTable(0, 0)
	st.envMT = L.CreateTable(0, 2)
	st.envMT.RawSetString("__index", g)
	st.envMT.RawSetString("__newindex", L.NewFunction(readonlyTable))
	L.SetMetatable(st.env, st.envMT)
	st.proxies[st.env] = g
	g.RawSetString("_G", st.env)
	// Functions created from now on (loadstring, compiled prototypes)
	// see env as their globals.
	L.Env = st.env
	return st
}

var inf = func() float64 { z := 0.0; return 1 / z }()

// protect returns a read-only proxy of t.
func (st *state) protect(t *lua.LTable) *lua.LTable {
	L := st.L
	p := L.CreateTable(0, 0)
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(readonlyTable))
	L.SetMetatable(p, mt)
	st.proxies[p] = t
	return p
}

func readonlyTable(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// nonexistentGlobal is Redis's luaProtectedTableError.
func nonexistentGlobal(L *lua.LState) int {
	if L.GetTop() != 2 {
		L.RaiseError("Wrong number of arguments to luaProtectedTableError")
	}
	var name string
	switch k := L.Get(2).(type) {
	case lua.LString:
		name = string(k)
	case lua.LNumber:
		name = num14(float64(k))
	default:
		L.RaiseError("Second argument to luaProtectedTableError must be a string or number")
	}
	L.RaiseError("Script attempted to access nonexistent global variable '%s'", name)
	return 0
}

// real resolves a read-only proxy to the table it shows.
func (st *state) real(t *lua.LTable) *lua.LTable {
	if r, ok := st.proxies[t]; ok {
		return r
	}
	return t
}

func (st *state) isProtected(t *lua.LTable) bool {
	if _, ok := st.proxies[t]; ok {
		return true
	}
	for _, r := range st.proxies {
		if r == t {
			return true
		}
	}
	return false
}

func (st *state) pairs(L *lua.LState) int {
	t := L.CheckTable(1)
	L.Push(st.nextFn)
	L.Push(st.real(t))
	L.Push(lua.LNil)
	return 3
}

func (st *state) next(L *lua.LState) int {
	t := st.real(L.CheckTable(1))
	L.SetTop(2)
	k, v := t.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

// rawget reads through a read-only proxy, whose own table is empty: in
// Redis the protected tables are the real ones.
func (st *state) rawget(L *lua.LState) int {
	t := L.CheckTable(1)
	L.CheckAny(2)
	L.SetTop(2)
	L.Push(st.real(t).RawGet(L.Get(2)))
	return 1
}

func (st *state) rawset(L *lua.LState) int {
	t := L.CheckTable(1)
	L.CheckAny(2)
	L.CheckAny(3)
	if st.isProtected(t) {
		L.Error(lua.LString("Attempt to modify a readonly table"), 0)
	}
	L.RawSet(t, L.Get(2), L.Get(3))
	L.SetTop(1)
	return 1
}

func (st *state) setmetatable(L *lua.LState) int {
	t := L.CheckTable(1)
	mt := L.Get(2)
	if _, ok := mt.(*lua.LTable); !ok && mt != lua.LNil {
		L.TypeError(2, lua.LTTable)
	}
	if st.isProtected(t) {
		L.Error(lua.LString("Attempt to modify a readonly table"), 0)
	}
	if old, ok := L.GetMetatable(t).(*lua.LTable); ok && old.RawGetString("__metatable") != lua.LNil {
		L.RaiseError("cannot change a protected metatable")
	}
	L.SetMetatable(t, mt)
	L.SetTop(1)
	return 1
}

func (st *state) getmetatable(L *lua.LState) int {
	v := L.CheckAny(1)
	if t, ok := v.(*lua.LTable); ok && st.isProtected(t) {
		if t == st.env {
			L.Push(st.gmtView)
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}
	mt, ok := L.GetMetatable(v).(*lua.LTable)
	switch v.Type() {
	case lua.LTNil, lua.LTBool, lua.LTNumber:
		ok = false // only the __call of callname.go: none in Lua 5.1
	}
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	if p := mt.RawGetString("__metatable"); p != lua.LNil {
		L.Push(p)
		return 1
	}
	if _, isStr := v.(lua.LString); isStr {
		// The string metatable is shared by every script: show a
		// read-only view of it.
		for p, r := range st.proxies {
			if r == mt {
				L.Push(p)
				return 1
			}
		}
		L.Push(st.protect(mt))
		return 1
	}
	L.Push(mt)
	return 1
}

// loadString is loadstring(s [, chunkname]) with the script's globals.
func (st *state) loadString(L *lua.LState) int {
	src := L.CheckString(1)
	name := L.OptString(2, src)
	return st.loadChunk(L, []byte(src), name)
}

// load_ is load(func [, chunkname]).
func (st *state) load_(L *lua.LState) int {
	fn := L.CheckFunction(1)
	name := L.OptString(2, "=(load)")
	var buf bytes.Buffer
	for {
		L.Push(fn)
		L.Call(0, 1)
		v := L.Get(-1)
		L.Pop(1)
		if v == lua.LNil {
			break
		}
		s, ok := v.(lua.LString)
		if !ok {
			L.RaiseError("reader function must return a string")
		}
		if s == "" {
			break
		}
		buf.WriteString(string(s))
	}
	return st.loadChunk(L, buf.Bytes(), name)
}

func (st *state) loadChunk(L *lua.LState, src []byte, source string) int {
	name := chunkID(source)
	if len(src) > 0 && src[0] == 0x1b {
		// Redis's Lua refuses precompiled chunks: it reads them as text,
		// which fails on the signature's first byte.
		L.Push(lua.LNil)
		L.Push(lua.LString(name + ":1: unexpected symbol near 'char(27)'"))
		return 2
	}
	proto, err := compile(src, name)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	fn := L.NewFunctionFromProto(proto)
	fn.Env = st.env
	st.sources[name] = source
	L.Push(fn)
	return 1
}

// chunkID is Lua's luaO_chunkid: "=name" and "@name" name a chunk as is,
// other sources are shown as [string "..."].
func chunkID(source string) string {
	if strings.HasPrefix(source, "=") || strings.HasPrefix(source, "@") {
		return source[1:]
	}
	line := source
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i] // C reads the source as a C string
	}
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i] + "..."
	}
	if len(line) > 45 {
		line = line[:42] + "..."
	}
	return `[string "` + line + `"]`
}

// luaToString is Lua 5.1's tostring, with "%.14g" numbers.
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(num14(float64(n))))
		return 1
	}
	if fn := L.GetMetaField(v, "__tostring"); fn != lua.LNil {
		L.Push(fn)
		L.Push(v)
		L.Call(1, 1)
		return 1
	}
	switch v.(type) {
	case lua.LString:
		L.Push(v)
	default:
		L.Push(lua.LString(v.String()))
	}
	return 1
}

// luaError is Lua 5.1's error: like gopher-lua's, but numbers get the
// position prefix as strings do.
func luaError(L *lua.LState) int {
	v := L.CheckAny(1)
	level := L.OptInt(2, 1)
	if n, ok := v.(lua.LNumber); ok {
		v = lua.LString(num14(float64(n)))
	}
	L.Error(v, level)
	return 0
}

func tableForeach(L *lua.LState) int {
	t := L.CheckTable(1)
	fn := L.CheckFunction(2)
	k, v := t.Next(lua.LNil)
	for k != lua.LNil {
		L.Push(fn)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
		k, v = t.Next(k)
	}
	return 0
}

func tableForeachi(L *lua.LState) int {
	t := L.CheckTable(1)
	fn := L.CheckFunction(2)
	n := t.Len()
	for i := 1; i <= n; i++ {
		L.Push(fn)
		L.Push(lua.LNumber(i))
		L.Push(t.RawGetInt(i))
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// globalArray is a KEYS or ARGV table kept across runs: setting a global
// and allocating a table on every EVAL costs more than refilling an array.
// Nothing of an EVAL run outlives it (its globals are read-only), so the
// table can be reused unless the script gave it other keys.
type globalArray struct {
	t *lua.LTable
	n int
	// last is lua.LNumber(n) boxed once: Next takes an interface, and
	// boxing a float64 allocates.
	last lua.LValue
}

func (a *globalArray) fill(st *state, name string, items [][]byte) {
	if a.t != nil {
		var k lua.LValue = lua.LNil
		if a.n > 0 {
			k, _ = a.t.Next(a.last)
		} else {
			k, _ = a.t.Next(lua.LNil)
		}
		if k != lua.LNil {
			a.t = nil // the script added keys: start afresh
		}
	}
	if a.t == nil {
		a.t = st.L.CreateTable(len(items), 0)
		a.n = 0
		st.g.RawSetString(name, a.t)
	}
	for i, it := range items {
		// The same arguments come back run after run (a rate limiter's
		// points and duration, a lock's key): keep the string the last
		// run had instead of allocating an equal one.
		if i < a.n {
			if old, ok := a.t.RawGetInt(i + 1).(lua.LString); ok && string(old) == string(it) {
				continue
			}
		}
		a.t.RawSetInt(i+1, lua.LString(it))
	}
	for i := len(items) + 1; i <= a.n; i++ {
		a.t.RawSetInt(i, lua.LNil)
	}
	if a.n != len(items) || a.last == nil {
		a.n = len(items)
		a.last = lua.LNumber(a.n)
	}
}

// number returns n as a Lua value, boxed without allocating when small.
func (st *state) number(n int64) lua.LValue {
	if n >= 0 && n < int64(len(st.smallInts)) {
		return st.smallInts[n]
	}
	return lua.LNumber(n)
}

// array builds a Lua array of strings (KEYS, ARGV).
func (st *state) array(items [][]byte) *lua.LTable {
	t := st.L.CreateTable(len(items), 0)
	for i, it := range items {
		t.RawSetInt(i+1, lua.LString(it))
	}
	return t
}

// begin prepares the state for a run; poll: the interpreter stops when
// r.Ctx is done (see bounded.go for runs that need not).
func (st *state) begin(r *Run, poll bool) {
	st.run = r
	st.resp = 2
	if poll && r.Ctx != nil {
		st.L.SetContext(r.Ctx)
	}
}

// end clears what the run left.
func (st *state) end() {
	if st.L.Context() != nil {
		st.L.RemoveContext()
	}
	// KEYS and ARGV stay set until the next run, as in Redis (clearing
	// them costs two map deletions per run).
	st.run = nil
	st.L.SetTop(0)
	if len(st.sources) > 0 {
		clear(st.sources)
	}
	for i := range st.argBuf {
		st.argBuf[i] = nil
	}
	if cap(st.respBuf) > 64<<10 {
		st.respBuf = nil
	}
}

// exec calls the function pushed with its nargs arguments and writes its
// first result as the reply. name is the script's name in error messages
// (its SHA1, or the function's name).
func (st *state) exec(nargs int, name string) {
	L := st.L
	st.name = name
	err := L.PCall(nargs, 1, st.errh)
	if err != nil {
		st.writeError(err)
		return
	}
	st.writeReply(st.run.W, L.Get(-1), 0)
	L.Pop(1)
}

// errorHandler is Redis's __redis__err__handler: it turns the error into a
// table {err=..., source=..., line=...} with the position of the Lua code
// that raised it.
func (st *state) errorHandler(L *lua.LState) int {
	errv := L.Get(1)
	var source string
	line := -1
	if dbg, ok := L.GetStack(1); ok {
		L.GetInfo("Sl", dbg, lua.LNil)
		if dbg.What == "G" {
			if dbg2, ok := L.GetStack(2); ok {
				L.GetInfo("Sl", dbg2, lua.LNil)
				dbg = dbg2
			} else {
				dbg = nil
			}
		}
		if dbg != nil && dbg.What != "G" {
			source, line = st.debugSource(dbg.Source), dbg.CurrentLine
		}
	}
	t, ok := errv.(*lua.LTable)
	if st.run != nil && st.run.Ctx != nil && st.run.Ctx.Err() != nil {
		t = L.CreateTable(0, 3)
		t.RawSetString("err", lua.LString("ERR Script killed by user with SCRIPT KILL..."))
		ok = true
	}
	if !ok {
		t = L.CreateTable(0, 3)
		t.RawSetString("err", lua.LString("ERR "+luaArgMessage(tostringValue(L, errv))))
	}
	if source != "" {
		t.RawSetString("source", lua.LString(source))
		t.RawSetString("line", lua.LNumber(line))
	}
	L.Push(t)
	return 1
}

// tostringValue is tostring(v) for an error value.
func tostringValue(L *lua.LState, v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return num14(float64(v))
	case *lua.LNilType:
		return "nil"
	}
	return v.String()
}

// writeError replies with a failed run's error, as Redis's
// luaCallFunction does: "-<err> script: <name>, on <source>:<line>."
func (st *state) writeError(err error) {
	r := st.run
	r.Failed = true
	ae, ok := err.(*lua.ApiError)
	var t *lua.LTable
	if ok {
		t, _ = ae.Object.(*lua.LTable)
	}
	if t == nil {
		msg := err.Error()
		if ok {
			msg = tostringValue(st.L, ae.Object)
		}
		if len(msg) > 100 {
			msg = msg[:100]
		}
		full := "ERR Error running script " + st.name + ", " + msg
		r.W.Error(full)
		st.countError(full)
		return
	}
	msg := luaString(t.RawGetString("err"))
	var b strings.Builder
	b.WriteString(msg)
	source := luaString(t.RawGetString("source"))
	line := luaString(t.RawGetString("line"))
	if source != "" && line != "" {
		b.WriteString(" script: ")
		b.WriteString(st.name)
		b.WriteString(", on ")
		b.WriteString(source)
		b.WriteString(":")
		b.WriteString(line)
		b.WriteString(".")
	}
	full := b.String()
	r.W.Error(full)
	if !lua.LVAsBool(t.RawGetString("ignore_error_stats_update")) {
		st.countError(full)
	}
}

func (st *state) countError(msg string) {
	if st.run.CountError != nil {
		st.run.CountError(msg)
	}
}

// luaString is lua_tostring for strings and numbers; "" otherwise.
func luaString(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return num14(float64(v))
	}
	return ""
}

// debugSource maps a chunk name gopher-lua prints in messages to the
// source Lua's debug.getinfo reports: "@user_script" for "user_script",
// the code itself for a loadstring chunk.
func (st *state) debugSource(name string) string {
	if s, ok := st.sources[name]; ok {
		return s
	}
	return "@" + name
}

// luaArgMessage rewrites gopher-lua's wording of common runtime errors as
// Lua 5.1 words them (without the variable names PUC Lua adds, which
// gopher-lua does not track): quotes around the function name of argument
// errors, "attempt to perform arithmetic on a nil value", "attempt to
// concatenate a table value", "attempt to index a nil value", "attempt to
// call a nil value".
func luaArgMessage(msg string) string {
	if i := strings.Index(msg, "cannot perform "); i >= 0 {
		rest := msg[i+len("cannot perform "):]
		op, types, ok := strings.Cut(rest, " operation between ")
		a, b, ok2 := strings.Cut(types, " and ")
		if ok && ok2 {
			if op == "concat" {
				t := a
				if a == "string" || a == "number" {
					t = b
				}
				return msg[:i] + "attempt to concatenate a " + t + " value"
			}
			t := a
			if a == "number" {
				t = b
			}
			return msg[:i] + "attempt to perform arithmetic on a " + t + " value"
		}
	}
	if i := strings.Index(msg, "attempt to index a non-table object("); i >= 0 {
		rest := msg[i+len("attempt to index a non-table object("):]
		if j := strings.IndexByte(rest, ')'); j >= 0 {
			return msg[:i] + "attempt to index a " + rest[:j] + " value"
		}
	}
	if i := strings.Index(msg, "attempt to call a non-function object"); i >= 0 {
		// nil, booleans and numbers raise Lua 5.1's own words through
		// their __call (callname.go); what is left is mostly a table.
		return msg[:i] + "attempt to call a table value" + msg[i+len("attempt to call a non-function object"):]
	}
	if i := strings.Index(msg, "for statement "); i >= 0 {
		rest := msg[i+len("for statement "):]
		what, _, ok := strings.Cut(rest, " must be a number")
		if ok {
			if what == "init" {
				what = "initial value"
			}
			return msg[:i] + "'for' " + what + " must be a number"
		}
	}
	if i := strings.Index(msg, "__len undefined"); i >= 0 {
		return msg[:i] + "attempt to get length of a nil value"
	}
	if i := strings.Index(msg, "__unm undefined"); i >= 0 {
		return msg[:i] + "attempt to perform arithmetic on a nil value"
	}
	i := strings.Index(msg, "bad argument #")
	if i < 0 {
		return msg
	}
	j := strings.Index(msg[i:], " to ")
	if j < 0 {
		return msg
	}
	j += i + 4
	k := strings.Index(msg[j:], " (")
	if k <= 0 || msg[j] == '\'' {
		return msg
	}
	return msg[:j] + "'" + msg[j:j+k] + "'" + msg[j+k:]
}

// argError raises Lua 5.1's "bad argument #n to 'fname' (msg)".
func argError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fname, msg)
}

func gotType(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return luaTypeName(L.Get(n))
}

// checkNumber is luaL_checknumber: a number or a numeric string.
func checkNumber(L *lua.LState, n int, fname string) float64 {
	if f, ok := toNumber(L.Get(n)); ok && n <= L.GetTop() {
		return f
	}
	argError(L, n, fname, "number expected, got "+gotType(L, n))
	return 0
}

// checkString is luaL_checklstring: a string or a number.
func checkString(L *lua.LState, n int, fname string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return num14(float64(v))
	}
	argError(L, n, fname, "string expected, got "+gotType(L, n))
	return ""
}

// optInt is luaL_optinteger.
func optInt(L *lua.LState, n int, fname string, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	return int(toInt64(checkNumber(L, n, fname)))
}

// luaToNumber is Lua 5.1's tonumber.
func luaToNumber(L *lua.LState) int {
	v := L.CheckAny(1)
	if L.Get(2) == lua.LNil {
		f, ok := toNumber(v)
		if ok {
			L.Push(lua.LNumber(f))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}
	base := int(toInt64(checkNumber(L, 2, "tonumber")))
	if base < 2 || base > 36 {
		argError(L, 2, "tonumber", "base out of range")
	}
	s := strings.TrimSpace(checkString(L, 1, "tonumber"))
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil || s == "" {
		L.Push(lua.LNil)
		return 1
	}
	if neg {
		L.Push(lua.LNumber(-float64(n)))
	} else {
		L.Push(lua.LNumber(float64(n)))
	}
	return 1
}

// redisPcall is Redis 7's pcall: like Lua's, but an error table (Redis 7
// errors are tables) comes back as its err string, as in older versions.
func redisPcall(L *lua.LState) int {
	L.CheckAny(1)
	if err := L.PCall(L.GetTop()-1, lua.MultRet, nil); err != nil {
		L.Push(lua.LFalse)
		ae, ok := err.(*lua.ApiError)
		if !ok {
			L.Push(lua.LString(err.Error()))
			return 2
		}
		obj := ae.Object
		if t, isT := obj.(*lua.LTable); isT {
			switch e := t.RawGetString("err").(type) {
			case lua.LString, lua.LNumber:
				obj = e
			}
		}
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// stringFormat wraps gopher-lua's string.format so that %s shows numbers
// as Lua 5.1 does ("%.14g").
func stringFormat(orig *lua.LFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		f := checkString(L, 1, "format")
		arg := 1
		for i := 0; i < len(f); i++ {
			if f[i] != '%' {
				continue
			}
			i++
			if i < len(f) && f[i] == '%' {
				continue
			}
			for i < len(f) && strings.IndexByte("-+ #0123456789.", f[i]) >= 0 {
				i++
			}
			arg++
			if i < len(f) && f[i] == 's' {
				if n, ok := L.Get(arg).(lua.LNumber); ok {
					L.Replace(arg, lua.LString(num14(float64(n))))
				}
			}
		}
		top := L.GetTop()
		L.Push(orig)
		for i := 1; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, 1)
		return 1
	}
}

// tableConcat is Lua 5.1's table.concat, with "%.14g" numbers.
func tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := ""
	if L.Get(2) != lua.LNil {
		sep = checkString(L, 2, "concat")
	}
	i := 1
	if L.Get(3) != lua.LNil {
		i = int(toInt64(checkNumber(L, 3, "concat")))
	}
	j := t.Len()
	if L.Get(4) != lua.LNil {
		j = int(toInt64(checkNumber(L, 4, "concat")))
	}
	var b strings.Builder
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			b.WriteString(num14(float64(v)))
		default:
			L.RaiseError("invalid value (%s) at index %d in table for 'concat'", luaTypeName(v), k)
		}
		if k < j {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// stringDump is string.dump. gopher-lua has no bytecode format, so it
// returns Lua 5.1's chunk header alone: code that looks for the signature
// sees one, and as loading precompiled chunks is refused (loadChunk), as
// in Redis, nothing can tell that the body is missing.
func stringDump(L *lua.LState) int {
	fn := L.CheckFunction(1)
	if fn.IsG {
		L.RaiseError("unable to dump given function")
	}
	L.Push(lua.LString("\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00"))
	return 1
}
