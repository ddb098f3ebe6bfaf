package config

import (
	"math"
	"net"
)

// securitySettings: TLS (Dragonfly's flags), Redis 7's switches for
// dangerous commands and protected configs, protected mode, and
// Dragonfly's bound on KEYS replies.
func (c *Config) securitySettings() []*setting {
	return []*setting{
		newSetting(spec{name: "tls",
			help: "Serve TLS on the client port, the admin port (unless no_tls_on_admin_port) and the Prometheus port; needs tls_cert_file and tls_key_file."},
			boolCodec("true", "false"), false, field(&c.TLS)),
		newSetting(spec{name: "tls_cert_file", mutable: true, status: live,
			help: "PEM file with the server certificate (and its chain) for TLS. CONFIG SET loads the new pair for new connections (certificate rotation); a pair that does not load is refused and the old one kept."},
			stringCodec(nil), "", stringHolder(&c.TLSCertFile)),
		newSetting(spec{name: "tls_key_file", mutable: true, status: live,
			help: "PEM file with the private key of tls_cert_file; changeable at run time like it."},
			stringCodec(nil), "", stringHolder(&c.TLSKeyFile)),
		newSetting(spec{name: "tls_ca_cert_file", mutable: true, status: live,
			help: "PEM file of CA certificates; when set (or tls_ca_cert_dir), clients must present a certificate signed by one of them (mutual TLS). Changeable at run time."},
			stringCodec(nil), "", stringHolder(&c.TLSCACertFile)),
		newSetting(spec{name: "tls_ca_cert_dir", mutable: true, status: live,
			help: "Directory of PEM CA certificates, added to tls_ca_cert_file's for mutual TLS. Changeable at run time."},
			stringCodec(nil), "", stringHolder(&c.TLSCACertDir)),
		newSetting(spec{name: "no_tls_on_admin_port",
			help: "Serve the admin port in plain text even when tls is on."},
			boolCodec("true", "false"), false, field(&c.NoTLSOnAdminPort)),
		newSetting(spec{name: "tls_replication", status: compat,
			help: "TLS for replication; there is no replication in Damselfly."},
			boolCodec("true", "false"), false, slot[bool]{func() bool { return false }, func(bool) {}}),
		newSetting(spec{name: "enable-debug-command",
			help: `Who may run DEBUG: "no", "yes", or "local" (clients on 127.0.0.1 or ::1). Redis defaults to no; local keeps test suites and tools working from the same host.`},
			enumCodec("no", "yes", "local"), "local", field(&c.EnableDebugCommand)),
		newSetting(spec{name: "enable-module-command",
			help: `Who may run MODULE LOAD/LOADEX/UNLOAD: "no", "yes" or "local". Damselfly loads no modules either way.`},
			enumCodec("no", "yes", "local"), "local", field(&c.EnableModuleCommand)),
		newSetting(spec{name: "enable-protected-configs",
			help: `Who may CONFIG SET the protected settings (dir, dbfilename), which choose where files are written: "no", "yes" or "local".`},
			enumCodec("no", "yes", "local"), "no", field(&c.EnableProtectedConfigs)),
		newSetting(spec{name: "protected-mode", mutable: true,
			help: "With no password set, refuse clients that do not connect from 127.0.0.1 or ::1, as Redis does."},
			boolCodec("yes", "no"), true, boolHolder(&c.ProtectedMode)),
		newSetting(spec{name: "keys_output_limit", mutable: true,
			help: "Most keys KEYS returns; a longer reply is cut there and a warning logged (Dragonfly's flag). 0, the default, means no limit, as in Redis: a silently cut KEYS reply breaks applications (Directus purges its cache with KEYS)."},
			intCodec(0, math.MaxInt32), 0, intHolder(&c.KeysOutputLimit)),
	}
}

// Allows says whether a "no|yes|local" protection setting lets a client
// whose address is remote through. Like Redis, local means exactly the
// loopback addresses 127.0.0.1 and ::1 (or a Unix socket, which we lack).
func Allows(mode, remote string) bool {
	switch mode {
	case "yes":
		return true
	case "local":
		return IsLocalAddr(remote)
	}
	return false
}

// IsLocalAddr reports whether addr ("host:port" or a bare host) is
// 127.0.0.1 or ::1, Redis's islocalClient test (127.0.0.2 is not local).
func IsLocalAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	// To4 also accepts ::ffff:127.0.0.1, which is how a dual-stack
	// listener reports IPv4 peers.
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.Equal(net.IPv4(127, 0, 0, 1))
	}
	return ip.Equal(net.IPv6loopback)
}
