package value

import "sort"

// ConsumerGroup is a stream consumer group: the last ID delivered to it,
// its logical read counter, its pending entries list and its consumers
// (kept sorted by name, the order Redis lists them in).
type ConsumerGroup struct {
	name        string
	LastID      StreamID
	EntriesRead int64 // -1: unknown (SCG_INVALID_ENTRIES_READ)
	pel         PEL
	consumers   []*Consumer
	bytes       int
}

// Consumer is a member of a consumer group with its own share of the
// group's pending entries.
type Consumer struct {
	name     string
	SeenTime int64 // unix ms
	pel      PEL
}

const (
	streamGroupOverhead    = 128
	streamConsumerOverhead = 96
	streamPendingBytes     = 96 // the entry plus its place in two PELs
)

// Name is the group's name.
func (g *ConsumerGroup) Name() string { return g.name }

// PEL is the group's pending entries list.
func (g *ConsumerGroup) PEL() *PEL { return &g.pel }

// Consumers returns the consumers sorted by name; the slice must not be
// modified.
func (g *ConsumerGroup) Consumers() []*Consumer { return g.consumers }

// Name is the consumer's name.
func (c *Consumer) Name() string { return c.name }

// PEL is the consumer's pending entries.
func (c *Consumer) PEL() *PEL { return &c.pel }

// Groups returns the consumer groups sorted by name; the slice must not be
// modified.
func (s *StreamValue) Groups() []*ConsumerGroup { return s.groups }

func (s *StreamValue) groupIndex(name []byte) (int, bool) {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].name >= string(name) })
	return i, i < len(s.groups) && s.groups[i].name == string(name)
}

// Group returns the group called name, or nil.
func (s *StreamValue) Group(name []byte) *ConsumerGroup {
	if i, ok := s.groupIndex(name); ok {
		return s.groups[i]
	}
	return nil
}

// CreateGroup adds a group. It returns nil when the name is taken.
func (s *StreamValue) CreateGroup(name []byte, last StreamID, entriesRead int64) *ConsumerGroup {
	i, found := s.groupIndex(name)
	if found {
		return nil
	}
	g := &ConsumerGroup{name: string(name), LastID: last, EntriesRead: entriesRead}
	g.bytes = streamGroupOverhead + len(name)
	s.groups = append(s.groups, nil)
	copy(s.groups[i+1:], s.groups[i:])
	s.groups[i] = g
	return g
}

// DestroyGroup removes the group called name and reports whether it
// existed.
func (s *StreamValue) DestroyGroup(name []byte) bool {
	i, found := s.groupIndex(name)
	if !found {
		return false
	}
	copy(s.groups[i:], s.groups[i+1:])
	s.groups[len(s.groups)-1] = nil
	s.groups = s.groups[:len(s.groups)-1]
	return true
}

func (g *ConsumerGroup) consumerIndex(name []byte) (int, bool) {
	i := sort.Search(len(g.consumers), func(i int) bool { return g.consumers[i].name >= string(name) })
	return i, i < len(g.consumers) && g.consumers[i].name == string(name)
}

// Consumer returns the consumer called name, or nil. It does not refresh
// its seen time.
func (g *ConsumerGroup) Consumer(name []byte) *Consumer {
	if i, ok := g.consumerIndex(name); ok {
		return g.consumers[i]
	}
	return nil
}

// CreateConsumer adds a consumer seen at now. It returns nil when the name
// is taken.
func (g *ConsumerGroup) CreateConsumer(name []byte, now int64) *Consumer {
	i, found := g.consumerIndex(name)
	if found {
		return nil
	}
	c := &Consumer{name: string(name), SeenTime: now}
	g.consumers = append(g.consumers, nil)
	copy(g.consumers[i+1:], g.consumers[i:])
	g.consumers[i] = c
	g.bytes += streamConsumerOverhead + len(name)
	return c
}

// LookupOrCreateConsumer returns the consumer called name, creating it if
// needed, with its seen time set to now. created reports a creation.
func (g *ConsumerGroup) LookupOrCreateConsumer(name []byte, now int64) (c *Consumer, created bool) {
	if c = g.Consumer(name); c != nil {
		c.SeenTime = now
		return c, false
	}
	return g.CreateConsumer(name, now), true
}

// DeleteConsumer removes c and its pending entries from the group and
// returns how many entries it had pending.
func (g *ConsumerGroup) DeleteConsumer(c *Consumer) int {
	n := c.pel.Len()
	c.pel.Ascend(StreamID{}, func(id StreamID, _ *PendingEntry) bool {
		g.pel.Delete(id)
		return true
	})
	g.bytes -= n * streamPendingBytes
	if i, ok := g.consumerIndex([]byte(c.name)); ok {
		copy(g.consumers[i:], g.consumers[i+1:])
		g.consumers[len(g.consumers)-1] = nil
		g.consumers = g.consumers[:len(g.consumers)-1]
		g.bytes -= streamConsumerOverhead + len(c.name)
	}
	c.pel = PEL{}
	return n
}

// Deliver records that entry id was delivered to consumer c at now (Redis's
// streamReplyWithRange with a group): it advances the group's last ID and
// read counter, and unless noack makes the entry pending for c, taking it
// from another consumer if the group had it pending there.
func (s *StreamValue) Deliver(g *ConsumerGroup, id StreamID, c *Consumer, noack bool, now int64) {
	if g.LastID.Less(id) {
		if g.EntriesRead != -1 && !s.RangeHasTombstones(id, MaxStreamID) {
			g.EntriesRead++
		} else if s.entriesAdded != 0 {
			g.EntriesRead = s.EstimateDistance(id)
		}
		g.LastID = id
	}
	if noack {
		return
	}
	if pe := g.pel.Get(id); pe != nil {
		if pe.Consumer != nil {
			pe.Consumer.pel.Delete(id)
		}
		pe.Consumer = c
		pe.DeliveryTime = now
		pe.DeliveryCount = 1
		c.pel.Insert(id, pe)
		return
	}
	pe := &PendingEntry{DeliveryTime: now, DeliveryCount: 1, Consumer: c}
	g.pel.Insert(id, pe)
	c.pel.Insert(id, pe)
	g.bytes += streamPendingBytes
}

// Ack removes id from the pending lists and reports whether it was there.
func (g *ConsumerGroup) Ack(id StreamID) bool {
	pe := g.pel.Delete(id)
	if pe == nil {
		return false
	}
	if pe.Consumer != nil {
		pe.Consumer.pel.Delete(id)
	}
	g.bytes -= streamPendingBytes
	return true
}

// AddPending creates a pending entry for id owned by no consumer yet
// (XCLAIM FORCE), delivered once at now.
func (g *ConsumerGroup) AddPending(id StreamID, now int64) *PendingEntry {
	pe := &PendingEntry{DeliveryTime: now, DeliveryCount: 1}
	g.pel.Insert(id, pe)
	g.bytes += streamPendingBytes
	return pe
}

// Transfer makes c the owner of pending entry pe (for id).
func (g *ConsumerGroup) Transfer(id StreamID, pe *PendingEntry, c *Consumer) {
	if pe.Consumer == c {
		return
	}
	if pe.Consumer != nil {
		pe.Consumer.pel.Delete(id)
	}
	c.pel.Insert(id, pe)
	pe.Consumer = c
}

// Lag is the number of entries not yet delivered to the group, when it can
// be known (Redis's streamReplyWithCGLag).
func (s *StreamValue) Lag(g *ConsumerGroup) (int64, bool) {
	if s.entriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != -1 && !s.RangeHasTombstones(g.LastID, MaxStreamID) {
		return int64(s.entriesAdded) - g.EntriesRead, true
	}
	if er := s.EstimateDistance(g.LastID); er != -1 {
		return int64(s.entriesAdded) - er, true
	}
	return 0, false
}

func (g *ConsumerGroup) clone() *ConsumerGroup {
	n := &ConsumerGroup{name: g.name, LastID: g.LastID, EntriesRead: g.EntriesRead, bytes: g.bytes}
	byName := make(map[*Consumer]*Consumer, len(g.consumers))
	n.consumers = make([]*Consumer, len(g.consumers))
	for i, c := range g.consumers {
		nc := &Consumer{name: c.name, SeenTime: c.SeenTime}
		byName[c] = nc
		n.consumers[i] = nc
	}
	g.pel.Ascend(StreamID{}, func(id StreamID, pe *PendingEntry) bool {
		np := &PendingEntry{DeliveryTime: pe.DeliveryTime, DeliveryCount: pe.DeliveryCount}
		if pe.Consumer != nil {
			np.Consumer = byName[pe.Consumer]
			np.Consumer.pel.Insert(id, np)
		}
		n.pel.Insert(id, np)
		return true
	})
	return n
}
