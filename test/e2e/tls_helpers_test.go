package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// pki is a throw-away certificate authority with a server certificate for
// 127.0.0.1/localhost and a client certificate, made at test time (no
// private key is committed). Paths point into a test's temp dir.
type pki struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	pool                                             *x509.CertPool
	client                                           tls.Certificate
}

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t testing.TB, name string) issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return issuer{cert, key}
}

// issue signs a leaf certificate and writes it and its key as PEM files.
func (ca issuer) issue(t testing.TB, dir, name string, server bool) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	writePEM(t, certPath, "CERTIFICATE", der)
	writePEM(t, keyPath, "PRIVATE KEY", kb)
	return certPath, keyPath
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	dir := t.TempDir()
	ca := newCA(t, "damselfly test CA")
	p := &pki{CA: filepath.Join(dir, "ca.pem")}
	writePEM(t, p.CA, "CERTIFICATE", ca.cert.Raw)
	p.ServerCert, p.ServerKey = ca.issue(t, dir, "server", true)
	p.ClientCert, p.ClientKey = ca.issue(t, dir, "client", false)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(ca.cert)
	var err error
	if p.client, err = tls.LoadX509KeyPair(p.ClientCert, p.ClientKey); err != nil {
		t.Fatal(err)
	}
	return p
}

// serverFlags are the flags that serve TLS with this PKI's server pair.
func (p *pki) serverFlags() []string {
	return []string{"--tls", "--tls_cert_file", p.ServerCert, "--tls_key_file", p.ServerKey}
}

// clientConfig trusts the CA; withCert also presents the client
// certificate (mutual TLS).
func (p *pki) clientConfig(withCert bool) *tls.Config {
	c := &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1"}
	if withCert {
		c.Certificates = []tls.Certificate{p.client}
	}
	return c
}

// StartTLS runs damselfly with TLS flags on a free loopback port and waits
// until a TLS client (trusting tc's CA, with its certificate if any) gets
// PONG.
func StartTLS(t testing.TB, tc *tls.Config, flags ...string) *Server {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	args := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--log_level", "warning"}, flags...)
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Port: port, log: &lockedBuffer{}, Dir: dir}
	s.cmd = exec.Command(binary(t), args...)
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if tlsPing(s.Addr, tc) == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("TLS server did not start: %s", s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tlsPing dials addr with TLS and expects +PONG (or -NOAUTH).
func tlsPing(addr string, tc *tls.Config) error {
	d := &net.Dialer{Timeout: time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, tc)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") && !strings.HasPrefix(line, "-NOAUTH") {
		return fmt.Errorf("PING over TLS: %q", line)
	}
	return nil
}

// TLSClient is a go-redis client over TLS.
func (s *Server) TLSClient(t testing.TB, tc *tls.Config, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Protocol: proto, TLSConfig: tc})
	t.Cleanup(func() { c.Close() })
	return c
}
