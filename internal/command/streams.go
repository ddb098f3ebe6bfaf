package command

import (
	"math"
	"time"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/keyspace"
	"github.com/damselfly-db/damselfly/internal/resp"
	"github.com/damselfly-db/damselfly/internal/shard"
	"github.com/damselfly-db/damselfly/internal/value"
)

// The stream family: XADD, XRANGE, XREAD, consumer groups and XINFO, with
// Redis 7.0's replies, errors and checking order (t_stream.c). The data
// structure is value.StreamValue.

func registerStreams(t *Table) {
	x := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: flags, First: 1, Last: 1, Step: 1, Handler: h,
			Group: "stream", Since: since, Summary: summary, Categories: []string{"stream"}}
	}
	sub := func(name string, arity int, flags Flag, h func(*Ctx), since, summary string) *Spec {
		s := &Spec{Name: name, Arity: arity, Flags: flags, Handler: h, Group: "stream", Since: since,
			Summary: summary, Categories: []string{"stream"}}
		if name != "help" {
			s.First, s.Last, s.Step = 2, 2, 1
		}
		return s
	}
	t.add(
		x("xadd", -5, Write|DenyOOM|Fast, cmdXAdd, "5.0.0", "Appends a new message to a stream. Creates the key if it doesn't exist."),
		x("xlen", 2, ReadOnly|Fast, cmdXLen, "5.0.0", "Return the number of messages in a stream."),
		x("xrange", -4, ReadOnly, func(c *Ctx) { xrange(c, false) }, "5.0.0", "Returns the messages from a stream within a range of IDs."),
		x("xrevrange", -4, ReadOnly, func(c *Ctx) { xrange(c, true) }, "5.0.0", "Returns the messages from a stream within a range of IDs in reverse order."),
		x("xdel", -3, Write|Fast, cmdXDel, "5.0.0", "Returns the number of messages after removing them from a stream."),
		x("xtrim", -4, Write, cmdXTrim, "5.0.0", "Deletes messages from the beginning of a stream."),
		&Spec{Name: "xread", Arity: -4, Flags: ReadOnly | Blocking | MovableKeys, KeysFn: xreadKeys,
			Handler: func(c *Ctx) { xread(c, false) }, Group: "stream", Since: "5.0.0",
			Summary: "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", Categories: []string{"stream"}},
		&Spec{Name: "xreadgroup", Arity: -7, Flags: Write | Blocking | MovableKeys, KeysFn: xreadKeys,
			Handler: func(c *Ctx) { xread(c, true) }, Group: "stream", Since: "5.0.0",
			Summary: "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.", Categories: []string{"stream"}},
		x("xack", -4, Write|Fast, cmdXAck, "5.0.0", "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream."),
		x("xpending", -3, ReadOnly, cmdXPending, "5.0.0", "Returns the information and entries from a stream consumer group's pending entries list."),
		x("xclaim", -6, Write|Fast, cmdXClaim, "5.0.0", "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member."),
		x("xautoclaim", -6, Write|Fast, cmdXAutoClaim, "6.2.0", "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member."),
		x("xsetid", -3, Write|DenyOOM|Fast, cmdXSetID, "5.0.0", "An internal command for replicating stream values."),
		&Spec{Name: "xgroup", Arity: -2, Flags: NoLock, Group: "stream", Since: "5.0.0", Summary: "A container for consumer groups commands.",
			Subcommands: []*Spec{
				sub("create", -5, Write|DenyOOM, xgroupCreate, "5.0.0", "Creates a consumer group."),
				sub("destroy", 4, Write, xgroupDestroy, "5.0.0", "Destroys a consumer group."),
				sub("delconsumer", 5, Write, xgroupDelConsumer, "5.0.0", "Deletes a consumer from a consumer group."),
				sub("setid", -5, Write, xgroupSetID, "5.0.0", "Sets the last-delivered ID of a consumer group."),
				sub("createconsumer", 5, Write|DenyOOM, xgroupCreateConsumer, "6.2.0", "Creates a consumer in a consumer group."),
				sub("help", 2, Loading|Stale, xgroupHelp, "5.0.0", "Returns helpful text about the different subcommands."),
			},
			Handler: runStreamSub},
		&Spec{Name: "xinfo", Arity: -2, Flags: NoLock, Group: "stream", Since: "5.0.0", Summary: "A container for stream introspection commands.",
			Subcommands: []*Spec{
				sub("stream", -3, ReadOnly, xinfoStream, "5.0.0", "Returns information about a stream."),
				sub("consumers", 4, ReadOnly, xinfoConsumers, "5.0.0", "Returns a list of the consumers in a consumer group."),
				sub("help", 2, Loading|Stale, xinfoHelp, "5.0.0", "Returns helpful text about the different subcommands."),
				sub("groups", 3, ReadOnly, xinfoGroups, "5.0.0", "Returns a list of the consumer groups of a stream."),
			},
			Handler: runStreamSub},
	)
}

// runStreamSub runs an XGROUP or XINFO subcommand with its key's shard
// held, serving clients blocked on the key before letting go (XGROUP
// DESTROY wakes XREADGROUP readers of the group).
func runStreamSub(c *Ctx) {
	sub := c.Spec.Sub(c.Args[1])
	if sub == nil || !arityOK(sub.Arity, len(c.Args)) || sub.First == 0 {
		runSub(c)
		return
	}
	sh := c.ShardOf(c.Args[2])
	took := c.lock(sh)
	c.Env.beforeWrite(c, sub)
	sub.Handler(c)
	// What the dispatcher does for keyed commands: WATCH versions and
	// client-side caching invalidations for writes, tracking for reads.
	if sub.Has(Write) {
		c.Env.keysChanged(c, sub)
	} else if c.Client.tracking != nil {
		c.Env.trackRead(c, sub)
	}
	if took && sh.HasReady() {
		var set shard.Set
		set.Add(c.Env.Store.Of(c.Args[2]))
		c.Env.serveReady(&set, c.Now)
	}
	sh.Release(took)
}

// xreadKeys finds XREAD's and XREADGROUP's keys: the first half of the
// arguments after STREAMS, as Redis's xreadGetKeys does.
func xreadKeys(args [][]byte) []int {
	pos := -1
	for i := 1; i < len(args); i++ {
		switch lower(args[i]) {
		case "block", "count":
			i++
			continue
		case "group":
			i += 2
			continue
		case "noack":
			continue
		case "streams":
			pos = i
		}
		break
	}
	n := len(args) - pos - 1
	if pos < 0 || n == 0 || n%2 != 0 {
		return nil
	}
	keys := make([]int, n/2)
	for i := range keys {
		keys[i] = pos + 1 + i
	}
	return keys
}

// Error texts of the stream commands.
const (
	errStreamID        = "ERR Invalid stream ID specified as stream command argument"
	errXAddSmallID     = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errXAddZeroID      = "ERR The ID specified in XADD must be greater than 0-0"
	errXAddExhausted   = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errXAddTooLarge    = "ERR Elements are too large to be stored"
	errXGroupNeedsKey  = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errBusyGroup       = "BUSYGROUP Consumer Group name already exists"
	errXReadUnbalanced = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	errNoGroupBlocked  = "NOGROUP the consumer group this client was blocked on no longer exists"
	errStreamGone      = "UNBLOCKED the stream key no longer exists"
)

// streamLookup reads key as a stream for reading (counting a hit or a
// miss). s is nil when the key does not exist; ok is false when WRONGTYPE
// was replied.
func (c *Ctx) streamLookup(key []byte) (db *keyspace.DB, r keyspace.Ref, s *value.StreamValue, ok bool) {
	db, r, found := c.Lookup(key)
	if !found {
		return db, r, nil, true
	}
	if db.Kind(r) != value.Stream {
		c.Err(ErrWrongType)
		return db, r, nil, false
	}
	return db, r, db.Obj(r).(*value.StreamValue), true
}

// streamLookupWrite is streamLookup for a write (no hit/miss counting).
func (c *Ctx) streamLookupWrite(key []byte) (db *keyspace.DB, r keyspace.Ref, s *value.StreamValue, ok bool) {
	db, r, found := c.LookupWrite(key)
	if !found {
		return db, r, nil, true
	}
	if db.Kind(r) != value.Stream {
		c.Err(ErrWrongType)
		return db, r, nil, false
	}
	return db, r, db.Obj(r).(*value.StreamValue), true
}

// streamChanged accounts for a change to s (stored at r): its new size
// and a new version for WATCH.
func streamChanged(db *keyspace.DB, r keyspace.Ref, s *value.StreamValue, before int) {
	db.Resized(s.Size() - before)
	db.Touch(r)
}

func (c *Ctx) streamLimits() value.StreamLimits {
	return value.StreamLimits{
		MaxBytes:   c.Env.Config.StreamNodeMaxBytes.Get(),
		MaxEntries: c.Env.Config.StreamNodeMaxEntries.Get(),
	}
}

// parseStrictID parses an ID where "-" and "+" are not allowed, replying
// with the error when it is invalid.
func (c *Ctx) parseStrictID(b []byte, missingSeq uint64) (value.StreamID, bool) {
	id, _, ok := value.ParseStreamID(b, missingSeq, true, false)
	if !ok {
		c.Err(errStreamID)
	}
	return id, ok
}

// parseRangeID parses one end of an interval: "-", "+", an incomplete ID
// (missingSeq completes it), or an exclusive "(" ID. exclusive IDs are
// moved inwards (start up, end down), with Redis's error at the limits.
func (c *Ctx) parseRangeID(b []byte, missingSeq uint64, isStart bool) (value.StreamID, bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok := c.parseStrictID(b[1:], missingSeq)
		if !ok {
			return id, false
		}
		if isStart {
			if id, ok = id.Next(); !ok {
				c.Err("ERR invalid start ID for the interval")
			}
		} else if id, ok = id.Prev(); !ok {
			c.Err("ERR invalid end ID for the interval")
		}
		return id, ok
	}
	id, _, ok := value.ParseStreamID(b, missingSeq, false, false)
	if !ok {
		c.Err(errStreamID)
	}
	return id, ok
}

// writeStreamEntry writes [id, [field, value, ...]].
func writeStreamEntry(w *resp.Writer, e value.StreamEntry, fv *[][]byte) {
	w.Array(2)
	writeStreamID(w, e.ID())
	*fv = e.Fields((*fv)[:0])
	w.Array(len(*fv))
	for _, b := range *fv {
		w.Bulk(b)
	}
}

func writeStreamID(w *resp.Writer, id value.StreamID) {
	var buf [48]byte
	w.Bulk(id.AppendTo(buf[:0]))
}

// writeStreamRange writes the entries from start to end (descending when
// rev), at most count of them when count > 0, and returns how many.
func writeStreamRange(w *resp.Writer, s *value.StreamValue, start, end value.StreamID, rev bool, count int64) int {
	var entries []value.StreamEntry
	s.Range(start, end, rev, func(e value.StreamEntry) bool {
		entries = append(entries, e)
		return count <= 0 || int64(len(entries)) < count
	})
	w.Array(len(entries))
	var fv [][]byte
	for _, e := range entries {
		writeStreamEntry(w, e, &fv)
	}
	return len(entries)
}

// trimSpec is what XADD and XTRIM parsed.
type trimSpec struct {
	value.StreamTrimArgs
	strategy   bool // MAXLEN or MINID given
	limitGiven bool
	noMkStream bool
	idGiven    bool
	seqGiven   bool
	id         value.StreamID
}

// parseAddOrTrim reads XADD's or XTRIM's options from argument 2 on, as
// Redis's streamParseAddOrTrimArgsOrReply. For XADD it returns the index
// of the ID argument.
func (c *Ctx) parseAddOrTrim(xadd bool) (t trimSpec, idpos int, ok bool) {
	args := c.Args
	i := 2
	var limit int64
loop:
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			break loop
		case more > 0 && (streamOpt(opt, "maxlen") || streamOpt(opt, "minid")):
			if t.strategy {
				c.Err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return t, 0, false
			}
			byID := streamOpt(opt, "minid")
			t.Approx = false
			next := args[i+1]
			if more >= 2 && len(next) == 1 && next[0] == '~' {
				t.Approx = true
				i++
			} else if more >= 2 && len(next) == 1 && next[0] == '=' {
				i++
			}
			if byID {
				id, ok := c.parseStrictID(args[i+1], 0)
				if !ok {
					return t, 0, false
				}
				t.MinID = id
			} else {
				n, ok := parseInt(args[i+1])
				if !ok {
					c.Err(ErrNotInt)
					return t, 0, false
				}
				if n < 0 {
					c.Err("ERR The MAXLEN argument must be >= 0.")
					return t, 0, false
				}
				t.MaxLen = uint64(n)
			}
			i++
			t.strategy, t.ByID = true, byID
		case more > 0 && streamOpt(opt, "limit"):
			n, ok := parseInt(args[i+1])
			if !ok {
				c.Err(ErrNotInt)
				return t, 0, false
			}
			if n < 0 {
				c.Err("ERR The LIMIT argument must be >= 0.")
				return t, 0, false
			}
			limit, t.limitGiven = n, true
			i++
		case xadd && streamOpt(opt, "nomkstream"):
			t.noMkStream = true
		case xadd:
			id, seqGiven, ok := value.ParseStreamID(opt, 0, true, true)
			if !ok {
				c.Err(errStreamID)
				return t, 0, false
			}
			t.id, t.seqGiven, t.idGiven = id, seqGiven, true
			break loop
		default:
			c.Err(ErrSyntax)
			return t, 0, false
		}
	}
	if limit != 0 && !t.strategy {
		c.Err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return t, 0, false
	}
	if !xadd && !t.strategy {
		c.Err("ERR syntax error, XTRIM must be called with a trimming strategy")
		return t, 0, false
	}
	switch {
	case t.limitGiven:
		if !t.Approx {
			c.Err("ERR syntax error, LIMIT cannot be used without the special ~ option")
			return t, 0, false
		}
		t.Limit = limit
	case t.Approx:
		// At most 100 nodes' worth of work, as Redis caps it.
		me := c.Env.Config.StreamNodeMaxEntries.Get()
		switch {
		case me <= 0:
			t.Limit = 10000
		case me > 10000:
			t.Limit = 1000000
		default:
			t.Limit = 100 * me
		}
	default:
		t.Limit = 0
	}
	return t, i, true
}

func streamOpt(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x := b[i]
		if x >= 'A' && x <= 'Z' {
			x += 32
		}
		if x != s[i] {
			return false
		}
	}
	return true
}

func cmdXAdd(c *Ctx) {
	t, idpos, ok := c.parseAddOrTrim(true)
	if !ok {
		return
	}
	fieldPos := idpos + 1
	if n := len(c.Args) - fieldPos; n < 2 || n%2 == 1 {
		c.WrongArgs()
		return
	}
	if t.idGiven && t.seqGiven && t.id.IsZero() {
		c.Err(errXAddZeroID)
		return
	}
	key := c.Args[1]
	db, r, s, ok := c.streamLookupWrite(key)
	if !ok {
		return
	}
	existed := s != nil
	if s == nil {
		if t.noMkStream {
			c.W.Null()
			return
		}
		s = value.NewStream()
		r = db.SetObject(key, s, false)
	}
	before := s.Size()
	last := s.LastID()
	if last == value.MaxStreamID {
		c.Err(errXAddExhausted)
		return
	}
	var id value.StreamID
	switch {
	case t.idGiven && t.seqGiven:
		id = t.id
	case t.idGiven:
		if last.Ms == t.id.Ms {
			if last.Seq == math.MaxUint64 {
				// Redis reports this with a stale errno.
				c.Err(errXAddTooLarge)
				return
			}
			id = value.StreamID{Ms: last.Ms, Seq: last.Seq + 1}
		} else {
			id = value.StreamID{Ms: t.id.Ms}
		}
	default:
		id, _ = s.NextID(uint64(c.Now))
	}
	if !last.Less(id) {
		c.Err(errXAddSmallID)
		return
	}
	fv := c.Args[fieldPos:]
	total := 0
	for _, b := range fv {
		total += len(b)
	}
	if total > 1<<30 {
		c.Err(errXAddTooLarge)
		return
	}
	s.Append(id, fv, c.streamLimits())
	writeStreamID(c.W, id)
	c.Notify(config.EventStream, "xadd", key)
	if t.strategy && s.Trim(t.StreamTrimArgs) > 0 {
		c.Notify(config.EventStream, "xtrim", key)
	}
	streamChanged(db, r, s, before)
	if existed {
		c.ShardOf(key).MarkReady(c.Client.DB, string(key))
	}
}

func cmdXTrim(c *Ctx) {
	t, _, ok := c.parseAddOrTrim(false)
	if !ok {
		return
	}
	db, r, s, ok := c.streamLookupWrite(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	before := s.Size()
	n := s.Trim(t.StreamTrimArgs)
	if n > 0 {
		streamChanged(db, r, s, before)
		c.Notify(config.EventStream, "xtrim", c.Args[1])
	}
	c.W.Int(n)
}

func cmdXLen(c *Ctx) {
	_, _, s, ok := c.streamLookup(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Len()))
}

func xrange(c *Ctx, rev bool) {
	startArg, endArg := c.Args[2], c.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := c.parseRangeID(startArg, 0, true)
	if !ok {
		return
	}
	end, ok := c.parseRangeID(endArg, math.MaxUint64, false)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if streamOpt(c.Args[j], "count") && j+1 < len(c.Args) {
			n, ok := parseInt(c.Args[j+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if n < 0 {
				n = 0
			}
			count = n
			j++
			continue
		}
		c.Err(ErrSyntax)
		return
	}
	_, _, s, ok := c.streamLookup(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Array(0)
		return
	}
	if count == 0 {
		c.W.NullArray()
		return
	}
	writeStreamRange(c.W, s, start, end, rev, count)
}

func cmdXDel(c *Ctx) {
	db, r, s, ok := c.streamLookupWrite(c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	ids := make([]value.StreamID, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		id, ok := c.parseStrictID(a, 0)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	before := s.Size()
	n := s.DeleteIDs(ids)
	if n > 0 {
		streamChanged(db, r, s, before)
		c.Notify(config.EventStream, "xdel", c.Args[1])
	}
	c.W.Int(int64(n))
}

// blockTimeoutMs parses XREAD's BLOCK argument (milliseconds) as Redis 7.0
// does. A timeout longer than a time.Duration holds (about 292 years)
// waits for ever, as does one whose deadline overflows Redis's clock.
func (c *Ctx) blockTimeoutMs(arg []byte) (time.Duration, bool) {
	n, ok := parseInt(arg)
	if !ok {
		c.Err("ERR timeout is not an integer or out of range")
		return 0, false
	}
	if n < 0 {
		c.Err(ErrTimeoutNeg)
		return 0, false
	}
	if n > maxBlockTimeout {
		return 0, true
	}
	return time.Duration(n) * time.Millisecond, true
}

// xreadBlockedCount is the COUNT a blocked XREAD without one is served
// with, as in Redis.
const xreadBlockedCount = 1000

// xread implements XREAD and XREADGROUP.
func xread(c *Ctx, isGroup bool) {
	args := c.Args
	block := false
	var timeout time.Duration
	var count int64
	streamsArg := 0
	noack := false
	var groupName, consumerName []byte
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case streamOpt(o, "block") && more > 0:
			if c.inScript {
				c.Err("ERR " + cString(args[0]) + " command is not allowed with BLOCK option from scripts")
				return
			}
			i++
			d, ok := c.blockTimeoutMs(args[i])
			if !ok {
				return
			}
			block, timeout = true, d
		case streamOpt(o, "count") && more > 0:
			i++
			n, ok := parseInt(args[i])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if n < 0 {
				n = 0
			}
			count = n
		case streamOpt(o, "streams") && more > 0:
			streamsArg = i + 1
			if (len(args)-streamsArg)%2 != 0 {
				c.Err(errXReadUnbalanced)
				return
			}
			i = len(args)
		case streamOpt(o, "group") && more >= 2:
			if !isGroup {
				c.Err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			groupName, consumerName = args[i+1], args[i+2]
			i += 2
		case streamOpt(o, "noack"):
			if !isGroup {
				c.Err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			noack = true
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	if streamsArg == 0 {
		c.Err(ErrSyntax)
		return
	}
	if isGroup && groupName == nil {
		c.Err("ERR Missing GROUP option for XREADGROUP")
		return
	}
	n := (len(args) - streamsArg) / 2
	keys := args[streamsArg : streamsArg+n]
	if c.retrying {
		xreadServeBlocked(c, keys, args[streamsArg+n:], isGroup, groupName, consumerName, count, noack)
		return
	}

	ids := make([]value.StreamID, n)
	groups := make([]*value.ConsumerGroup, n)
	var resolved []int // arguments "$" and "+" stood for, to store if blocking
	for k := 0; k < n; k++ {
		key, idArg := keys[k], args[streamsArg+n+k]
		_, _, s, ok := c.streamLookup(key)
		if !ok {
			return
		}
		if isGroup {
			var g *value.ConsumerGroup
			if s != nil {
				g = s.Group(groupName)
			}
			if g == nil {
				c.Err("NOGROUP No such key '" + string(key) + "' or consumer group '" + string(groupName) + "' in XREADGROUP with GROUP option")
				return
			}
			groups[k] = g
		}
		switch {
		case len(idArg) == 1 && idArg[0] == '$':
			if isGroup {
				c.Err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			if s != nil {
				ids[k] = s.LastID()
			}
			resolved = append(resolved, k)
		case len(idArg) == 1 && idArg[0] == '+' && !isGroup:
			// Redis 7.4's XREAD "+": the last entry of the stream
			// (Damselfly reports 7.4; Redis 7.0 rejects the ID).
			if s != nil {
				if ids[k], ok = s.LastID().Prev(); !ok {
					c.Err("ERR the stream last element ID is 0-0")
					return
				}
			}
			resolved = append(resolved, k)
		case len(idArg) == 1 && idArg[0] == '>':
			if !isGroup {
				c.Err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			ids[k] = value.MaxStreamID
		default:
			id, ok := c.parseStrictID(idArg, 0)
			if !ok {
				return
			}
			ids[k] = id
		}
	}

	// Serve what can be served now. Each key is checked after the previous
	// one was served (the same group may appear twice), so the replies are
	// collected first and counted.
	var out resp.Writer
	out.Proto = c.W.Proto
	served := 0
	for k := 0; k < n; k++ {
		_, _, s, _ := c.streamLookup(keys[k])
		if s == nil {
			continue
		}
		gt := ids[k]
		serve, history := false, false
		if isGroup {
			if gt != value.MaxStreamID {
				serve, history = true, true
			} else if s.Len() > 0 {
				if maxID, _ := s.LastEntryID(); groups[k].LastID.Less(maxID) {
					serve, gt = true, groups[k].LastID
				}
			}
		} else if s.Len() > 0 {
			if maxID, _ := s.LastEntryID(); gt.Less(maxID) {
				serve = true
			}
		}
		if !serve {
			continue
		}
		served++
		if c.W.Proto < 3 {
			out.Array(2)
		}
		out.Bulk(keys[k])
		start, _ := gt.Next()
		if isGroup {
			db, r, _ := c.LookupWrite(keys[k])
			before := s.Size()
			cons := c.streamConsumer(groups[k], consumerName, keys[k])
			if history {
				writeConsumerHistory(&out, s, cons, start, count, c.Now)
			} else {
				writeGroupDelivery(&out, s, groups[k], cons, start, count, noack, c.Now)
			}
			streamChanged(db, r, s, before)
		} else {
			writeStreamRange(&out, s, start, value.MaxStreamID, false, count)
		}
	}
	if served > 0 {
		if c.W.Proto < 3 {
			c.W.Array(served)
		} else {
			c.W.Map(served)
		}
		c.W.Raw(out.Buf)
		return
	}
	if !block || !c.CanBlock() {
		c.W.NullArray()
		return
	}
	var uniq [][]byte
	for _, k := range keys {
		dup := false
		for _, u := range uniq {
			if string(u) == string(k) {
				dup = true
				break
			}
		}
		if !dup {
			uniq = append(uniq, k)
		}
	}
	c.Block(uniq, timeout)
	var buf [48]byte
	for _, k := range resolved {
		c.SetBlockedArg(streamsArg+n+k, ids[k].AppendTo(buf[:0]))
	}
}

// xreadServeBlocked is XREAD/XREADGROUP retried for a blocked client, with
// Redis 7.0's rules (serveClientsBlockedOnStreamKey): the key that woke
// the client is served alone, as soon as its last ID passes the ID the
// client waits for (for a group, the group's last delivered ID); an
// XREADGROUP client whose key or group went away gets an error.
func xreadServeBlocked(c *Ctx, keys, idArgs [][]byte, isGroup bool, groupName, consumerName []byte, count int64, noack bool) {
	if count == 0 {
		count = xreadBlockedCount
	}
	for k, key := range keys {
		if c.hasWokeKey && string(key) != c.wokeKey {
			continue
		}
		db := c.DB(key)
		r, found := db.Find(key)
		if !found || db.Kind(r) != value.Stream {
			if isGroup && c.hasWokeKey {
				c.Err(errStreamGone)
				return
			}
			continue
		}
		s := db.Obj(r).(*value.StreamValue)
		var gt value.StreamID
		var g *value.ConsumerGroup
		if isGroup {
			if g = s.Group(groupName); g == nil {
				c.Err(errNoGroupBlocked)
				return
			}
			gt = g.LastID
		} else {
			id, _, ok := value.ParseStreamID(idArgs[k], 0, true, false)
			if !ok {
				continue
			}
			gt = id
		}
		if !gt.Less(s.LastID()) {
			if c.hasWokeKey {
				break
			}
			continue
		}
		start, _ := gt.Next()
		if c.W.Proto < 3 {
			c.W.Array(1)
			c.W.Array(2)
		} else {
			c.W.Map(1)
		}
		c.W.Bulk(key)
		if isGroup {
			before := s.Size()
			cons := c.streamConsumer(g, consumerName, key)
			writeGroupDelivery(c.W, s, g, cons, start, count, noack, c.Now)
			streamChanged(db, r, s, before)
		} else {
			writeStreamRange(c.W, s, start, value.MaxStreamID, false, count)
		}
		return
	}
	// Stream readers do not consume what they read: the pusher goes on to
	// the key's other waiters after this one, even when the key is gone
	// (its XREADGROUP readers are answered with an error).
	c.Block(nil, 0)
}

// streamConsumer looks a consumer up, refreshing its seen time, or
// creates it (with its keyspace event).
func (c *Ctx) streamConsumer(g *value.ConsumerGroup, name, key []byte) *value.Consumer {
	cons, created := g.LookupOrCreateConsumer(name, c.Now)
	if created {
		c.Notify(config.EventStream, "xgroup-createconsumer", key)
	}
	return cons
}

// writeGroupDelivery writes the entries after start (at most count when
// count > 0) and delivers them to consumer cons of group g.
func writeGroupDelivery(w *resp.Writer, s *value.StreamValue, g *value.ConsumerGroup, cons *value.Consumer, start value.StreamID, count int64, noack bool, now int64) {
	var ids []value.StreamID
	var entries []value.StreamEntry
	s.Range(start, value.MaxStreamID, false, func(e value.StreamEntry) bool {
		entries = append(entries, e)
		ids = append(ids, e.ID())
		return count <= 0 || int64(len(entries)) < count
	})
	w.Array(len(entries))
	var fv [][]byte
	for i, e := range entries {
		writeStreamEntry(w, e, &fv)
		s.Deliver(g, ids[i], cons, noack, now)
	}
}

// writeConsumerHistory writes the consumer's pending entries from start
// (Redis's streamReplyWithRangeFromConsumerPEL): an entry deleted since
// delivery shows as [id, nil]; the others count as delivered again.
func writeConsumerHistory(w *resp.Writer, s *value.StreamValue, cons *value.Consumer, start value.StreamID, count int64, now int64) {
	type item struct {
		id value.StreamID
		pe *value.PendingEntry
	}
	var items []item
	cons.PEL().Ascend(start, func(id value.StreamID, pe *value.PendingEntry) bool {
		if count > 0 && int64(len(items)) >= count {
			return false
		}
		items = append(items, item{id, pe})
		return true
	})
	w.Array(len(items))
	var fv [][]byte
	for _, it := range items {
		e, ok := s.Get(it.id)
		if !ok {
			w.Array(2)
			writeStreamID(w, it.id)
			w.NullArray()
			continue
		}
		writeStreamEntry(w, e, &fv)
		it.pe.DeliveryTime = now
		it.pe.DeliveryCount++
	}
}

func cmdXAck(c *Ctx) {
	db, r, s, ok := c.streamLookup(c.Args[1])
	if !ok {
		return
	}
	var g *value.ConsumerGroup
	if s != nil {
		g = s.Group(c.Args[2])
	}
	if g == nil {
		c.W.Int(0)
		return
	}
	ids := make([]value.StreamID, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		id, ok := c.parseStrictID(a, 0)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	before := s.Size()
	n := 0
	for _, id := range ids {
		if g.Ack(id) {
			n++
		}
	}
	if n > 0 {
		streamChanged(db, r, s, before)
	}
	c.W.Int(int64(n))
}

func errNoKeyOrGroup(key, group []byte) string {
	return "NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "'"
}

func cmdXPending(c *Ctx) {
	args := c.Args
	n := len(args)
	if n != 3 && (n < 6 || n > 9) {
		c.Err(ErrSyntax)
		return
	}
	var start, end value.StreamID
	var count, minIdle int64
	var consumerName []byte
	if n >= 6 {
		si := 3
		if streamOpt(args[3], "idle") {
			v, ok := c.intArg(4)
			if !ok {
				return
			}
			minIdle = v
			if n < 8 {
				c.Err(ErrSyntax)
				return
			}
			si += 2
		}
		v, ok := c.intArg(si + 2)
		if !ok {
			return
		}
		if v < 0 {
			v = 0
		}
		count = v
		if start, ok = c.parseRangeID(args[si], 0, true); !ok {
			return
		}
		if end, ok = c.parseRangeID(args[si+1], math.MaxUint64, false); !ok {
			return
		}
		if si+3 < n {
			consumerName = args[si+3]
		}
	}
	_, _, s, ok := c.streamLookup(args[1])
	if !ok {
		return
	}
	var g *value.ConsumerGroup
	if s != nil {
		g = s.Group(args[2])
	}
	if g == nil {
		c.Err(errNoKeyOrGroup(args[1], args[2]))
		return
	}
	if n == 3 {
		pel := g.PEL()
		c.W.Array(4)
		c.W.Int(int64(pel.Len()))
		if pel.Len() == 0 {
			c.W.Null()
			c.W.Null()
			c.W.NullArray()
			return
		}
		first, _ := pel.First()
		last, _ := pel.Last()
		writeStreamID(c.W, first)
		writeStreamID(c.W, last)
		var with []*value.Consumer
		for _, cons := range g.Consumers() {
			if cons.PEL().Len() > 0 {
				with = append(with, cons)
			}
		}
		c.W.Array(len(with))
		for _, cons := range with {
			c.W.Array(2)
			c.W.BulkString(cons.Name())
			c.W.BulkInt(int64(cons.PEL().Len()))
		}
		return
	}
	pel := g.PEL()
	if consumerName != nil {
		cons := g.Consumer(consumerName)
		if cons == nil {
			c.W.Array(0)
			return
		}
		pel = cons.PEL()
	}
	type item struct {
		id value.StreamID
		pe *value.PendingEntry
	}
	var items []item
	if count > 0 {
		pel.Ascend(start, func(id value.StreamID, pe *value.PendingEntry) bool {
			if end.Less(id) {
				return false
			}
			if minIdle != 0 && c.Now-pe.DeliveryTime < minIdle {
				return true
			}
			items = append(items, item{id, pe})
			return int64(len(items)) < count
		})
	}
	c.W.Array(len(items))
	for _, it := range items {
		c.W.Array(4)
		writeStreamID(c.W, it.id)
		c.W.BulkString(it.pe.Consumer.Name())
		idle := c.Now - it.pe.DeliveryTime
		if idle < 0 {
			idle = 0
		}
		c.W.Int(idle)
		c.W.Int(int64(it.pe.DeliveryCount))
	}
}

func cmdXClaim(c *Ctx) {
	args := c.Args
	db, r, s, ok := c.streamLookup(args[1])
	if !ok {
		return
	}
	var g *value.ConsumerGroup
	if s != nil {
		g = s.Group(args[2])
	}
	if g == nil {
		c.Err(errNoKeyOrGroup(args[1], args[2]))
		return
	}
	minIdle, ok := parseInt(args[4])
	if !ok {
		c.Err("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	if minIdle < 0 {
		minIdle = 0
	}
	var ids []value.StreamID
	j := 5
	for ; j < len(args); j++ {
		id, _, ok := value.ParseStreamID(args[j], 0, true, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.Now
	deliveryTime, retryCount := int64(-1), int64(-1)
	force, justID := false, false
	var lastID value.StreamID
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case streamOpt(opt, "force"):
			force = true
		case streamOpt(opt, "justid"):
			justID = true
		case streamOpt(opt, "idle") && more > 0:
			j++
			v, ok := parseInt(args[j])
			if !ok {
				c.Err("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			deliveryTime = now - v
		case streamOpt(opt, "time") && more > 0:
			j++
			v, ok := parseInt(args[j])
			if !ok {
				c.Err("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			deliveryTime = v
		case streamOpt(opt, "retrycount") && more > 0:
			j++
			v, ok := parseInt(args[j])
			if !ok {
				c.Err("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			retryCount = v
		case streamOpt(opt, "lastid") && more > 0:
			j++
			id, ok := c.parseStrictID(args[j], 0)
			if !ok {
				return
			}
			lastID = id
		default:
			c.Err("ERR Unrecognized XCLAIM option '" + cString(opt) + "'")
			return
		}
	}
	before := s.Size()
	if g.LastID.Less(lastID) {
		g.LastID = lastID
	}
	if deliveryTime != -1 {
		if deliveryTime < 0 || deliveryTime > now {
			deliveryTime = now
		}
	} else {
		deliveryTime = now
	}
	var cons *value.Consumer
	var out resp.Writer
	out.Proto = c.W.Proto
	claimed := 0
	var fv [][]byte
	for _, id := range ids {
		pe := g.PEL().Get(id)
		if !s.Exists(id) {
			if pe != nil {
				g.Ack(id)
			}
			continue
		}
		if force && pe == nil {
			pe = g.AddPending(id, now)
		}
		if pe == nil {
			continue
		}
		if pe.Consumer != nil && minIdle != 0 && now-pe.DeliveryTime < minIdle {
			continue
		}
		if cons == nil {
			cons = c.streamConsumer(g, args[3], args[1])
		}
		g.Transfer(id, pe, cons)
		pe.DeliveryTime = deliveryTime
		if retryCount >= 0 {
			pe.DeliveryCount = uint64(retryCount)
		} else if !justID {
			pe.DeliveryCount++
		}
		if justID {
			writeStreamID(&out, id)
		} else {
			e, _ := s.Get(id)
			writeStreamEntry(&out, e, &fv)
		}
		claimed++
	}
	streamChanged(db, r, s, before)
	c.W.Array(claimed)
	c.W.Raw(out.Buf)
}

func cmdXAutoClaim(c *Ctx) {
	args := c.Args
	minIdle, ok := parseInt(args[4])
	if !ok {
		c.Err("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	if minIdle < 0 {
		minIdle = 0
	}
	start, ok := c.parseRangeID(args[5], 0, true)
	if !ok {
		return
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case streamOpt(args[j], "count") && more > 0:
			v, ok := parseInt(args[j+1])
			if !ok || v < 1 || v > math.MaxInt64/16 {
				c.Err("ERR COUNT must be > 0")
				return
			}
			count = v
			j++
		case streamOpt(args[j], "justid"):
			justID = true
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	db, r, s, ok := c.streamLookup(args[1])
	if !ok {
		return
	}
	var g *value.ConsumerGroup
	if s != nil {
		g = s.Group(args[2])
	}
	if g == nil {
		c.Err(errNoKeyOrGroup(args[1], args[2]))
		return
	}
	if count > (1<<40)/16 {
		// Redis fails to allocate its array of deleted IDs.
		c.Err("ERR Insufficient memory, failed allocating transient memory, COUNT too high.")
		return
	}
	before := s.Size()
	now := c.Now
	attempts := count * 10
	var cons *value.Consumer
	var out resp.Writer
	out.Proto = c.W.Proto
	claimed := 0
	var deleted []value.StreamID
	var fv [][]byte
	cur := start
	var next value.StreamID // the cursor: the PEL entry after the last examined
	exhausted := false
	for {
		if attempts == 0 || count == 0 {
			break
		}
		attempts--
		id, pe, found := g.PEL().Seek(cur)
		if !found {
			exhausted = true
			break
		}
		if nid, ok := id.Next(); ok {
			cur = nid
		} else {
			cur, exhausted = id, true
		}
		if !s.Exists(id) {
			g.Ack(id)
			deleted = append(deleted, id)
			count--
			if exhausted {
				break
			}
			continue
		}
		if minIdle != 0 && now-pe.DeliveryTime < minIdle {
			if exhausted {
				break
			}
			continue
		}
		if cons == nil {
			cons = c.streamConsumer(g, args[3], args[1])
		}
		g.Transfer(id, pe, cons)
		pe.DeliveryTime = now
		if !justID {
			pe.DeliveryCount++
		}
		if justID {
			writeStreamID(&out, id)
		} else {
			e, _ := s.Get(id)
			writeStreamEntry(&out, e, &fv)
		}
		claimed++
		count--
		if exhausted {
			break
		}
	}
	if !exhausted {
		if id, _, found := g.PEL().Seek(cur); found {
			next = id
		}
	}
	streamChanged(db, r, s, before)
	c.W.Array(3)
	writeStreamID(c.W, next)
	c.W.Array(claimed)
	c.W.Raw(out.Buf)
	c.W.Array(len(deleted))
	for _, id := range deleted {
		writeStreamID(c.W, id)
	}
}

func cmdXSetID(c *Ctx) {
	args := c.Args
	id, ok := c.parseStrictID(args[2], 0)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel value.StreamID
	for i := 3; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case streamOpt(args[i], "entriesadded") && more > 0:
			v, ok := parseInt(args[i+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if v < 0 {
				c.Err("ERR entries_added must be positive")
				return
			}
			entriesAdded = v
			i++
		case streamOpt(args[i], "maxdeletedid") && more > 0:
			v, ok := c.parseStrictID(args[i+1], 0)
			if !ok {
				return
			}
			if id.Less(v) {
				c.Err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			maxDel = v
			i++
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	db, r, s, ok := c.streamLookupWrite(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.Err(ErrNoSuchKey)
		return
	}
	if s.Len() > 0 {
		maxID, _ := s.LastEntryID()
		if id.Less(maxID) {
			c.Err("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded != -1 && s.Len() > uint64(entriesAdded) {
			c.Err("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	before := s.Size()
	s.SetLastID(id)
	if entriesAdded != -1 {
		s.SetEntriesAdded(uint64(entriesAdded))
	}
	if !maxDel.IsZero() {
		s.SetMaxDeletedID(maxDel)
	}
	streamChanged(db, r, s, before)
	c.W.OK()
	c.Notify(config.EventStream, "xsetid", args[1])
}

// XGROUP

func upperASCII(s string) string {
	b := []byte(s)
	for i, x := range b {
		if x >= 'a' && x <= 'z' {
			b[i] = x - 32
		}
	}
	return string(b)
}

// xgroupPrologue does what Redis's xgroupCommand does before dispatching:
// it parses CREATE's and SETID's options, looks the key up and, unless
// MKSTREAM, requires the key and (for SETID, CREATECONSUMER and
// DELCONSUMER) the group.
func (c *Ctx) xgroupPrologue(create, setid, needGroup bool) (db *keyspace.DB, r keyspace.Ref, s *value.StreamValue, g *value.ConsumerGroup, mkstream bool, entriesRead int64, ok bool) {
	args := c.Args
	entriesRead = -1
	for i := 5; i < len(args); {
		switch {
		case create && streamOpt(args[i], "mkstream"):
			mkstream = true
			i++
		case (create || setid) && streamOpt(args[i], "entriesread") && i+1 < len(args):
			v, ok := parseInt(args[i+1])
			if !ok {
				c.Err(ErrNotInt)
				return db, r, s, g, mkstream, entriesRead, false
			}
			if v < 0 && v != -1 {
				c.Err("ERR value for ENTRIESREAD must be positive or -1")
				return db, r, s, g, mkstream, entriesRead, false
			}
			entriesRead = v
			i += 2
		default:
			c.subcommandSyntaxError()
			return db, r, s, g, mkstream, entriesRead, false
		}
	}
	db, r, s, ok = c.streamLookupWrite(args[2])
	if !ok {
		return db, r, s, g, mkstream, entriesRead, false
	}
	if !mkstream {
		if s == nil {
			c.Err(errXGroupNeedsKey)
			return db, r, s, g, mkstream, entriesRead, false
		}
		g = s.Group(args[3])
		if g == nil && needGroup {
			c.Err("NOGROUP No such consumer group '" + string(args[3]) + "' for key name '" + string(args[2]) + "'")
			return db, r, s, g, mkstream, entriesRead, false
		}
	}
	return db, r, s, g, mkstream, entriesRead, true
}

func xgroupCreate(c *Ctx) {
	db, r, s, _, _, entriesRead, ok := c.xgroupPrologue(true, false, false)
	if !ok {
		return
	}
	if len(c.Args) > 8 {
		c.subcommandSyntaxError()
		return
	}
	var id value.StreamID
	if a := c.Args[4]; len(a) == 1 && a[0] == '$' {
		if s != nil {
			id = s.LastID()
		}
	} else if id, ok = c.parseStrictID(a, 0); !ok {
		return
	}
	if s == nil {
		s = value.NewStream()
		r = db.SetObject(c.Args[2], s, false)
	}
	before := s.Size()
	if s.CreateGroup(c.Args[3], id, entriesRead) == nil {
		c.Err(errBusyGroup)
		return
	}
	streamChanged(db, r, s, before)
	c.W.OK()
	c.Notify(config.EventStream, "xgroup-create", c.Args[2])
}

func xgroupSetID(c *Ctx) {
	db, r, s, g, _, entriesRead, ok := c.xgroupPrologue(false, true, true)
	if !ok {
		return
	}
	if n := len(c.Args); n != 5 && n != 7 {
		c.subcommandSyntaxError()
		return
	}
	var id value.StreamID
	if a := c.Args[4]; len(a) == 1 && a[0] == '$' {
		id = s.LastID()
	} else if id, _, ok = value.ParseStreamID(a, 0, false, false); !ok {
		c.Err(errStreamID)
		return
	}
	g.LastID = id
	g.EntriesRead = entriesRead
	db.Touch(r)
	c.W.OK()
	c.Notify(config.EventStream, "xgroup-setid", c.Args[2])
}

func xgroupDestroy(c *Ctx) {
	db, r, s, g, _, _, ok := c.xgroupPrologue(false, false, false)
	if !ok {
		return
	}
	if g == nil {
		c.W.Int(0)
		return
	}
	before := s.Size()
	s.DestroyGroup(c.Args[3])
	streamChanged(db, r, s, before)
	c.W.Int(1)
	c.Notify(config.EventStream, "xgroup-destroy", c.Args[2])
	c.ShardOf(c.Args[2]).MarkReady(c.Client.DB, string(c.Args[2]))
}

func xgroupCreateConsumer(c *Ctx) {
	db, r, s, g, _, _, ok := c.xgroupPrologue(false, false, true)
	if !ok {
		return
	}
	before := s.Size()
	if g.CreateConsumer(c.Args[4], c.Now) == nil {
		c.W.Int(0)
		return
	}
	streamChanged(db, r, s, before)
	c.W.Int(1)
	c.Notify(config.EventStream, "xgroup-createconsumer", c.Args[2])
}

func xgroupDelConsumer(c *Ctx) {
	db, r, s, g, _, _, ok := c.xgroupPrologue(false, false, true)
	if !ok {
		return
	}
	cons := g.Consumer(c.Args[4])
	if cons == nil {
		c.W.Int(0)
		return
	}
	before := s.Size()
	n := g.DeleteConsumer(cons)
	streamChanged(db, r, s, before)
	c.W.Int(int64(n))
	c.Notify(config.EventStream, "xgroup-delconsumer", c.Args[2])
}

func xgroupHelp(c *Ctx) {
	writeHelp(c, "XGROUP",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
		"HELP",
		"    Prints this help.",
	)
}

// XINFO

func xinfoHelp(c *Ctx) {
	writeHelp(c, "XINFO",
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.",
		"HELP",
		"    Prints this help.",
	)
}

// xinfoLookup finds XINFO's key: "ERR no such key" when absent.
func (c *Ctx) xinfoLookup() (*value.StreamValue, bool) {
	_, _, s, ok := c.streamLookup(c.Args[2])
	if !ok {
		return nil, false
	}
	if s == nil {
		c.Err(ErrNoSuchKey)
		return nil, false
	}
	return s, true
}

func xinfoConsumers(c *Ctx) {
	s, ok := c.xinfoLookup()
	if !ok {
		return
	}
	g := s.Group(c.Args[3])
	if g == nil {
		c.Err("NOGROUP No such consumer group '" + string(c.Args[3]) + "' for key name '" + string(c.Args[2]) + "'")
		return
	}
	cs := g.Consumers()
	c.W.Array(len(cs))
	for _, cons := range cs {
		idle := c.Now - cons.SeenTime
		if idle < 0 {
			idle = 0
		}
		c.W.Map(3)
		c.W.BulkString("name")
		c.W.BulkString(cons.Name())
		c.W.BulkString("pending")
		c.W.Int(int64(cons.PEL().Len()))
		c.W.BulkString("idle")
		c.W.Int(idle)
	}
}

func writeGroupCounters(w *resp.Writer, s *value.StreamValue, g *value.ConsumerGroup) {
	w.BulkString("entries-read")
	if g.EntriesRead != -1 {
		w.Int(g.EntriesRead)
	} else {
		w.Null()
	}
	w.BulkString("lag")
	if lag, ok := s.Lag(g); ok {
		w.Int(lag)
	} else {
		w.Null()
	}
}

func xinfoGroups(c *Ctx) {
	s, ok := c.xinfoLookup()
	if !ok {
		return
	}
	gs := s.Groups()
	c.W.Array(len(gs))
	for _, g := range gs {
		c.W.Map(6)
		c.W.BulkString("name")
		c.W.BulkString(g.Name())
		c.W.BulkString("consumers")
		c.W.Int(int64(len(g.Consumers())))
		c.W.BulkString("pending")
		c.W.Int(int64(g.PEL().Len()))
		c.W.BulkString("last-delivered-id")
		writeStreamID(c.W, g.LastID)
		writeGroupCounters(c.W, s, g)
	}
}

func xinfoStream(c *Ctx) {
	args := c.Args
	s, ok := c.xinfoLookup()
	if !ok {
		return
	}
	full := false
	count := int64(10)
	opts := args[3:]
	if len(opts) > 0 {
		if len(opts) != 1 && len(opts) != 3 || !streamOpt(opts[0], "full") {
			c.subcommandSyntaxError()
			return
		}
		if len(opts) == 3 {
			if !streamOpt(opts[1], "count") {
				c.subcommandSyntaxError()
				return
			}
			v, ok := parseInt(opts[2])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if v < 0 {
				v = 10
			}
			count = v
		}
		full = true
	}
	w := c.W
	if full {
		w.Map(9)
	} else {
		w.Map(10)
	}
	w.BulkString("length")
	w.Int(int64(s.Len()))
	w.BulkString("radix-tree-keys")
	w.Int(int64(s.NumNodes()))
	w.BulkString("radix-tree-nodes")
	w.Int(int64(s.RadixTreeNodes()))
	w.BulkString("last-generated-id")
	writeStreamID(w, s.LastID())
	w.BulkString("max-deleted-entry-id")
	writeStreamID(w, s.MaxDeletedID())
	w.BulkString("entries-added")
	w.Int(int64(s.EntriesAdded()))
	w.BulkString("recorded-first-entry-id")
	writeStreamID(w, s.FirstID())
	var fv [][]byte
	if !full {
		w.BulkString("groups")
		w.Int(int64(len(s.Groups())))
		for _, rev := range []bool{false, true} {
			if rev {
				w.BulkString("last-entry")
			} else {
				w.BulkString("first-entry")
			}
			found := false
			s.Range(value.StreamID{}, value.MaxStreamID, rev, func(e value.StreamEntry) bool {
				writeStreamEntry(w, e, &fv)
				found = true
				return false
			})
			if !found {
				w.Null()
			}
		}
		return
	}
	w.BulkString("entries")
	writeStreamRange(w, s, value.StreamID{}, value.MaxStreamID, false, count)
	w.BulkString("groups")
	gs := s.Groups()
	w.Array(len(gs))
	for _, g := range gs {
		w.Map(7)
		w.BulkString("name")
		w.BulkString(g.Name())
		w.BulkString("last-delivered-id")
		writeStreamID(w, g.LastID)
		writeGroupCounters(w, s, g)
		w.BulkString("pel-count")
		w.Int(int64(g.PEL().Len()))
		w.BulkString("pending")
		n := g.PEL().Len()
		if count > 0 && int64(n) > count {
			n = int(count)
		}
		w.Array(n)
		i := 0
		g.PEL().Ascend(value.StreamID{}, func(id value.StreamID, pe *value.PendingEntry) bool {
			if i == n {
				return false
			}
			i++
			w.Array(4)
			writeStreamID(w, id)
			w.BulkString(pe.Consumer.Name())
			w.Int(pe.DeliveryTime)
			w.Int(int64(pe.DeliveryCount))
			return true
		})
		w.BulkString("consumers")
		cs := g.Consumers()
		w.Array(len(cs))
		for _, cons := range cs {
			w.Map(4)
			w.BulkString("name")
			w.BulkString(cons.Name())
			w.BulkString("seen-time")
			w.Int(cons.SeenTime)
			w.BulkString("pel-count")
			w.Int(int64(cons.PEL().Len()))
			w.BulkString("pending")
			n := cons.PEL().Len()
			if count > 0 && int64(n) > count {
				n = int(count)
			}
			w.Array(n)
			i := 0
			cons.PEL().Ascend(value.StreamID{}, func(id value.StreamID, pe *value.PendingEntry) bool {
				if i == n {
					return false
				}
				i++
				w.Array(3)
				writeStreamID(w, id)
				w.Int(pe.DeliveryTime)
				w.Int(int64(pe.DeliveryCount))
				return true
			})
		}
	}
}
