package e2e

import (
	"strings"
	"testing"
)

// What Redis 7.0's unit/functions and unit/scripting check of OOM and
// DEBUG RELOAD with function libraries, on both servers.

const (
	libA     = "#!lua name=A\nredis.register_function('fa', function() return 1 end)"
	libB     = "#!lua name=B\nredis.register_function('fb', function() return 1 end)"
	libAllow = "#!lua name=A\nredis.register_function{function_name='fa', callback=function() return redis.call('set','x','1') end, flags={'allow-oom'}}"
	oomErr   = "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
)

// TestFunctionsUnderMaxmemoryOne: FUNCTION LOAD and RESTORE are refused
// when over maxmemory; an allow-oom function and a script with an empty
// flags= shebang (no flags: not compatibility mode) behave as in Redis.
func TestFunctionsUnderMaxmemoryOne(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		w.expect0("FUNCTION", "LOAD", libA, "$1\r\nA\r\n")
		dump := w.do("FUNCTION", "DUMP")
		payload := dump[strings.Index(dump, "\r\n")+2 : len(dump)-2]
		w.expect0("FUNCTION", "FLUSH", "+OK\r\n")
		w.expect0("CONFIG", "SET", "maxmemory", "1", "+OK\r\n")
		w.expect0("FUNCTION", "LOAD", libA, oomErr)
		w.expect0("FUNCTION", "RESTORE", payload, oomErr)
		w.expect0("EVAL", "#!lua flags=\nreturn 1", "0", "-OOM command not allowed when used memory > 'maxmemory'.\r\n")
		w.expect0("EVAL", "#!lua flags=,\nreturn 1", "0", "-ERR Unexpected flag in script shebang: \r\n")
		w.expect0("CONFIG", "SET", "maxmemory", "0", "+OK\r\n")
		w.expect0("EVAL", "#!lua flags=\nreturn 1", "0", ":1\r\n")
		w.expect0("FUNCTION", "LOAD", libAllow, "$1\r\nA\r\n")
		w.expect0("CONFIG", "SET", "maxmemory", "1", "+OK\r\n")
		w.expect0("FCALL", "fa", "1", "x", "+OK\r\n")
		w.expect0("CONFIG", "SET", "maxmemory", "0", "+OK\r\n")
		w.expect0("GET", "x", "$1\r\n1\r\n")
	}, "--enable-debug-command", "yes")
}

// TestDebugReloadFunctionLibraries: DEBUG RELOAD empties the libraries
// before loading; NOFLUSH without MERGE fails on a library already
// loaded; NOFLUSH MERGE replaces it.
func TestDebugReloadFunctionLibraries(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		w.expect0("FUNCTION", "LOAD", libA, "$1\r\nA\r\n")
		w.expect0("DEBUG", "RELOAD", "+OK\r\n")
		w.expect0("FUNCTION", "LOAD", libB, "$1\r\nB\r\n")
		w.expect0("DEBUG", "RELOAD", "NOSAVE", "+OK\r\n")
		// B was not in the file: gone.
		w.expect0("FCALL", "fb", "0", "-ERR Function not found\r\n")
		w.expect0("FCALL", "fa", "0", ":1\r\n")
		w.expect0("DEBUG", "RELOAD", "NOFLUSH", "-ERR Error trying to load the RDB dump\r\n")
		w.expect0("DEBUG", "RELOAD", "NOFLUSH", "MERGE", "+OK\r\n")
		w.expect0("FCALL", "fa", "0", ":1\r\n")
	}, "--enable-debug-command", "yes")
}
