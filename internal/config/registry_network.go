package config

import (
	"fmt"
	"math"
)

// networkSettings: where and how Damselfly listens. All start-only.
func (c *Config) networkSettings() []*setting {
	return []*setting{
		newSetting(spec{name: "port", acceptCurrent: true,
			help: "TCP port for client connections; -1 (Dragonfly) or 0 picks a free port, logged at start."},
			intCodec(-1, 65535), 6379, intField(&c.Port)),
		newSetting(spec{name: "bind", acceptCurrent: true,
			help: "Addresses to listen on, separated by spaces or commas (127.0.0.1 ::1); empty means all interfaces."},
			bindCodec(), nil, field(&c.Bind)),
		newSetting(spec{name: "tcp_backlog",
			aliases: []string{"tcp-backlog"},
			help:    "Length of the queue of not yet accepted TCP connections (listen backlog)."},
			intCodec(0, math.MaxInt32), 511, intField(&c.TCPBacklog)),
		newSetting(spec{name: "proactor_threads",
			aliases: []string{"io_threads"},
			help:    "Number of I/O threads; 0 means one per CPU."},
			intCodec(0, math.MaxUint16), 0, intField(&c.ProactorThreads)),
		newSetting(spec{name: "event_loop",
			help: "Serve plain-TCP clients of the client port from one epoll event loop per proactor thread (no goroutine per idle connection, one read per request); a connection that must wait (blocking command, pub/sub, MONITOR, a reply the peer does not read, a long script) is handed to a goroutine of its own. false: one goroutine per connection."},
			boolCodec("true", "false"), true, field(&c.EventLoop)),
		newSetting(spec{name: "conn_io_threads", status: live,
			help: "Number of proactor threads whose event loops serve client connections; 0 means all of them (with --event_loop)."},
			intCodec(0, math.MaxUint16), 0, intField(&c.ConnIOThreads)),
		newSetting(spec{name: "prometheus_port",
			help: "Port of an HTTP endpoint serving Prometheus metrics (/metrics) and /healthz; 0 disables it. /metrics is also served on the client port and the admin port."},
			intCodec(0, 65535), 0, intField(&c.PrometheusPort)),
		newSetting(spec{name: "admin_port",
			help: "Port of the admin console, speaking HTTP (web console, /metrics) and privileged RESP (not limited by maxclients); 0 disables it."},
			intCodec(0, 65535), 0, intField(&c.AdminPort)),
		newSetting(spec{name: "admin_nopass",
			help: "Clients of the admin port need no password, neither RESP clients nor the web console (Dragonfly's flag)."},
			boolCodec("true", "false"), false, field(&c.AdminNoPass)),
		newSetting(spec{name: "restricted_commands",
			help: "Comma-separated commands that only clients of the admin port may run (Dragonfly's flag); others get \"Cannot execute restricted command (admin only)\". Scripts and MULTI/EXEC of an admin client are not restricted."},
			stringCodec(nil), "", field(&c.RestrictedCommands)),
		newSetting(spec{name: "expose_http_api",
			help: `Serve Dragonfly's POST /api on the HTTP ports: the body is a command as a JSON array of strings (["set", "k", "v"]), the answer {"result": ...} or {"error": "..."}; behind requirepass like the console.`},
			boolCodec("true", "false"), false, field(&c.ExposeHTTPAPI)),
		newSetting(spec{name: "admin_bind",
			help: "Address the admin port listens on; empty means the addresses of bind."},
			stringCodec(checkAdminBind), "", field(&c.AdminBind)),
		newSetting(spec{name: "databases",
			aliases: []string{"dbnum"},
			help:    "Number of logical databases, selected with SELECT 0 to N-1."},
			intCodec(1, math.MaxInt32), 16, intField(&c.Databases)),
	}
}

func checkAdminBind(s string) error {
	if s != "" && !validBindAddress(s) {
		return fmt.Errorf("invalid address %q", s)
	}
	return nil
}
