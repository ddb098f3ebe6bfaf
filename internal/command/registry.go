package command

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Registry is the set of connected clients, for CLIENT LIST/KILL and INFO.
type Registry struct {
	mu      sync.Mutex
	clients map[int64]*Client
	nextID  atomic.Int64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{clients: map[int64]*Client{}} }

// NextID allocates a client id.
func (r *Registry) NextID() int64 { return r.nextID.Add(1) }

// Add registers c.
func (r *Registry) Add(c *Client) {
	c.registered = true
	r.mu.Lock()
	r.clients[c.ID] = c
	r.mu.Unlock()
}

// Remove unregisters c.
func (r *Registry) Remove(c *Client) {
	r.mu.Lock()
	delete(r.clients, c.ID)
	r.mu.Unlock()
}

// Len is the number of connected clients.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.clients)
}

// List returns the clients sorted by id.
func (r *Registry) List() []*Client {
	r.mu.Lock()
	out := make([]*Client, 0, len(r.clients))
	for _, c := range r.clients {
		out = append(out, c)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Get returns the client with id.
func (r *Registry) Get(id int64) *Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clients[id]
}
