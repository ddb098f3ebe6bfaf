package config

import "math"

// encodingSettings: when small collections use compact encodings (what
// OBJECT ENCODING reports). Redis 7 names them listpack; the older ziplist
// names are aliases.
func (c *Config) encodingSettings() []*setting {
	entries := func(name, alias, what string, def int64, h *Int) *setting {
		sp := spec{name: name, mutable: true, status: live,
			help: what + " with at most this many elements use the compact encoding."}
		if alias != "" {
			sp.aliases = []string{alias}
		}
		return newSetting(sp, intCodec(0, math.MaxInt64), def, intHolder(h))
	}
	value := func(name, alias, what string, h *Memory) *setting {
		sp := spec{name: name, mutable: true, status: live,
			help: what + " whose elements are all at most this many bytes use the compact encoding."}
		if alias != "" {
			sp.aliases = []string{alias}
		}
		return newSetting(sp, memoryCodec(0, math.MaxInt64), 64, memoryHolder(h))
	}
	return []*setting{
		entries("hash-max-listpack-entries", "hash-max-ziplist-entries", "Hashes", 512, &c.HashMaxListpackEntries),
		value("hash-max-listpack-value", "hash-max-ziplist-value", "Hashes", &c.HashMaxListpackValue),
		newSetting(spec{name: "list-max-listpack-size", mutable: true, status: live,
			aliases: []string{"list-max-ziplist-size"},
			help:    "Size of each list node: positive counts elements, -1 to -5 mean 4KB to 64KB."},
			intCodec(math.MinInt32, math.MaxInt32), -2, intHolder(&c.ListMaxListpackSize)),
		entries("set-max-intset-entries", "", "Sets of integers", 512, &c.SetMaxIntsetEntries),
		// Redis 7.2's listpack sets: Damselfly keeps 7.0's encodings
		// (intset or hashtable).
		asCompat(entries("set-max-listpack-entries", "", "Sets", 128, &c.SetMaxListpackEntries)),
		asCompat(value("set-max-listpack-value", "", "Sets", &c.SetMaxListpackValue)),
		entries("zset-max-listpack-entries", "zset-max-ziplist-entries", "Sorted sets", 128, &c.ZSetMaxListpackEntries),
		value("zset-max-listpack-value", "zset-max-ziplist-value", "Sorted sets", &c.ZSetMaxListpackValue),
		newSetting(spec{name: "stream-node-max-bytes", mutable: true, status: live,
			help: "Largest size of a stream node (a listpack of entries) in bytes; 0 means no limit."},
			memoryCodec(0, math.MaxInt64), 4096, memoryHolder(&c.StreamNodeMaxBytes)),
		newSetting(spec{name: "stream-node-max-entries", mutable: true, status: live,
			help: "Most entries in a stream node; 0 means no limit."},
			intCodec(0, math.MaxInt64), 100, intHolder(&c.StreamNodeMaxEntries)),
		newSetting(spec{name: "hll-sparse-max-bytes", mutable: true,
			help: "A HyperLogLog stays sparse while its string is at most this many bytes."},
			memoryCodec(0, math.MaxInt64), 3000, memoryHolder(&c.HLLSparseMaxBytes)),
	}
}

// asCompat marks s as accepted for compatibility, with no effect.
func asCompat(s *setting) *setting {
	s.status = compat
	return s
}
