package config

import "math"

// monitoringSettings: background task frequency, slow log, latency
// monitor, script limits and keyspace notifications.
func (c *Config) monitoringSettings() []*setting {
	return []*setting{
		newSetting(spec{name: "hz", mutable: true,
			help: "Times per second background tasks such as active expiry run; 0 stops them, above 1000 acts as 1000."},
			intCodec(0, math.MaxInt32), 100, intHolder(&c.HZ)),
		newSetting(spec{name: "slowlog-log-slower-than", mutable: true,
			help: "Record commands slower than this many microseconds in the slow log; -1 disables it, 0 records all."},
			intCodec(-1, math.MaxInt64), 10000, intHolder(&c.SlowlogSlowerThan)),
		newSetting(spec{name: "slowlog-max-len", mutable: true,
			help: "Number of entries the slow log keeps."},
			intCodec(0, math.MaxInt64), 128, intHolder(&c.SlowlogMaxLen)),
		newSetting(spec{name: "latency-monitor-threshold", mutable: true, status: live,
			help: "Record events taking at least this many milliseconds for LATENCY; 0 disables it."},
			intCodec(0, math.MaxInt64), 0, intHolder(&c.LatencyMonitorThreshold)),
		newSetting(spec{name: "busy-reply-threshold", mutable: true,
			aliases: []string{"lua-time-limit"},
			help:    "Milliseconds a script may run before other clients are answered BUSY."},
			intCodec(0, math.MaxInt64), 5000, intHolder(&c.LuaTimeLimit)),
		newSetting(spec{name: "notify-keyspace-events", mutable: true, status: live,
			help: "Keyspace notifications to publish, as Redis class letters from KEg$lshzxetmdnA; empty publishes none."},
			keyspaceEventsCodec(), 0, valueHolder(&c.NotifyKeyspaceEvents)),
	}
}
