package script

import (
	"math"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// rand48 is Redis's redisLrand48/redisSrand48 (rand.c): the 48-bit linear
// congruential generator of drand48, x = (a*x + c) mod 2^48, returning the
// top 31 bits. Redis 7.0 has one generator for the whole server, starting
// from drand48's default state and never reseeded except by
// math.randomseed, so every script and function draws from one sequence.
type rand48 struct {
	mu sync.Mutex
	x  uint64
}

const rand48Init = 0x1234ABCD330E

const (
	rand48A    = 0x5DEECE66D
	rand48C    = 0xB
	rand48Mask = 1<<48 - 1
	// redisLrand48Max is REDIS_LRAND48_MAX (INT32_MAX).
	redisLrand48Max = math.MaxInt32
)

func (r *rand48) seed(s int32) {
	r.mu.Lock()
	r.x = uint64(uint32(s))<<16 | 0x330E
	r.mu.Unlock()
}

func (r *rand48) next() int32 {
	r.mu.Lock()
	r.x = (rand48A*r.x + rand48C) & rand48Mask
	v := int32(r.x >> 17)
	r.mu.Unlock()
	return v
}

// mathRandom is Redis's redis_math_random.
func (st *state) mathRandom(L *lua.LState) int {
	r := float64(st.e.rand.next()%redisLrand48Max) / float64(redisLrand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := checkInt(L, 1)
		if u < 1 {
			argError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l := checkInt(L, 1)
		u := checkInt(L, 2)
		if l > u {
			argError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (st *state) mathRandomseed(L *lua.LState) int {
	st.e.rand.seed(int32(int(toInt64(checkNumber(L, 1, "randomseed")))))
	return 0
}

// checkInt is luaL_checkint: a number (or numeric string) truncated to a C
// int.
func checkInt(L *lua.LState, n int) int {
	return int(int32(toInt64(checkNumber(L, n, "random"))))
}
