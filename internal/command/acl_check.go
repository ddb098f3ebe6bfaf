package command

import (
	"strings"
	"time"

	"github.com/damselfly-db/damselfly/internal/acl"
)

// ACL LOG contexts.
const (
	aclToplevel = "toplevel"
	aclMulti    = "multi"
	aclLua      = "lua"
)

// aclTarget resolves a container command to the subcommand args name;
// nil when the subcommand is unknown (the command fails on that anyway).
func aclTarget(spec *Spec, args [][]byte) *Spec {
	if spec.Subcommands == nil || len(args) < 2 {
		return spec
	}
	return spec.Sub(args[1])
}

// aclRequest fills r to describe the command args for a permission
// check, reusing r's key slice.
func (t *Table) aclRequest(r *acl.Request, spec, target *Spec, args [][]byte) *acl.Request {
	t.aclKeyPlans()
	*r = acl.Request{ID: target.aclID, Keys: r.Keys[:0]}
	if len(args) > 1 && target == spec {
		r.FirstArg = args[1]
	}
	pos := target.KeyPositions(args)
	if len(pos) == 0 && target != spec {
		pos = spec.KeyPositions(args)
	}
	for _, p := range pos {
		if p < len(args) {
			r.Keys = append(r.Keys, acl.KeyRef{Key: args[p], Perm: target.aclKeys.perm(p, args)})
		}
	}
	switch spec.Name {
	case "publish", "spublish":
		r.Channels = args[1:2]
	case "subscribe", "ssubscribe":
		r.Channels = args[1:]
	case "psubscribe":
		r.Channels, r.Patterns = args[1:], true
	}
	return r
}

// aclCheck checks args against user u. On refusal it records the denial
// (ACL LOG, INFO counters) and returns the reason and the object refused.
func (e *Env) aclCheck(c *Ctx, u *acl.User, spec *Spec, args [][]byte, context string) (acl.Denial, string) {
	target := aclTarget(spec, args)
	if target == nil {
		return acl.Allowed, ""
	}
	r := e.Table.aclRequest(&c.aclReq, spec, target, args)
	d, idx := u.Check(r)
	if d == acl.Allowed {
		return d, ""
	}
	var object string
	switch d {
	case acl.DeniedCommand:
		object = target.fullName
		e.Stats.ACLDeniedCmd.Add(1)
	case acl.DeniedKey:
		object = string(r.Keys[idx].Key)
		e.Stats.ACLDeniedKey.Add(1)
	case acl.DeniedChannel:
		object = string(r.Channels[idx])
		e.Stats.ACLDeniedChannel.Add(1)
	}
	if context == aclToplevel {
		// As in Redis, the client's current command is the refused one.
		c.Client.Touch(&target.fullName, time.Now())
		if c.Client.multi != nil {
			context = aclMulti
		}
	}
	e.aclLogAdd(c, d.Reason(), context, object, u.Name)
	return d, object
}

// aclLogAdd records one denial in ACL LOG.
func (e *Env) aclLogAdd(c *Ctx, reason, context, object, user string) {
	e.ACLLog.Add(acl.Entry{
		Reason: reason, Context: context, Object: object, Username: user,
		Created: time.Now(), ClientInfo: strings.TrimSuffix(c.clientLine(c.Client), "\n"),
	}, int(e.Config.ACLLogMaxLen.Get()))
}

// aclDenyTop checks a command at the top level (or queued in MULTI) and
// returns Redis's NOPERM reply when it is refused, "" when allowed.
func (e *Env) aclDenyTop(c *Ctx, u *acl.User, spec *Spec) string {
	d, object := e.aclCheck(c, u, spec, c.Args, aclToplevel)
	switch d {
	case acl.DeniedCommand:
		return "NOPERM this user has no permissions to run the '" + object + "' command"
	case acl.DeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case acl.DeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return ""
}

// aclUser is the restricted user a client runs as, or nil when the
// client may run anything (the default user's usual case, and clients
// of the admin port, which have no user).
func (cl *Client) aclUser() *acl.User {
	h := cl.acl.Load()
	if h == nil {
		return nil
	}
	if u := h.Load(); !u.Unrestricted() {
		return u
	}
	return nil
}

// execDenied re-checks a queued command at EXEC, as Redis does, since
// the rules may have changed after it was queued.
func (e *Env) execDenied(c *Ctx, spec *Spec, args [][]byte) string {
	u := c.Client.aclUser()
	if u == nil {
		return ""
	}
	d, _ := e.aclCheck(c, u, spec, args, aclMulti)
	var reason string
	switch d {
	case acl.Allowed:
		return ""
	case acl.DeniedCommand:
		reason = "no permission to execute the command or subcommand"
	case acl.DeniedKey:
		reason = "no permission to touch the specified keys"
	case acl.DeniedChannel:
		reason = "no permission to access one of the channels used as arguments"
	default:
		reason = "no permission"
	}
	return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason
}

// scriptDenied checks a command a script calls, as the script's user.
func (e *Env) scriptDenied(c *Ctx, spec *Spec, args [][]byte) string {
	u := c.Client.aclUser()
	if u == nil {
		return ""
	}
	d, _ := e.aclCheck(c, u, spec, args, aclLua)
	switch d {
	case acl.DeniedCommand:
		return "ERR The user executing the script can't run this command or subcommand"
	case acl.DeniedKey:
		return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
	case acl.DeniedChannel:
		return "ERR The user executing the script can't publish to the channel mentioned in the command"
	}
	return ""
}
