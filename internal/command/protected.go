package command

import (
	"bytes"

	"github.com/damselfly-db/damselfly/internal/config"
)

// Redis 7 marks DEBUG and MODULE LOAD/LOADEX/UNLOAD "protected": they run
// only when enable-debug-command / enable-module-command say "yes", or
// "local" and the client is on 127.0.0.1 or ::1. Damselfly defaults both to
// local (Redis: no) because test suites and tools such as the go-redis
// suite use DEBUG from the same host; a client from elsewhere is refused
// with Redis's text.

// refuseProtected answers a protected command the configuration forbids
// for this client and reports whether it did. Like Redis it runs right
// after the arity check, before authentication, and aborts a MULTI.
func (e *Env) refuseProtected(c *Ctx, spec *Spec) bool {
	var mode, name, option string
	switch spec.Name {
	case "debug":
		mode, name, option = e.Config.EnableDebugCommand, "DEBUG", "enable-debug-command"
	case "module":
		if len(c.Args) < 2 || !moduleSubProtected(c.Args[1]) {
			return false
		}
		mode, name, option = e.Config.EnableModuleCommand, "MODULE", "enable-module-command"
	default:
		return false
	}
	if config.Allows(mode, c.Client.Addr) {
		return false
	}
	e.reject(c, spec, "ERR "+name+" command not allowed. If the "+option+` option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`)
	return true
}

// moduleSubProtected: MODULE LIST and HELP stay open, as in Redis.
func moduleSubProtected(sub []byte) bool {
	for _, s := range []string{"load", "loadex", "unload"} {
		if bytes.EqualFold(sub, []byte(s)) {
			return true
		}
	}
	return false
}
