package e2e

import (
	"testing"
	"time"
)

// TestExecRejectedWhileBusy: an EXEC that arrives while a script is busy
// is refused with -EXECABORT naming the BUSY reason, runs nothing, and
// leaves the connection out of MULTI (Redis's execCommandAbort).
func TestExecRejectedWhileBusy(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		admin := dialWire(t, s.Addr)
		admin.expect0("CONFIG", "SET", "lua-time-limit", "10", "+OK\r\n")
		admin.expect0("SET", "xx", "1", "+OK\r\n")
		tx := dialWire(t, s.Addr)
		tx.expect0("MULTI", "+OK\r\n")
		tx.expect0("INCR", "xx", "+QUEUED\r\n")
		looper := dialWire(t, s.Addr)
		looper.write(respCmd("EVAL", "while true do end", "0"))
		time.Sleep(200 * time.Millisecond)
		busy := "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
		tx.expect0("INCR", "xx", "-"+busy)
		tx.expect0("EXEC", "-EXECABORT Transaction discarded because of: "+busy)
		admin.expect0("SCRIPT", "KILL", "+OK\r\n")
		looper.expect("-ERR Script killed by user with SCRIPT KILL... script: 694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.\r\n")
		tx.expect0("PING", "asdf", "$4\r\nasdf\r\n")
		admin.expect0("GET", "xx", "$1\r\n1\r\n")
	})
}
