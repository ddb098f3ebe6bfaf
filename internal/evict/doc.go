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
//   - 2Q (cache_mode, after Dragonfly, with TinyLFU's frequency sketch):
//     keys rank first by how often they were asked for lately, as a
//     count-min Sketch of every lookup estimates it (reads, writes and
//     misses, so a key keeps its history while it is out of the cache);
//     among equally rare keys, those on probation (written and never read
//     since) go before protected ones (read at least once), the idlest
//     first. A one-off scan of cold keys therefore only evicts other cold
//     keys, while the hot set, read again and again, stays; and on skewed
//     workloads the cache keeps the keys that are asked for most rather
//     than those asked for last (bench/hitratio.sh: Gaussian popularity
//     gains most, see TestSimHitRatio for the model's figures).
package evict
