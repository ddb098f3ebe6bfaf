// Package evict chooses which keys to evict when the server is over its
// memory budget. It knows nothing of shards or tables: the caller samples
// keys, describes each with a Meta, and asks the Pool for the best victim.
//
// The approach is Redis's approximated eviction (evict.c): rather than keep
// an exact LRU list (a pointer per key, which the Go garbage collector would
// have to scan), sample a few random keys per eviction, score them, and keep
// the best candidates seen so far in a small pool that survives between
// evictions, so that each eviction benefits from earlier samples.
//
// Scores grow with the desire to evict:
//
//   - LRU: idle time (now minus last access);
//   - LFU: the inverse of the access counter, idle time breaking ties;
//   - TTL: the earlier the expiry, the higher;
//   - random: a draw from the pool's seeded generator;
//   - 2Q (cache_mode, after Dragonfly): keys on probation (written and never
//     read since) rank above every protected key, oldest first; protected
//     keys (read at least once) only go when no probation key is known.
//     A one-off scan of cold keys therefore only evicts other cold keys,
//     while the hot set, read again and again, stays.
package evict
