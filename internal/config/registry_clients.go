package config

import "math"

// clientSettings: limits and behaviour of client connections.
func (c *Config) clientSettings() []*setting {
	return []*setting{
		newSetting(spec{name: "requirepass", mutable: true, sensitive: true,
			help: "Password clients must give with AUTH; empty means none. When empty, DFLY_PASSWORD is used."},
			stringCodec(nil), "", stringHolder(&c.RequirePass)),
		newSetting(spec{name: "aclfile", status: live,
			help: "File of ACL users (Redis's format), loaded at start and by ACL LOAD, written by ACL SAVE; empty means none."},
			stringCodec(nil), "", stringHolder(&c.ACLFile)),
		newSetting(spec{name: "acllog-max-len", mutable: true, status: live,
			help: "Maximum number of entries ACL LOG keeps."},
			intCodec(0, math.MaxInt64), 128, intHolder(&c.ACLLogMaxLen)),
		newSetting(spec{name: "acl-pubsub-default", mutable: true, status: live,
			help: "Channels a new ACL user (or one given 'reset') may use: allchannels or resetchannels (none)."},
			enumCodec("allchannels", "resetchannels"), "resetchannels", stringHolder(&c.ACLPubsubDefault)),
		newSetting(spec{name: "maxclients", mutable: true,
			help: "Maximum number of clients connected at once."},
			intCodec(1, math.MaxUint32), 10000, intHolder(&c.MaxClients)),
		newSetting(spec{name: "timeout", mutable: true,
			help: "Close a client connection idle for this many seconds; 0 never does."},
			intCodec(0, math.MaxInt32), 0, intHolder(&c.Timeout)),
		newSetting(spec{name: "tcp-keepalive", mutable: true,
			help: "Seconds of silence after which TCP keepalive probes are sent to a client; 0 disables them."},
			intCodec(0, math.MaxInt32), 300, intHolder(&c.TCPKeepalive)),
		newSetting(spec{name: "proto-max-bulk-len", mutable: true,
			help: "Largest bulk string a client may send."},
			memoryCodec(1<<20, math.MaxInt64), 512<<20, memoryHolder(&c.ProtoMaxBulkLen)),
		newSetting(spec{name: "client-query-buffer-limit", mutable: true,
			help: "Largest amount of unprocessed input buffered for one client."},
			memoryCodec(1<<20, math.MaxInt64), 1<<30, memoryHolder(&c.QueryBufferLimit)),
		newSetting(spec{name: "client-output-buffer-limit", mutable: true,
			help: `Reply buffer limits, "<class> <hard> <soft> <soft-seconds>" per class normal, replica or pubsub; 0 is no limit. replica is accepted and shown only: there is no replication.`},
			outputBufferCodec(c.ClientOutputBufferLimit.Get), defaultOutputBufferLimits(), valueHolder(&c.ClientOutputBufferLimit)),
		newSetting(spec{name: "pipeline_squash", mutable: true,
			help: "Number of queued pipelined commands from which they run as one batch; 0 never batches."},
			intCodec(0, math.MaxUint32), 10, intHolder(&c.PipelineSquash)),
	}
}
