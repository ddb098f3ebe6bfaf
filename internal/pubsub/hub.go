// Package pubsub routes PUBLISH messages to subscribers of channels,
// patterns and shard channels.
//
// Subscribers are connections that receive pushes asynchronously: a
// Subscriber's Send queues bytes on its connection and never blocks, so a
// slow subscriber cannot stall a publisher (the connection enforces its
// output buffer limit). Messages are encoded once per protocol version and
// shared by every subscriber that speaks it.
package pubsub

import (
	"sort"
	"sync"

	"github.com/damselfly-db/damselfly/internal/glob"
	"github.com/damselfly-db/damselfly/internal/resp"
)

// Subscriber is one connection's endpoint.
type Subscriber struct {
	// Proto is the RESP version the connection speaks (2 or 3).
	Proto int
	// Send queues an encoded message for the connection and has it
	// written; it must not block. Send and Queue copy a message of up to
	// CopyMax bytes rather than keep it, so a publisher may reuse the
	// buffer of a small message once they return.
	Send func(b []byte)
	// Queue, if set, queues like Send but leaves the writing to a later
	// Wake, which it reports as owed (Batch).
	Queue func(b []byte) (wake bool)
	Wake  func()
}

// Batch defers the wake-ups of a publisher's subscribers to the end of
// the publisher's pipelined batch: a burst of PUBLISHes then reaches each
// subscriber as one write, instead of its writer being woken by the first
// message and writing the burst piecemeal while it is still coming. The
// subscriber's queue enforces its output limits as each message arrives,
// as without a Batch, and it wakes its writer at once past a size, so the
// delay holds no more than that. A Batch belongs to one goroutine.
type Batch struct {
	owed []*Subscriber
	// scratch holds small message frames, per protocol, reused from one
	// PUBLISH to the next (see CopyMax).
	scratch [4][]byte
}

// CopyMax is the size up to which subscribers copy a message.
const CopyMax = 4096

func (b *Batch) send(s *Subscriber, msg []byte) {
	if b == nil || s.Queue == nil {
		s.Send(msg)
		return
	}
	if s.Queue(msg) {
		b.owed = append(b.owed, s)
	}
}

// Flush wakes the subscribers owed a wake-up.
func (b *Batch) Flush() {
	if b == nil || len(b.owed) == 0 {
		return
	}
	for _, s := range b.owed {
		s.Wake()
	}
	clear(b.owed)
	b.owed = b.owed[:0]
}

// Hub holds the subscriptions. Its lock is a leaf: nothing else is locked
// while it is held except the subscribers' send queues.
type Hub struct {
	mu       sync.RWMutex
	channels map[string]map[*Subscriber]struct{}
	patterns map[string]map[*Subscriber]struct{}
	shardch  map[string]map[*Subscriber]struct{}
}

// Kind selects channels, patterns or shard channels.
type Kind int

// The three kinds of subscription.
const (
	Channel Kind = iota
	Pattern
	ShardChannel
)

func (h *Hub) table(k Kind) *map[string]map[*Subscriber]struct{} {
	switch k {
	case Pattern:
		return &h.patterns
	case ShardChannel:
		return &h.shardch
	}
	return &h.channels
}

// Subscribe adds s to name. Before adding it, under the hub lock, it sends
// confirm, so no message published to name can overtake the confirmation.
func (h *Hub) Subscribe(k Kind, name string, s *Subscriber, confirm []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if confirm != nil {
		s.Send(confirm)
	}
	t := h.table(k)
	if *t == nil {
		*t = map[string]map[*Subscriber]struct{}{}
	}
	subs := (*t)[name]
	if subs == nil {
		subs = map[*Subscriber]struct{}{}
		(*t)[name] = subs
	}
	subs[s] = struct{}{}
}

// Unsubscribe removes s from name.
func (h *Hub) Unsubscribe(k Kind, name string, s *Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.table(k)
	if subs := (*t)[name]; subs != nil {
		delete(subs, s)
		if len(subs) == 0 {
			delete(*t, name)
		}
	}
}

// Subscriptions lists what s is subscribed to, by kind. It walks every
// subscription, so it is for rare callers (ACL changes).
func (h *Hub) Subscriptions(s *Subscriber) [3][]string {
	var out [3][]string
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, k := range []Kind{Channel, Pattern, ShardChannel} {
		for name, subs := range *h.table(k) {
			if _, ok := subs[s]; ok {
				out[k] = append(out[k], name)
			}
		}
	}
	return out
}

// encoded caches one message's encoding per protocol: it is built once
// per PUBLISH for all the subscribers that speak that protocol, in one
// allocation of its exact size (the frame is a few small headers plus
// the parts).
type encoded struct {
	kind  string
	parts [3][]byte // pattern (pmessage only), channel, message
	b     [4][]byte
}

func (e *encoded) get(proto int, batch *Batch) []byte {
	if proto < 0 || proto >= len(e.b) {
		proto = 2
	}
	if e.b[proto] == nil {
		n := 1
		size := 16 + 16 + len(e.kind)
		for _, p := range e.parts {
			if p != nil {
				n++
				size += 16 + len(p)
			}
		}
		var buf []byte
		if batch != nil && size <= CopyMax {
			buf = batch.scratch[proto][:0]
		}
		if cap(buf) < size {
			buf = make([]byte, 0, size)
		}
		w := resp.Writer{Proto: proto, Buf: buf}
		w.Push(n)
		w.BulkString(e.kind)
		for _, p := range e.parts {
			if p != nil {
				w.Bulk(p)
			}
		}
		e.b[proto] = w.Buf
		if batch != nil && len(w.Buf) <= CopyMax {
			// Copied by every subscriber: the next message may reuse it.
			batch.scratch[proto] = w.Buf
		}
	}
	return e.b[proto]
}

// Publish delivers msg to subscribers of channel and of matching patterns
// and returns how many received it. With a Batch, the subscribers' writes
// wait for its Flush.
func (h *Hub) Publish(channel, msg []byte, b *Batch) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	if subs := h.channels[string(channel)]; len(subs) > 0 {
		m := encoded{kind: "message", parts: [3][]byte{nil, channel, msg}}
		for s := range subs {
			b.send(s, m.get(s.Proto, b))
			n++
		}
	}
	for pat, subs := range h.patterns {
		if !glob.Match([]byte(pat), channel, false) {
			continue
		}
		pm := encoded{kind: "pmessage", parts: [3][]byte{[]byte(pat), channel, msg}}
		for s := range subs {
			b.send(s, pm.get(s.Proto, b))
			n++
		}
	}
	return n
}

// PublishShard delivers msg to the subscribers of shard channel.
func (h *Hub) PublishShard(channel, msg []byte, b *Batch) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	if subs := h.shardch[string(channel)]; len(subs) > 0 {
		m := encoded{kind: "smessage", parts: [3][]byte{nil, channel, msg}}
		for s := range subs {
			b.send(s, m.get(s.Proto, b))
			n++
		}
	}
	return n
}

// Names lists the active channels (or shard channels) matching pattern
// (nil: all), sorted.
func (h *Hub) Names(k Kind, pattern []byte) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for name := range *h.table(k) {
		if pattern == nil || glob.Match(pattern, []byte(name), false) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Count returns the number of subscribers of name.
func (h *Hub) Count(k Kind, name string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len((*h.table(k))[name])
}

// Len returns the number of distinct channels, patterns or shard channels.
func (h *Hub) Len(k Kind) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(*h.table(k))
}
