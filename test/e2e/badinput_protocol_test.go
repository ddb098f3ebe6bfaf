package e2e

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// badCase is malformed input sent on a fresh connection, the exact bytes the
// server must answer, and whether it must then close the connection.
type badCase struct {
	name   string
	send   string
	want   string
	closed bool
}

// runBadCases sends each case on its own connection to s, with a bystander
// connection open throughout, and checks after each one that the server
// still answers a new client and still holds canary.
func runBadCases(t *testing.T, s *Server, cases []badCase, auth ...string) {
	t.Helper()
	setup := dialWire(t, s.Addr)
	if len(auth) > 0 {
		setup.write(respCmd(append([]string{"AUTH"}, auth...)...))
		setup.expect("+OK\r\n")
	}
	setup.write(respCmd("SET", "canary", "tweet"))
	setup.expect("+OK\r\n")
	bystander := setup
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := dialWire(t, s.Addr)
			// The server may close while we are still writing a big
			// request; the reply is what matters.
			w.nc.SetWriteDeadline(time.Now().Add(wireTimeout))
			w.nc.Write([]byte(c.send))
			w.nc.SetReadDeadline(time.Now().Add(wireTimeout))
			got := make([]byte, len(c.want))
			n, err := io.ReadFull(w.r, got)
			if string(got[:n]) != c.want {
				t.Errorf("reply\n got: %q (err %v)\nwant: %q", got[:n], err, c.want)
			}
			if c.closed {
				w.expectClosed()
			} else {
				w.write(respCmd("PING"))
				w.expect("+PONG\r\n")
			}
			checkHealthy(t, s, "canary", "tweet")
			bystander.write(respCmd("PING"))
			bystander.expect("+PONG\r\n")
		})
	}
}

const perr = "-ERR Protocol error: "

func TestBadInputProtocolErrors(t *testing.T) {
	t.Parallel()
	// Just over PROTO_INLINE_MAX_SIZE (64 KiB) with no newline.
	long := strings.Repeat("a", 66000)
	digits := strings.Repeat("1", 66000)
	cases := []badCase{
		{"multibulk length not a number", "*abc\r\nPING\r\n", perr + "invalid multibulk length\r\n", true},
		{"multibulk length over INT_MAX", "*3000000000\r\n", perr + "invalid multibulk length\r\n", true},
		{"multibulk length with junk", "*1x\r\n", perr + "invalid multibulk length\r\n", true},
		// Redis ignores a zero or negative multibulk length.
		{"negative multibulk length", "*-5\r\nPING\r\n", "+PONG\r\n", false},
		{"zero multibulk length", "*0\r\nPING\r\n", "+PONG\r\n", false},
		{"integer instead of bulk", "*1\r\n:1\r\n", perr + "expected '$', got ':'\r\n", true},
		{"simple string instead of bulk", "*2\r\n$3\r\nGET\r\n+k\r\n", perr + "expected '$', got '+'\r\n", true},
		{"bulk length not a number", "*1\r\n$abc\r\n", perr + "invalid bulk length\r\n", true},
		{"negative bulk length", "*1\r\n$-1\r\n", perr + "invalid bulk length\r\n", true},
		{"bulk length over proto-max-bulk-len", "*2\r\n$3\r\nGET\r\n$600000000\r\n", perr + "invalid bulk length\r\n", true},
		{"unbalanced double quote", "SET a \"b\r\n", perr + "unbalanced quotes in request\r\n", true},
		{"unbalanced single quote", "SET a 'b\r\n", perr + "unbalanced quotes in request\r\n", true},
		{"closing quote followed by a letter", "SET a \"b\"c\r\n", perr + "unbalanced quotes in request\r\n", true},
		{"too big inline request", long, perr + "too big inline request\r\n", true},
		{"too big mbulk count string", "*" + digits, perr + "too big mbulk count string\r\n", true},
		{"too big bulk count string", "*1\r\n$" + digits, perr + "too big bulk count string\r\n", true},
		// Commands before the bad one run; nothing after it does.
		{"commands before the error run", "SET canary tweet\r\nPING\r\n*1\r\n:1\r\nSET canary broken\r\n", "+OK\r\n+PONG\r\n" + perr + "expected '$', got ':'\r\n", true},
		{"pipelined multibulk then garbage", string(respCmd("GET", "canary")) + "*x\r\n" + string(respCmd("SET", "canary", "broken")), "$5\r\ntweet\r\n" + perr + "invalid multibulk length\r\n", true},
	}
	onBoth(t, func(t *testing.T, s *Server) { runBadCases(t, s, cases) })
}

func TestBadInputUnauthenticated(t *testing.T) {
	t.Parallel()
	mset11 := string(respCmd("MSET", "a1", "1", "a2", "2", "a3", "3", "a4", "4", "a5", "5"))
	big := strings.Repeat("x", 16385)
	cases := []badCase{
		{"multibulk of 11 before AUTH", "*11\r\n", perr + "unauthenticated multibulk length\r\n", true},
		{"huge multibulk before AUTH", "*1000000\r\n", perr + "unauthenticated multibulk length\r\n", true},
		{"bulk over 16384 before AUTH", "*1\r\n$16385\r\n", perr + "unauthenticated bulk length\r\n", true},
		{"huge bulk before AUTH", "*2\r\n$3\r\nSET\r\n$100000000\r\n", perr + "unauthenticated bulk length\r\n", true},
		{"multibulk of 10 before AUTH is fine", string(respCmd("MGET", "a", "b", "c", "d", "e", "f", "g", "h", "i")),
			"-NOAUTH Authentication required.\r\n", false},
		{"bulk of 16384 before AUTH is fine", "*2\r\n$4\r\nAUTH\r\n$16384\r\n" + big[:16384] + "\r\n",
			"-WRONGPASS invalid username-password pair or user is disabled.\r\n", false},
		{"unknown command before AUTH", "NOSUCH x\r\n", "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n", false},
		// Redis checks the arity before authentication.
		{"wrong arity before AUTH", "GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n", false},
		{"limits lift after AUTH in the same write", "AUTH secret\r\n" + mset11 + string(respCmd("SET", "bigkey", big)) + string(respCmd("STRLEN", "bigkey")),
			"+OK\r\n+OK\r\n+OK\r\n:16385\r\n", false},
	}
	onBoth(t, func(t *testing.T, s *Server) {
		// checkHealthy cannot authenticate, so check health here by hand.
		w := dialWire(t, s.Addr)
		w.write(respCmd("AUTH", "secret"))
		w.expect("+OK\r\n")
		w.write(respCmd("SET", "canary", "tweet"))
		w.expect("+OK\r\n")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b := dialWire(t, s.Addr)
				b.nc.SetWriteDeadline(time.Now().Add(wireTimeout))
				b.nc.Write([]byte(c.send))
				b.nc.SetReadDeadline(time.Now().Add(wireTimeout))
				got := make([]byte, len(c.want))
				n, err := io.ReadFull(b.r, got)
				if string(got[:n]) != c.want {
					t.Errorf("reply\n got: %q (err %v)\nwant: %q", got[:n], err, c.want)
				}
				if c.closed {
					b.expectClosed()
				} else {
					b.write(respCmd("PING"))
					if r := b.reply(); r != "+PONG\r\n" && r != "-NOAUTH Authentication required.\r\n" {
						t.Errorf("PING after: %q", r)
					}
				}
				w.write(respCmd("GET", "canary"))
				w.expect("$5\r\ntweet\r\n")
				w2 := dialWire(t, s.Addr)
				w2.write(respCmd("PING"))
				w2.expect("-NOAUTH Authentication required.\r\n")
			})
		}
	}, "--requirepass", "secret")
}

func TestBadInputCommandErrors(t *testing.T) {
	t.Parallel()
	x200 := strings.Repeat("x", 200)
	cases := []badCase{
		{"unknown command with args", "FOOBAR a b\r\n", "-ERR unknown command 'FOOBAR', with args beginning with: 'a' 'b' \r\n", false},
		{"unknown command without args", "FOOBAR\r\n", "-ERR unknown command 'FOOBAR', with args beginning with: \r\n", false},
		{"unknown command keeps case", string(respCmd("fooBar", "A")), "-ERR unknown command 'fooBar', with args beginning with: 'A' \r\n", false},
		{"unknown command long args are cut at 128", string(respCmd("foobar", x200, "y")), "-ERR unknown command 'foobar', with args beginning with: '" + x200[:128] + "' \r\n", false},
		{"unknown command many args are cut at 128", string(respCmd("foobar", x200[:100], "abcdefghijklmnopqrstuvwxyz", "z")), "-ERR unknown command 'foobar', with args beginning with: '" + x200[:100] + "' 'abcdefghijklmnopqrstuvwxy' \r\n", false},
		{"unknown command long name is cut at 128", string(respCmd(x200)), "-ERR unknown command '" + x200[:128] + "', with args beginning with: \r\n", false},
		{"unknown command CR LF in args become spaces", string(respCmd("foobar", "a\nb", "c\r\nd")), "-ERR unknown command 'foobar', with args beginning with: 'a b' 'c  d' \r\n", false},
		{"wrong arity", "GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n", false},
		{"wrong arity mixed case", "gEt\r\n", "-ERR wrong number of arguments for 'get' command\r\n", false},
		{"wrong arity too many", "GET a b\r\n", "-ERR wrong number of arguments for 'get' command\r\n", false},
		{"wrong arity variadic", "SET k\r\n", "-ERR wrong number of arguments for 'set' command\r\n", false},
		{"wrong arity MSET odd", "MSET a 1 b\r\n", "-ERR wrong number of arguments for 'mset' command\r\n", false},
		{"wrong arity container", "CLIENT\r\n", "-ERR wrong number of arguments for 'client' command\r\n", false},
		{"wrong arity subcommand", "CLIENT SETNAME\r\n", "-ERR wrong number of arguments for 'client|setname' command\r\n", false},
		{"unknown subcommand", "CLIENT FOO\r\n", "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n", false},
		{"errors in a pipeline do not stop it", "GET\r\nFOO\r\nGET canary\r\n", "-ERR wrong number of arguments for 'get' command\r\n-ERR unknown command 'FOO', with args beginning with: \r\n$5\r\ntweet\r\n", false},
	}
	onBoth(t, func(t *testing.T, s *Server) { runBadCases(t, s, cases) })
}

func TestBadInputBinaryKeys(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		key := "a\x00b\r\nc\x00"
		val := "\r\n\x00\xff*1\r\n$3\r\nfoo\r\n"
		w.write(respCmd("SET", key, val))
		w.expect("+OK\r\n")
		w.write(respCmd("GET", key))
		w.expect(respBulk(val))
		w.write(respCmd("STRLEN", key))
		w.expect(fmt.Sprintf(":%d\r\n", len(val)))
		// Keys differing only by a trailing NUL, CR or LF are distinct.
		for _, k := range []string{"k", "k\x00", "k\r", "k\n", "k\r\n", "\x00k", ""} {
			w.write(respCmd("SET", k, "v:"+k))
			w.expect("+OK\r\n")
		}
		w.write(respCmd("MGET", "k", "k\x00", "k\r", "k\n", "k\r\n", "\x00k", "", "a\x00b"))
		w.expect("*8\r\n" + respBulk("v:k") + respBulk("v:k\x00") + respBulk("v:k\r") + respBulk("v:k\n") +
			respBulk("v:k\r\n") + respBulk("v:\x00k") + respBulk("v:") + "$-1\r\n")
		w.write(respCmd("APPEND", key, "\x00\n"))
		w.expect(fmt.Sprintf(":%d\r\n", len(val)+2))
		w.write(respCmd("GETRANGE", key, "0", "3"))
		w.expect(respBulk(val[:4]))
		// Inline escapes reach the same binary key.
		w.writeStr("GET \"a\\x00b\\r\\nc\\x00\"\r\n")
		w.expect(respBulk(val + "\x00\n"))
		w.writeStr("SET \"bin\\x00\\xff\" \"\\x01\\x02\"\r\n")
		w.expect("+OK\r\n")
		w.write(respCmd("GET", "bin\x00\xff"))
		w.expect(respBulk("\x01\x02"))
		// All 256 byte values in one key and value.
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		w.write(respCmd("SET", string(all), string(all)+string(all)))
		w.expect("+OK\r\n")
		w.write(respCmd("GET", string(all)))
		w.expect(respBulk(string(all) + string(all)))
		checkHealthy(t, s, key, val+"\x00\n")
	})
}

func TestBadInputHugeMSET(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		const pairs = 5000 // 10001 arguments
		args := []string{"MSET"}
		mget := []string{"MGET"}
		var want strings.Builder
		fmt.Fprintf(&want, "*%d\r\n", pairs)
		for i := 0; i < pairs; i++ {
			k, v := fmt.Sprintf("mset:%05d", i), fmt.Sprintf("value-%d-%s", i, strings.Repeat("z", i%50))
			args = append(args, k, v)
			mget = append(mget, k)
			want.WriteString(respBulk(v))
		}
		w := dialWire(t, s.Addr)
		w.write(respCmd(args...))
		w.expect("+OK\r\n")
		w.write(respCmd(mget...))
		if got := w.reply(); got != want.String() {
			t.Fatalf("MGET of 5000 keys differs: %q", wireTrunc(got, 300))
		}
		// The same MSET sent in 4 KiB writes.
		args[2] = "changed"
		req := respCmd(args...)
		for i := 0; i < len(req); i += 4096 {
			w.write(req[i:min(i+4096, len(req))])
		}
		w.expect("+OK\r\n")
		w.write(respCmd("GET", "mset:00000"))
		w.expect(respBulk("changed"))
		// MSET with an odd count of 10001 arguments fails as a whole.
		bad := append([]string{"MSET"}, args[1:len(args)-1]...)
		bad[2] = "unchanged?"
		w.write(respCmd(bad...))
		w.expect("-ERR wrong number of arguments for 'mset' command\r\n")
		checkHealthy(t, s, "mset:00000", "changed")
	})
}
