// Package rdb reads and writes Redis's RDB snapshot format, version 10 (the
// format of Redis 7.0), so that files move freely between Damselfly, Redis
// and Dragonfly. It knows nothing of the server: it turns bytes into
// neutral values (Value) and back, plus the primitives a saver needs to
// stream its own objects into a file without building a Value first
// (Encoder).
//
// # Format
//
// A file is "REDIS0010", then opcodes: AUX fields (redis-ver, redis-bits,
// ctime, used-mem, aof-base), FUNCTION2 libraries, and for each database a
// SELECTDB and RESIZEDB hint followed by its keys, each an optional
// EXPIRETIME_MS (and IDLE or FREQ) and then a type byte, the key and the
// value; then EOF and a little-endian CRC64 of everything before it.
// SELECTDB may appear any number of times and in any order, which is what
// lets a saver interleave the output of several shards (Redis's loader and
// redis-check-rdb accept it).
//
// Values are written in the encodings Redis 7.0 writes, so that Redis
// loads them without conversion: strings as integers (8, 16, 32 bits) when
// they round-trip, LZF-compressed when longer than 20 bytes and
// compressible, verbatim otherwise; lists as QUICKLIST_2 with listpack
// nodes; small hashes and sorted sets as one listpack (HASH_LISTPACK,
// ZSET_LISTPACK), large ones as plain HASH and ZSET_2 (binary doubles);
// integer sets as INTSET, others as plain SET; streams as
// STREAM_LISTPACKS_2, the newest stream type 7.0 loads (7.2's
// STREAM_LISTPACKS_3 is read, never written). Hashes with field TTLs
// (Redis 7.4's HEXPIRE) have no encoding 7.0 knows; they are written as
// Dragonfly's HASH_WITH_EXPIRY (type 31: field, value, unix-seconds expiry
// triples), which Dragonfly loads and Redis refuses.
//
// The reader also takes everything Redis 7.0 may have written or
// inherited from older versions: ziplist, zipmap, intset, quicklist (v1,
// ziplist nodes, and v2, listpack or plain nodes), the old ZSET type with
// decimal scores, EXPIRETIME in seconds, and Dragonfly's RDB output
// (REDIS0009 with STREAM_LISTPACKS_3 streams, the DF_MASK key opcode,
// HASH_WITH_EXPIRY and SET_WITH_EXPIRY, and "lua" AUX fields).
//
// # CRC64 and LZF
//
// The checksum is Redis's crc64: the Jones polynomial, reflected, starting
// from zero with no final inversion (check value: crc64("123456789") =
// 0xe9c6d914c4b8d9ca). It is computed with the standard library's
// table-driven hash/crc64 through the identity raw(c, p) = ^update(^c, p).
//
// LZF (Marc Lehmann's liblzf, which Redis vendors) is written here by hand:
// no Go implementation is reachable through this project's module proxy
// (the candidates we checked answer 403), the format is small (literal
// runs of up to 32 bytes and back references of up to 264 bytes within 8
// KiB), and the decoder must be hardened against hostile input anyway
// because RESTORE feeds it client bytes. Our compressor's output differs
// from liblzf's byte for byte (the hash differs) but any LZF decoder reads
// it; Redis only checks that a compressed string decompresses to its
// declared length.
//
// The decoder is fuzzed (FuzzDecode) with a corpus that includes files
// written by redis-server 7.0.
package rdb
