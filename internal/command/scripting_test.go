package command

import (
	"io"
	"log/slog"
	"syscall"
	"testing"

	"github.com/damselfly-db/damselfly/internal/acl"
	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/resp"
	"github.com/damselfly-db/damselfly/internal/shard"
)

func testEnv(shards int) *Env {
	cfg := config.Default()
	e := &Env{
		Config:  cfg,
		Store:   shard.NewStore(shards, 16),
		Table:   NewTable(),
		Clients: NewRegistry(),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	e.Store.SetEvents(e)
	e.ACL = acl.NewUsers(e.Table.ACL)
	return e
}

func testCtx(e *Env, proto int) *Ctx {
	cl := &Client{ID: e.Clients.NextID(), Proto: proto, Authed: true, User: "default"}
	return &Ctx{Env: e, Client: cl, W: &resp.Writer{Proto: proto}}
}

func run(c *Ctx, args ...string) string {
	c.W.Reset()
	c.Args = c.Args[:0]
	for _, a := range args {
		c.Args = append(c.Args, []byte(a))
	}
	c.Env.Exec(c)
	return string(c.W.Buf)
}

func TestEvalBasics(t *testing.T) {
	e := testEnv(4)
	c := testCtx(e, 2)
	if got := run(c, "EVAL", "return redis.call('incr', KEYS[1])", "1", "k"); got != ":1\r\n" {
		t.Fatalf("EVAL: %q", got)
	}
	if got := run(c, "EVALSHA", "2bab3b661081db58bd2341920e0ba7cf5dc77b25", "1", "k"); got != ":2\r\n" {
		t.Fatalf("EVALSHA: %q", got)
	}
	if e.Scripting.running.Load() != 0 {
		t.Fatal("a script is still registered as running")
	}
	// The shards are free again.
	for i := 0; i < e.Store.N(); i++ {
		sh := e.Store.Shard(i)
		sh.Lock(0)
		sh.Unlock()
	}
}

// BenchmarkEvalSHA measures a whole EVALSHA command (dispatch, shard
// locking, interpreter, redis.call of INCR, reply) next to the INCR it
// runs.
func BenchmarkEvalSHA(b *testing.B) {
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"incr", []string{"INCR", "bench:key"}},
		{"evalsha_incr", []string{"EVALSHA", "2bab3b661081db58bd2341920e0ba7cf5dc77b25", "1", "bench:key"}},
		{"evalsha_return", []string{"EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"}},
		// rate-limiter-flexible's consume script, as Directus sends it
		// (bench/loadgen's -mix directus).
		{"evalsha_ratelimit", []string{"EVALSHA", rateLimiterSHA, "1", "rl:bench", "1", "60"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := testEnv(4)
			c := testCtx(e, 2)
			run(c, "SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])")
			run(c, "SCRIPT", "LOAD", "return 1")
			run(c, "SCRIPT", "LOAD", rateLimiterScript)
			args := make([][]byte, len(bc.args))
			for i, a := range bc.args {
				args[i] = []byte(a)
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				c.W.Reset()
				c.Args = args
				e.Exec(c)
			}
			// CPU time per operation: steadier than ns/op on a shared
			// machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			if c.W.Buf[0] == '-' {
				b.Fatalf("reply %q", c.W.Buf)
			}
		})
	}
}

// rateLimiterScript is rate-limiter-flexible's RateLimiterRedis consume
// script, byte for byte as Directus 12 sends it.
const rateLimiterScript = "redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX') local consumed = redis.call('incrby', KEYS[1], ARGV[1]) local ttl = redis.call('pttl', KEYS[1]) if ttl == -1 then   redis.call('expire', KEYS[1], ARGV[2])   ttl = 1000 * ARGV[2] end return {consumed, ttl} "

const rateLimiterSHA = "a1de965f42e177aa339706bd580f049065eca79a"

// cpuTime is the process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
