package script

import (
	"crypto/sha1"
	"encoding/hex"
	"log/slog"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// Log levels of redis.log.
const (
	logDebug   = 0
	logVerbose = 1
	logNotice  = 2
	logWarning = 3
)

// openRedis builds the redis table of an EVAL or a function run.
func (st *state) openRedis() *lua.LTable {
	L := st.L
	t := L.CreateTable(0, 32)
	fn := func(name string, f lua.LGFunction) { t.RawSetString(name, L.NewFunction(f)) }
	fn("call", func(L *lua.LState) int { return st.call(L, true) })
	fn("pcall", func(L *lua.LState) int { return st.call(L, false) })
	// Dragonfly's asynchronous calls, which it queues to run squashed
	// and whose replies a script must not use; here they run at once,
	// with call's and pcall's error handling. Hidden from pairs(redis),
	// which lists Redis's functions.
	hideExtras(L, t, map[string]lua.LValue{
		"acall":  L.NewFunction(func(L *lua.LState) int { return st.call(L, true) }),
		"apcall": L.NewFunction(func(L *lua.LState) int { return st.call(L, false) }),
	})
	fn("sha1hex", sha1hexLua)
	fn("error_reply", errorReply)
	fn("status_reply", statusReply)
	fn("log", st.log)
	fn("setresp", st.setresp)
	fn("set_repl", st.setRepl)
	fn("acl_check_cmd", st.aclCheckCmd)
	if st.kind == kindEval {
		fn("replicate_commands", func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
		fn("breakpoint", func(L *lua.LState) int { L.Push(lua.LFalse); return 1 })
		fn("debug", func(L *lua.LState) int { return 0 })
	}
	st.logConstants(t)
	t.RawSetString("REPL_NONE", lua.LNumber(0))
	t.RawSetString("REPL_AOF", lua.LNumber(1))
	t.RawSetString("REPL_SLAVE", lua.LNumber(2))
	t.RawSetString("REPL_REPLICA", lua.LNumber(2))
	t.RawSetString("REPL_ALL", lua.LNumber(3))
	return t
}

func (st *state) logConstants(t *lua.LTable) {
	t.RawSetString("LOG_DEBUG", lua.LNumber(logDebug))
	t.RawSetString("LOG_VERBOSE", lua.LNumber(logVerbose))
	t.RawSetString("LOG_NOTICE", lua.LNumber(logNotice))
	t.RawSetString("LOG_WARNING", lua.LNumber(logWarning))
	t.RawSetString("REDIS_VERSION", lua.LString(st.e.Version))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(st.e.VersionNum))
}

// pushError returns an error table {err="ERR msg"} as the result.
func pushError(L *lua.LState, msg string) int {
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString(errorText(msg, false)))
	L.Push(t)
	return 1
}

func raisePlain(L *lua.LState, msg string) int {
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString(errorText(msg, false)))
	L.Error(t, 0)
	return 0
}

// call is redis.call (raise) and redis.pcall.
func (st *state) call(L *lua.LState, raiseErr bool) int {
	n := L.GetTop()
	fail := func(msg string) int {
		if raiseErr {
			return raisePlain(L, msg)
		}
		return pushError(L, msg)
	}
	if st.run == nil || st.run.Caller == nil {
		return fail("redis.call/pcall can only be called inside a script invocation")
	}
	if n == 0 {
		return fail("Please specify at least one argument for this redis lib call")
	}
	args := st.argBuf[:0]
	nums := st.numBuf[:0]
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args = append(args, unsafe.Slice(unsafe.StringData(string(v)), len(v)))
		case lua.LNumber:
			// Formatted into one buffer kept across calls; a growth
			// leaves the earlier arguments in the old array, still
			// valid.
			start := len(nums)
			nums = appendNum17(nums, float64(v))
			args = append(args, nums[start:len(nums):len(nums)])
		default:
			st.argBuf = args
			return fail("Lua redis lib command arguments must be strings or integers")
		}
	}
	st.argBuf = args
	st.numBuf = nums
	if ctx := st.run.Ctx; ctx != nil && ctx.Err() != nil {
		return raisePlain(L, "Script killed by user with SCRIPT KILL...")
	}
	reply := st.run.Caller.Call(args, st.resp, st.respBuf[:0])
	st.respBuf = reply
	v, _ := st.toLua(reply, 0)
	L.SetTop(0)
	if raiseErr {
		if t, ok := v.(*lua.LTable); ok {
			if _, isErr := t.RawGetString("err").(lua.LString); isErr {
				L.Error(t, 0)
				return 0
			}
		}
	}
	L.Push(v)
	return 1
}

func sha1hexLua(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raisePlain(L, "wrong number of arguments")
	}
	var s string
	switch v := L.Get(1).(type) {
	case lua.LString:
		s = string(v)
	case lua.LNumber:
		s = num14(float64(v))
	}
	sum := sha1.Sum([]byte(s))
	L.Push(lua.LString(hex.EncodeToString(sum[:])))
	return 1
}

// errorReply is redis.error_reply: it returns (does not raise) the table.
func errorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		return pushError(L, "wrong number or type of arguments")
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString(errorText(msg[1:], true)))
	L.Push(t)
	return 1
}

func statusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		return pushError(L, "wrong number or type of arguments")
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

func (st *state) log(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		return raisePlain(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := toNumber(L.Get(1))
	if !ok {
		return raisePlain(L, "First argument must be a number (log level).")
	}
	level := int(lv)
	if level < logDebug || level > logWarning {
		return raisePlain(L, "Invalid debug level.")
	}
	var b strings.Builder
	for i := 2; i <= n; i++ {
		s := luaString(L.Get(i))
		if s == "" {
			if _, isStr := L.Get(i).(lua.LString); !isStr {
				continue
			}
		}
		if i != 2 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	var sl slog.Level
	switch level {
	case logDebug:
		sl = slog.LevelDebug
	case logVerbose:
		sl = slog.LevelDebug + 2
	case logNotice:
		sl = slog.LevelInfo
	default:
		sl = slog.LevelWarn
	}
	st.e.Log.Log(nil, sl, b.String(), "source", "lua")
	return 0
}

// toNumber is lua_isnumber + lua_tonumber: numbers and numeric strings.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		n, err := parseLuaNumber(string(v))
		return n, err == nil
	}
	return 0, false
}

func (st *state) setresp(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raisePlain(L, "redis.setresp() requires one argument.")
	}
	n, _ := toNumber(L.Get(1))
	if n != 2 && n != 3 {
		return raisePlain(L, "RESP version must be 2 or 3.")
	}
	st.resp = int(n)
	return 0
}

func (st *state) setRepl(L *lua.LState) int {
	if st.run == nil {
		return raisePlain(L, "redis.set_repl can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		return raisePlain(L, "redis.set_repl() requires two arguments.")
	}
	n, _ := toNumber(L.Get(1))
	if int(n)&^3 != 0 {
		return raisePlain(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// ACLChecker is implemented by Callers that know the command table, for
// redis.acl_check_cmd.
type ACLChecker interface {
	// KnownCommand reports whether args name a command (and subcommand).
	KnownCommand(args [][]byte) bool
	// CommandAllowed reports whether the script's user may run args.
	CommandAllowed(args [][]byte) bool
}

func (st *state) aclCheckCmd(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		return raisePlain(L, "Please specify at least one argument for this redis lib call")
	}
	args := make([][]byte, 0, n)
	for i := 1; i <= n; i++ {
		s := luaString(L.Get(i))
		if _, ok := L.Get(i).(lua.LString); !ok {
			if _, ok := L.Get(i).(lua.LNumber); !ok {
				return raisePlain(L, "Lua redis lib command arguments must be strings or integers")
			}
		}
		args = append(args, []byte(s))
	}
	allowed := true
	if st.run != nil {
		if c, ok := st.run.Caller.(ACLChecker); ok {
			if !c.KnownCommand(args) {
				return raisePlain(L, "Invalid command passed to redis.acl_check_cmd()")
			}
			allowed = c.CommandAllowed(args)
		}
	}
	L.Push(lua.LBool(allowed))
	return 1
}
