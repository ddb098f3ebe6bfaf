package main

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
)

func TestReadReplyFixtures(t *testing.T) {
	in := "+OK\r\n-ERR boom here\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n*2\r\n*1\r\n$1\r\nx\r\n:1\r\n$0\r\n\r\n_\r\n%1\r\n+a\r\n:1\r\n#t\r\n,1.5\r\n>2\r\n$1\r\na\r\n$1\r\nb\r\n"
	want := []reply{
		{kind: '+'}, {kind: '-', errMsg: []byte("ERR boom here")}, {kind: ':', n: -42},
		{kind: '$', n: 5}, {kind: '$', n: -1, isNil: true}, {kind: '*', n: -1, isNil: true},
		{kind: '*', n: 2}, {kind: '$', n: 0}, {kind: '$', isNil: true}, {kind: '*', n: 1},
		{kind: '#'}, {kind: ','}, {kind: '*', n: 2},
	}
	r := bufio.NewReader(strings.NewReader(in))
	for i, w := range want {
		var got reply
		if err := readReply(r, &got); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if got.kind != w.kind || got.isNil != w.isNil || got.n != w.n || string(got.errMsg) != string(w.errMsg) {
			t.Fatalf("reply %d = %+v, want %+v", i, got, w)
		}
	}
	var extra reply
	if err := readReply(r, &extra); err == nil {
		t.Fatalf("read past the end: %+v", extra)
	}
}

func TestReadReplyRejectsGarbage(t *testing.T) {
	for _, in := range []string{"?\r\n", ":12x\r\n", "$abc\r\n", "+OK\n", "\r\n", ":\r\n", "*-\r\n"} {
		var rep reply
		err := readReply(bufio.NewReader(strings.NewReader(in)), &rep)
		if !errors.Is(err, errProtocol) {
			t.Errorf("%q: got %v, want a protocol error", in, err)
		}
	}
}

// The writer's bytes, replayed through a real server, give the replies the
// commands should give; and the reader survives every reply shape at
// pipeline depth, against both servers.
func TestRESPOnRealServers(t *testing.T) {
	onBoth(t, func(t *testing.T, s testServer) {
		cfg := mustConfig(t, "-addr", s.addr, "-requests", "1", "-key-prefix", "t:", "-ttl-ms", "60000")
		c, err := newClient(cfg, 0, []byte("v\r\n$1 *x"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.conn.Close()
		c.appendOp(opSet, 7)
		c.appendOp(opGet, 7)
		c.appendOp(opGet, 8)
		for _, a := range [][]string{{"PTTL", "t:7"}, {"RPUSH", "t:list", "a", "b", "c"}, {"LRANGE", "t:list", "0", "-1"}, {"GET", "t:list"}, {"HSET", "t:h", "f", "v"}, {"HGETALL", "t:h"}, {"PING"}} {
			c.w.array(len(a))
			for _, x := range a {
				c.w.bulkString(x)
			}
		}
		if _, err := c.conn.Write(c.w.b); err != nil {
			t.Fatal(err)
		}
		var rep reply
		expect := func(what string, kind byte, n int64, isNil bool, errPrefix string) {
			t.Helper()
			if err := readReply(c.r, &rep); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if rep.kind != kind || rep.isNil != isNil || (kind != ':' || n >= 0) && rep.n != n || !strings.HasPrefix(string(rep.errMsg), errPrefix) {
				t.Fatalf("%s: got %+v (err %q), want kind %q n %d nil %v err %q", what, rep, rep.errMsg, kind, n, isNil, errPrefix)
			}
		}
		expect("SET", '+', 0, false, "")
		expect("GET hit", '$', 8, false, "")
		expect("GET miss", '$', -1, true, "")
		if err := readReply(c.r, &rep); err != nil || rep.kind != ':' || rep.n <= 0 || rep.n > 60000 {
			t.Fatalf("PTTL after SET PX 60000: %+v %v", rep, err)
		}
		expect("RPUSH", ':', 3, false, "")
		expect("LRANGE", '*', 3, false, "")
		expect("GET list", '-', 0, false, "WRONGTYPE Operation against a key holding the wrong kind of value")
		expect("HSET", ':', 1, false, "")
		expect("HGETALL", '*', 2, false, "")
		expect("PING", '+', 0, false, "")
	})
}

func TestCallSetupHelper(t *testing.T) {
	s := startServer(t, "redis")
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SET", "k", "a b"}, "+OK"}, {[]string{"GET", "k"}, "$a b"}, {[]string{"GET", "nope"}, "$nil"},
		{[]string{"INCR", "k"}, "-ERR value is not an integer or out of range"},
	} {
		if got, err := call(conn, r, tc.args...); err != nil || got != tc.want {
			t.Errorf("%v = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}
