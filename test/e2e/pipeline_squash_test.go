package e2e

import (
	"bytes"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// squashPipeline builds one long pipeline whose commands alternate between
// runs of single-key commands on the same key (which pipeline_squash runs
// under one lock), single-key commands hopping between keys of different
// shards, and everything that must break a squashed run: multi-key and
// keyless commands, MULTI/EXEC, scripts, blocking commands that do not
// block, errors, SELECT, and commands touching every shard.
func squashPipeline(seed int64) [][]string {
	rng := rand.New(rand.NewSource(seed))
	key := func() string { return "sq:" + strconv.Itoa(rng.Intn(40)) }
	var cmds [][]string
	for i := 0; i < 400; i++ {
		k := key()
		switch rng.Intn(22) {
		case 0, 1, 2, 3:
			for j := 0; j < 1+rng.Intn(12); j++ { // a same-key run
				cmds = append(cmds, []string{"INCR", k + ":n"})
			}
		case 4, 5:
			cmds = append(cmds, []string{"SET", k, strconv.Itoa(i)})
		case 6, 7:
			cmds = append(cmds, []string{"GET", k})
		case 8:
			cmds = append(cmds, []string{"LPUSH", k + ":l", strconv.Itoa(i)})
		case 9:
			cmds = append(cmds, []string{"BLPOP", key() + ":l", "0.01"}) // may time out: a blocking wait mid-pipeline
		case 10:
			cmds = append(cmds, []string{"MSET", k, "m" + strconv.Itoa(i), key(), "x"})
		case 11:
			cmds = append(cmds, []string{"MGET", k, key(), key()})
		case 12:
			cmds = append(cmds, []string{"PING"})
		case 13:
			cmds = append(cmds, []string{"MULTI"}, []string{"INCR", k + ":n"}, []string{"GET", key()}, []string{"EXEC"})
		case 14:
			cmds = append(cmds, []string{"EVAL", "return redis.call('incr', KEYS[1])", "1", k + ":n"})
		case 15:
			cmds = append(cmds, []string{"HSET", k + ":h", "f", strconv.Itoa(i)}, []string{"HGET", k + ":h", "f"})
		case 16:
			cmds = append(cmds, []string{"INCR", k}) // may be a wrong type or not an integer
		case 17:
			cmds = append(cmds, []string{"GET"}) // arity error
		case 18:
			cmds = append(cmds, []string{"SELECT", "1"}, []string{"INCR", k + ":n"}, []string{"SELECT", "0"})
		case 19:
			cmds = append(cmds, []string{"DBSIZE"})
		case 20:
			cmds = append(cmds, []string{"EXISTS", k, key()})
		case 21:
			cmds = append(cmds, []string{"DEL", k + ":l"}, []string{"RPUSH", k + ":l", "a", "b"}, []string{"LRANGE", k + ":l", "0", "-1"})
		}
	}
	return cmds
}

// runPipeline sends cmds in one write and returns each raw reply.
func runPipeline(t *testing.T, s *Server, cmds [][]string) []string {
	t.Helper()
	w := dialWire(t, s.Addr)
	var req bytes.Buffer
	for _, c := range cmds {
		req.Write(respCmd(c...))
	}
	w.write(req.Bytes())
	out := make([]string, len(cmds))
	for i := range cmds {
		out[i] = w.reply()
	}
	return out
}

// Pipelines mixing shards give Redis's replies, in order, whatever
// pipeline_squash says (0 = off, 1 = squash every pipeline, 10 = the
// default), with one shard and with several.
func TestPipelineSquashMatchesRedis(t *testing.T) {
	t.Parallel()
	cmds := squashPipeline(1)
	redis := StartRedis(t)
	want := runPipeline(t, redis, cmds)
	for _, threads := range []string{"1", "4"} {
		for _, sq := range []string{"0", "1", "10"} {
			t.Run("threads="+threads+"/squash="+sq, func(t *testing.T) {
				t.Parallel()
				s := Start(t, "--proactor_threads", threads, "--pipeline_squash", sq)
				got := runPipeline(t, s, cmds)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("reply %d to %q:\n got %q\nwant %q", i, cmds[i], got[i], want[i])
					}
				}
			})
		}
	}
}

// Concurrent pipelines on shared keys: every INCR counts exactly once and
// nothing deadlocks while clients squash runs on different shards, cross
// shards with MSET and MULTI/EXEC, and CONFIG SET changes the threshold
// under them.
func TestPipelineSquashConcurrent(t *testing.T) {
	t.Parallel()
	s := Start(t, "--proactor_threads", "4", "--pipeline_squash", "2")
	const clients, rounds, depth = 6, 30, 40
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			w := dialWire(t, s.Addr)
			rng := rand.New(rand.NewSource(int64(c)))
			for r := 0; r < rounds; r++ {
				var req bytes.Buffer
				n := 0
				for i := 0; i < depth; i++ {
					k := "cc:" + strconv.Itoa(rng.Intn(8))
					req.Write(respCmd("INCR", k))
					n++
					if i%13 == 0 {
						req.Write(respCmd("MULTI"))
						req.Write(respCmd("INCR", "cc:tx"))
						req.Write(respCmd("MSET", "cc:a", "1", "cc:b", "2"))
						req.Write(respCmd("EXEC"))
						n += 4
					}
				}
				if c == 0 && r%5 == 0 {
					req.Write(respCmd("CONFIG", "SET", "pipeline_squash", strconv.Itoa(r%3)))
					n++
				}
				w.write(req.Bytes())
				for i := 0; i < n; i++ {
					if rep := w.reply(); len(rep) > 0 && rep[0] == '-' {
						t.Errorf("client %d: error reply %q", c, rep)
						return
					}
				}
			}
		}(c)
	}
	wg.Wait()
	w := dialWire(t, s.Addr)
	total := 0
	for i := 0; i < 8; i++ {
		total += bulkInt(t, w.do("GET", "cc:"+strconv.Itoa(i)))
	}
	if want := clients * rounds * depth; total != want {
		t.Fatalf("INCR total %d, want %d", total, want)
	}
	tx := bulkInt(t, w.do("GET", "cc:tx"))
	if want := clients * rounds * ((depth + 12) / 13); tx != want {
		t.Fatalf("cc:tx = %d, want %d", tx, want)
	}
	if got := w.do("CONFIG", "GET", "pipeline_squash"); !bytes.Contains([]byte(got), []byte("pipeline_squash")) {
		t.Fatalf("CONFIG GET pipeline_squash: %q", got)
	}
}

// bulkInt decodes a raw bulk-string reply holding an integer (0 for nil).
func bulkInt(t *testing.T, rep string) int {
	t.Helper()
	if rep == "$-1\r\n" {
		return 0
	}
	lines := strings.Split(rep, "\r\n")
	if len(lines) < 2 {
		t.Fatalf("not a bulk reply: %q", rep)
	}
	v, err := strconv.Atoi(lines[1])
	if err != nil {
		t.Fatalf("not an integer: %q", rep)
	}
	return v
}
