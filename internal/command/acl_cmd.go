package command

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/damselfly-db/damselfly/internal/acl"
	"github.com/damselfly-db/damselfly/internal/pubsub"
)

// ACL: users, their rules and the denials log (internal/acl).

func registerACL(t *Table) {
	const adm = Admin | NoScript | Loading | Stale | NoLock
	sub := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, Handler: h, Group: "server", Since: since, Summary: summary}
	}
	t.add(&Spec{
		Name: "acl", Arity: -2, Flags: NoLock, Group: "server", Since: "6.0.0", Summary: "A container for Access List Control commands.",
		Subcommands: []*Spec{
			sub("cat", -2, NoScript|Loading|Stale|NoLock, aclCat, "6.0.0", "Lists the ACL categories, or the commands inside a category."),
			sub("deluser", -3, adm, aclDelUser, "6.0.0", "Deletes ACL users, and terminates their connections."),
			sub("dryrun", -4, adm, aclDryRun, "7.0.0", "Simulates the execution of a command by a user, without executing the command."),
			sub("genpass", -2, NoScript|Loading|Stale|NoLock, aclGenPass, "6.0.0", "Generates a pseudorandom, secure password that can be used to identify ACL users."),
			sub("getuser", 3, adm, aclGetUser, "6.0.0", "Lists the ACL rules of a user."),
			sub("list", 2, adm, aclList, "6.0.0", "Dumps the effective rules in ACL file format."),
			sub("load", 2, adm, aclLoad, "6.0.0", "Reloads the rules from the configured ACL file."),
			sub("log", -2, adm, aclLog, "6.0.0", "Lists recent security events generated due to ACL rules."),
			sub("save", 2, adm, aclSave, "6.0.0", "Saves the effective ACL rules in the configured ACL file."),
			sub("setuser", -3, adm, aclSetUser, "6.0.0", "Creates and modifies an ACL user and its rules."),
			sub("users", 2, adm, aclUsers, "6.0.0", "Lists all ACL users."),
			sub("whoami", 2, NoScript|Loading|Stale|NoLock, aclWhoAmI, "6.0.0", "Returns the authenticated username of the current connection."),
			sub("help", 2, Loading|Stale|NoLock, aclHelp, "6.0.0", "Returns helpful text about the different subcommands."),
		},
		Handler: runSub,
	})
}

func aclCat(c *Ctx) {
	if len(c.Args) > 3 {
		c.subcommandSyntaxError()
		return
	}
	if len(c.Args) == 2 {
		names := acl.CategoryNames()
		c.W.Array(len(names))
		for _, n := range names {
			c.W.BulkString(n)
		}
		return
	}
	bit := acl.CategoryBit(string(c.Args[2]))
	if bit == 0 {
		c.Err("ERR Unknown category '" + string(c.Args[2]) + "'")
		return
	}
	cmds := c.Env.Table.ACL.InCategory(bit)
	c.W.Array(len(cmds))
	for _, n := range cmds {
		c.W.BulkString(n)
	}
}

func aclSetUser(c *Ctx) {
	rules := make([]string, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		rules = append(rules, string(a))
	}
	h, old, err := c.Env.ACL.SetUser(string(c.Args[2]), rules)
	if err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	if old != nil {
		c.Env.killLostSubscribers(c, h)
	}
	c.W.OK()
}

func aclDelUser(c *Ctx) {
	names := make([]string, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		names = append(names, string(a))
	}
	gone, err := c.Env.ACL.DelUsers(names)
	if err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	c.Env.killUserClients(c, gone)
	c.W.Int(int64(len(gone)))
}

// killUserClients disconnects the clients authenticated as users that no
// longer exist; the calling client, if one of them, gets its reply first.
func (e *Env) killUserClients(c *Ctx, gone []*acl.Handle) {
	if len(gone) == 0 {
		return
	}
	for _, cl := range e.Clients.List() {
		for _, h := range gone {
			if cl.ACL() == h {
				if cl == c.Client {
					cl.RequestClose()
				} else {
					killClient(cl)
				}
				break
			}
		}
	}
}

// killLostSubscribers disconnects, as Redis does, the clients of a user
// whose new rules no longer allow a channel or pattern they subscribe to.
func (e *Env) killLostSubscribers(c *Ctx, h *acl.Handle) {
	u := h.Load()
	for _, cl := range e.Clients.List() {
		if cl.ACL() != h {
			continue
		}
		s := cl.subscriber.Load()
		if s == nil {
			continue
		}
		subs := e.PubSub.Subscriptions(s)
		lost := false
		for k, names := range subs {
			for _, n := range names {
				if !u.ChannelAllowed([]byte(n), k == int(pubsub.Pattern)) {
					lost = true
				}
			}
		}
		if !lost {
			continue
		}
		if cl == c.Client {
			cl.RequestClose()
		} else {
			killClient(cl)
		}
	}
}

func aclGetUser(c *Ctx) {
	h := c.Env.ACL.Get(string(c.Args[2]))
	if h == nil {
		c.W.Null()
		return
	}
	u := h.Load()
	w := c.W
	w.Map(6)
	w.BulkString("flags")
	flags := u.Flags()
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("passwords")
	pw := u.Passwords()
	w.Array(len(pw))
	for _, p := range pw {
		w.BulkString(p)
	}
	writeSelector(w, u.Root())
	w.BulkString("selectors")
	w.Array(len(u.Selectors()))
	for _, s := range u.Selectors() {
		w.Map(3)
		writeSelector(w, s)
	}
}

func writeSelector(w interface {
	BulkString(string)
}, s *acl.Selector) {
	w.BulkString("commands")
	w.BulkString(s.CommandsString())
	w.BulkString("keys")
	w.BulkString(s.KeysString())
	w.BulkString("channels")
	w.BulkString(s.ChannelsString())
}

func aclList(c *Ctx) {
	lines := c.Env.ACL.List()
	c.W.Array(len(lines))
	for _, l := range lines {
		c.W.BulkString(l)
	}
}

func aclUsers(c *Ctx) {
	names := c.Env.ACL.Names()
	c.W.Array(len(names))
	for _, n := range names {
		c.W.BulkString(n)
	}
}

func aclWhoAmI(c *Ctx) { c.W.BulkString(userName(c.Client)) }

func aclGenPass(c *Ctx) {
	if len(c.Args) > 3 {
		c.subcommandSyntaxError()
		return
	}
	bits := int64(256)
	if len(c.Args) == 3 {
		n, err := strconv.ParseInt(string(c.Args[2]), 10, 64)
		if err != nil {
			c.Err(ErrNotInt)
			return
		}
		if n <= 0 || n > 4096 {
			c.Err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	}
	chars := int((bits + 3) / 4)
	buf := make([]byte, (chars+1)/2)
	if _, err := rand.Read(buf); err != nil {
		c.Err("ERR ACL GENPASS: reading random bytes: " + err.Error())
		return
	}
	c.W.BulkString(hex.EncodeToString(buf)[:chars])
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func aclLoad(c *Ctx) {
	path := c.Env.Config.ACLFile.Get()
	if path == "" {
		c.Err(errNoACLFile)
		return
	}
	users, err := c.Env.ACL.ParseFile(path)
	if err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	c.Env.killUserClients(c, c.Env.ACL.Replace(users))
	c.W.OK()
}

func aclSave(c *Ctx) {
	path := c.Env.Config.ACLFile.Get()
	if path == "" {
		c.Err(errNoACLFile)
		return
	}
	if err := c.Env.ACL.Save(path); err != nil {
		c.Env.Log.Warn("ACL SAVE failed", "file", path, "err", err)
		c.Err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.W.OK()
}

func aclLog(c *Ctx) {
	if len(c.Args) > 3 {
		c.subcommandSyntaxError()
		return
	}
	n := 10
	if len(c.Args) == 3 {
		if strings.EqualFold(string(c.Args[2]), "reset") {
			c.Env.ACLLog.Reset()
			c.W.OK()
			return
		}
		v, err := strconv.ParseInt(string(c.Args[2]), 10, 64)
		if err != nil {
			c.Err(ErrNotInt)
			return
		}
		if v < 0 {
			v = 0
		}
		if v > 1<<30 {
			v = 1 << 30
		}
		n = int(v)
	}
	now := time.Now()
	entries := c.Env.ACLLog.Entries(n)
	w := c.W
	w.Array(len(entries))
	for _, e := range entries {
		w.Map(7)
		w.BulkString("count")
		w.Int(e.Count)
		w.BulkString("reason")
		w.BulkString(e.Reason)
		w.BulkString("context")
		w.BulkString(e.Context)
		w.BulkString("object")
		w.BulkString(e.Object)
		w.BulkString("username")
		w.BulkString(e.Username)
		w.BulkString("age-seconds")
		w.Double(float64(now.Sub(e.Created).Milliseconds()) / 1000)
		w.BulkString("client-info")
		w.BulkString(e.ClientInfo)
	}
}

func aclDryRun(c *Ctx) {
	user := string(c.Args[2])
	h := c.Env.ACL.Get(user)
	if h == nil {
		c.Err("ERR User '" + user + "' not found")
		return
	}
	args := c.Args[3:]
	spec := c.Env.Table.Lookup(args[0])
	if spec == nil {
		c.Err("ERR Command '" + string(args[0]) + "' not found")
		return
	}
	if !arityOK(spec.Arity, len(args)) {
		c.Err(errWrongArgs(spec.Name))
		return
	}
	target := aclTarget(spec, args)
	if target == nil {
		c.Err("ERR Command '" + string(args[0]) + "' not found")
		return
	}
	if !arityOK(target.Arity, len(args)) {
		c.Err(errWrongArgs(target.fullName))
		return
	}
	r := c.Env.Table.aclRequest(&acl.Request{}, spec, target, args)
	d, idx := h.Load().Check(r)
	switch d {
	case acl.Allowed:
		c.W.OK()
	case acl.DeniedCommand:
		c.W.BulkString("This user has no permissions to run the '" + target.fullName + "' command")
	case acl.DeniedKey:
		c.W.BulkString("This user has no permissions to access the '" + string(r.Keys[idx].Key) + "' key")
	case acl.DeniedChannel:
		c.W.BulkString("This user has no permissions to access the '" + string(r.Channels[idx]) + "' channel")
	}
}

func aclHelp(c *Ctx) {
	writeHelp(c, "ACL",
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
		"HELP",
		"    Prints this help.",
	)
}
