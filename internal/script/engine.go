package script

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// Flags are a script's or a function's flags: the "#!lua flags=..."
// shebang of an EVAL script, the flags of redis.register_function.
type Flags uint32

// Script flags, as Redis 7 names them.
const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagEvalCompat marks an EVAL script without a shebang: Redis's
	// backwards compatible mode, where the flags above do not apply.
	FlagEvalCompat
	// FlagAllowUndeclared is Dragonfly's allow-undeclared-keys ("--!df
	// flags=allow-undeclared-keys" first line): with --lua_strict_keys the
	// script takes every shard instead of failing on undeclared keys.
	FlagAllowUndeclared
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagNoWrites, "no-writes"},
	{FlagAllowOOM, "allow-oom"},
	{FlagAllowStale, "allow-stale"},
	{FlagNoCluster, "no-cluster"},
	{FlagAllowCrossSlot, "allow-cross-slot-keys"},
}

// Names lists the Redis flags set in f, in Redis's order.
func (f Flags) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Script is a compiled EVAL script.
type Script struct {
	SHA   string // 40 lower-case hex digits
	Body  string
	Flags Flags
	proto *lua.FunctionProto
	// bounded: the script runs without its Run's context (bounded.go).
	bounded bool
}

// Caller runs the commands of a script (redis.call, redis.pcall). The
// command package implements it.
type Caller interface {
	// Call runs args as a command and appends its reply to out, encoded
	// in RESP version proto (2 or 3). A command refused before it runs
	// (unknown, wrong arity, not allowed from scripts, a write in a
	// read-only script...) is answered with an error reply too.
	Call(args [][]byte, proto int, out []byte) []byte
}

// Run is one execution of a script or a function.
type Run struct {
	Keys, Args [][]byte
	Caller     Caller
	// W receives the script's reply, in the client's protocol.
	W *resp.Writer
	// Ctx, when set, stops the script once it is done (SCRIPT KILL).
	Ctx context.Context
	// CountError, when set, is called for each error reply written to W
	// that Redis counts in its error statistics (not the errors of
	// commands that were already counted when they failed).
	CountError func(msg string)
	// Failed is set when the reply is an error.
	Failed bool
}

// Engine holds the script cache, the interpreter pool and the function
// libraries.
type Engine struct {
	Log *slog.Logger
	// Version and VersionNum are redis.REDIS_VERSION and
	// redis.REDIS_VERSION_NUM.
	Version    string
	VersionNum int

	mu        sync.RWMutex
	scripts   map[string]*Script
	bodyBytes int64
	gen       atomic.Uint64 // bumped by Flush: pooled states drop their functions

	poolMu sync.Mutex
	pool   []*state
	states atomic.Int64 // interpreter states alive (eval pool)

	fn   functionStore
	rand rand48

	// Counters for INFO and metrics.
	Calls        atomic.Int64 // EVAL/EVALSHA/FCALL runs
	Errors       atomic.Int64 // runs that ended with an error reply
	Killed       atomic.Int64 // runs stopped by SCRIPT KILL / FUNCTION KILL
	Compilations atomic.Int64 // scripts compiled
}

// NewEngine returns an empty engine.
func NewEngine(log *slog.Logger, version string, versionNum int) *Engine {
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{Log: log, Version: version, VersionNum: versionNum, scripts: map[string]*Script{}}
	e.rand.x = rand48Init
	e.fn.init()
	return e
}

// SHA1Hex is the lower-case hex SHA1 of b, the name of a script.
func SHA1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// Error is a reply error; its text starts with the error code.
type Error string

func (e Error) Error() string { return string(e) }

// Get returns the cached script with this SHA1 (any case), or nil.
func (e *Engine) Get(sha string) *Script {
	if len(sha) != 40 {
		return nil
	}
	e.mu.RLock()
	s := e.scripts[sha]
	e.mu.RUnlock()
	if s == nil && hasUpper(sha) {
		e.mu.RLock()
		s = e.scripts[strings.ToLower(sha)]
		e.mu.RUnlock()
	}
	return s
}

// GetBytes is Get for a byte-slice SHA1, without allocating on a hit.
func (e *Engine) GetBytes(sha []byte) *Script {
	if len(sha) != 40 {
		return nil
	}
	e.mu.RLock()
	s := e.scripts[string(sha)]
	e.mu.RUnlock()
	if s == nil && hasUpper(string(sha)) {
		return e.Get(strings.ToLower(string(sha)))
	}
	return s
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// Load compiles body and caches it (SCRIPT LOAD, the first EVAL). The
// error is the reply Redis gives.
func (e *Engine) Load(body []byte) (*Script, error) {
	sha := SHA1Hex(body)
	if s := e.Get(sha); s != nil {
		return s, nil
	}
	flags, shebang, err := evalShebang(body)
	if err != nil {
		return nil, err
	}
	proto, err := compile(body[shebang:], "user_script")
	if err != nil {
		return nil, Error("ERR Error compiling script (new function): " + err.Error())
	}
	proto = compileHoisted(body[shebang:], "user_script", proto)
	e.Compilations.Add(1)
	s := &Script{SHA: sha, Body: string(body), Flags: flags, proto: proto, bounded: bounded(proto)}
	e.mu.Lock()
	if old := e.scripts[sha]; old != nil {
		s = old
	} else {
		e.scripts[sha] = s
		e.bodyBytes += int64(len(body))
	}
	e.mu.Unlock()
	return s, nil
}

// Flush empties the script cache (SCRIPT FLUSH).
func (e *Engine) Flush() {
	e.mu.Lock()
	e.scripts = map[string]*Script{}
	e.bodyBytes = 0
	e.gen.Add(1)
	e.mu.Unlock()
	e.poolMu.Lock()
	for _, st := range e.pool {
		st.L.Close()
		e.states.Add(-1)
	}
	e.pool = nil
	e.poolMu.Unlock()
}

// CacheStats returns the number of cached scripts and the bytes of their
// bodies.
func (e *Engine) CacheStats() (n int, bytes int64) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.scripts), e.bodyBytes
}

// Interpreters is the number of Lua interpreter states alive (the eval
// pool and in-use states, plus the functions interpreter).
func (e *Engine) Interpreters() int64 {
	n := e.states.Load()
	e.fn.vmMu.Lock()
	if e.fn.vm != nil {
		n++
	}
	e.fn.vmMu.Unlock()
	return n
}

// VMMemory estimates the memory of the eval interpreters (INFO
// used_memory_lua). gopher-lua does not account its allocations, so this
// counts a fixed cost per live state plus the cached prototypes' code.
func (e *Engine) VMMemory() int64 {
	n, body := e.CacheStats()
	return e.states.Load()*stateBaseBytes + int64(n)*protoBaseBytes + body*2
}

const (
	stateBaseBytes = 64 << 10
	protoBaseBytes = 512
)

// compile parses and compiles Lua source, with PUC-Lua-like messages.
func compile(src []byte, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		return nil, Error(syntaxMessage(err, src, name))
	}
	coerceForBounds(chunk)
	proto, err := lua.Compile(chunk, name)
	if err == nil {
		// Lua 5.1 gives a main chunk no implicit "arg" table (only
		// functions declared with ... get one); gopher-lua builds one on
		// every call.
		proto.IsVarArg &^= lua.VarArgNeedsArg
	}
	if err != nil {
		if ce, ok := err.(*lua.CompileError); ok {
			return nil, Error(name + ":" + itoa(ce.Line) + ": " + ce.Message)
		}
		return nil, Error(name + ": " + err.Error())
	}
	return proto, nil
}

// syntaxMessage turns a gopher-lua parse error into Lua 5.1's form,
// "user_script:LINE: MESSAGE near 'TOKEN'".
func syntaxMessage(err error, src []byte, name string) string {
	pe, ok := err.(*parse.Error)
	if !ok {
		return name + ": " + strings.TrimSpace(err.Error())
	}
	msg := strings.TrimSpace(pe.Message)
	if msg == "syntax error" {
		msg = "unexpected symbol"
	}
	line, tok := pe.Pos.Line, pe.Token
	if line == parse.EOF || line <= 0 {
		line = bytes.Count(src, []byte{'\n'}) + 1
		tok = "<eof>"
	}
	if tok == "" {
		return name + ":" + itoa(line) + ": " + msg
	}
	return name + ":" + itoa(line) + ": " + msg + " near '" + tok + "'"
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// evalShebang reads the "#!lua flags=..." line of an EVAL script (Redis's
// evalExtractShebangFlags) and Dragonfly's "--!df flags=..." line. It
// returns the flags and the length of the shebang line (without its line
// feed, which stays so line numbers are kept).
func evalShebang(body []byte) (Flags, int, error) {
	flags := FlagEvalCompat
	n := 0
	if bytes.HasPrefix(body, []byte("#!")) {
		end := bytes.IndexByte(body, '\n')
		if end < 0 {
			return 0, 0, Error("ERR Invalid script shebang")
		}
		n = end
		parts, ok := splitArgs(string(body[:end]))
		if !ok || len(parts) == 0 {
			return 0, 0, Error("ERR Invalid engine in script shebang")
		}
		if parts[0] != "#!lua" {
			return 0, 0, Error("ERR Unexpected engine in script shebang: " + parts[0])
		}
		flags &^= FlagEvalCompat
		for _, p := range parts[1:] {
			if !strings.HasPrefix(p, "flags=") {
				return 0, 0, Error("ERR Unknown lua shebang option: " + p)
			}
			if p == "flags=" {
				continue // no flags at all: Redis splits "" into nothing
			}
			for _, f := range strings.Split(p[len("flags="):], ",") {
				fl, ok := flagByName(f)
				if !ok {
					return 0, 0, Error("ERR Unexpected flag in script shebang: " + f)
				}
				flags |= fl
			}
		}
	}
	if dfFlags(body[n:]) {
		flags |= FlagAllowUndeclared
	}
	return flags, n, nil
}

func flagByName(name string) (Flags, bool) {
	for _, fn := range flagNames {
		if fn.name == name {
			return fn.f, true
		}
	}
	return 0, false
}

// dfFlags reports whether the script starts (after blanks) with
// Dragonfly's "--!df flags=..." comment naming allow-undeclared-keys.
func dfFlags(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	const prefix = "--!df flags="
	if !bytes.HasPrefix(body, []byte(prefix)) {
		return false
	}
	body = body[len(prefix):]
	end := bytes.IndexAny(body, " \t\r\n")
	if end < 0 {
		end = len(body)
	}
	for _, f := range strings.Split(string(body[:end]), ",") {
		if f == "allow-undeclared-keys" {
			return true
		}
	}
	return false
}

// splitArgs splits a line like Redis's sdssplitargs: blanks separate
// arguments, "double quotes" take escapes, 'single quotes' take \'.
func splitArgs(line string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i >= len(line) {
			return out, true
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			if inq {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHexDigit(line[i+2]) && isHexDigit(line[i+3]):
					cur = append(cur, hexVal(line[i+2])<<4|hexVal(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				case c == '"':
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else if insq {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else {
				if i >= len(line) {
					break
				}
				c := line[i]
				switch {
				case isBlank(c):
					done = true
				case c == '"':
					inq = true
				case c == '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
			if i >= len(line) && !inq && !insq {
				done = true
			}
		}
		out = append(out, string(cur))
	}
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// getState takes an eval interpreter from the pool, or builds one.
func (e *Engine) getState() *state {
	e.poolMu.Lock()
	if n := len(e.pool); n > 0 {
		st := e.pool[n-1]
		e.pool = e.pool[:n-1]
		e.poolMu.Unlock()
		if g := e.gen.Load(); st.gen != g {
			clear(st.fns)
			st.gen = g
		}
		return st
	}
	e.poolMu.Unlock()
	e.states.Add(1)
	st := newState(e, kindEval)
	st.gen = e.gen.Load()
	return st
}

func (e *Engine) putState(st *state) {
	e.poolMu.Lock()
	if len(e.pool) < 2*runtime.GOMAXPROCS(0) && st.gen == e.gen.Load() {
		e.pool = append(e.pool, st)
		e.poolMu.Unlock()
		return
	}
	e.poolMu.Unlock()
	st.L.Close()
	e.states.Add(-1)
}

// Eval runs a cached script and writes its reply to r.W.
func (e *Engine) Eval(s *Script, r *Run) {
	st := e.getState()
	fn := st.fns[s]
	if fn == nil {
		fn = st.L.NewFunctionFromProto(s.proto)
		fn.Env = st.env
		st.fns[s] = fn
	}
	st.begin(r, !s.bounded)
	st.keys.fill(st, "KEYS", r.Keys)
	st.argv.fill(st, "ARGV", r.Args)
	st.L.Push(fn)
	st.exec(0, s.SHA)
	st.end()
	e.putState(st)
	e.account(r)
}

func (e *Engine) account(r *Run) {
	e.Calls.Add(1)
	if r.Failed {
		e.Errors.Add(1)
	}
	if r.Ctx != nil && r.Ctx.Err() != nil {
		e.Killed.Add(1)
	}
}

// KillSwitch is a context that SCRIPT KILL cancels. gopher-lua polls Done
// at every instruction (a non-blocking receive), and coroutines derive
// their contexts from it, so it is a real channel, replaced by Reset after
// a kill.
type KillSwitch struct {
	done   atomic.Pointer[chan struct{}]
	killed atomic.Bool
}

// NewKillSwitch returns a live switch.
func NewKillSwitch() *KillSwitch {
	k := &KillSwitch{}
	ch := make(chan struct{})
	k.done.Store(&ch)
	return k
}

// Kill stops the script running with k.
func (k *KillSwitch) Kill() {
	if k.killed.CompareAndSwap(false, true) {
		close(*k.done.Load())
	}
}

// Reset readies a killed switch for another run; it must not be called
// while a script runs with k.
func (k *KillSwitch) Reset() {
	if k.killed.Load() {
		ch := make(chan struct{})
		k.done.Store(&ch)
		k.killed.Store(false)
	}
}

// Deadline implements context.Context.
func (k *KillSwitch) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context.
func (k *KillSwitch) Done() <-chan struct{} { return *k.done.Load() }

// Err implements context.Context.
func (k *KillSwitch) Err() error {
	if k.killed.Load() {
		return context.Canceled
	}
	return nil
}

// Value implements context.Context.
func (k *KillSwitch) Value(any) any { return nil }
