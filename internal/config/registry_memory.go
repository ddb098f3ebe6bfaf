package config

import "math"

// evictionPolicies are Redis's maxmemory-policy values, in the order its
// error message lists them.
func evictionPolicies() []string {
	return []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
		"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}
}

// memorySettings: the memory limit and what happens when it is reached.
func (c *Config) memorySettings() []*setting {
	return []*setting{
		newSetting(spec{name: "maxmemory", mutable: true, status: live,
			help: "Memory limit, e.g. 2GB, 512mb, 1.5GiB (units are binary: 1GB = 1GiB); 0 means 80% of the memory available at start (capped by the cgroup limit)."},
			memoryCodec(0, math.MaxInt64), 0, memoryHolder(&c.MaxMemory)),
		newSetting(spec{name: "cache_mode", mutable: true, status: live,
			help: "Behave as a cache: evict keys as memory nears maxmemory instead of refusing writes (scan-resistant 2Q: keys never read since written go first). Overrides maxmemory-policy while on."},
			boolCodec("true", "false"), false, boolHolder(&c.CacheMode)),
		newSetting(spec{name: "rss_oom_deny_ratio", mutable: true, status: live,
			help: "When RSS exceeds maxmemory times this ratio, commands that may grow memory fail with -OOM and, if an admin port is open, new connections to the other ports are closed until RSS falls back under it; 0 or less disables it. Dragonfly's flag, off by default here (Dragonfly: 1.25): Redis has no such rule, and a Go heap's RSS carries its collector's room, so a small maxmemory would refuse writes Redis takes; cache_mode already holds RSS near maxmemory and the Go memory limit bounds the heap."},
			floatCodec(), -1, valueHolder(&c.RSSOOMDenyRatio)),
		newSetting(spec{name: "maxmemory-policy", mutable: true, status: live,
			help: "Which keys to evict when maxmemory is reached; noeviction refuses writes instead. Ignored while cache_mode is on."},
			enumCodec(evictionPolicies()...), "noeviction", stringHolder(&c.MaxMemoryPolicy)),
		newSetting(spec{name: "maxmemory-samples", mutable: true, status: live,
			help: "Keys Redis samples per eviction for its approximated LRU, LFU and TTL policies."},
			intCodec(1, math.MaxInt32), 5, intHolder(&c.MaxMemorySamples)),
		newSetting(spec{name: "lfu-log-factor", mutable: true, status: live,
			help: "How many hits it takes to saturate a key's LFU counter (logarithmic factor)."},
			intCodec(0, math.MaxInt32), 10, intHolder(&c.LFULogFactor)),
		newSetting(spec{name: "lfu-decay-time", mutable: true, status: live,
			help: "Minutes after which an idle key's LFU counter is halved; 0 never decays it."},
			intCodec(0, math.MaxInt32), 1, intHolder(&c.LFUDecayTime)),
	}
}
