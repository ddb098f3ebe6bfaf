package command

import (
	"strconv"
	"strings"
	"time"
)

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

func validClientName(n string) bool {
	for i := 0; i < len(n); i++ {
		if n[i] < '!' || n[i] > '~' {
			return false
		}
	}
	return true
}

func registerClient(t *Table) {
	sub := func(name string, arity int, h func(*Ctx), summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: NoScript | Loading | Stale, Group: "connection", Summary: summary, Handler: h}
	}
	// The subcommands Redis flags admin (so @admin and @dangerous for ACL,
	// and MONITOR does not show them).
	adm := func(s *Spec) *Spec { s.Flags |= Admin; return s }
	t.add(&Spec{
		Name: "client", Arity: -2, Flags: NoLock, Group: "connection", Since: "2.4.0", Summary: "A container for client connection commands.",
		Subcommands: []*Spec{
			sub("id", 2, func(c *Ctx) { c.W.Int(c.Client.ID) }, "Returns the unique client ID of the connection."),
			sub("setname", 3, clientSetName, "Sets the connection name."),
			sub("getname", 2, clientGetName, "Returns the name of the connection."),
			adm(sub("list", -2, clientList, "Lists open connections.")),
			sub("info", 2, func(c *Ctx) { c.W.Verbatim(c.clientLine(c.Client)) }, "Returns information about the connection."),
			adm(sub("kill", -3, clientKill, "Terminates open connections.")),
			sub("setinfo", 4, clientSetInfo, "Sets information specific to the client or connection."),
			sub("reply", 3, clientReply, "Instructs the server whether to reply to commands."),
			adm(sub("no-evict", 3, clientNoEvict, "Sets the client eviction mode of the connection.")),
			sub("no-touch", 3, clientNoTouch, "Controls whether commands sent by the client affect the LRU/LFU of accessed keys."),
			adm(sub("pause", -3, clientPause, "Suspends commands processing.")),
			adm(sub("unpause", 2, func(c *Ctx) { c.Env.Pause.Unpause(); c.W.OK() }, "Resumes processing of clients that were paused.")),
			adm(sub("unblock", -3, clientUnblock, "Unblocks a client blocked by a blocking command from a different connection.")),
			sub("getredir", 2, clientGetRedir, "Returns the client ID to which the connection's tracking notifications are redirected."),
			sub("tracking", -3, clientTracking, "Controls server-assisted client-side caching for the connection."),
			sub("caching", 3, clientCaching, "Instructs the server whether to track the keys in the next request."),
			sub("trackinginfo", 2, clientTrackingInfo, "Returns information about server-assisted client-side caching for the connection."),
			sub("help", 2, clientHelp, "Returns helpful text about the different subcommands."),
		},
		Handler: func(c *Ctx) { runSub(c) },
	})
}

// runSub dispatches a container command's subcommand, with Redis's errors
// for unknown subcommands and wrong arity.
func runSub(c *Ctx) {
	parent := c.Spec
	sub := parent.Sub(c.Args[1])
	if sub == nil {
		c.Err("ERR unknown subcommand '" + truncate(string(c.Args[1]), 128) + "'. Try " + strings.ToUpper(parent.Name) + " HELP.")
		return
	}
	if !arityOK(sub.Arity, len(c.Args)) {
		c.Err("ERR wrong number of arguments for '" + parent.Name + "|" + sub.Name + "' command")
		return
	}
	sub.Handler(c)
}

func clientSetName(c *Ctx) {
	n := string(c.Args[2])
	if !validClientName(n) {
		c.Err(errClientName)
		return
	}
	c.Client.SetName(n)
	c.W.OK()
}

func clientGetName(c *Ctx) {
	if n := c.Client.Name(); n != "" {
		c.W.BulkString(n)
		return
	}
	c.W.Null()
}

func clientSetInfo(c *Ctx) {
	attr := strings.ToLower(string(c.Args[2]))
	v := string(c.Args[3])
	for i := 0; i < len(v); i++ {
		if v[i] < '!' || v[i] > '~' {
			c.Err("ERR " + strings.ToUpper(attr) + " cannot contain spaces, newlines or special characters.")
			return
		}
	}
	switch attr {
	case "lib-name":
		c.Client.SetLib(&v, nil)
	case "lib-ver":
		c.Client.SetLib(nil, &v)
	default:
		c.Err("ERR Unrecognized option '" + string(c.Args[2]) + "'")
		return
	}
	c.W.OK()
}

func clientReply(c *Ctx) {
	switch strings.ToLower(string(c.Args[2])) {
	case "on":
		c.Client.ReplyMode = 0
		c.Client.ReplyOn = true
		c.W.OK()
	case "off":
		c.Client.ReplyMode = 1
	case "skip":
		c.Client.ReplyMode = 2
	default:
		c.Err(ErrSyntax)
	}
}

func onOff(c *Ctx, set func(bool)) {
	switch strings.ToLower(string(c.Args[2])) {
	case "on":
		set(true)
	case "off":
		set(false)
	default:
		c.Err(ErrSyntax)
		return
	}
	c.W.OK()
}

func clientNoEvict(c *Ctx) { onOff(c, func(b bool) { c.Client.NoEvict = b }) }
func clientNoTouch(c *Ctx) { onOff(c, func(b bool) { c.Client.NoTouch = b }) }

func clientPause(c *Ctx) {
	ms, err := strconv.ParseInt(string(c.Args[2]), 10, 64)
	if err != nil {
		c.Err("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.Err(ErrTimeoutNeg)
		return
	}
	onlyWrite := false
	if len(c.Args) == 4 {
		switch strings.ToLower(string(c.Args[3])) {
		case "write":
			onlyWrite = true
		case "all":
		default:
			c.Err("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(c.Args) > 4 {
		c.Err(ErrSyntax)
		return
	}
	c.Env.Pause.Set(time.Now().Add(time.Duration(ms)*time.Millisecond), onlyWrite)
	c.W.OK()
}

// clientLine renders one CLIENT LIST line in Redis 7's field order.
func (c *Ctx) clientLine(cl *Client) string {
	now := time.Now()
	flags := ""
	if cl.HasFlag(ClientMonitor) {
		flags += "O"
	}
	if cl.HasFlag(ClientPubSub) {
		flags += "P"
	}
	if cl.HasFlag(ClientMulti) {
		flags += "x"
	}
	if cl.HasFlag(ClientBlocked) {
		flags += "b"
	}
	if cl.NoEvict {
		flags += "e"
	}
	if cl.NoTouch {
		flags += "T"
	}
	if flags == "" {
		flags = "N"
	}
	lib, ver := cl.Lib()
	idle := int64(0)
	if la := cl.LastActive(); !la.IsZero() && la.Unix() > 0 {
		idle = int64(now.Sub(la).Seconds())
	}
	var b strings.Builder
	w := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	subs, psubs, ssubs := cl.SubscriptionCounts()
	w("id", i(cl.ID))
	w("addr", cl.Addr)
	w("laddr", cl.LAddr)
	w("fd", i(int64(cl.FD)))
	w("name", cl.Name())
	w("age", i(int64(now.Sub(cl.Created).Seconds())))
	w("idle", i(idle))
	w("flags", flags)
	w("db", i(int64(cl.SharedDB())))
	w("sub", i(subs))
	w("psub", i(psubs))
	w("ssub", i(ssubs))
	w("multi", "-1")
	w("qbuf", i(cl.QueryBufLen.Load()))
	w("qbuf-free", "0")
	w("argv-mem", "0")
	w("multi-mem", "0")
	w("rbs", "16384")
	w("rbp", "0")
	w("obl", "0")
	w("oll", "0")
	w("omem", i(cl.OutBufLen.Load()))
	w("tot-mem", i(cl.QueryBufLen.Load()+cl.OutBufLen.Load()+16384))
	w("events", "r")
	w("cmd", cl.LastCmd())
	w("user", userName(cl))
	w("redir", "-1")
	w("resp", i(int64(cl.Proto)))
	w("lib-name", lib)
	w("lib-ver", ver)
	b.WriteByte('\n')
	return b.String()
}

func userName(cl *Client) string {
	if h := cl.ACL(); h != nil {
		return h.Name()
	}
	if cl.User == "" {
		return "default"
	}
	return cl.User
}

func clientList(c *Ctx) {
	var typ string
	var ids map[int64]bool
	for i := 2; i < len(c.Args); i++ {
		opt := strings.ToLower(string(c.Args[i]))
		switch {
		case opt == "type" && i+1 < len(c.Args):
			typ = strings.ToLower(string(c.Args[i+1]))
			switch typ {
			case "normal", "master", "replica", "slave", "pubsub":
			default:
				c.Err("ERR Unknown client type '" + string(c.Args[i+1]) + "'")
				return
			}
			i++
		case opt == "id" && i+1 < len(c.Args):
			ids = map[int64]bool{}
			for i++; i < len(c.Args); i++ {
				id, err := strconv.ParseInt(string(c.Args[i]), 10, 64)
				if err != nil || id <= 0 {
					c.Err("ERR Invalid client ID")
					return
				}
				ids[id] = true
			}
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	var b strings.Builder
	for _, cl := range c.Env.Clients.List() {
		// A killed client (or one that sent QUIT) is gone for Redis,
		// which frees it at once; here its connection closes a moment
		// later, after its last reply, on its own goroutine or loop.
		if cl.CloseRequested() && cl != c.Client {
			continue
		}
		if ids != nil && !ids[cl.ID] {
			continue
		}
		if typ != "" && clientType(cl) != typ {
			continue
		}
		b.WriteString(c.clientLine(cl))
	}
	c.W.Verbatim(b.String())
}

func clientType(cl *Client) string {
	if cl.HasFlag(ClientPubSub) {
		return "pubsub"
	}
	return "normal"
}

func clientKill(c *Ctx) {
	args := c.Args[2:]
	if len(args) == 1 {
		// Old form: CLIENT KILL addr:port, replies OK or an error.
		addr := string(args[0])
		for _, cl := range c.Env.Clients.List() {
			if cl.Addr == addr {
				killClient(cl)
				c.W.OK()
				return
			}
		}
		c.Err("ERR No such client")
		return
	}
	if len(args)%2 != 0 {
		c.Err(ErrSyntax)
		return
	}
	var (
		id          int64 = -1
		addr, laddr string
		user, typ   string
		skipMe            = true
		maxAge      int64 = -1
	)
	for i := 0; i < len(args); i += 2 {
		v := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				c.Err("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "addr":
			addr = v
		case "laddr":
			laddr = v
		case "user":
			if c.Env.ACL.Get(v) == nil {
				c.Err("ERR No such user '" + v + "'")
				return
			}
			user = v
		case "type":
			typ = strings.ToLower(v)
			switch typ {
			case "normal", "master", "replica", "slave", "pubsub":
			default:
				c.Err("ERR Unknown client type '" + v + "'")
				return
			}
		case "skipme":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.Err(ErrSyntax)
				return
			}
		case "maxage":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				c.Err(ErrNotInt)
				return
			}
			maxAge = n
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	killed := int64(0)
	now := time.Now()
	for _, cl := range c.Env.Clients.List() {
		switch {
		case id >= 0 && cl.ID != id,
			addr != "" && cl.Addr != addr,
			laddr != "" && cl.LAddr != laddr,
			user != "" && userName(cl) != user,
			typ != "" && clientType(cl) != typ,
			maxAge >= 0 && int64(now.Sub(cl.Created).Seconds()) < maxAge,
			skipMe && cl == c.Client,
			cl.CloseRequested() && cl != c.Client: // already killed
			continue
		}
		if cl == c.Client {
			// Like Redis's CLIENT_CLOSE_AFTER_REPLY: the caller gets
			// the count, then its connection closes.
			cl.RequestClose()
		} else {
			killClient(cl)
		}
		killed++
	}
	c.W.Int(killed)
}

func killClient(cl *Client) {
	cl.RequestClose()
	if cl.Kill != nil {
		cl.Kill()
	}
}

func clientHelp(c *Ctx) {
	lines := []string{
		"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ID", "    Return the ID of the current connection.",
		"GETNAME", "    Return the name of the current connection.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
		"LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]", "    Return information about client connections.",
		"INFO", "    Return information about the current client connection.",
		"KILL <ip:port>", "    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are: ID, ADDR, LADDR, USER, TYPE, SKIPME, MAXAGE.",
		"PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
		"UNPAUSE", "    Stop the current client pause, resuming traffic.",
		"REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
		"SETINFO <option> <value>", "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
		"NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)", "    Will not touch LRU/LFU stats when this mode is on.",
		"HELP", "    Print this help.",
	}
	c.W.Array(len(lines))
	for _, l := range lines {
		c.W.Simple(l)
	}
}

func clientUnblock(c *Ctx) {
	id, ok := parseInt(c.Args[2])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	withError := false
	if len(c.Args) == 4 {
		switch lower(c.Args[3]) {
		case "timeout":
		case "error":
			withError = true
		default:
			c.Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	} else if len(c.Args) > 4 {
		c.Err(ErrSyntax)
		return
	}
	target := c.Env.Clients.Get(id)
	if target != nil && target.Unblock(withError) {
		c.W.Int(1)
		return
	}
	c.W.Int(0)
}
