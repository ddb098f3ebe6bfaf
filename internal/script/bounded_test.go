package script

import (
	"strings"
	"testing"

	"github.com/damselfly-db/damselfly/internal/resp"
)

// rateLimiterScript is rate-limiter-flexible's consume script as Directus
// sends it (bench/loadgen/workload.go).
const rateLimiterScript = "redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX') local consumed = redis.call('incrby', KEYS[1], ARGV[1]) local ttl = redis.call('pttl', KEYS[1]) if ttl == -1 then   redis.call('expire', KEYS[1], ARGV[2])   ttl = 1000 * ARGV[2] end return {consumed, ttl} "

func TestBoundedScripts(t *testing.T) {
	e := NewEngine(nil, "7.4.0", 0x070400)
	for _, c := range []struct {
		body    string
		bounded bool
	}{
		{rateLimiterScript, true},
		{"return redis.call('get', KEYS[1])", true},
		{"local v = tonumber(ARGV[1]) or 0 if v > 1 and v < 9 then return cjson.encode({v}) elseif v == 0 then return nil end return string.rep('x', v)", true},
		{"return pcall(redis.call, 'get', KEYS[1])", true},
		{"local t = {1, 2, 3} return table.concat(t, ',') .. #KEYS", true},
		// Loops of every kind.
		{"while true do end", false},
		{"repeat local x = 1 until false", false},
		{"for i = 1, 10 do redis.call('incr', KEYS[1]) end", false},
		{"for k, v in pairs(KEYS) do end", false},
		{"local i = 0 while i < 3 do i = i + 1 end return i", false},
		// Functions of its own: recursion.
		{"local function f(n) return f(n) end return f(1)", false},
		{"return pcall(function() return 1 end)", false},
		// A way to a new Lua function or to other globals.
		{"return loadstring('while true do end')()", false},
		{"return load('return 1')()", false},
		{"return _G['load' .. 'string']", false},
		{"return rawget(_G, 'x')", false},
		{"return getmetatable('').__index", false},
		{"return coroutine.running()", false},
		{"return os.clock()", false},
	} {
		s, err := e.Load([]byte(c.body))
		if err != nil {
			t.Fatalf("%q: %v", c.body, err)
		}
		if s.bounded != c.bounded {
			t.Errorf("%q: bounded %v, want %v", c.body, s.bounded, c.bounded)
		}
	}
}

// killingCaller kills the run's switch during its first command, as a
// SCRIPT KILL arriving while that command runs would.
type killingCaller struct {
	fakeCaller
	k *KillSwitch
}

func (c *killingCaller) Call(args [][]byte, proto int, out []byte) []byte {
	if c.calls == 0 {
		c.k.Kill()
	}
	return c.fakeCaller.Call(args, proto, out)
}

// A bounded script runs without the per-instruction kill poll; a kill
// still stops it at its next redis.call, with Redis's error.
func TestBoundedScriptKilledAtNextCall(t *testing.T) {
	e := NewEngine(nil, "7.4.0", 0x070400)
	s, err := e.Load([]byte("redis.call('incr', KEYS[1]) return redis.call('incr', KEYS[1])"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.bounded {
		t.Fatal("not bounded")
	}
	k := NewKillSwitch()
	c := &killingCaller{k: k}
	w := &resp.Writer{Proto: 2}
	e.Eval(s, &Run{Keys: [][]byte{[]byte("n")}, Caller: c, W: w, Ctx: k})
	if !strings.HasPrefix(string(w.Buf), "-ERR Script killed by user with SCRIPT KILL...") {
		t.Fatalf("got %q", w.Buf)
	}
	if c.calls != 1 {
		t.Fatalf("%d commands ran after the kill", c.calls-1)
	}
	// The state carries no context into the next run.
	k.Reset()
	if got := eval(t, e, "return 1", 2); got != ":1\r\n" {
		t.Fatalf("after kill: %q", got)
	}
}

// rateCaller answers the rate limiter's commands as a server does for a
// key already counting.
type rateCaller struct{}

func (rateCaller) Call(args [][]byte, proto int, out []byte) []byte {
	switch strings.ToLower(string(args[0])) {
	case "set":
		return append(out, "$-1\r\n"...)
	case "incrby":
		return append(out, ":7\r\n"...)
	}
	return append(out, ":912\r\n"...)
}

// BenchmarkRateLimiter is Directus's EVALSHA through the interpreter, with
// the kill switch the server passes: as a bounded script (no poll), and
// polled.
func BenchmarkRateLimiter(b *testing.B) {
	for _, poll := range []bool{false, true} {
		b.Run(map[bool]string{false: "bounded", true: "polled"}[poll], func(b *testing.B) {
			e := NewEngine(nil, "7.4.0", 0x070400)
			s, err := e.Load([]byte(rateLimiterScript))
			if err != nil {
				b.Fatal(err)
			}
			s.bounded = !poll
			w := &resp.Writer{Proto: 2}
			k := NewKillSwitch()
			keys := [][]byte{[]byte("rlflx:1.2.3.4")}
			args := [][]byte{[]byte("1"), []byte("1")}
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				r := Run{Keys: keys, Args: args, Caller: rateCaller{}, W: w, Ctx: k}
				e.Eval(s, &r)
			}
			if want := "*2\r\n:7\r\n:912\r\n"; string(w.Buf) != want {
				b.Fatalf("reply %q, want %q", w.Buf, want)
			}
		})
	}
}
