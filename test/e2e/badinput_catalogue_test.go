package e2e

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// The malformed-input catalogue: every command COMMAND lists gets wrong
// arities, keys of every wrong type, junk where numbers go (overflow,
// infinities, NaN, negatives, huge counts, empty and binary strings) and
// an unknown trailing option. Each vector goes to redis-server 7.0.15 and
// to Damselfly, both seeded with the same dataset. Where Redis answers
// with an error, Damselfly must answer with an error of the same class
// (its first word) — the exact text is compared too — and its dataset
// must be unchanged (DEBUG DIGEST); after every vector the connection
// must still work (RESET, PING). Every difference found must be listed,
// with its reason, in testdata/badinput-differences.txt; a new one fails
// the test, and so does a listed one that no longer happens.

// catalogueSkip are commands the catalogue does not send: they stop the
// server, hand the connection over, reconfigure or replicate, open
// connections elsewhere, or block (their argument checks are covered by
// their own tests).
var catalogueSkip = map[string]string{
	"shutdown": "stops the server", "debug": "sleeps, crashes, reloads", "monitor": "changes the connection's mode",
	"sync": "replication stream", "psync": "replication stream", "replicaof": "would replicate", "slaveof": "would replicate",
	"failover": "replication", "client": "KILL and PAUSE act on the test's own connections", "config": "SET changes the servers",
	"quit": "closes the connection", "reset": "used between vectors", "acl": "users differ between the servers",
	"module": "loads code", "migrate": "connects to other hosts", "save": "writes files", "bgsave": "writes files",
	"bgrewriteaof": "AOF", "cluster": "not a cluster", "blpop": "blocks", "brpop": "blocks", "blmove": "blocks",
	"brpoplpush": "blocks", "blmpop": "blocks", "bzpopmin": "blocks", "bzpopmax": "blocks", "bzmpop": "blocks",
	"xread": "blocks", "xreadgroup": "blocks", "wait": "blocks", "waitaof": "blocks", "subscribe": "changes the connection's mode",
	"psubscribe": "changes the connection's mode", "ssubscribe": "changes the connection's mode", "sentinel": "not a sentinel",
	"flushall": "clears the seed", "flushdb": "clears the seed", "swapdb": "moves the seed", "hello": "changes the protocol",
	"auth": "no password set on either", "readonly": "cluster", "readwrite": "cluster", "asking": "cluster",
	"lastsave": "time", "unsubscribe": "one reply per channel", "punsubscribe": "one reply per pattern", "sunsubscribe": "one reply per channel", "latency": "timing data", "script": "SCRIPT KILL races", "function": "FUNCTION KILL races",
}

var catalogueSeed = [][]string{
	{"SET", "t:string", "hello"}, {"SET", "t:int", "10"}, {"RPUSH", "t:list", "a", "b", "c"},
	{"HSET", "t:hash", "f", "v", "n", "1"}, {"SADD", "t:set", "a", "b"}, {"ZADD", "t:zset", "1", "a", "2", "b"},
	{"XADD", "t:stream", "1-1", "f", "v"}, {"XGROUP", "CREATE", "t:stream", "g", "0"}, {"PFADD", "t:hll", "x"},
	{"SET", "{t}other", "x"},
}

var catalogueTypes = []string{"t:string", "t:list", "t:hash", "t:set", "t:zset", "t:stream"}

var catalogueJunk = []string{"notanumber", "9223372036854775808", "-9223372036854775809", "-inf", "inf", "nan",
	"-1", "-100", "99999999999999999999", "9223372036854775807", "", "\x00\xff\r\n", "1e400", "0x10", "1.5"}

type catalogueConn struct {
	w *wireConn
}

func (c catalogueConn) seed(t *testing.T) {
	t.Helper()
	c.w.do("FLUSHALL")
	for _, cmd := range catalogueSeed {
		if r := c.w.do(cmd...); strings.HasPrefix(r, "-") {
			t.Fatalf("seed %q: %q", cmd, r)
		}
	}
}

func (c catalogueConn) digest() string { return c.w.do("DEBUG", "DIGEST") }

// vectors builds the catalogue for one command.
func catalogueVectors(info *redis.CommandInfo) [][]string {
	name := strings.ToUpper(info.Name)
	min := int(info.Arity)
	if min < 0 {
		min = -min
	}
	var out [][]string
	filler := func(n int, key string) []string {
		v := []string{name}
		for i := 1; i < n; i++ {
			if i == int(info.FirstKeyPos) && key != "" {
				v = append(v, key)
			} else {
				v = append(v, "1")
			}
		}
		return v
	}
	// Wrong arity: one argument short of the minimum, one past a fixed
	// arity (a container without a subcommand is the short case).
	if min > 1 {
		out = append(out, filler(min-1, "t:string"))
	}
	if info.Arity > 0 {
		out = append(out, filler(int(info.Arity)+1, "t:string"))
	}
	n := max(min, 2)
	if info.FirstKeyPos == 1 {
		for _, k := range catalogueTypes {
			out = append(out, filler(n, k))
		}
	}
	base := filler(max(n, 3), "nokey")
	for pos := 1; pos < len(base); pos++ {
		if pos == int(info.FirstKeyPos) {
			continue
		}
		for _, j := range catalogueJunk {
			v := append([]string(nil), base...)
			v[pos] = j
			out = append(out, v)
		}
	}
	out = append(out, append(append([]string(nil), base...), "BOGUSOPTION"))
	return out
}

// errClass is the first word of an error reply ("" for a non-error).
func errClass(r string) string {
	if !strings.HasPrefix(r, "-") {
		return ""
	}
	w, _, _ := strings.Cut(strings.TrimRight(r[1:], "\r\n"), " ")
	return w
}

func loadDifferences(t *testing.T) map[string]string {
	f, err := os.Open("testdata/badinput-differences.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, why, ok := strings.Cut(line, " | ")
		if !ok || strings.TrimSpace(why) == "" {
			t.Fatalf("differences file: %q has no reason", line)
		}
		known[key] = why
	}
	return known
}

func TestBadInputCatalogue(t *testing.T) {
	d := Start(t)
	r := StartRedis(t, "--enable-debug-command", "yes")
	ctx := Ctx(t)
	rinfo, err := r.Client(t, 2).Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	dinfo, err := d.Client(t, 2).Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range dinfo {
		if _, skip := catalogueSkip[name]; !skip {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	known := loadDifferences(t)
	seen := map[string]bool{}
	dc, rc := catalogueConn{dialWire(t, d.Addr)}, catalogueConn{dialWire(t, r.Addr)}
	dc.seed(t)
	rc.seed(t)
	digest := dc.digest()
	if rd := rc.digest(); rd != digest {
		t.Fatalf("the seeds differ: %q vs %q", digest, rd)
	}
	var vectors, errored int
	var diffs []string
	for _, name := range names {
		info := dinfo[name]
		if ri, ok := rinfo[name]; ok {
			info = ri // Redis's key positions and arity drive the vectors
		}
		for _, v := range catalogueVectors(info) {
			vectors++
			got := dc.w.do(v...)
			want := ""
			if _, ok := rinfo[name]; ok {
				want = rc.w.do(v...)
			}
			key := strings.Join(quoteAll(v), " ")
			gc, wc := errClass(got), errClass(want)
			var diff string
			switch {
			case want == "" && gc == "":
				// Damselfly-only command that accepted the vector.
			case wc != "" && gc == "":
				diff = "accepted where Redis says " + strings.TrimSpace(want)
			case wc != "" && gc != wc:
				diff = fmt.Sprintf("class %s, Redis %s", gc, wc)
			case wc != "" && got != want:
				diff = "text"
			}
			if diff != "" {
				seen[key] = true
				if _, ok := known[key]; !ok {
					diffs = append(diffs, fmt.Sprintf("%s | %s: got %q, Redis %q", key, diff, got, want))
				}
			}
			if gc != "" {
				errored++
				if after := dc.digest(); after != digest {
					t.Errorf("%s: errored (%q) but changed the dataset", key, strings.TrimSpace(got))
				}
			}
			for _, c := range []catalogueConn{dc, rc} {
				if rr := c.w.do("RESET"); rr != "+RESET\r\n" {
					t.Fatalf("%s: RESET afterwards: %q", key, rr)
				}
				if p := c.w.do("PING"); p != "+PONG\r\n" {
					t.Fatalf("%s: PING afterwards: %q", key, p)
				}
			}
			if gc == "" || wc == "" {
				// The vector was valid for one of them: start again from
				// the seed.
				dc.seed(t)
				rc.seed(t)
				if a, b := dc.digest(), rc.digest(); a != digest || b != digest {
					t.Fatalf("reseeding after %s: digests %q, %q", key, a, b)
				}
			}
		}
	}
	t.Logf("%d commands, %d vectors, %d errored on Damselfly, %d listed differences", len(names), vectors, errored, len(seen))
	for key := range known {
		if !seen[key] {
			t.Errorf("listed difference no longer happens (remove it): %s", key)
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Errorf("%d unlisted differences with redis-server (fix them or list them with a reason in testdata/badinput-differences.txt):\n%s",
			len(diffs), strings.Join(diffs, "\n"))
	}
}

func quoteAll(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
