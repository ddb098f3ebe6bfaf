package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func TestMaxClients(t *testing.T) {
	s := Start(t, "--maxclients", "3")
	var held []net.Conn
	c0, r0 := dial(t, s.Addr)
	// The harness's readiness probe may not be closed on the server side
	// yet: wait until this client is the only one counted.
	for deadline := time.Now().Add(5 * time.Second); ; {
		c0.Write([]byte("CLIENT LIST\r\n"))
		hdr, _ := r0.ReadString('\n')
		var n int
		fmt.Sscanf(hdr, "$%d", &n)
		body := make([]byte, n+2)
		io.ReadFull(r0, body)
		if strings.Count(string(body), "id=") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("other clients still connected: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	held = append(held, c0)
	for i := 1; i < 3; i++ {
		c, r := dial(t, s.Addr)
		c.Write([]byte("PING\r\n"))
		if l, _ := r.ReadString('\n'); l != "+PONG\r\n" {
			t.Fatalf("client %d: %q", i, l)
		}
		held = append(held, c)
	}
	c, r := dial(t, s.Addr)
	l, _ := r.ReadString('\n')
	if l != "-ERR max number of clients reached\r\n" {
		t.Fatalf("4th client got %q", l)
	}
	c.Close()
	// Existing clients are unharmed.
	held[1].Write([]byte("PING\r\n"))
	if l, _ := bufio.NewReader(held[1]).ReadString('\n'); l != "+PONG\r\n" {
		t.Fatalf("existing client after rejection: %q", l)
	}
}

func TestIdleTimeout(t *testing.T) {
	s := Start(t, "--timeout", "1")
	c, r := dial(t, s.Addr)
	c.Write([]byte("PING\r\n"))
	r.ReadString('\n')
	start := time.Now()
	_, err := r.ReadString('\n')
	if err == nil {
		t.Fatal("idle connection was not closed")
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 5*time.Second {
		t.Fatalf("closed after %v, want about 1s", d)
	}
}

func TestClientKillAndList(t *testing.T) {
	s := Start(t)
	victim, vr := dial(t, s.Addr)
	victim.Write([]byte("CLIENT SETNAME victim\r\nCLIENT ID\r\n"))
	vr.ReadString('\n')
	idLine, _ := vr.ReadString('\n')
	id := strings.TrimSpace(strings.TrimPrefix(idLine, ":"))
	c := s.Client(t, 2)
	ctx := Ctx(t)
	list := c.ClientList(ctx).Val()
	if !strings.Contains(list, "name=victim") || !strings.Contains(list, "id="+id+" ") {
		t.Fatalf("CLIENT LIST lacks the victim:\n%s", list)
	}
	if n := c.Do(ctx, "CLIENT", "KILL", "ID", id).Val(); n != int64(1) {
		t.Fatalf("CLIENT KILL ID = %v", n)
	}
	if _, err := vr.ReadString('\n'); err == nil {
		t.Fatal("killed client still connected")
	}
}

func TestClientPause(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 2)
	other := s.Client(t, 2)
	ctx := Ctx(t)
	if err := c.Do(ctx, "CLIENT", "PAUSE", 300, "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if v := other.Get(ctx, "x").Err(); v == nil {
		t.Fatal("expected nil reply error")
	}
	if time.Since(start) > 200*time.Millisecond {
		t.Fatal("a read was paused by PAUSE WRITE")
	}
	other.Set(ctx, "x", 1, 0)
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("write ran during the pause (after %v)", d)
	}
}

func TestRequirePass(t *testing.T) {
	s := Start(t, "--requirepass", "s3cret")
	c, r := dial(t, s.Addr)
	c.Write([]byte("GET k\r\nAUTH wrong\r\nAUTH default s3cret\r\nGET k\r\n"))
	want := []string{"-NOAUTH Authentication required.\r\n", "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "+OK\r\n", "$-1\r\n"}
	for _, w := range want {
		if l, _ := r.ReadString('\n'); l != w {
			t.Fatalf("got %q want %q", l, w)
		}
	}
}
