// Package keyspace is the table inside one database of one shard: a hash
// table from key to entry, with the operations the commands need (find with
// lazy expiry, upsert, delete, random sampling, and a SCAN cursor).
//
// Entries live in a slab ([]entry) and are named by Ref, an integer index
// that stays valid until the entry is deleted. Buckets and chains hold Refs,
// not pointers, so the index itself gives the garbage collector nothing to
// scan; the memory-engine work moves keys and string values into byte arenas
// behind the same API.
//
// The table grows and shrinks incrementally, like Redis's dict: a resize
// allocates the new bucket array and every later operation moves one bucket,
// so no single command pays for rehashing the whole table. SCAN uses Redis's
// reverse-binary cursor (dictScan), which returns every key present for the
// whole scan even across resizes.
//
// A DB is not safe for concurrent use: its shard's lock guards it.
package keyspace
