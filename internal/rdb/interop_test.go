package rdb

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedis runs Debian's redis-server on a free loopback port with dir
// as its working directory, loading dbfile when it exists, with deep
// payload sanitization on so that every listpack we write is checked.
func startRedis(t *testing.T, dir, dbfile string) *redis.Client {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
		"--dbfilename", dbfile, "--save", "", "--sanitize-dump-payload", "yes", "--enable-debug-command", "yes",
		"--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	for i := 0; ; i++ {
		if err := c.Ping(ctx).Err(); err == nil {
			break
		} else if i > 100 {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

// redisValues are the sample values Redis 7.0 can hold (no field TTLs).
func redisValues() []*Value {
	var out []*Value
	for _, v := range sampleValues() {
		if v.FieldTTLs == nil {
			out = append(out, v)
		}
	}
	return out
}

func sortedStrings(b [][]byte) []string {
	var s []string
	for _, x := range b {
		s = append(s, string(x))
	}
	sort.Strings(s)
	return s
}

// checkInRedis compares key's content in Redis with v.
func checkInRedis(t *testing.T, c *redis.Client, key string, v *Value) {
	t.Helper()
	ctx := context.Background()
	switch v.Kind {
	case KindString:
		if got, err := c.Get(ctx, key).Result(); err != nil || got != string(v.Str) {
			t.Errorf("%s: %q %v", key, got, err)
		}
	case KindList:
		got, err := c.LRange(ctx, key, 0, -1).Result()
		if err != nil || len(got) != len(v.Elems) {
			t.Fatalf("%s: %d %v", key, len(got), err)
		}
		for i := range got {
			if got[i] != string(v.Elems[i]) {
				t.Fatalf("%s[%d] = %q", key, i, got[i])
			}
		}
	case KindSet:
		got, _ := c.SMembers(ctx, key).Result()
		sort.Strings(got)
		if !reflect.DeepEqual(got, sortedStrings(v.Elems)) {
			t.Errorf("%s: %v", key, got)
		}
	case KindZSet:
		got, _ := c.ZRangeWithScores(ctx, key, 0, -1).Result()
		if len(got) != len(v.Elems) {
			t.Fatalf("%s: %d members", key, len(got))
		}
		want := map[string]float64{}
		for i, m := range v.Elems {
			want[string(m)] = v.Scores[i]
		}
		for _, z := range got {
			if want[z.Member.(string)] != z.Score {
				t.Errorf("%s: %v", key, z)
			}
		}
	case KindHash:
		got, _ := c.HGetAll(ctx, key).Result()
		if len(got) != len(v.Elems)/2 {
			t.Fatalf("%s: %d fields", key, len(got))
		}
		for i := 0; i < len(v.Elems); i += 2 {
			if got[string(v.Elems[i])] != string(v.Elems[i+1]) {
				t.Errorf("%s: field %s", key, v.Elems[i])
			}
		}
	case KindStream:
		got, err := c.XRange(ctx, key, "-", "+").Result()
		if err != nil || len(got) != len(v.Stream.Entries) {
			t.Fatalf("%s: %v %v", key, got, err)
		}
		info, err := c.XInfoStream(ctx, key).Result()
		if err != nil || info.EntriesAdded != int64(v.Stream.EntriesAdded) || info.Groups != int64(len(v.Stream.Groups)) {
			t.Errorf("%s: %+v %v", key, info, err)
		}
		pend, err := c.XPending(ctx, key, "g").Result()
		if err != nil || pend.Count != 2 || pend.Consumers["c1"] != 2 {
			t.Errorf("%s: pending %+v %v", key, pend, err)
		}
	}
}

// TestRedisLoadsOurFile writes a file of every type, checks it with
// redis-check-rdb, has redis-server 7.0 load it, and compares.
func TestRedisLoadsOurFile(t *testing.T) {
	dir := t.TempDir()
	var e Encoder
	e.Header()
	e.Aux("redis-ver", "7.4.0")
	e.Aux("redis-bits", "64")
	vals := redisValues()
	e.SelectDB(0)
	e.ResizeDB(uint64(len(vals)), 1)
	for i, v := range vals {
		if i == 1 {
			e.Expire(4102444800000)
		}
		e.KeyValue([]byte(fmt.Sprintf("k%d", i)), v)
	}
	e.SelectDB(2)
	e.KeyValue([]byte("in-db-2"), vals[0])
	e.SelectDB(0) // SELECTDB may come back to a database
	e.KeyValue([]byte("back-in-0"), vals[0])
	e.EOF()
	file := AppendChecksum(e.Buf, CRC64(0, e.Buf))
	path := filepath.Join(dir, "ours.rdb")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("redis-check-rdb"); err == nil {
		out, err := exec.Command("redis-check-rdb", path).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
			t.Fatalf("redis-check-rdb: %v\n%s", err, out)
		}
	}
	c := startRedis(t, dir, "ours.rdb")
	ctx := context.Background()
	for i, v := range vals {
		checkInRedis(t, c, fmt.Sprintf("k%d", i), v)
	}
	if ttl := c.PExpireTime(ctx, "k1").Val(); ttl != 4102444800000*time.Millisecond {
		t.Errorf("pexpiretime %v", ttl)
	}
	if n := c.DBSize(ctx).Val(); n != int64(len(vals)+1) {
		t.Errorf("dbsize %d", n)
	}
	// DUMP payloads both ways, with RESTORE's deep sanitization.
	for i, v := range vals {
		var e Encoder
		e.Value(v)
		key := fmt.Sprintf("restored%d", i)
		if err := c.Restore(ctx, key, 0, string(DumpFooter(e.Buf))).Err(); err != nil {
			t.Fatalf("RESTORE %d: %v", i, err)
		}
		checkInRedis(t, c, key, v)
		dump, err := c.Dump(ctx, fmt.Sprintf("k%d", i)).Result()
		if err != nil {
			t.Fatal(err)
		}
		body, ok := VerifyDump([]byte(dump))
		if !ok {
			t.Fatalf("redis DUMP footer rejected")
		}
		got, err := DecodeValue(body)
		if err != nil {
			t.Fatalf("decode redis DUMP of %d: %v", i, err)
		}
		if got.Kind != v.Kind || len(got.Elems) != len(v.Elems) {
			t.Fatalf("DUMP %d: %+v", i, got)
		}
	}
}
