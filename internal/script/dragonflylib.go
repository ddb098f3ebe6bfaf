package script

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// dragonflyName is the global of Dragonfly's script helpers. Like the
// for-bound conversion it is found through the globals' __index (state.go),
// not listed by pairs(_G), so scripts see Redis's globals.
const dragonflyName = "dragonfly"

// openDragonfly builds Dragonfly's `dragonfly` table, which its test
// tooling's scripts use to fingerprint a dataset (ihash) and to generate
// data (randstr).
func (st *state) openDragonfly() *lua.LTable {
	L := st.L
	t := L.CreateTable(0, 2)
	t.RawSetString("ihash", L.NewFunction(st.dragonflyIHash))
	t.RawSetString("randstr", L.NewFunction(dragonflyRandstr))
	return t
}

// ihashMask keeps hashes exact in a Lua 5.1 number (a double).
const ihashMask = 1<<53 - 1

// dragonflyIHash is dragonfly.ihash(hash, sort, cmd, args...): it folds
// into hash the command's key arguments (all of them for MGET, else the
// first) and the strings of its reply, sorted first when sort is true,
// and returns the new hash. The command runs as with redis.pcall. Only
// equality of hashes taken on the same server means anything: Dragonfly
// uses XXH64 and 64-bit integers, this FNV-1a over 53 bits.
func (st *state) dragonflyIHash(L *lua.LState) int {
	h := uint64(L.CheckNumber(1)) & ihashMask
	sorted := lua.LVAsBool(L.Get(2))
	L.Remove(1)
	L.Remove(1)
	f := fnv.New64a()
	fold := func(h uint64, s string) uint64 {
		f.Reset()
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], h)
		f.Write(b[:])
		f.Write([]byte(s))
		return f.Sum64() & ihashMask
	}
	if top := L.GetTop(); top >= 2 {
		last := 2
		if cmd, ok := L.Get(1).(lua.LString); ok && strings.EqualFold(string(cmd), "mget") {
			last = top
		}
		for i := 2; i <= last; i++ {
			h = fold(h, L.ToString(i))
		}
	}
	st.call(L, false)
	var vals []string
	var collect func(v lua.LValue)
	collect = func(v lua.LValue) {
		switch x := v.(type) {
		case *lua.LTable:
			if e, ok := x.RawGetString("err").(lua.LString); ok {
				vals = append(vals, string(e))
				return
			}
			if ok, isOK := x.RawGetString("ok").(lua.LString); isOK {
				vals = append(vals, string(ok))
				return
			}
			for i := 1; i <= x.Len(); i++ {
				collect(x.RawGetInt(i))
			}
		case lua.LString:
			vals = append(vals, string(x))
		case lua.LNumber:
			vals = append(vals, num14(float64(x)))
		case lua.LBool:
			if x {
				vals = append(vals, "1")
			}
		}
	}
	collect(L.Get(-1))
	if sorted {
		slices.Sort(vals)
	}
	for _, s := range vals {
		h = fold(h, s)
	}
	L.SetTop(0)
	L.Push(lua.LNumber(h))
	return 1
}

// randstrAlphabet is what dragonfly.randstr draws from.
const randstrAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// dragonflyRandstr is dragonfly.randstr(size[, count]): a random string of
// size alphanumeric characters, or a table of count of them, with
// Dragonfly's bounds and errors.
func dragonflyRandstr(L *lua.LState) int {
	n := L.GetTop()
	size, isNum := L.Get(1).(lua.LNumber)
	if n < 1 || n > 2 || !isNum {
		return raisePlain(L, "randstr: expected randstr(size) or randstr(size, count)")
	}
	if size < 1 || size > 16<<20 {
		return raisePlain(L, "randstr: size must be between 1 and 16777216")
	}
	count := 1
	if n == 2 {
		c := int(L.ToNumber(2))
		if c < 1 || c > 32<<10 {
			return raisePlain(L, "randstr: count must be between 1 and 32768")
		}
		count = c
	}
	one := func() lua.LString {
		b := make([]byte, int(size))
		for i := range b {
			b[i] = randstrAlphabet[rand.IntN(len(randstrAlphabet))]
		}
		return lua.LString(b)
	}
	if n == 1 {
		L.Push(one())
		return 1
	}
	t := L.CreateTable(count, 0)
	for i := 1; i <= count; i++ {
		t.RawSetInt(i, one())
	}
	L.Push(t)
	return 1
}

// hideExtras makes extras readable as fields of t without adding them to
// t, so pairs and next list only what Redis's Lua has: t gets a metatable
// whose __index is a table of them. Library tables are read through
// read-only proxies whose __index is t, so the lookup reaches them.
func hideExtras(L *lua.LState, t *lua.LTable, extras map[string]lua.LValue) {
	h := L.CreateTable(0, len(extras))
	for k, v := range extras {
		h.RawSetString(k, v)
	}
	mt := L.CreateTable(0, 1)
	mt.RawSetString("__index", h)
	L.SetMetatable(t, mt)
}
