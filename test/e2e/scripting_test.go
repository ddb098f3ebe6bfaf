package e2e

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// transferScript moves ARGV[1] from KEYS[1] to KEYS[2] and counts the
// transfer in KEYS[3]; checkScript sums every account inside one script,
// which sees either all of a transfer or none of it.
const (
	transferScript = `
local amount = tonumber(ARGV[1])
local from = tonumber(redis.call('get', KEYS[1]) or '0')
redis.call('set', KEYS[1], from - amount)
redis.call('incrby', KEYS[2], amount)
return redis.call('incr', KEYS[3])`
	checkScript = `
local total = 0
for i, k in ipairs(KEYS) do
  total = total + tonumber(redis.call('get', k) or '0')
end
return total`
)

func TestScriptsAtomicAcrossShards(t *testing.T) {
	for _, mode := range []struct {
		name  string
		flags []string
	}{
		{"default", nil},
		{"strict_keys", []string{"--lua_strict_keys"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			srv := Start(t, append([]string{"--proactor_threads", "4"}, mode.flags...)...)
			ctx := Ctx(t)
			setup := srv.Client(t, 2)
			const accounts = 16
			const initial = 1000
			keys := make([]string, accounts)
			for i := range keys {
				keys[i] = fmt.Sprintf("acct:{%d}:%d", i, i*7919)
				if err := setup.Set(ctx, keys[i], initial, 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			transfer := redis.NewScript(transferScript)
			check := redis.NewScript(checkScript)
			const workers, rounds = 12, 300
			var wg sync.WaitGroup
			errs := make(chan error, workers+2)
			stop := make(chan struct{})
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					c := srv.Client(t, 2+w%2)
					r := rand.New(rand.NewSource(int64(w)))
					for i := 0; i < rounds; i++ {
						a, b := r.Intn(accounts), r.Intn(accounts)
						if a == b {
							b = (a + 1) % accounts
						}
						if err := transfer.Run(ctx, c, []string{keys[a], keys[b], "transfers"}, r.Intn(50)+1).Err(); err != nil {
							errs <- fmt.Errorf("transfer: %w", err)
							return
						}
					}
				}(w)
			}
			// A reader checks the invariant while transfers run.
			var readers sync.WaitGroup
			readers.Add(1)
			go func() {
				defer readers.Done()
				c := srv.Client(t, 2)
				for {
					select {
					case <-stop:
						return
					default:
					}
					total, err := check.Run(ctx, c, keys).Int64()
					if err != nil {
						errs <- fmt.Errorf("check: %w", err)
						return
					}
					if total != accounts*initial {
						errs <- fmt.Errorf("a script saw half a transfer: total %d, want %d", total, accounts*initial)
						return
					}
				}
			}()
			wg.Wait()
			close(stop)
			readers.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			total, err := check.Run(ctx, setup, keys).Int64()
			if err != nil || total != accounts*initial {
				t.Fatalf("final total %d (%v), want %d", total, err, accounts*initial)
			}
			if n, err := setup.Get(ctx, "transfers").Int(); err != nil || n != workers*rounds {
				t.Fatalf("transfers = %d (%v), want %d", n, err, workers*rounds)
			}
		})
	}
}

func TestScriptStrictKeys(t *testing.T) {
	srv := Start(t, "--proactor_threads", "4", "--lua_strict_keys")
	ctx := Ctx(t)
	c := srv.Client(t, 2)
	if err := c.Eval(ctx, "return redis.call('set', KEYS[1], 'v')", []string{"declared"}).Err(); err != nil {
		t.Fatal(err)
	}
	err := c.Eval(ctx, "return redis.call('get', 'undeclared')", []string{"declared"}).Err()
	if err == nil || !strings.Contains(err.Error(), "script tried accessing undeclared key, key: undeclared") {
		t.Fatalf("undeclared key: %v", err)
	}
	// Dragonfly's opt-out flag lets the script touch any key.
	got, err := c.Eval(ctx, "--!df flags=allow-undeclared-keys\nreturn redis.call('get', 'declared')", nil).Result()
	if err != nil || got != "v" {
		t.Fatalf("allow-undeclared-keys: %v %v", got, err)
	}
	// Keyless commands that touch no key still work.
	if err := c.Eval(ctx, "return redis.call('time')", nil).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Eval(ctx, "return redis.call('keys', '*')", nil).Err(); err == nil || !strings.Contains(err.Error(), "undeclared") {
		t.Fatalf("KEYS in a strict script: %v", err)
	}
}

// isBusy reports whether err is the -BUSY reply.
func isBusy(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "BUSY ") }

func TestScriptBusyAndKill(t *testing.T) {
	srv := Start(t, "--busy-reply-threshold", "200")
	ctx := Ctx(t)
	runner := srv.Client(t, 2)
	other := srv.Client(t, 2)
	if err := other.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	// Before the limit, other clients wait for the script.
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		done <- runner.Eval(ctx, "local t = redis.call('time') local s = t[1]*1e6 + t[2] while true do local n = redis.call('time') if n[1]*1e6 + n[2] - s > 100000 then break end end return 1", nil).Err()
	}()
	time.Sleep(20 * time.Millisecond)
	if v, err := other.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET during a short script: %q %v", v, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Fatal("the script did not run for 100ms")
	}

	// Past the limit: -BUSY, SCRIPT KILL.
	go func() { done <- runner.Eval(ctx, "while true do end", nil).Err() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := other.Ping(ctx).Err()
		if isBusy(err) {
			if err.Error() != "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE." {
				t.Fatalf("BUSY text: %q", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no BUSY reply: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := other.Get(ctx, "k").Err(); !isBusy(err) {
		t.Fatalf("GET past the limit: %v", err)
	}
	if err := other.Do(ctx, "SHUTDOWN").Err(); !isBusy(err) {
		t.Fatalf("SHUTDOWN without NOSAVE: %v", err)
	}
	if err := other.Do(ctx, "FUNCTION", "KILL").Err(); err == nil || !strings.Contains(err.Error(), "SCRIPT KILL") {
		t.Fatalf("FUNCTION KILL on an eval: %v", err)
	}
	if err := other.Do(ctx, "FUNCTION", "STATS").Err(); !isBusy(err) {
		t.Fatalf("FUNCTION STATS during an eval: %v", err)
	}
	if err := other.Do(ctx, "SCRIPT", "KILL").Err(); err != nil {
		t.Fatalf("SCRIPT KILL: %v", err)
	}
	err := <-done
	if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL... script: ") {
		t.Fatalf("killed script's reply: %v", err)
	}
	if err := other.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after the kill: %v", err)
	}
	if err := other.Do(ctx, "SCRIPT", "KILL").Err(); err == nil || err.Error() != "NOTBUSY No scripts in execution right now." {
		t.Fatalf("SCRIPT KILL with nothing running: %v", err)
	}

	// A script that wrote cannot be killed; it ends by itself.
	go func() {
		done <- runner.Eval(ctx, "redis.call('set', 'w', '1') local t = redis.call('time') local s = t[1]*1e6 + t[2] while true do local n = redis.call('time') if n[1]*1e6 + n[2] - s > 600000 then break end end return 1", nil).Err()
	}()
	deadline = time.Now().Add(5 * time.Second)
	for !isBusy(other.Ping(ctx).Err()) {
		if time.Now().After(deadline) {
			t.Fatal("no BUSY reply for the writing script")
		}
		time.Sleep(20 * time.Millisecond)
	}
	err = other.Do(ctx, "SCRIPT", "KILL").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "UNKILLABLE Sorry the script already executed write commands") {
		t.Fatalf("SCRIPT KILL on a writing script: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the unkillable script: %v", err)
	}

	// Functions: FUNCTION STATS shows the running one, FUNCTION KILL
	// stops it, SCRIPT KILL does not.
	if err := other.FunctionLoad(ctx, "#!lua name=spin\nredis.register_function('spin', function() while true do end end)").Err(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- runner.FCall(ctx, "spin", nil).Err() }()
	deadline = time.Now().Add(5 * time.Second)
	for !isBusy(other.Ping(ctx).Err()) {
		if time.Now().After(deadline) {
			t.Fatal("no BUSY reply for the function")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := other.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "FUNCTION KILL") {
		t.Fatalf("BUSY text for a function: %v", err)
	}
	stats, err := other.Do(ctx, "FUNCTION", "STATS").Result()
	if err != nil || !strings.Contains(fmt.Sprint(stats), "spin") {
		t.Fatalf("FUNCTION STATS: %v %v", stats, err)
	}
	if err := other.Do(ctx, "SCRIPT", "KILL").Err(); !isBusy(err) || !strings.Contains(err.Error(), "FUNCTION KILL") {
		t.Fatalf("SCRIPT KILL on a function: %v", err)
	}
	if err := other.Do(ctx, "FUNCTION", "KILL").Err(); err != nil {
		t.Fatalf("FUNCTION KILL: %v", err)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "Script killed by user") {
		t.Fatalf("killed function's reply: %v", err)
	}
	var rerr redis.Error
	if err := other.Ping(ctx).Err(); errors.As(err, &rerr) {
		t.Fatalf("PING after FUNCTION KILL: %v", err)
	}
}

// TestScriptBusyQueuedInMulti: a command queued in MULTI while a script is
// past its limit is refused with BUSY and the transaction aborts, as in
// Redis.
func TestScriptBusyQueuedInMulti(t *testing.T) {
	srv := Start(t, "--lua-time-limit", "100")
	ctx := Ctx(t)
	runner := srv.Client(t, 2)
	other := srv.Client(t, 2)
	done := make(chan error, 1)
	go func() { done <- runner.Eval(ctx, "while true do end", nil).Err() }()
	deadline := time.Now().Add(5 * time.Second)
	for !isBusy(other.Ping(ctx).Err()) {
		if time.Now().After(deadline) {
			t.Fatal("no BUSY reply")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err := other.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "x", "1", 0)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "EXECABORT") && !isBusy(err) {
		t.Fatalf("MULTI during a busy script: %v", err)
	}
	if err := other.Do(ctx, "SCRIPT", "KILL").Err(); err != nil {
		t.Fatal(err)
	}
	<-done
}
