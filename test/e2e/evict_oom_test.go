package e2e

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
)

const oomReply = "-OOM command not allowed when used memory > 'maxmemory'.\r\n"

// TestOOMNoEviction: with noeviction and usage over maxmemory, denyoom
// writes get Redis's -OOM while reads and DEL work; in MULTI every queued
// command is refused and EXEC aborts; a transaction queued before the
// limit was reached aborts at EXEC; scripts follow Redis 7's flag rules.
func TestOOMNoEviction(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		tx := dialWire(t, s.Addr)
		big := strings.Repeat("x", 100<<10)
		for i := 0; i < 20; i++ {
			if got := w.do("SET", "fill:"+strconv.Itoa(i), big); got != "+OK\r\n" {
				t.Fatalf("filling: %q", got)
			}
		}
		tx.do("MULTI")
		if got := tx.do("SET", "queued", "1"); got != "+QUEUED\r\n" {
			t.Fatalf("queueing before the limit: %q", got)
		}
		if got := w.do("CONFIG", "SET", "maxmemory", "1mb"); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET maxmemory: %q", got)
		}
		if got := tx.do("EXEC"); got != "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n" {
			t.Fatalf("EXEC of a write queued before OOM: %q", got)
		}
		if got := w.do("GET", "queued"); got != "$-1\r\n" {
			t.Fatalf("the aborted transaction ran: %q", got)
		}

		for _, cmd := range [][]string{{"SET", "a", "1"}, {"APPEND", "fill:0", "y"}, {"LPUSH", "l", "a"}, {"INCR", "n"}, {"SETEX", "a", "10", "v"}} {
			if got := w.do(cmd...); got != oomReply {
				t.Errorf("%v over the limit: %q, want -OOM", cmd, got)
			}
		}
		if got := w.do("GET", "fill:1"); !strings.HasPrefix(got, "$102400\r\n") {
			t.Errorf("GET over the limit: %q", wireTrunc(got, 40))
		}
		if got := w.do("DEL", "fill:1"); got != ":1\r\n" {
			t.Errorf("DEL over the limit: %q", got)
		}
		if got := w.do("EXPIRE", "fill:2", "100"); got != ":1\r\n" {
			t.Errorf("EXPIRE (not denyoom) over the limit: %q", got)
		}

		// In MULTI every command but EXEC/DISCARD is refused, reads too.
		if got := w.do("MULTI"); got != "+OK\r\n" {
			t.Fatalf("MULTI: %q", got)
		}
		for _, cmd := range [][]string{{"GET", "a"}, {"SET", "a", "1"}} {
			if got := w.do(cmd...); got != oomReply {
				t.Errorf("%v in MULTI over the limit: %q", cmd, got)
			}
		}
		if got := w.do("EXEC"); got != "-EXECABORT Transaction discarded because of previous errors.\r\n" {
			t.Errorf("EXEC: %q", got)
		}
		w.do("MULTI")
		if got := w.do("DISCARD"); got != "+OK\r\n" {
			t.Errorf("DISCARD over the limit: %q", got)
		}

		// Scripts: compatibility mode fails at the first denyoom call,
		// with the script's location; a shebang without flags is refused
		// up front; no-writes runs.
		body := "return redis.call('set','x','1')"
		sum := sha1.Sum([]byte(body))
		want := "-OOM command not allowed when used memory > 'maxmemory'. script: " + hex.EncodeToString(sum[:]) + ", on @user_script:1.\r\n"
		if got := w.do("EVAL", body, "0"); got != want {
			t.Errorf("EVAL writing over the limit:\n got %q\nwant %q", got, want)
		}
		if got := w.do("EVAL", "return redis.call('get','fill:3') ~= false", "0"); got != ":1\r\n" {
			t.Errorf("EVAL reading over the limit: %q", got)
		}
		if got := w.do("EVAL", "#!lua\nreturn redis.call('get','fill:3') ~= false", "0"); got != oomReply {
			t.Errorf("EVAL #!lua over the limit: %q", got)
		}
		if got := w.do("EVAL", "#!lua flags=no-writes\nreturn redis.call('get','fill:3') ~= false", "0"); got != ":1\r\n" {
			t.Errorf("EVAL no-writes over the limit: %q", got)
		}
		if got := w.do("EVAL", "return redis.pcall('set','x','1')", "0"); got != oomReply {
			t.Errorf("EVAL pcall write over the limit: %q", got)
		}

		// Raising the limit lifts the refusal.
		w.do("CONFIG", "SET", "maxmemory", "0")
		if got := w.do("SET", "a", "1"); got != "+OK\r\n" {
			t.Errorf("SET after lifting the limit: %q", got)
		}
	})
}
