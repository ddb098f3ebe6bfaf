package e2e

import (
	"regexp"
	"strconv"
	"testing"
)

// TestPipelinedCallsCounted: a connection sums consecutive calls of a fast
// command before adding them to its counters (command/pendingstats.go).
// An INFO inside the same pipeline, and any other connection once the
// replies are read, must still see every call, in commandstats,
// latencystats' histogram and LATENCY HISTOGRAM, as on redis-server.
func TestPipelinedCallsCounted(t *testing.T) {
	for _, srv := range []struct {
		name string
		s    *Server
	}{{"damselfly", Start(t)}, {"redis", StartRedis(t)}} {
		t.Run(srv.name, func(t *testing.T) {
			ctx := Ctx(t)
			c, other := srv.s.Client(t, 2), srv.s.Client(t, 2)
			if err := c.ConfigResetStat(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			pipe := c.Pipeline()
			for i := 0; i < 100; i++ {
				pipe.Set(ctx, "k"+strconv.Itoa(i), "v", 0)
			}
			for i := 0; i < 30; i++ {
				pipe.Get(ctx, "k"+strconv.Itoa(i))
			}
			pipe.Incr(ctx, "k0") // fails: not an integer
			inPipe := pipe.Info(ctx, "commandstats")
			for i := 0; i < 20; i++ {
				pipe.Get(ctx, "missing")
			}
			pipe.Exec(ctx)
			calls := func(info, cmd string) (calls, failed int) {
				m := regexp.MustCompile(`cmdstat_` + cmd + `:calls=(\d+),usec=\d+,usec_per_call=[\d.]+,rejected_calls=\d+,failed_calls=(\d+)`).FindStringSubmatch(info)
				if m == nil {
					return -1, -1
				}
				c, _ := strconv.Atoi(m[1])
				f, _ := strconv.Atoi(m[2])
				return c, f
			}
			if n, _ := calls(inPipe.Val(), "set"); n != 100 {
				t.Errorf("INFO inside the pipeline: set calls %d, want 100", n)
			}
			if n, _ := calls(inPipe.Val(), "get"); n != 30 {
				t.Errorf("INFO inside the pipeline: get calls %d, want 30", n)
			}
			if n, f := calls(inPipe.Val(), "incr"); n != 1 || f != 1 {
				t.Errorf("INFO inside the pipeline: incr calls %d failed %d, want 1 and 1", n, f)
			}
			info := other.Info(ctx, "commandstats").Val()
			if n, _ := calls(info, "get"); n != 50 {
				t.Errorf("INFO from another connection: get calls %d, want 50", n)
			}
			h, err := other.Do(ctx, "LATENCY", "HISTOGRAM", "get", "set").Result()
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{"get": 50, "set": 100}
			for cmd, v := range histCalls(t, h) {
				if v != want[cmd] {
					t.Errorf("LATENCY HISTOGRAM %s calls %d, want %d", cmd, v, want[cmd])
				}
				delete(want, cmd)
			}
			if len(want) != 0 {
				t.Errorf("LATENCY HISTOGRAM lacks %v", want)
			}
		})
	}
}

// histCalls reads each command's "calls" and checks its buckets sum to it
// (RESP2 LATENCY HISTOGRAM: name, [calls, n, histogram_usec, [le, count...]]).
func histCalls(t *testing.T, reply any) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	arr, _ := reply.([]any)
	for i := 0; i+1 < len(arr); i += 2 {
		name, _ := arr[i].(string)
		body, _ := arr[i+1].([]any)
		var calls, last int64
		for j := 0; j+1 < len(body); j += 2 {
			switch body[j] {
			case "calls":
				calls, _ = body[j+1].(int64)
			case "histogram_usec":
				b, _ := body[j+1].([]any)
				for k := 1; k < len(b); k += 2 {
					last, _ = b[k].(int64) // cumulative counts
				}
			}
		}
		if last != calls {
			t.Errorf("LATENCY HISTOGRAM %s: buckets reach %d, calls %d", name, last, calls)
		}
		out[name] = calls
	}
	return out
}
