package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// BufferLimit bounds the reply buffer of one class of client: a client
// over Hard bytes, or over Soft bytes for SoftSeconds seconds, is
// disconnected. Zero disables a limit.
type BufferLimit struct {
	Hard        int64
	Soft        int64
	SoftSeconds int64
}

// OutputBufferLimits is the parsed client-output-buffer-limit setting.
type OutputBufferLimits struct {
	Normal  BufferLimit
	Replica BufferLimit
	PubSub  BufferLimit
}

// defaultOutputBufferLimits are Redis's defaults.
func defaultOutputBufferLimits() OutputBufferLimits {
	return OutputBufferLimits{
		Replica: BufferLimit{Hard: 256 << 20, Soft: 64 << 20, SoftSeconds: 60},
		PubSub:  BufferLimit{Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60},
	}
}

// Update applies Redis's syntax, "<class> <hard> <soft> <seconds>"
// repeated, to l. Classes not named keep their limits, as in Redis; the
// classes are normal, replica (or slave) and pubsub. Sizes take units as in
// ParseMemory. Reason texts are Redis's. On error l is returned unchanged:
// like Redis, no class changes unless all are valid.
func (l OutputBufferLimits) Update(s string) (OutputBufferLimits, error) {
	orig := l
	f := strings.Fields(s)
	if len(f)%4 != 0 {
		return orig, errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	for i := 0; i < len(f); i += 4 {
		var dst *BufferLimit
		switch strings.ToLower(f[i]) {
		case "normal":
			dst = &l.Normal
		case "replica", "slave":
			dst = &l.Replica
		case "pubsub":
			dst = &l.PubSub
		default:
			return orig, errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, err1 := ParseMemory(f[i+1])
		soft, err2 := ParseMemory(f[i+2])
		secs, err3 := strconv.ParseInt(f[i+3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || secs < 0 {
			return orig, errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		*dst = BufferLimit{Hard: hard, Soft: soft, SoftSeconds: secs}
	}
	return l, nil
}

// String renders the limits as CONFIG GET does, naming the replica class
// "slave" like Redis.
func (l OutputBufferLimits) String() string {
	one := func(name string, b BufferLimit) string {
		return fmt.Sprintf("%s %d %d %d", name, b.Hard, b.Soft, b.SoftSeconds)
	}
	return one("normal", l.Normal) + " " + one("slave", l.Replica) + " " + one("pubsub", l.PubSub)
}

// outputBufferCodec parses against the current limits, since a value
// naming some classes leaves the others as they are.
func outputBufferCodec(current func() OutputBufferLimits) codec[OutputBufferLimits] {
	return codec[OutputBufferLimits]{
		typ:    "buffer limits",
		parse:  func(s string) (OutputBufferLimits, error) { return current().Update(s) },
		format: OutputBufferLimits.String,
	}
}
