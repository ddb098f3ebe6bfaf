package server

import (
	"net"
	"strings"

	"github.com/damselfly-db/damselfly/internal/config"
)

// Redis's protected mode: with protected-mode on and no password, only
// clients on 127.0.0.1 or ::1 are served; others get this line and are
// closed (and counted in rejected_connections), on every RESP port.
const errProtectedMode = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// protectedRefuses reports whether protected mode turns away a client
// connecting from remote.
func (s *Server) protectedRefuses(remote string) bool {
	return s.cfg.ProtectedMode.Get() && !s.env.ACL.AuthRequired() && !config.IsLocalAddr(remote)
}

// warnExposed logs, once at start, when a port listens beyond loopback
// with no password: anyone who can reach it may read and change the data.
func (s *Server) warnExposed() {
	if s.env.ACL.AuthRequired() {
		return
	}
	var exposed []string
	for _, ls := range [][]net.Listener{s.listeners, s.adminListeners} {
		for _, l := range ls {
			if a, ok := l.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
				exposed = append(exposed, a.String())
			}
		}
	}
	if len(exposed) == 0 {
		return
	}
	if s.cfg.ProtectedMode.Get() {
		s.log.Warn("listening beyond loopback with no password: protected mode is on, so only clients on 127.0.0.1 and ::1 are served; set requirepass to let others in, or protected-mode no if this network is trusted",
			"addrs", strings.Join(exposed, " "))
		return
	}
	s.log.Warn("listening beyond loopback with no password and protected-mode off: anyone who can reach these addresses can read and change every key; set requirepass, or bind 127.0.0.1",
		"addrs", strings.Join(exposed, " "))
}
