package e2e

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestTLSRedisCli: Debian's redis-cli (OpenSSL) talks RESP over TLS,
// trusting the test CA; without --tls it gets nothing and the server
// goes on serving.
func TestTLSRedisCli(t *testing.T) {
	p := newPKI(t)
	s := StartTLS(t, p.clientConfig(false), p.serverFlags()...)
	cli := func(args ...string) (string, error) {
		base := []string{"--tls", "--cacert", p.CA, "-h", "127.0.0.1", "-p", fmt.Sprint(s.Port)}
		out, err := exec.Command("redis-cli", append(base, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := cli("ping"); err != nil || out != "PONG" {
		t.Fatalf("redis-cli --tls ping: %q %v", out, err)
	}
	if out, err := cli("set", "k", "over tls"); err != nil || out != "OK" {
		t.Fatalf("set: %q %v", out, err)
	}
	if out, err := cli("get", "k"); err != nil || out != "over tls" {
		t.Fatalf("get: %q %v", out, err)
	}
	// --bigkeys scans and uses TYPE/STRLEN over the same TLS connection.
	if out, err := cli("--bigkeys"); err != nil || !strings.Contains(out, "1 strings with 8 bytes") {
		t.Fatalf("--bigkeys: %q %v", out, err)
	}
	// A plaintext redis-cli cannot talk to the TLS port.
	out, _ := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", fmt.Sprint(s.Port), "ping").CombinedOutput()
	if strings.Contains(string(out), "PONG") {
		t.Fatalf("plaintext redis-cli got PONG from a TLS port: %q", out)
	}
	if out, err := cli("ping"); err != nil || out != "PONG" {
		t.Fatalf("after a plaintext client: %q %v", out, err)
	}
}

// TestTLSGoRedis: go-redis over TLS with pipelining, a value bigger than
// a TLS record, pub/sub pushes and a blocked BLPOP (whose disconnect
// watcher reads the TLS stream with deadlines) all behave as over TCP.
func TestTLSGoRedis(t *testing.T) {
	p := newPKI(t)
	s := StartTLS(t, p.clientConfig(false), p.serverFlags()...)
	for _, proto := range []int{2, 3} {
		rc := s.TLSClient(t, p.clientConfig(false), proto)
		ctx := Ctx(t)
		big := strings.Repeat("x", 3<<20)
		if err := rc.Set(ctx, "big", big, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := rc.Get(ctx, "big").Result(); err != nil || got != big {
			t.Fatalf("RESP%d: big value over TLS: len %d, %v", proto, len(got), err)
		}
		pipe := rc.Pipeline()
		for i := 0; i < 1000; i++ {
			pipe.Incr(ctx, "n")
		}
		cmds, err := pipe.Exec(ctx)
		if err != nil || cmds[999].(*redis.IntCmd).Val() != 1000 {
			t.Fatalf("RESP%d pipeline: %v %v", proto, err, cmds[999])
		}
		rc.Del(ctx, "n")

		sub := rc.Subscribe(ctx, "ch")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		if err := rc.Publish(ctx, "ch", "hello").Err(); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil || msg.Payload != "hello" {
			t.Fatalf("RESP%d pub/sub over TLS: %v %v", proto, msg, err)
		}
		sub.Close()

		done := make(chan []string, 1)
		go func() {
			v, _ := rc.BLPop(ctx, 10*time.Second, "list").Result()
			done <- v
		}()
		time.Sleep(200 * time.Millisecond)
		if err := rc.RPush(ctx, "list", "item").Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-done:
			if len(v) != 2 || v[1] != "item" {
				t.Fatalf("RESP%d BLPOP over TLS: %v", proto, v)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("RESP%d BLPOP over TLS never returned", proto)
		}
		// A blocked client that times out keeps a working TLS stream.
		if v, err := rc.BLPop(ctx, time.Second, "empty").Result(); err != redis.Nil {
			t.Fatalf("BLPOP timeout: %v %v", v, err)
		}
		if err := rc.Ping(ctx).Err(); err != nil {
			t.Fatalf("RESP%d: PING after a BLPOP timeout: %v", proto, err)
		}
	}
}

// TestTLSHTTPEndpoints: /metrics over https on the client port (HTTP
// sniffed from the decrypted stream), the Prometheus port and the admin
// port; with --no_tls_on_admin_port the admin port stays plain HTTP and
// plain RESP.
func TestTLSHTTPEndpoints(t *testing.T) {
	p := newPKI(t)
	prom, admin := freePort(t), freePort(t)
	s := StartTLS(t, p.clientConfig(false), append(p.serverFlags(),
		"--prometheus_port", fmt.Sprint(prom), "--admin_port", fmt.Sprint(admin))...)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: p.clientConfig(false)}}
	for _, port := range []int{s.Port, prom, admin} {
		resp, err := hc.Get(fmt.Sprintf("https://127.0.0.1:%d/metrics", port))
		if err != nil {
			t.Fatalf("https /metrics on %d: %v", port, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "dragonfly_connected_clients") {
			t.Fatalf("https /metrics on %d: %d %.200s", port, resp.StatusCode, body)
		}
		// Plain HTTP to a TLS port gets no page.
		plain := &http.Client{Timeout: 3 * time.Second}
		if resp, err := plain.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port)); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), "dragonfly_") {
				t.Fatalf("plain http on TLS port %d served metrics", port)
			}
		}
	}
	// curl, as an operator would.
	out, err := exec.Command("curl", "-sS", "--max-time", "10", "--cacert", p.CA, fmt.Sprintf("https://127.0.0.1:%d/healthz", s.Port)).CombinedOutput()
	if err != nil {
		t.Fatalf("curl https /healthz: %v %s", err, out)
	}
	// The admin port's RESP side is TLS too.
	if err := tlsPing(fmt.Sprintf("127.0.0.1:%d", admin), p.clientConfig(false)); err != nil {
		t.Fatalf("admin port RESP over TLS: %v", err)
	}

	prom2, admin2 := freePort(t), freePort(t)
	s2 := StartTLS(t, p.clientConfig(false), append(p.serverFlags(), "--no_tls_on_admin_port",
		"--prometheus_port", fmt.Sprint(prom2), "--admin_port", fmt.Sprint(admin2))...)
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", admin2))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("plain http on the admin port with --no_tls_on_admin_port: %v", err)
	}
	resp.Body.Close()
	rc := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", admin2)})
	defer rc.Close()
	if err := rc.Ping(Ctx(t)).Err(); err != nil {
		t.Fatalf("plain RESP on the admin port: %v", err)
	}
	if err := tlsPing(s2.Addr, p.clientConfig(false)); err != nil {
		t.Fatalf("client port must stay TLS: %v", err)
	}
}

// TestTLSMutual: with --tls_ca_cert_file (or --tls_ca_cert_dir) a client
// needs a certificate signed by that CA; one without, or signed by
// another CA, fails the handshake, and the server carries on.
func TestTLSMutual(t *testing.T) {
	p := newPKI(t)
	other := newCA(t, "someone else's CA")
	odir := t.TempDir()
	oCert, oKey := other.issue(t, odir, "intruder", false)
	caDir := t.TempDir()
	b, _ := os.ReadFile(p.CA)
	os.WriteFile(filepath.Join(caDir, "clients.pem"), b, 0o600)

	check := func(t *testing.T, addr string) {
		cli := func(extra ...string) (string, error) {
			host, port, _ := net.SplitHostPort(addr)
			args := append([]string{"--tls", "--cacert", p.CA, "-h", host, "-p", port}, extra...)
			out, err := exec.Command("redis-cli", append(args, "ping")...).CombinedOutput()
			return strings.TrimSpace(string(out)), err
		}
		if out, err := cli("--cert", p.ClientCert, "--key", p.ClientKey); err != nil || out != "PONG" {
			t.Fatalf("redis-cli with a client certificate: %q %v", out, err)
		}
		if out, _ := cli(); strings.Contains(out, "PONG") {
			t.Fatalf("redis-cli without a certificate got PONG")
		}
		if out, _ := cli("--cert", oCert, "--key", oKey); strings.Contains(out, "PONG") {
			t.Fatalf("a certificate from another CA got PONG")
		}
		if err := tlsPing(addr, p.clientConfig(false)); err == nil {
			t.Fatalf("go client without a certificate was served")
		}
		rc := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: p.clientConfig(true)})
		defer rc.Close()
		if err := rc.Set(Ctx(t), "k", "v", 0).Err(); err != nil {
			t.Fatalf("go-redis with a certificate: %v", err)
		}
	}
	for _, caFlags := range [][]string{{"--tls_ca_cert_file", p.CA}, {"--tls_ca_cert_dir", caDir}} {
		t.Run("damselfly"+caFlags[0], func(t *testing.T) {
			s := StartTLS(t, p.clientConfig(true), append(p.serverFlags(), caFlags...)...)
			check(t, s.Addr)
		})
	}
	// The same checks hold for redis-server's mutual TLS (the oracle).
	t.Run("redis", func(t *testing.T) {
		tport := freePort(t)
		StartRedis(t, "--tls-port", fmt.Sprint(tport), "--tls-cert-file", p.ServerCert,
			"--tls-key-file", p.ServerKey, "--tls-ca-cert-file", p.CA)
		check(t, fmt.Sprintf("127.0.0.1:%d", tport))
	})
}

// TestTLSPlaintextDropped: raw plaintext RESP and garbage on a TLS port are
// dropped; the server keeps serving and counts no client left behind.
func TestTLSPlaintextDropped(t *testing.T) {
	p := newPKI(t)
	s := StartTLS(t, p.clientConfig(false), p.serverFlags()...)
	for _, payload := range []string{"PING\r\n", "*1\r\n$4\r\nPING\r\n", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "\x16\x03\x01\x00\x05hello"} {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(payload))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, err := io.ReadAll(c)
		c.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%q: the server kept a plaintext connection open", payload)
		}
		if strings.Contains(string(got), "PONG") || strings.Contains(string(got), "dragonfly_") {
			t.Fatalf("%q: plaintext got an answer: %q", payload, got)
		}
	}
	// A peer that connects and never handshakes is closed after the
	// handshake timeout (10 s), not held forever.
	silent, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	silent.SetReadDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	if _, err := io.ReadAll(silent); err != nil {
		t.Fatalf("a peer that never handshakes was kept open: %v", err)
	}
	if d := time.Since(start); d < 8*time.Second {
		t.Errorf("silent peer closed after %v, before the handshake timeout", d)
	}
	rc := s.TLSClient(t, p.clientConfig(false), 2)
	if err := rc.Ping(Ctx(t)).Err(); err != nil {
		t.Fatalf("TLS client after plaintext ones: %v", err)
	}
	// Only this client is left.
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, _ := rc.Info(Ctx(t), "clients").Result()
		if strings.Contains(info, "connected_clients:1\r") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dropped plaintext clients still counted: %s", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTLSMaxClients: over TLS the refusal arrives after the handshake,
// as Redis's error, and does not hold up the accept loop.
func TestTLSMaxClients(t *testing.T) {
	p := newPKI(t)
	s := StartTLS(t, p.clientConfig(false), append(p.serverFlags(), "--maxclients", "1")...)
	// A client that got PONG holds the one slot (StartTLS's probe may take
	// a moment to be gone, and is refused meanwhile).
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, err := tls.Dial("tcp", s.Addr, p.clientConfig(false))
		if err != nil {
			t.Fatal(err)
		}
		h.SetDeadline(time.Now().Add(5 * time.Second))
		h.Write([]byte("PING\r\n"))
		line, _ := bufio.NewReader(h).ReadString('\n')
		if line == "+PONG\r\n" {
			defer h.Close()
			break
		}
		h.Close()
		if time.Now().After(deadline) {
			t.Fatalf("no client could take the slot: %q", line)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A silent TCP peer that never handshakes is refused too; waiting for
	// its handshake must not hold up the next refusal.
	silent, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	c, err := tls.Dial("tcp", s.Addr, p.clientConfig(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if line != "-ERR max number of clients reached\r\n" {
		t.Fatalf("refusal over TLS: %q %v\n%s", line, err, s.Log())
	}
}

// TestTLSStartErrors: a missing, unreadable or wrong certificate stops
// start-up with a clear message and a non-zero exit.
func TestTLSStartErrors(t *testing.T) {
	p := newPKI(t)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	unreadable := filepath.Join(t.TempDir(), "unreadable.pem")
	os.WriteFile(unreadable, []byte("x"), 0o000)
	tests := []struct {
		flags []string
		want  string
	}{
		{[]string{"--tls"}, "--tls needs --tls_cert_file"},
		{[]string{"--tls", "--tls_cert_file", p.ServerCert}, "--tls needs --tls_key_file"},
		{[]string{"--tls", "--tls_cert_file", "/nonexistent/cert.pem", "--tls_key_file", p.ServerKey}, "tls: --tls_cert_file: open /nonexistent/cert.pem: no such file or directory"},
		{[]string{"--tls", "--tls_cert_file", p.ServerCert, "--tls_key_file", garbage}, "tls: cannot load the key pair"},
		{[]string{"--tls", "--tls_cert_file", p.ServerCert, "--tls_key_file", p.ClientKey}, "private key does not match public key"},
		{append(p.serverFlags(), "--tls_ca_cert_file", garbage), "holds no PEM certificate"},
		{append(p.serverFlags(), "--tls_ca_cert_dir", "/nonexistent"), "cannot read --tls_ca_cert_dir"},
	}
	if os.Getuid() != 0 { // root reads any file
		tests = append(tests, struct {
			flags []string
			want  string
		}{[]string{"--tls", "--tls_cert_file", unreadable, "--tls_key_file", p.ServerKey}, "permission denied"})
	}
	for _, tt := range tests {
		args := append([]string{"--port", fmt.Sprint(freePort(t)), "--bind", "127.0.0.1", "--dir", t.TempDir()}, tt.flags...)
		cmd := exec.Command(binary(t), args...)
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: still running", tt.flags)
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(string(out), tt.want) {
			t.Errorf("%v: exit %v, output %q, want %q", tt.flags, err, out, tt.want)
		}
	}
}

// TestTLSCertRotation: CONFIG SET of the TLS files (Redis's tls-cert-file
// spelling too) rotates the certificates for new connections while open
// ones go on; a pair that does not load is refused with the reason and
// nothing changes; mutual TLS can be turned on by setting a CA file.
func TestTLSCertRotation(t *testing.T) {
	p := newPKI(t)
	s := StartTLS(t, p.clientConfig(false), p.serverFlags()...)
	old := s.TLSClient(t, p.clientConfig(false), 2)
	if err := old.Set(Ctx(t), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	q := newPKI(t) // a new CA and server pair
	admin := s.TLSClient(t, p.clientConfig(false), 2)
	if err := admin.ConfigSet(Ctx(t), "tls-cert-file", q.ServerCert).Err(); err == nil || !strings.Contains(err.Error(), "Unable to update TLS configuration") {
		t.Fatalf("CONFIG SET of the certificate alone (key of another pair): %v", err)
	}
	if got := admin.ConfigGet(Ctx(t), "tls_cert_file").Val()["tls_cert_file"]; got != p.ServerCert {
		t.Fatalf("a refused CONFIG SET changed tls_cert_file to %q", got)
	}
	if err := admin.Do(Ctx(t), "CONFIG", "SET", "tls_cert_file", q.ServerCert, "tls_key_file", q.ServerKey).Err(); err != nil {
		t.Fatalf("CONFIG SET of a new pair: %v", err)
	}
	if err := tlsPing(s.Addr, q.clientConfig(false)); err != nil {
		t.Fatalf("a client trusting the new CA: %v", err)
	}
	if err := tlsPing(s.Addr, p.clientConfig(false)); err == nil {
		t.Fatal("a client trusting only the old CA was served after the rotation")
	}
	if v, err := old.Get(Ctx(t), "k").Result(); err != nil || v != "v" {
		t.Fatalf("a connection opened before the rotation: %q %v", v, err)
	}
	if err := admin.ConfigSet(Ctx(t), "tls_key_file", "/nonexistent.pem").Err(); err == nil {
		t.Fatal("CONFIG SET of a missing key file was accepted")
	}
	if err := tlsPing(s.Addr, q.clientConfig(false)); err != nil {
		t.Fatalf("after a refused CONFIG SET: %v", err)
	}
	// Mutual TLS from now on: a CA for client certificates.
	if err := admin.ConfigSet(Ctx(t), "tls_ca_cert_file", q.CA).Err(); err != nil {
		t.Fatalf("CONFIG SET tls_ca_cert_file: %v", err)
	}
	if err := tlsPing(s.Addr, q.clientConfig(false)); err == nil {
		t.Fatal("a client without a certificate was served after tls_ca_cert_file was set")
	}
	if err := tlsPing(s.Addr, q.clientConfig(true)); err != nil {
		t.Fatalf("a client with a certificate of the CA: %v", err)
	}
}
