package script

import (
	"context"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Library is a loaded function library (FUNCTION LOAD).
type Library struct {
	Name      string
	Engine    string // "LUA"
	Code      string
	Functions []*Function // in registration order
}

// Function is a function registered by a library.
type Function struct {
	Name    string
	Desc    string
	HasDesc bool
	Flags   Flags
	Lib     *Library
	fn      *lua.LFunction
}

// loadTimeout bounds the top-level code of a library (Redis's
// LOAD_TIMEOUT_MS).
const loadTimeout = 500 * time.Millisecond

// functionStore holds the libraries. mu guards the maps (a leaf lock,
// held briefly); vmMu guards the functions interpreter, held while a
// library loads or a function runs.
type functionStore struct {
	mu    sync.Mutex
	libs  map[string]*Library
	order []*Library
	funcs map[string]*Function

	vmMu sync.Mutex
	vm   *state
}

func (fs *functionStore) init() {
	fs.libs = map[string]*Library{}
	fs.funcs = map[string]*Function{}
}

// loadCtx collects the functions a library registers while it loads.
type loadCtx struct {
	lib *Library
	err string
}

// libraryMeta is a library's "#!lua name=..." first line.
type libraryMeta struct {
	engine, name, code string
}

// parseLibraryMeta is Redis's functionExtractLibMetaData.
func parseLibraryMeta(payload string) (libraryMeta, error) {
	if !strings.HasPrefix(payload, "#!") {
		return libraryMeta{}, Error("ERR Missing library metadata")
	}
	end := strings.IndexByte(payload, '\n')
	if end < 0 {
		return libraryMeta{}, Error("ERR Invalid library metadata")
	}
	parts, ok := splitArgs(payload[:end])
	if !ok || len(parts) == 0 {
		return libraryMeta{}, Error("ERR Invalid library metadata")
	}
	md := libraryMeta{engine: parts[0][2:], code: payload[end:]}
	named := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if named {
				return libraryMeta{}, Error("ERR Invalid metadata value, name argument was given multiple times")
			}
			md.name, named = p[5:], true
			continue
		}
		return libraryMeta{}, Error("ERR Invalid metadata value given: " + p)
	}
	if !named {
		return libraryMeta{}, Error("ERR Library name was not given")
	}
	return md, nil
}

// validName is Redis's functionsVerifyName.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// functionsVM returns the functions interpreter; vmMu must be held.
func (e *Engine) functionsVM() *state {
	if e.fn.vm == nil {
		e.fn.vm = newState(e, kindFunction)
	}
	return e.fn.vm
}

// LoadLibrary is FUNCTION LOAD [REPLACE]: it returns the library's name.
func (e *Engine) LoadLibrary(code string, replace bool) (string, error) {
	lib, err := e.compileLibrary(code, loadTimeout)
	if err != nil {
		return "", err
	}
	fs := &e.fn
	fs.mu.Lock()
	defer fs.mu.Unlock()
	old := fs.libs[lib.Name]
	if old != nil && !replace {
		return "", Error("ERR Library '" + lib.Name + "' already exists")
	}
	for _, f := range lib.Functions {
		if other := fs.funcs[strings.ToLower(f.Name)]; other != nil && other.Lib != old {
			return "", Error("ERR Function " + f.Name + " already exists")
		}
	}
	if old != nil {
		fs.unlink(old)
	}
	fs.link(lib)
	return lib.Name, nil
}

// compileLibrary checks a library's metadata and runs its code to collect
// its functions, without linking it.
func (e *Engine) compileLibrary(code string, timeout time.Duration) (*Library, error) {
	md, err := parseLibraryMeta(code)
	if err != nil {
		return nil, err
	}
	if !validName(md.name) {
		return nil, Error("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if !strings.EqualFold(md.engine, "lua") {
		return nil, Error("ERR Engine '" + md.engine + "' not found")
	}
	fs := &e.fn
	fs.vmMu.Lock()
	defer fs.vmMu.Unlock()
	st := e.functionsVM()
	proto, err := compile([]byte(md.code), "user_function")
	if err != nil {
		return nil, Error("ERR Error compiling function: " + err.Error())
	}
	lib := &Library{Name: md.name, Engine: "LUA", Code: code}
	L := st.L
	fn := L.NewFunctionFromProto(proto)
	fn.Env = st.env
	st.load = &loadCtx{lib: lib}
	st.envMT.RawSetString("__index", st.libAPI)
	var cancel context.CancelFunc
	if timeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
		L.SetContext(ctx)
	}
	L.Push(fn)
	perr := L.PCall(0, 0, nil)
	if cancel != nil {
		timedOut := L.Context().Err() != nil
		L.RemoveContext()
		cancel()
		if timedOut && perr != nil {
			perr = &lua.ApiError{Object: lua.LString("ERR FUNCTION LOAD timeout")}
			st.load.err = "ERR FUNCTION LOAD timeout"
		}
	}
	st.envMT.RawSetString("__index", st.g)
	st.load = nil
	L.SetTop(0)
	if perr != nil {
		return nil, Error("ERR Error registering functions: " + loadErrorMessage(perr))
	}
	if len(lib.Functions) == 0 {
		return nil, Error("ERR No functions registered")
	}
	return lib, nil
}

// loadErrorMessage is luaExtractErrorInformation's msg for an error of a
// library's top-level code (no error handler runs there).
func loadErrorMessage(err error) string {
	ae, ok := err.(*lua.ApiError)
	if !ok {
		return "ERR " + err.Error()
	}
	switch v := ae.Object.(type) {
	case lua.LString:
		if strings.HasPrefix(string(v), "ERR FUNCTION LOAD timeout") {
			return string(v)
		}
		return "ERR " + string(v)
	case lua.LNumber:
		return "ERR " + num14(float64(v))
	case *lua.LTable:
		return luaString(v.RawGetString("err"))
	}
	return ""
}

func (fs *functionStore) link(lib *Library) {
	fs.libs[lib.Name] = lib
	fs.order = append(fs.order, lib)
	for _, f := range lib.Functions {
		fs.funcs[strings.ToLower(f.Name)] = f
	}
}

func (fs *functionStore) unlink(lib *Library) {
	delete(fs.libs, lib.Name)
	for i, l := range fs.order {
		if l == lib {
			fs.order = append(fs.order[:i:i], fs.order[i+1:]...)
			break
		}
	}
	for _, f := range lib.Functions {
		if k := strings.ToLower(f.Name); fs.funcs[k] == f {
			delete(fs.funcs, k)
		}
	}
}

// Function finds a function by name, in any case.
func (e *Engine) Function(name string) *Function {
	e.fn.mu.Lock()
	f := e.fn.funcs[strings.ToLower(name)]
	e.fn.mu.Unlock()
	return f
}

// Libraries returns the loaded libraries in load order.
func (e *Engine) Libraries() []*Library {
	e.fn.mu.Lock()
	defer e.fn.mu.Unlock()
	return append([]*Library(nil), e.fn.order...)
}

// FunctionCounts returns the numbers of libraries and functions.
func (e *Engine) FunctionCounts() (libs, funcs int) {
	e.fn.mu.Lock()
	defer e.fn.mu.Unlock()
	return len(e.fn.libs), len(e.fn.funcs)
}

// FunctionsMemory estimates the memory of the libraries (code and
// metadata) and of the functions interpreter.
func (e *Engine) FunctionsMemory() (code, vm int64) {
	e.fn.mu.Lock()
	for _, l := range e.fn.order {
		code += int64(len(l.Code)) + 64
		for _, f := range l.Functions {
			code += int64(len(f.Name)+len(f.Desc)) + 64
		}
	}
	has := len(e.fn.order) > 0
	e.fn.mu.Unlock()
	vm = stateBaseBytes / 2
	if has {
		vm = stateBaseBytes + 2*code
	}
	return code, vm
}

// DeleteLibrary is FUNCTION DELETE.
func (e *Engine) DeleteLibrary(name string) error {
	fs := &e.fn
	fs.mu.Lock()
	defer fs.mu.Unlock()
	lib := fs.libs[name]
	if lib == nil {
		return Error("ERR Library not found")
	}
	fs.unlink(lib)
	return nil
}

// FlushFunctions is FUNCTION FLUSH: it drops every library. The
// interpreter stays (a function already looked up by a concurrent FCALL
// still runs in it); the dropped functions are garbage once unused.
func (e *Engine) FlushFunctions() {
	fs := &e.fn
	fs.mu.Lock()
	fs.libs = map[string]*Library{}
	fs.funcs = map[string]*Function{}
	fs.order = nil
	fs.mu.Unlock()
}

// CallFunction runs a function (FCALL) and writes its reply to r.W.
func (e *Engine) CallFunction(f *Function, r *Run) {
	fs := &e.fn
	fs.vmMu.Lock()
	st := e.functionsVM()
	st.begin(r, true)
	L := st.L
	L.Push(f.fn)
	L.Push(st.array(r.Keys))
	L.Push(st.array(r.Args))
	st.exec(2, f.Name)
	st.end()
	fs.vmMu.Unlock()
	e.account(r)
}

// openLibraryAPI builds the globals a library's code sees while it loads:
// only redis.register_function, redis.log and the version constants.
func (st *state) openLibraryAPI() *lua.LTable {
	L := st.L
	r := L.CreateTable(0, 8)
	r.RawSetString("register_function", L.NewFunction(st.registerFunction))
	r.RawSetString("log", L.NewFunction(st.log))
	st.logConstants(r)
	emt := L.CreateTable(0, 1)
	emt.RawSetString("__index", L.NewFunction(nonexistentGlobal))
	L.SetMetatable(r, emt)
	api := L.CreateTable(0, 1)
	api.RawSetString("redis", st.protect(r))
	amt := L.CreateTable(0, 1)
	amt.RawSetString("__index", L.NewFunction(nonexistentGlobal))
	L.SetMetatable(api, amt)
	return api
}

// registerFunction is redis.register_function.
func (st *state) registerFunction(L *lua.LState) int {
	if st.load == nil {
		return raisePlain(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &Function{Lib: st.load.lib}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return raisePlain(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		named := false
		for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
			var key string
			switch k := k.(type) {
			case lua.LString:
				key = string(k)
			case lua.LNumber:
				key = num14(float64(k))
			default:
				return raisePlain(L, "named argument key given to redis.register_function is not a string")
			}
			switch strings.ToLower(key) {
			case "function_name":
				s, ok := luaStringArg(v)
				if !ok {
					return raisePlain(L, "function_name argument given to redis.register_function must be a string")
				}
				f.Name, named = s, true
			case "description":
				s, ok := luaStringArg(v)
				if !ok {
					return raisePlain(L, "description argument given to redis.register_function must be a string")
				}
				f.Desc, f.HasDesc = s, true
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					return raisePlain(L, "callback argument given to redis.register_function must be a function")
				}
				f.fn = fn
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					return raisePlain(L, "flags argument to redis.register_function must be a table representing function flags")
				}
				flags, ok := readFlags(ft)
				if !ok {
					return raisePlain(L, "unknown flag given")
				}
				f.Flags = flags
			default:
				return raisePlain(L, "unknown argument given to redis.register_function")
			}
		}
		if !named {
			return raisePlain(L, "redis.register_function must get a function name argument")
		}
		if f.fn == nil {
			return raisePlain(L, "redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := luaStringArg(L.Get(1))
		if !ok {
			return raisePlain(L, "first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			return raisePlain(L, "second argument to redis.register_function must be a function")
		}
		f.Name, f.fn = s, fn
	default:
		return raisePlain(L, "wrong number of arguments to redis.register_function")
	}
	if !validName(f.Name) {
		// Redis 7.0 gives the library names' message here too.
		return raisePlain(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	for _, other := range st.load.lib.Functions {
		if other.Name == f.Name {
			return raisePlain(L, "Function already exists in the library")
		}
	}
	st.load.lib.Functions = append(st.load.lib.Functions, f)
	return 0
}

// luaStringArg is luaGetStringSds: a string or a number.
func luaStringArg(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return num14(float64(v)), true
	}
	return "", false
}

// readFlags reads a register_function flags table.
func readFlags(t *lua.LTable) (Flags, bool) {
	var flags Flags
	for i := 1; ; i++ {
		v := t.RawGetInt(i)
		if v == lua.LNil {
			break
		}
		s, ok := luaStringArg(v)
		if !ok {
			return 0, false
		}
		found := false
		for _, fn := range flagNames {
			if strings.EqualFold(fn.name, s) {
				flags |= fn.f
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	return flags, true
}
