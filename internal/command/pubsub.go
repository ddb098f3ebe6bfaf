package command

import (
	"github.com/damselfly-db/damselfly/internal/pubsub"
	"github.com/damselfly-db/damselfly/internal/resp"
)

// subState is a client's subscriptions.
type subState struct {
	sub      *pubsub.Subscriber
	channels map[string]struct{}
	patterns map[string]struct{}
	shard    map[string]struct{}
}

func registerPubSub(t *Table) {
	ps := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags | PubSub | Loading | Stale | NoLock, Group: "pubsub", Since: since, Summary: summary, Handler: h}
	}
	t.add(
		ps("subscribe", -2, NoScript, func(c *Ctx) { subscribe(c, pubsub.Channel) }, "2.0.0", "Listens for messages published to channels."),
		ps("psubscribe", -2, NoScript, func(c *Ctx) { subscribe(c, pubsub.Pattern) }, "2.0.0", "Listens for messages published to channels that match one or more patterns."),
		ps("ssubscribe", -2, NoScript, func(c *Ctx) { subscribe(c, pubsub.ShardChannel) }, "7.0.0", "Listens for messages published to shard channels."),
		ps("unsubscribe", -1, NoScript, func(c *Ctx) { unsubscribe(c, pubsub.Channel) }, "2.0.0", "Stops listening to messages posted to channels."),
		ps("punsubscribe", -1, NoScript, func(c *Ctx) { unsubscribe(c, pubsub.Pattern) }, "2.0.0", "Stops listening to messages published to channels that match one or more patterns."),
		ps("sunsubscribe", -1, NoScript, func(c *Ctx) { unsubscribe(c, pubsub.ShardChannel) }, "7.0.0", "Stops listening to messages posted to shard channels."),
		ps("publish", 3, Fast, cmdPublish, "2.0.0", "Posts a message to a channel."),
		ps("spublish", 3, Fast, cmdSPublish, "7.0.0", "Post a message to a shard channel"),
		&Spec{Name: "pubsub", Arity: -2, Flags: NoLock, Group: "pubsub", Since: "2.8.0", Summary: "A container for Pub/Sub commands.",
			Subcommands: []*Spec{
				{Name: "channels", Arity: -2, Flags: PubSub | Loading | Stale, Summary: "Returns the active channels.", Handler: func(c *Ctx) { pubsubNames(c, pubsub.Channel) }},
				{Name: "shardchannels", Arity: -2, Flags: PubSub | Loading | Stale, Summary: "Returns the active shard channels.", Handler: func(c *Ctx) { pubsubNames(c, pubsub.ShardChannel) }},
				{Name: "numsub", Arity: -2, Flags: PubSub | Loading | Stale, Summary: "Returns a count of subscribers to channels.", Handler: func(c *Ctx) { pubsubNumSub(c, pubsub.Channel) }},
				{Name: "shardnumsub", Arity: -2, Flags: PubSub | Loading | Stale, Summary: "Returns the count of subscribers of shard channels.", Handler: func(c *Ctx) { pubsubNumSub(c, pubsub.ShardChannel) }},
				{Name: "numpat", Arity: 2, Flags: PubSub | Loading | Stale, Summary: "Returns a count of unique pattern subscriptions.", Handler: func(c *Ctx) { c.W.Int(int64(c.Env.PubSub.Len(pubsub.Pattern))) }},
				{Name: "help", Arity: 2, Summary: "Returns helpful text about the different subcommands.", Handler: pubsubHelp},
			},
			Handler: func(c *Ctx) { runSub(c) }},
	)
}

func (st *subState) set(k pubsub.Kind) map[string]struct{} {
	switch k {
	case pubsub.Pattern:
		return st.patterns
	case pubsub.ShardChannel:
		return st.shard
	}
	return st.channels
}

// count is what Redis reports in (un)subscribe confirmations: channels plus
// patterns, or shard channels for the S-variants.
func (st *subState) count(k pubsub.Kind) int {
	if k == pubsub.ShardChannel {
		return len(st.shard)
	}
	return len(st.channels) + len(st.patterns)
}

func (st *subState) total() int { return len(st.channels) + len(st.patterns) + len(st.shard) }

var confirmNames = [...][2]string{
	pubsub.Channel:      {"subscribe", "unsubscribe"},
	pubsub.Pattern:      {"psubscribe", "punsubscribe"},
	pubsub.ShardChannel: {"ssubscribe", "sunsubscribe"},
}

// subs returns the client's subscription state, creating it.
func (c *Ctx) subs() *subState {
	cl := c.Client
	if cl.ps == nil {
		push := cl.Push
		if push == nil {
			push = func([]byte) {}
		}
		cl.ps = &subState{
			sub:      &pubsub.Subscriber{Proto: cl.Proto, Send: push, Queue: cl.PushQueue, Wake: cl.PushWake},
			channels: map[string]struct{}{},
			patterns: map[string]struct{}{},
			shard:    map[string]struct{}{},
		}
		cl.subscriber.Store(cl.ps.sub)
	}
	return cl.ps
}

func confirmation(proto int, kind string, name []byte, null bool, n int) []byte {
	w := resp.Writer{Proto: proto}
	w.Push(3)
	w.BulkString(kind)
	if null {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(int64(n))
	return w.Buf
}

func subscribe(c *Ctx, k pubsub.Kind) {
	// Replies already produced in this batch go out first, then the
	// confirmations travel on the same queue as messages, in order. Inside
	// EXEC they are part of EXEC's reply instead.
	inExec := c.noBlock
	if !inExec && c.Client.Flush != nil {
		c.Client.Flush()
	}
	st := c.subs()
	set := st.set(k)
	for _, name := range c.Args[1:] {
		_, had := set[string(name)]
		if !had {
			set[string(name)] = struct{}{}
		}
		msg := confirmation(st.sub.Proto, confirmNames[k][0], name, false, st.count(k))
		switch {
		case inExec:
			c.W.Raw(msg)
			if !had {
				c.Env.PubSub.Subscribe(k, string(name), st.sub, nil)
			}
		case had:
			st.sub.Send(msg)
		default:
			c.Env.PubSub.Subscribe(k, string(name), st.sub, msg)
		}
	}
	c.Client.SetFlag(ClientPubSub, true)
	st.publishCounts(c.Client)
}

// publishCounts makes the subscription counts visible to CLIENT LIST.
func (st *subState) publishCounts(cl *Client) {
	cl.subCounts[0].Store(int64(len(st.channels)))
	cl.subCounts[1].Store(int64(len(st.patterns)))
	cl.subCounts[2].Store(int64(len(st.shard)))
}

func unsubscribe(c *Ctx, k pubsub.Kind) {
	inExec := c.noBlock
	if !inExec && c.Client.Flush != nil {
		c.Client.Flush()
	}
	send := c.subs().sub.Send
	if inExec {
		send = c.W.Raw
	}
	st := c.subs()
	set := st.set(k)
	names := c.Args[1:]
	if len(names) == 0 {
		for n := range set {
			names = append(names, []byte(n))
		}
		if len(names) == 0 {
			send(confirmation(st.sub.Proto, confirmNames[k][1], nil, true, st.count(k)))
		}
	}
	for _, name := range names {
		if _, had := set[string(name)]; had {
			delete(set, string(name))
			c.Env.PubSub.Unsubscribe(k, string(name), st.sub)
		}
		send(confirmation(st.sub.Proto, confirmNames[k][1], name, false, st.count(k)))
	}
	if st.total() == 0 {
		c.Client.SetFlag(ClientPubSub, false)
	}
	st.publishCounts(c.Client)
}

// dropSubscriptions removes every subscription of a client (disconnect,
// RESET).
func (e *Env) dropSubscriptions(cl *Client) {
	st := cl.ps
	if st == nil {
		return
	}
	for _, k := range []pubsub.Kind{pubsub.Channel, pubsub.Pattern, pubsub.ShardChannel} {
		for n := range st.set(k) {
			e.PubSub.Unsubscribe(k, n, st.sub)
		}
	}
	cl.ps = nil
	cl.subscriber.Store(nil)
	cl.SetFlag(ClientPubSub, false)
	for i := range cl.subCounts {
		cl.subCounts[i].Store(0)
	}
}

// SubscriptionCounts reports a client's channel, pattern and shard
// channel subscriptions (CLIENT LIST sub/psub/ssub).
func (cl *Client) SubscriptionCounts() (int64, int64, int64) {
	return cl.subCounts[0].Load(), cl.subCounts[1].Load(), cl.subCounts[2].Load()
}

func cmdPublish(c *Ctx) {
	c.W.Int(int64(c.Env.PubSub.Publish(c.Args[1], c.Args[2], c.Client.PubBatch)))
}

func cmdSPublish(c *Ctx) {
	c.W.Int(int64(c.Env.PubSub.PublishShard(c.Args[1], c.Args[2], c.Client.PubBatch)))
}

func pubsubNames(c *Ctx, k pubsub.Kind) {
	var pattern []byte
	switch len(c.Args) {
	case 2:
	case 3:
		pattern = c.Args[2]
	default:
		c.WrongArgs()
		return
	}
	names := c.Env.PubSub.Names(k, pattern)
	c.W.Array(len(names))
	for _, n := range names {
		c.W.BulkString(n)
	}
}

func pubsubNumSub(c *Ctx, k pubsub.Kind) {
	names := c.Args[2:]
	if k == pubsub.ShardChannel {
		c.W.Map(len(names))
	} else {
		c.W.Array(2 * len(names))
	}
	for _, n := range names {
		c.W.Bulk(n)
		c.W.Int(int64(c.Env.PubSub.Count(k, string(n))))
	}
}

func pubsubHelp(c *Ctx) {
	lines := []string{
		"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
		"HELP",
		"    Print this help.",
	}
	c.W.Array(len(lines))
	for _, l := range lines {
		c.W.Simple(l)
	}
}
