package command

import (
	"strings"
)

// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO, with Redis 7.0's
// option checks and error texts.

func clientTracking(c *Ctx) {
	on := false
	switch lower(c.Args[2]) {
	case "on":
		on = true
	case "off":
	default:
		c.Err(ErrSyntax)
		return
	}
	st := &trackingState{}
	for i := 3; i < len(c.Args); i++ {
		switch opt := lower(c.Args[i]); {
		case opt == "redirect" && i+1 < len(c.Args):
			id, ok := parseInt(c.Args[i+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if id != c.Client.ID && c.Env.Clients.Get(id) == nil {
				c.Err("ERR The client ID you want redirect to does not exist")
				return
			}
			st.redirect = id
			i++
		case opt == "bcast":
			st.bcast = true
		case opt == "optin":
			st.optin = true
		case opt == "optout":
			st.optout = true
		case opt == "noloop":
			st.noloop = true
		case opt == "prefix" && i+1 < len(c.Args):
			st.prefixes = append(st.prefixes, string(c.Args[i+1]))
			i++
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	cl := c.Client
	old := cl.tracking
	if !on {
		c.Env.dropTracking(cl)
		c.W.OK()
		return
	}
	if len(st.prefixes) > 0 && !st.bcast {
		c.Err("ERR PREFIX option requires BCAST mode to be enabled")
		return
	}
	if old != nil && old.bcast != st.bcast {
		c.Err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	}
	if st.bcast && (st.optin || st.optout) {
		c.Err("ERR OPTIN and OPTOUT are not compatible with BCAST")
		return
	}
	if st.optin && st.optout {
		c.Err("ERR You can't specify both OPTIN mode and OPTOUT mode")
		return
	}
	if old != nil && (st.optin && old.optout || st.optout && old.optin) {
		c.Err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	}
	if st.bcast {
		var existing []string
		if old != nil {
			existing = old.prefixes
		}
		if msg := prefixCollision(existing, st.prefixes); msg != "" {
			c.Err(msg)
			return
		}
		// Prefixes add up across CLIENT TRACKING ON calls; BCAST with no
		// prefix at all is the empty prefix, every key.
		merged := append([]string(nil), existing...)
		merged = append(merged, st.prefixes...)
		if len(merged) == 0 {
			merged = []string{""}
		}
		st.prefixes = merged
	}
	if old != nil {
		st.caching = old.caching
		c.Env.Tracking.disable(cl.ID, old)
	} else {
		c.Env.Tracking.active.Add(1)
	}
	cl.trackingBroken.Store(false)
	cl.tracking = st
	cl.trackingShared.Store(st)
	cl.trackingOn.Store(true)
	c.Env.Tracking.enable(cl.ID, st)
	c.W.OK()
}

// prefixCollision checks new BCAST prefixes against the client's
// existing ones and each other: one may not be a prefix of another.
func prefixCollision(existing, added []string) string {
	const tail = ". Prefixes for a single client must not overlap."
	for i, p := range added {
		for _, q := range existing {
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + q + "'" + tail
			}
		}
		for _, q := range added[i+1:] {
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'" + tail
			}
		}
	}
	return ""
}

func clientCaching(c *Ctx) {
	st := c.Client.tracking
	if st == nil || (!st.optin && !st.optout) {
		c.Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch lower(c.Args[2]) {
	case "yes":
		if !st.optin {
			c.Err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
		st.caching = 2 // survives this command; the next read consumes it
	case "no":
		if !st.optout {
			c.Err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
		st.caching = -2
	default:
		c.Err(ErrSyntax)
		return
	}
	c.W.OK()
}

func clientGetRedir(c *Ctx) {
	st := c.Client.tracking
	switch {
	case st == nil:
		c.W.Int(-1)
	default:
		c.W.Int(st.redirect)
	}
}

func clientTrackingInfo(c *Ctx) {
	st := c.Client.tracking
	var flags []string
	redirect := int64(-1)
	var prefixes []string
	if st == nil {
		flags = []string{"off"}
	} else {
		flags = []string{"on"}
		if st.bcast {
			flags = append(flags, "bcast")
		}
		if st.optin {
			flags = append(flags, "optin")
			if st.caching > 0 {
				flags = append(flags, "caching-yes")
			}
		}
		if st.optout {
			flags = append(flags, "optout")
			if st.caching < 0 {
				flags = append(flags, "caching-no")
			}
		}
		if st.noloop {
			flags = append(flags, "noloop")
		}
		if st.redirect != 0 {
			redirect = st.redirect
			if c.Client.trackingBroken.Load() {
				flags = append(flags, "broken_redirect")
			}
		} else {
			redirect = 0
		}
		prefixes = st.prefixes
	}
	w := c.W
	w.Map(3)
	w.BulkString("flags")
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	w.Int(redirect)
	w.BulkString("prefixes")
	w.Array(len(prefixes))
	for _, p := range prefixes {
		w.BulkString(p)
	}
}

// dropTracking turns tracking off for a client that leaves.
func (e *Env) dropTracking(cl *Client) {
	if cl.tracking != nil {
		e.Tracking.disable(cl.ID, cl.tracking)
		e.Tracking.active.Add(-1)
		cl.tracking = nil
		cl.trackingShared.Store(nil)
		cl.trackingOn.Store(false)
		cl.trackingBroken.Store(false)
	}
}
