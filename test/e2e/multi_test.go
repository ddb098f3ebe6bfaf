package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestMultiTransfersAreAtomic moves amounts between accounts spread over
// several shards with MULTI/EXEC while readers sum all accounts inside
// their own transactions: every sum must equal the initial total.
func TestMultiTransfersAreAtomic(t *testing.T) {
	s := Start(t, "--proactor_threads", "4")
	ctx := Ctx(t)
	const accounts, initial = 16, 1000
	c := s.Client(t, 2)
	keys := make([]string, accounts)
	for i := range keys {
		keys[i] = fmt.Sprintf("acct:%d", i)
		c.Set(ctx, keys[i], initial, 0)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			cl := redis.NewClient(&redis.Options{Addr: s.Addr})
			defer cl.Close()
			rng := rand.New(rand.NewPCG(seed, 1))
			for i := 0; i < 300; i++ {
				a, b := keys[rng.IntN(accounts)], keys[rng.IntN(accounts)]
				amt := int64(rng.IntN(10))
				_, err := cl.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.DecrBy(ctx, a, amt)
					p.IncrBy(ctx, b, amt)
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(uint64(w))
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	reader := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer reader.Close()
	for checks := 0; ; checks++ {
		cmds, err := reader.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.MGet(ctx, keys...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, v := range cmds[0].(*redis.SliceCmd).Val() {
			var n int
			fmt.Sscan(v.(string), &n)
			total += n
		}
		if total != accounts*initial {
			t.Fatalf("inconsistent total %d after %d checks", total, checks)
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		case <-done:
			return
		default:
		}
	}
}

// TestWatchOptimisticLock runs go-redis's WATCH-based increment from many
// clients: with correct WATCH semantics no increment is lost.
func TestWatchOptimisticLock(t *testing.T) {
	s := Start(t, "--proactor_threads", "4")
	ctx := Ctx(t)
	const workers, each = 8, 100
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := redis.NewClient(&redis.Options{Addr: s.Addr})
			defer cl.Close()
			for i := 0; i < each; i++ {
				for {
					err := cl.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, "counter").Int()
						if err != nil && err != redis.Nil {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, "counter", n+1, 0)
							return nil
						})
						return err
					}, "counter")
					if err == nil {
						break
					}
					if err != redis.TxFailedErr {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	n, err := s.Client(t, 2).Get(context.Background(), "counter").Int()
	if err != nil || n != workers*each {
		t.Fatalf("counter = %d (%v), want %d", n, err, workers*each)
	}
}

// MONITOR queued in a transaction is refused when EXEC runs it, as Redis
// refuses it for a client that may not block; a second one used to get no
// reply at all, leaving EXEC's array one reply short.
func TestMultiRefusesMonitor(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		c := dialWire(t, s.Addr)
		c.writeStr("MULTI\r\nMONITOR\r\nMONITOR\r\nSET a 1\r\nEXEC\r\nPING\r\n")
		for _, want := range []string{"+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n",
			"*3\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n+OK\r\n",
			"+PONG\r\n"} {
			c.expect(want)
		}
	})
}
