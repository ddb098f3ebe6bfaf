package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/config"
)

// TLS follows Dragonfly's flags: --tls turns it on for the client port,
// the admin port (unless --no_tls_on_admin_port) and, here, the Prometheus
// port; --tls_cert_file/--tls_key_file are the server's pair; a CA from
// --tls_ca_cert_file or --tls_ca_cert_dir makes it mutual: a client must
// present a certificate signed by one of them or the handshake fails.
//
// Everything is loaded and checked before any port is bound, so a missing
// or unreadable file stops start-up with a non-zero exit instead of
// failing every handshake later. The files can change at run time (CONFIG
// SET tls_cert_file ..., certificate rotation): the new set is loaded and
// checked the same way, and new handshakes use it (rotatingTLS); one that
// does not load is refused and the old one stays.

// loadTLS builds the server's tls.Config, or nil when --tls is off.
func loadTLS(cfg *config.Config) (*tls.Config, error) {
	if !cfg.TLS {
		return nil, nil
	}
	switch {
	case cfg.TLSCertFile.Get() == "":
		return nil, errors.New("--tls needs --tls_cert_file (the server certificate, PEM)")
	case cfg.TLSKeyFile.Get() == "":
		return nil, errors.New("--tls needs --tls_key_file (the certificate's private key, PEM)")
	}
	for _, f := range [][2]string{{"tls_cert_file", cfg.TLSCertFile.Get()}, {"tls_key_file", cfg.TLSKeyFile.Get()}} {
		if _, err := os.ReadFile(f[1]); err != nil {
			return nil, fmt.Errorf("tls: --%s: %w", f[0], err)
		}
	}
	pair, err := tls.LoadX509KeyPair(cfg.TLSCertFile.Get(), cfg.TLSKeyFile.Get())
	if err != nil {
		return nil, fmt.Errorf("tls: cannot load the key pair %s / %s: %w", cfg.TLSCertFile.Get(), cfg.TLSKeyFile.Get(), err)
	}
	tc := &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
	}
	if cfg.TLSCACertFile.Get() != "" || cfg.TLSCACertDir.Get() != "" {
		pool, err := loadCAs(cfg.TLSCACertFile.Get(), cfg.TLSCACertDir.Get())
		if err != nil {
			return nil, err
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// loadCAs reads the CA file and every PEM file of the CA directory (as
// OpenSSL's CApath, minus the hash-named links requirement). Each must
// hold at least one certificate.
func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	var files []string
	if file != "" {
		files = append(files, file)
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("tls: cannot read --tls_ca_cert_dir: %w", err)
		}
		for _, e := range ents {
			if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("tls: CA certificate: %w", err)
		}
		if pool.AppendCertsFromPEM(b) {
			n++
		} else if f == file || strings.HasSuffix(f, ".pem") || strings.HasSuffix(f, ".crt") {
			return nil, fmt.Errorf("tls: %s holds no PEM certificate", f)
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("tls: no CA certificate found in --tls_ca_cert_dir %s", dir)
	}
	return pool, nil
}

// handshakeTimeout bounds a TLS handshake: a peer that connects and never
// completes one would otherwise hold a connection slot (and count against
// maxclients) for as long as it likes.
const handshakeTimeout = 10 * time.Second

// handshake completes a TLS connection's handshake before anything is read
// from it; it reports false, having logged why, when the peer failed it (a
// plaintext client, no or a wrong client certificate, a timeout). Plain
// connections pass straight through.
func (c *conn) handshake() bool {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return true
	}
	tc.SetDeadline(time.Now().Add(handshakeTimeout))
	err := tc.Handshake()
	tc.SetDeadline(time.Time{})
	if err != nil {
		c.s.log.Debug("TLS handshake failed", "addr", c.cl.Addr, "err", err)
		return false
	}
	return true
}

// rotatingTLS returns the tls.Config the listeners use: each handshake
// takes the configuration in force (cur), so CONFIG SET of the files
// changes the certificates of new connections without a restart.
func rotatingTLS(cur *atomic.Pointer[tls.Config]) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return cur.Load(), nil
		},
	}
}

// watchTLSFiles makes CONFIG SET of the TLS files reload them: the new
// pair (and CAs) must load, or the CONFIG SET fails and nothing changes.
func (s *Server) watchTLSFiles() {
	s.cfg.OnValidate([]string{"tls_cert_file", "tls_key_file", "tls_ca_cert_file", "tls_ca_cert_dir"}, func() error {
		if s.tlsCur.Load() == nil {
			return nil // TLS is off: the files are not in use
		}
		tc, err := loadTLS(s.cfg)
		if err != nil {
			s.log.Warn("TLS configuration not updated", "err", err)
			return fmt.Errorf("Unable to update TLS configuration: %v", err)
		}
		s.tlsCur.Store(tc)
		s.log.Info("TLS configuration updated", "cert", s.cfg.TLSCertFile.Get(), "mutual", tc.ClientCAs != nil)
		return nil
	})
}
