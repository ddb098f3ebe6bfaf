package command

import (
	"strconv"
	"strings"
	"time"
)

func registerConnection(t *Table) {
	t.add(
		&Spec{Name: "ping", Arity: -1, Flags: Fast | Stale | Loading, Group: "connection", Since: "1.0.0", Summary: "Returns the server's liveliness response.", Handler: cmdPing},
		&Spec{Name: "echo", Arity: 2, Flags: Fast | Stale | Loading, Group: "connection", Since: "1.0.0", Summary: "Returns the given string.", Handler: cmdEcho},
		&Spec{Name: "quit", Arity: -1, Flags: Fast | NoAuth | Stale | Loading | NoScript | AllowBusy, Group: "connection", Since: "1.0.0", Summary: "Closes the connection.", Handler: cmdQuit},
		&Spec{Name: "reset", Arity: 1, Flags: Fast | NoAuth | Stale | Loading | NoScript | AllowBusy, Group: "connection", Since: "6.2.0", Summary: "Resets the connection.", Handler: cmdReset},
		&Spec{Name: "auth", Arity: -2, Flags: Fast | NoAuth | Stale | Loading | NoScript | AllowBusy, Group: "connection", Since: "1.0.0", Summary: "Authenticates the connection.", Handler: cmdAuth},
		&Spec{Name: "select", Arity: 2, Flags: Fast | Loading | Stale, Group: "connection", Since: "1.0.0", Summary: "Changes the selected database.", Handler: cmdSelect},
		&Spec{Name: "hello", Arity: -1, Flags: Fast | NoAuth | Stale | Loading | NoScript | AllowBusy, Group: "connection", Since: "6.0.0", Summary: "Handshakes with the Redis server.", Handler: cmdHello},
	)
	registerClient(t)
}

func cmdPing(c *Ctx) {
	if len(c.Args) > 2 {
		c.WrongArgs()
		return
	}
	if c.Client.HasFlag(ClientPubSub) && c.Client.Proto < 3 {
		c.W.Array(2)
		c.W.BulkString("pong")
		if len(c.Args) == 2 {
			c.W.Bulk(c.Args[1])
		} else {
			c.W.BulkString("")
		}
		return
	}
	if len(c.Args) == 2 {
		c.W.Bulk(c.Args[1])
		return
	}
	c.W.Simple("PONG")
}

func cmdEcho(c *Ctx) { c.W.Bulk(c.Args[1]) }

func cmdQuit(c *Ctx) {
	c.W.OK()
	c.Client.RequestClose()
}

func cmdReset(c *Ctx) {
	cl := c.Client
	if c.Env.ResetHook != nil {
		c.Env.ResetHook(cl)
	}
	c.discardMulti()
	c.Env.unwatch(cl)
	c.Env.dropSubscriptions(cl)
	c.Env.dropTracking(cl)
	cl.Select(0)
	cl.SetName("")
	cl.Proto = 2
	c.W.Proto = 2
	cl.ReplyMode = 0
	cl.NoEvict = false
	cl.NoTouch = false
	cl.SetFlag(ClientMonitor|ClientPubSub|ClientMulti, false)
	cl.Authed = !c.Env.ACL.AuthRequired()
	cl.User = "default"
	if cl.ACL() != nil {
		cl.SetACL(c.Env.ACL.Default())
	}
	c.W.Simple("RESET")
}

// authenticate validates AUTH/HELLO credentials and switches the client
// to the user. A failure is counted, recorded in ACL LOG and logged (at
// most one line a second, so a brute force cannot flood the log).
func (c *Ctx) authenticate(user, pass string) bool {
	h := c.Env.ACL.Get(user)
	if h != nil && h.Load().CheckPassword(pass) {
		c.Client.Authed = true
		c.Client.User = user
		c.Client.SetACL(h)
		return true
	}
	c.Env.Stats.AuthFailures.Add(1)
	// The object is the command as the client spelled it (AUTH, hello).
	c.Env.aclLogAdd(c, "auth", aclToplevel, string(c.Args[0]), user)
	if ok, held := c.Env.authWarn.Allow(time.Now()); ok {
		c.Env.Log.Warn("authentication failed", "client", c.Client.Addr, "user", user, "suppressed", held)
	}
	return false
}

func cmdAuth(c *Ctx) {
	if len(c.Args) > 3 {
		c.Err(ErrSyntax)
		return
	}
	user, pass := "default", string(c.Args[1])
	if len(c.Args) == 3 {
		user, pass = string(c.Args[1]), string(c.Args[2])
	} else if d := c.Env.ACL.Default().Load(); d.NoPass {
		c.Err(ErrNoPassSet)
		return
	}
	if !c.authenticate(user, pass) {
		c.Err(ErrWrongPass)
		return
	}
	c.W.OK()
}

func cmdSelect(c *Ctx) {
	n, err := strconv.ParseInt(string(c.Args[1]), 10, 64)
	if err != nil {
		c.Err(ErrNotInt)
		return
	}
	if n < 0 || n >= int64(c.Env.Config.Databases) {
		c.Err(ErrDBIndex)
		return
	}
	c.Client.Select(int(n))
	c.W.OK()
}

func cmdHello(c *Ctx) {
	cl := c.Client
	proto := cl.Proto
	i := 1
	if len(c.Args) > 1 {
		v, err := strconv.ParseInt(string(c.Args[1]), 10, 64)
		if err != nil {
			c.Err("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.Err("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
		i = 2
	}
	var user, pass, name string
	var haveAuth, haveName bool
	for ; i < len(c.Args); i++ {
		opt := strings.ToLower(string(c.Args[i]))
		more := len(c.Args) - i - 1
		switch {
		case opt == "auth" && more >= 2:
			user, pass = string(c.Args[i+1]), string(c.Args[i+2])
			haveAuth = true
			i += 2
		case opt == "setname" && more >= 1:
			name = string(c.Args[i+1])
			haveName = true
			i++
		default:
			c.Err("ERR Syntax error in HELLO option '" + string(c.Args[i]) + "'")
			return
		}
	}
	if haveAuth {
		if !c.authenticate(user, pass) {
			c.Err(ErrWrongPass)
			return
		}
	}
	if !cl.Authed && c.Env.ACL.AuthRequired() {
		c.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if haveName {
		if !validClientName(name) {
			c.Err(errClientName)
			return
		}
		cl.SetName(name)
	}
	cl.Proto = proto
	c.W.Proto = proto
	w := c.W
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(RedisVersion)
	w.BulkString("proto")
	w.Int(int64(proto))
	w.BulkString("id")
	w.Int(cl.ID)
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

// RedisVersion is the Redis version Damselfly reports, as Dragonfly does, so
// clients enable the features they check for.
const RedisVersion = "7.4.0"
