package config

// scriptingSettings: how Lua scripts lock the keyspace. The time limit
// (busy-reply-threshold, alias lua-time-limit) is with the monitoring
// settings, next to the other thresholds.
func (c *Config) scriptingSettings() []*setting {
	return []*setting{
		newSetting(spec{name: "lua_strict_keys",
			help: "Scripts may only touch the keys they declare (Dragonfly's model): a script locks just the shards of its KEYS and runs in parallel with commands on other shards, and an undeclared key fails with \"script tried accessing undeclared key\" (a first line \"--!df flags=allow-undeclared-keys\" opts a script out). Off by default: like Redis, a script may touch any key and runs with the whole keyspace locked."},
			boolCodec("true", "false"), false, field(&c.LuaStrictKeys)),
	}
}
