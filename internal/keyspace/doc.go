// Package keyspace is the table inside one database of one shard: a hash
// table from key to entry, with the operations the commands need (find with
// lazy expiry, upsert, delete, random sampling, and a SCAN cursor). Its
// storage gives the Go garbage collector almost nothing to scan: keys,
// string values, expiries and per-key metadata hold no Go pointers.
//
// # Layout
//
//   - The index: two arrays of int32 Refs (buckets), chained through the
//     entries, resized incrementally like Redis's dict (a resize allocates
//     the new array and every later operation, and the heartbeat, moves a
//     bucket), so no command pays for rehashing the whole table. SCAN uses
//     Redis's reverse-binary cursor, which returns every key present for the
//     whole scan even across resizes.
//   - The slab: 16-byte entries in chunks of 4096 (entry.go), named by Ref,
//     stable until the entry is deleted; freed slots are reused. Growth adds
//     a chunk and never copies the slab. An entry holds the bucket chain
//     link with 6 bits of its key's hash (a tag: chain walks compare tags
//     and read the arena only on a match; it caps a database of one shard
//     at 2^26-1 keys), the location of its arena record, a 32-bit version,
//     and one packed word: 24 bits of LRU/LFU data (access.go), the kind,
//     and flags (raw, probation, has-expiry, out-of-line string,
//     listed-for-expiry).
//   - The arena (arena.go): log-structured pages of 4 KiB growing to 1 MiB,
//     allocated one at a time; full-size pages are mapped outside the Go
//     heap (pages.go, one PagePool per store), so the collector neither
//     scans nor holds room for them, and a page that empties gives its
//     memory back at once (a lock hold later). A record is a uvarint of
//     the key length shifted left by two with has-expiry and has-handle in
//     the low bits (so a page can be walked without the entries), a
//     uvarint value length (padded with continuation bytes up to the
//     record's granule: at most 1/64 of it, 8 bytes from 512 bytes), the
//     expiry (8 bytes, only when the key has one), a uvarint side-table
//     handle (only for complex and out-of-line values), the key and the
//     value. A location is page:offset in 32 bits, which caps one
//     database of one shard at 4096 pages (4 GiB of records).
//   - Side tables (side.go), the only parts holding pointers: out-of-line
//     strings ([]byte: values over 16 KiB, strings grown by APPEND past
//     4 KiB, which then grow in place with amortised doubling, and strings
//     changed in place by SETRANGE/SETBIT/PFADD, so SETBIT on a 512 MB
//     bitmap doesn't copy it) and complex values (value.Object), each named
//     by an int32 handle with a free list, in chunks.
//   - Packed hashes (pack.go): the heartbeat moves small hashes in the
//     listpack encoding that were not used in the last second into their
//     arena record (the listpack bytes as the value, no object); Obj turns
//     one back into an object, since commands change objects in place.
//     1 M one-field hashes cost about 50 bytes each this way (bench/
//     memory.sh), against ~113 as Go objects and 88 in Redis 7.0.
//   - The expiry list (reflist.go): slots that got an expiry, for active
//     expiry sampling, chunked. Entries keep no index into it; a slot that
//     lost its expiry is dropped from the list when a sample meets it.
//
// # Byte budget
//
// A 10-byte key with a 100-byte value costs a 16-byte entry, about 4 bytes
// of bucket (the table doubles at load factor 1), a 2-byte record header
// and the 110 bytes of data: about 132 bytes, plus the unused tail of the
// current page; bench/memory.sh measures 135 (used_memory and RSS) where
// Redis 7.0 spends 184.
//
// # Holes and compaction
//
// A string value overwritten by one of the same length (with an expiry
// only if it had one: a cache's SETs, INCR of a counter within its digit
// count) is written over the old value's bytes, expiry included, and its
// record stays. Any other change, of the value or of the expiry, is a new
// record and the old one becomes dead bytes, counted per page (and in
// Bytes until reclaimed). A dead record becomes a hole (holes.go), filed
// by size class: a new record of its size, or a little smaller (the rest
// becomes a filler record no entry owns), takes it in a later lock hold,
// as a slab allocator reuses a freed slot; so a cache at its cap, which
// deletes a record for every one it writes, keeps its pages full (dead
// bytes at a 100 MB cap: 11-15 MB before holes, 1-2 MB with them). A
// page whose live bytes drop to zero is dropped at once. What holes do not
// reclaim (sizes that no longer come) is left to compaction: sparse pages
// are compacted only
// by Maintain and Compact, never inside a command: the shard's heartbeat
// calls Maintain with a bounded budget of slots examined and bytes copied
// per tick, in slices of about 30 µs with the lock released between them,
// and what it cannot finish while writers keep the CPU is paid by the
// writes (Compact, a few hundred bytes after each, when the shard is
// unlocked), so no client waits behind a long hold. A pass marks the
// pages less than three quarters live (when they hold enough dead bytes
// to be worth it), then walks each marked page's records in address order,
// moving the live ones to the current page; the marked pages drop as they
// empty. A record's owner is found through its key: hash, bucket, and the
// chain entry whose location is the record's (no other record is read);
// 16 records at a time, with their buckets and entries prefetched.
//
// # Prefetching
//
// A lookup is three dependent cache misses (bucket, entry, record).
// Prefetch takes the hashes of keys about to be looked up (the next
// commands of a pipeline) and issues those misses for all of them at once,
// in three rounds, so they overlap; it changes nothing.
//
// # String views
//
// Key returns a string made with unsafe.String over the arena, and Str a
// slice of it (or of an out-of-line value). Their bytes are only theirs
// for the shard lock hold they were taken in: a live record's key bytes
// are never overwritten, and a dead record's bytes (a hole) and a page
// that empties (the key deleted, changed or compacted away) are reused,
// or the page's memory given back, in a later hold only (arena.go,
// holes.go), so within the hold a view stays unchanged even after its key
// changes, is deleted or compacted. Views never fault: pages are never
// unmapped (a page given back reads as zeros until reused), so a view
// kept too long by mistake reads wrong bytes, never freed memory. Anything that outlives
// the hold must be copied: KEYS, SCAN and RANDOMKEY gather keys across
// shards and copy them; tables of blocked keys, client tracking and the
// eviction pool clone theirs. A value view is good only until the key is
// next written: a SET or INCR of a value of the same length overwrites it
// in place, and so do SETRANGE, SETBIT and APPEND on an out-of-line
// string. Commands that read a value and then write its key (SET ... GET,
// GETSET, GETDEL, INCR) consume the view (into their reply, or by parsing
// it) before the write. Str's result must never be modified;
// MutableString's is the caller's to write.
//
// # Versions
//
// Every change gives an entry a new version from its shard's counter
// (Clock.Ver); entries keep its low 32 bits. WATCH compares versions for
// equality, where wrapping is harmless. A snapshot keeps the entries whose
// version is "not newer" than the counter V0 at its start, compared as
// serial numbers: belongs(v) = v == 0 || int32(v-V0) <= 0. That is right
// as long as no live version lags the counter by 2^31 or more, which
// Maintain guarantees: its cursor visits every slot within 2^29 new
// versions (it looks at more slots per tick when writes come faster) and
// sets versions more than 2^30 old to 0, reserved as "ancient", which
// always belongs (newVersion never hands out 0). It skips versions newer
// than a running snapshot's V0, so a snapshot must finish within 2^31
// writes to its shard. A clamp changes a version without a write, so a
// WATCH held across 2^30 writes to its shard may fail spuriously; that is
// allowed (EXEC failing is always a legal outcome for the client).
//
// # Access data
//
// The 24 bits follow Redis's robj.lru: the LRU clock (in 62.5 ms ticks
// rather than Redis's seconds, so eviction can order a cache that turns
// over in under a second; OBJECT IDLETIME and DEBUG OBJECT still read
// seconds, see access.go), or under
// an LFU maxmemory-policy a 16-bit minute timestamp and an 8-bit
// logarithmic counter with lfu-log-factor and lfu-decay-time (Policy).
//
// A DB is not safe for concurrent use: its shard's lock guards it.
package keyspace
