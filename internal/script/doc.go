// Package script runs Lua scripts (EVAL, EVALSHA) and Redis 7 functions
// (FUNCTION LOAD, FCALL) on gopher-lua, a Lua 5.1 interpreter in Go, with
// the environment Redis 7.0 gives them.
//
// # Engine
//
// Scripts are compiled once and cached by the SHA1 of their body
// (Engine.Load); the cache holds gopher-lua function prototypes, which are
// immutable and shared by every interpreter. Interpreter states are pooled:
// a run takes a state, binds the cached prototype to it (once per state and
// prototype), runs it and gives the state back, so EVALSHA costs no
// compilation and no state construction. Functions (FUNCTION LOAD) live in
// one dedicated state, as in Redis where the libraries of a server share a
// Lua VM: library-local upvalues persist between calls.
//
// # Sandbox
//
// As in Redis 7.0, scripts see a global table they cannot change: writes
// fail with "Attempt to modify a readonly table", reads of unknown names
// with "Script attempted to access nonexistent global variable 'x'". The
// libraries are Redis's set: base (without print, dofile, loadfile,
// require, module, getfenv, setfenv, newproxy), table, string, math (with
// Redis's rand48 math.random, reseeded for every EVAL), coroutine, cjson,
// bit, struct and cmsgpack; the library tables are read-only too. gopher-lua
// has no read-only table flag, so each protected table is an empty proxy
// whose metatable forwards reads and refuses writes; pairs, next, rawset
// and setmetatable know the proxies.
//
// Runtime errors are worded as Lua 5.1 words them, naming the variable
// ("attempt to call field 'f' (a nil value)", "attempt to index local 't'
// ...", "attempt to perform arithmetic on ...", "attempt to concatenate
// ..."; callname.go), except in a concatenation of more than two operands
// and for calling a table, which give the type without the name.
//
// Known differences from Redis's Lua: gopher-lua's syntax error wording in
// places, the error naming just described, number-to-string coercion
// in the `..` operator (tostring uses Lua's "%.14g"; `..` uses the shortest
// round-trip form), and the iteration order of hash tables (insertion
// order here).
//
// # Commands from scripts
//
// redis.call and redis.pcall go through the Caller interface, implemented
// by the command package (the imports point command → script): it runs
// the command and returns its reply as RESP bytes in the protocol the
// script chose with redis.setresp, which this package turns into Lua
// values with Redis's conversion rules. Replies go back to the client with
// the reverse rules (Lua number → integer, truncated; true → 1; false →
// nil; {ok=...} → status; {err=...} → error; tables → arrays up to the
// first nil; RESP3 double/map/set/big_number/verbatim_string tables).
//
// # Atomicity and locking
//
// This package does not lock anything; the command package runs a script
// while holding shard locks. By default (Redis compatible) a script may
// touch any key, declared in KEYS or not, so it runs with every shard
// held: scripts are atomic and serialised against all other commands, as
// in Redis. With the start flag --lua_strict_keys (Dragonfly's model) a
// script holds only the shards of its declared KEYS and runs concurrently
// with commands and scripts on other shards; an access to an undeclared key
// fails with Dragonfly's "script tried accessing undeclared key" error,
// unless the script opts out with Dragonfly's "--!df
// flags=allow-undeclared-keys" first line, which makes it take every shard.
//
// # Time limit and SCRIPT KILL
//
// A run carries a context; SCRIPT KILL / FUNCTION KILL cancel it and the
// interpreter stops at its next instruction (a cancelled script cannot
// catch that with pcall: every following instruction fails again). The
// BUSY replies of other clients are the command package's job.
package script
