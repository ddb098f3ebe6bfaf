package server

import "github.com/damselfly-db/damselfly/internal/command"

// monitorLimit is the output queue a MONITOR client may build up before it
// is disconnected (Redis applies the "normal" class limit, 0 = none; a
// monitor that never reads would otherwise grow without bound).
const monitorLimit = 64 << 20

// resetClient undoes server-owned connection state for RESET; the
// connection loop notices the cleared MONITOR flag.
func (s *Server) resetClient(cl *command.Client) {}
