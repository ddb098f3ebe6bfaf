package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestProtocolPipelining(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		const n = 1000
		var req bytes.Buffer
		want := make([]string, 0, n)
		counter := 0
		payload := strings.Repeat("p", 100)
		for i := 0; i < n; i++ {
			switch i % 5 {
			case 0:
				req.Write(respCmd("SET", fmt.Sprintf("pl:%d", i), fmt.Sprintf("val-%d", i)))
				want = append(want, "+OK\r\n")
			case 1:
				req.Write(respCmd("GET", fmt.Sprintf("pl:%d", i-1)))
				want = append(want, respBulk(fmt.Sprintf("val-%d", i-1)))
			case 2:
				counter++
				req.Write(respCmd("INCR", "pl:counter"))
				want = append(want, fmt.Sprintf(":%d\r\n", counter))
			case 3:
				req.WriteString("PING\r\n") // inline, mixed into the pipeline
				want = append(want, "+PONG\r\n")
			case 4:
				v := fmt.Sprintf("%d-%s", i, payload)
				req.Write(respCmd("ECHO", v))
				want = append(want, respBulk(v))
			}
		}
		w := dialWire(t, s.Addr)
		w.write(req.Bytes()) // one write
		for i, wt := range want {
			if got := w.reply(); got != wt {
				t.Fatalf("reply %d: got %q, want %q", i, got, wt)
			}
		}
		// Nothing more is pending.
		w.write(respCmd("PING", "last"))
		w.expect(respBulk("last"))
	})
}

func TestProtocolInline(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		steps := []struct{ send, want string }{
			{"PING\r\n", "+PONG\r\n"},
			{"ping\n", "+PONG\r\n"},
			{"PING hello\r\n", "$5\r\nhello\r\n"},
			{"SET a \"b c\"\r\n", "+OK\r\n"},
			{"GET a\r\n", "$3\r\nb c\r\n"},
			// Empty and blank lines between commands are ignored.
			{"\r\n\r\n\n   \r\n\t\r\nPING\r\n", "+PONG\r\n"},
			{"SET a 'b\\'c'\r\nGET a\r\n", "+OK\r\n$3\r\nb'c\r\n"},
			{"SET a \"\\x41\\n\\q\\t\\\\\"\r\nGET a\r\n", "+OK\r\n$5\r\nA\nq\t\\\r\n"},
			{"  SET \t a   \"\"  \r\nSTRLEN a\r\n", "+OK\r\n:0\r\n"},
			{"ECHO \"\"\r\n", "$0\r\n\r\n"},
			// Inline and multibulk mixed in one write.
			{"SET m 1\r\n" + string(respCmd("INCR", "m")) + "INCR m\n", "+OK\r\n:2\r\n:3\r\n"},
		}
		for _, st := range steps {
			w.writeStr(st.send)
			want := st.want
			var got strings.Builder
			for got.Len() < len(want) {
				got.WriteString(w.reply())
			}
			if got.String() != want {
				t.Errorf("inline %q: got %q, want %q", st.send, got.String(), want)
			}
		}
		w.writeStr("PING\r\n")
		w.expect("+PONG\r\n")
	})
}

// helloReply matches HELLO's reply in RESP3 (a 7-entry map) and RESP2.
var (
	hello3 = regexp.MustCompile(`^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$\d+\r\n[0-9.]+\r\n\$5\r\nproto\r\n:3\r\n\$2\r\nid\r\n:\d+\r\n\$4\r\nmode\r\n\$10\r\nstandalone\r\n\$4\r\nrole\r\n\$6\r\nmaster\r\n\$7\r\nmodules\r\n\*0\r\n$`)
	hello2 = regexp.MustCompile(`^\*14\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$\d+\r\n[0-9.]+\r\n\$5\r\nproto\r\n:2\r\n\$2\r\nid\r\n:\d+\r\n\$4\r\nmode\r\n\$10\r\nstandalone\r\n\$4\r\nrole\r\n\$6\r\nmaster\r\n\$7\r\nmodules\r\n\*0\r\n$`)
)

func TestProtocolRESP3(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		w.write(respCmd("SET", "r3", "v"))
		w.expect("+OK\r\n")
		// RESP2 first.
		w.write(respCmd("GET", "missing"))
		w.expect("$-1\r\n")
		w.write(respCmd("MGET", "missing", "r3"))
		w.expect("*2\r\n$-1\r\n$1\r\nv\r\n")

		w.write(respCmd("HELLO", "3"))
		if got := w.reply(); !hello3.MatchString(got) {
			t.Errorf("HELLO 3: got %q", got)
		}
		w.write(respCmd("GET", "missing"))
		w.expect("_\r\n")
		w.write(respCmd("MGET", "missing", "r3"))
		w.expect("*2\r\n_\r\n$1\r\nv\r\n")
		w.write(respCmd("GETEX", "missing"))
		w.expect("_\r\n")
		w.write(respCmd("SET", "r3", "w", "GET"))
		w.expect("$1\r\nv\r\n")
		w.write(respCmd("SET", "r3new", "w", "GET"))
		w.expect("_\r\n")
		w.write(respCmd("SET", "r3", "x", "NX"))
		w.expect("_\r\n")
		w.write(respCmd("INCRBYFLOAT", "r3f", "1.5"))
		w.expect("$3\r\n1.5\r\n") // a bulk string, not a RESP3 double
		w.write(respCmd("PING"))
		w.expect("+PONG\r\n")
		w.write(respCmd("NOSUCHCMD"))
		w.expect("-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n")
		w.writeStr("HELLO\r\n") // no version: stays on 3
		if got := w.reply(); !hello3.MatchString(got) {
			t.Errorf("HELLO: got %q", got)
		}
		w.write(respCmd("HELLO", "3", "SETNAME", "r3client"))
		if got := w.reply(); !hello3.MatchString(got) {
			t.Errorf("HELLO 3 SETNAME: got %q", got)
		}
		w.write(respCmd("CLIENT", "GETNAME"))
		w.expect("$8\r\nr3client\r\n")
		w.write(respCmd("HELLO", "4"))
		w.expect("-NOPROTO unsupported protocol version\r\n")
		w.write(respCmd("HELLO", "x"))
		w.expect("-ERR Protocol version is not an integer or out of range\r\n")
		w.write(respCmd("HELLO", "3", "BOGUS"))
		w.expect("-ERR Syntax error in HELLO option 'BOGUS'\r\n")

		w.write(respCmd("HELLO", "2"))
		if got := w.reply(); !hello2.MatchString(got) {
			t.Errorf("HELLO 2: got %q", got)
		}
		w.write(respCmd("GET", "missing"))
		w.expect("$-1\r\n")
		w.write(respCmd("MGET", "missing"))
		w.expect("*1\r\n$-1\r\n")

		// HELLO 3 from another connection does not change this one.
		w2 := dialWire(t, s.Addr)
		w2.write(respCmd("HELLO", "3"))
		w2.reply()
		w.write(respCmd("GET", "missing"))
		w.expect("$-1\r\n")
		w2.write(respCmd("GET", "missing"))
		w2.expect("_\r\n")
	})
}

func TestProtocolSplitWrites(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		dribble := func(b []byte) {
			t.Helper()
			for i := range b {
				w.write(b[i : i+1])
				time.Sleep(time.Millisecond)
			}
		}
		// One byte per write, multibulk and inline.
		dribble(respCmd("SET", "split", "hello world"))
		w.expect("+OK\r\n")
		dribble([]byte("GET split\r\n"))
		w.expect("$11\r\nhello world\r\n")
		dribble([]byte("SET split2 \"a b\"\n"))
		w.expect("+OK\r\n")

		// Two pipelined commands cut at every possible position.
		pair := append(respCmd("SET", "cut", "0123456789"), respCmd("GET", "cut")...)
		pair = append(pair, "PING\r\n"...)
		want := "+OK\r\n$10\r\n0123456789\r\n+PONG\r\n"
		for cut := 1; cut < len(pair); cut++ {
			w.write(pair[:cut])
			time.Sleep(2 * time.Millisecond)
			w.write(pair[cut:])
			got := w.reply() + w.reply() + w.reply()
			if got != want {
				t.Fatalf("cut at %d (%q | %q): got %q, want %q", cut, pair[:cut], pair[cut:], got, want)
			}
		}
	})
}

func TestProtocolBigValue(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		const size = 50 << 20
		val := make([]byte, size)
		for i := range val {
			val[i] = byte(i*7 + i>>13)
		}
		w := dialWire(t, s.Addr)
		w.timeout = 60 * time.Second
		w.write([]byte(fmt.Sprintf("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n", size)))
		w.write(val[:size/2])
		// Half way through, another client is served.
		other := dialWire(t, s.Addr)
		other.write(respCmd("PING"))
		other.expect("+PONG\r\n")
		w.write(val[size/2:])
		w.write([]byte("\r\n"))
		w.expect("+OK\r\n")

		w.write(respCmd("STRLEN", "big"))
		w.expect(fmt.Sprintf(":%d\r\n", size))
		w.write(respCmd("GETRANGE", "big", "1000000", "1000009"))
		w.expect(respBulk(string(val[1000000:1000010])))

		w.write(respCmd("GET", "big"))
		w.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
		hdr, err := w.r.ReadString('\n')
		if err != nil || hdr != fmt.Sprintf("$%d\r\n", size) {
			t.Fatalf("GET big: header %q err %v", hdr, err)
		}
		got := make([]byte, size+2)
		if _, err := io.ReadFull(w.r, got); err != nil {
			t.Fatalf("GET big: %v", err)
		}
		if !bytes.Equal(got[:size], val) || string(got[size:]) != "\r\n" {
			t.Fatalf("GET big: value differs")
		}
		// Two big values pipelined, then a small command.
		w.write(respCmd("ECHO", "after"))
		w.expect(respBulk("after"))
		checkHealthy(t, s, "", "")
	})
}

func TestProtocolHalfCommandDisconnect(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		ctl := dialWire(t, s.Addr)
		ctl.write(respCmd("SET", "canary", "alive"))
		ctl.expect("+OK\r\n")

		partials := [][]byte{
			[]byte("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc"),
			[]byte("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\n"),
			[]byte("*3\r\n$3\r\nSET\r\n$4\r\nhalf"),
			[]byte("*3\r\n$3\r\nSET\r\n$4"),
			[]byte("*3\r\n"),
			[]byte("*"),
			[]byte("SET half value"),
			[]byte("SET half \"val"),
			append([]byte("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$100000000\r\n"), make([]byte, 1<<20)...),
		}
		for round := 0; round < 20; round++ {
			for _, p := range partials {
				nc, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
				nc.Write(p)
				nc.Close()
			}
		}
		// One more stays connected with half a command, idle.
		idle := dialWire(t, s.Addr)
		idle.write([]byte("*2\r\n$3\r\nGET\r\n$6\r\ncan"))

		// The server still serves everyone else; no partial command ran.
		ctl.write(respCmd("GET", "half"))
		ctl.expect("$-1\r\n")
		ctl.write(respCmd("GET", "canary"))
		ctl.expect(respBulk("alive"))
		checkHealthy(t, s, "canary", "alive")

		// The idle client finishes its command and gets its reply.
		idle.write([]byte("ary\r\n"))
		idle.expect(respBulk("alive"))

		// The aborted connections are gone: only ctl and idle remain.
		deadline := time.Now().Add(5 * time.Second)
		for {
			ctl.write(respCmd("CLIENT", "LIST"))
			list := ctl.reply()
			n := strings.Count(list, "id=")
			if n == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CLIENT LIST shows %d clients, want 2:\n%s", n, list)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
