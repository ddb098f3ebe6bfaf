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
	// Send queues an encoded message for the connection; it must not block.
	Send func(b []byte)
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

// encoded caches a message's encoding per protocol.
type encoded struct{ b [4][]byte }

func (e *encoded) get(proto int, build func(w *resp.Writer)) []byte {
	if e.b[proto] == nil {
		w := resp.Writer{Proto: proto}
		build(&w)
		e.b[proto] = w.Buf
	}
	return e.b[proto]
}

// Publish delivers msg to subscribers of channel and of matching patterns
// and returns how many received it.
func (h *Hub) Publish(channel, msg []byte) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	var m encoded
	for s := range h.channels[string(channel)] {
		s.Send(m.get(s.Proto, func(w *resp.Writer) {
			w.Push(3)
			w.BulkString("message")
			w.Bulk(channel)
			w.Bulk(msg)
		}))
		n++
	}
	for pat, subs := range h.patterns {
		if !glob.Match([]byte(pat), channel, false) {
			continue
		}
		var pm encoded
		for s := range subs {
			s.Send(pm.get(s.Proto, func(w *resp.Writer) {
				w.Push(4)
				w.BulkString("pmessage")
				w.BulkString(pat)
				w.Bulk(channel)
				w.Bulk(msg)
			}))
			n++
		}
	}
	return n
}

// PublishShard delivers msg to the subscribers of shard channel.
func (h *Hub) PublishShard(channel, msg []byte) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var m encoded
	n := 0
	for s := range h.shardch[string(channel)] {
		s.Send(m.get(s.Proto, func(w *resp.Writer) {
			w.Push(3)
			w.BulkString("smessage")
			w.Bulk(channel)
			w.Bulk(msg)
		}))
		n++
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
