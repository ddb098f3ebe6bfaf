package e2e

import (
	"bufio"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// do runs one command and renders its reply (or error) as text, so replies
// of Damselfly and redis-server can be compared.
func do(t *testing.T, c *redis.Client, args ...any) string {
	t.Helper()
	v, err := c.Do(Ctx(t), args...).Result()
	if err != nil {
		if err == redis.Nil {
			return "<nil>"
		}
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%#v", v)
}

// TestServerCommandsMatchRedis sends the same commands to Damselfly and to
// redis-server and expects the same replies, in RESP2 and RESP3, for
// everything whose answer does not depend on the server's state or wording
// choices (Damselfly's summaries are Redis 7.2's).
func TestServerCommandsMatchRedis(t *testing.T) {
	d := Start(t)
	r := StartRedis(t, "--enable-debug-command", "yes")
	cmds := [][]any{
		{"COMMAND", "INFO", "get", "nosuch", "set", "mset", "dbsize", "lastsave", "flushall", "swapdb", "time"},
		{"COMMAND", "INFO", "config|get", "slowlog|get", "command|docs", "latency|reset"},
		{"COMMAND", "COUNT", "x"},
		{"COMMAND", "NOSUCH"},
		{"COMMAND", "HELP"},
		{"COMMAND", "DOCS", "nosuch"},
		{"COMMAND", "GETKEYS", "set", "a", "b"},
		{"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"},
		{"COMMAND", "GETKEYS", "get"},
		{"COMMAND", "GETKEYS", "nosuch", "a"},
		{"COMMAND", "GETKEYS", "set", "a"},
		{"COMMAND", "GETKEYS", "config", "get", "x"},
		{"COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"},
		{"COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "GET"},
		{"COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"},
		{"COMMAND", "GETKEYSANDFLAGS", "getdel", "a"},
		{"COMMAND", "LIST", "FILTERBY"},
		{"COMMAND", "LIST", "FILTERBY", "MODULE", "x"},
		{"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"},
		{"COMMAND", "LIST", "FILTERBY", "PATTERN", "lcs"},
		{"CONFIG"},
		{"CONFIG", "GET"},
		{"CONFIG", "GET", "maxmemory-samples", "maxmemory-samples"}, // maxmemory 0 means a share of this machine here, as in Dragonfly
		{"CONFIG", "SET", "a"},
		{"CONFIG", "SET", "a", "b", "c"},
		{"CONFIG", "SET", "nosuch", "1"},
		{"CONFIG", "REWRITE"},
		{"CONFIG", "RESETSTAT", "x"},
		{"CONFIG", "HELP"},
		{"CONFIG", "NOSUCH"},
		{"DBSIZE", "x"},
		{"FLUSHDB", "x"},
		{"FLUSHDB", "ASYNC", "SYNC"},
		{"FLUSHALL", "SYNC"},
		{"SWAPDB", "a", "1"},
		{"SWAPDB", "0", "b"},
		{"SWAPDB", "0", "100"},
		{"SWAPDB", "-1", "0"},
		{"SWAPDB", "0", "0"},
		{"MONITOR", "x"},
		{"SHUTDOWN", "x"},
		{"SHUTDOWN", "NOSAVE", "SAVE"},
		{"SHUTDOWN", "ABORT"},
		{"SHUTDOWN", "ABORT", "NOW"},
		{"SLOWLOG"},
		{"SLOWLOG", "HELP"},
		{"SLOWLOG", "GET", "-2"},
		{"SLOWLOG", "GET", "x"},
		{"SLOWLOG", "NOSUCH"},
		{"SLOWLOG", "LEN", "x"},
		{"LATENCY", "HELP"},
		{"LATENCY", "LATEST"},
		{"LATENCY", "HISTORY", "command"},
		{"LATENCY", "GRAPH", "command"},
		{"LATENCY", "RESET"},
		{"LATENCY", "DOCTOR"},
		{"LATENCY", "NOSUCH"},
		{"MEMORY", "HELP"},
		{"MEMORY", "DOCTOR"},
		{"MEMORY", "NOSUCH"},
		{"INFO", "nosuch"},
		{"DEBUG"},
		{"DEBUG", "NOSUCH"},
		{"DEBUG", "OBJECT", "nokey"},
		{"DEBUG", "RELOAD", "x"},
		{"DEBUG", "POPULATE", "-1"},
		{"DEBUG", "POPULATE", "x"},
		{"DEBUG", "PROTOCOL", "string"},
		{"DEBUG", "PROTOCOL", "integer"},
		{"DEBUG", "PROTOCOL", "double"},
		{"DEBUG", "PROTOCOL", "bignum"},
		{"DEBUG", "PROTOCOL", "null"},
		{"DEBUG", "PROTOCOL", "array"},
		{"DEBUG", "PROTOCOL", "set"},
		{"DEBUG", "PROTOCOL", "map"},
		{"DEBUG", "PROTOCOL", "attrib"},
		{"DEBUG", "PROTOCOL", "verbatim"},
		{"DEBUG", "PROTOCOL", "true"},
		{"DEBUG", "PROTOCOL", "nosuch"},
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1x"},
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"},
		{"DEBUG", "SET-ACTIVE-EXPIRE", "1"},
		{"DEBUG", "CHANGE-REPL-ID"},
		{"DEBUG", "ERROR", "MYERR something"},
		{"DEBUG", "SLEEP", "0"},
		// The dataset digest: Redis's exact algorithm for strings.
		{"FLUSHALL"},
		{"DEBUG", "DIGEST"},
		{"SET", "s", "hello"},
		{"SET", "n", "12345"},
		{"SELECT", "3"},
		{"SET", "other", "db"},
		{"DEBUG", "POPULATE", "50"},
		{"DEBUG", "POPULATE", "10", "p", "3"},
		{"SET", "key:1", "kept"},
		{"DEBUG", "POPULATE", "3"},
		{"GET", "key:1"},
		{"GET", "p:7"},
		{"DBSIZE"},
		{"DEBUG", "DIGEST"},
		{"DEBUG", "DIGEST-VALUE", "key:1", "nokey", "other"},
		{"DEBUG", "OBJECT", "p:1"},
		{"SWAPDB", "0", "3"},
		{"DBSIZE"},
		{"DEBUG", "DIGEST"},
		{"FLUSHDB"},
		{"DBSIZE"},
		{"DEBUG", "DIGEST"},
		{"FLUSHALL", "ASYNC"},
		{"DEBUG", "DIGEST"},
	}
	// Pointers and clocks differ between the servers.
	masks := []*regexp.Regexp{regexp.MustCompile(`at:0x[0-9a-f]+`), regexp.MustCompile(`lru:\d+`)}
	for _, proto := range []int{2, 3} {
		dc, rc := d.Client(t, proto), r.Client(t, proto)
		for _, cmd := range cmds {
			got, want := do(t, dc, cmd...), do(t, rc, cmd...)
			for _, m := range masks {
				got, want = m.ReplaceAllString(got, "X"), m.ReplaceAllString(want, "X")
			}
			if got != want {
				t.Errorf("RESP%d %v:\n got  %s\n want %s", proto, cmd, got, want)
			}
		}
	}
}

// Subcommand order and summaries legitimately differ; names, key specs,
// argument trees and history must not.
func TestCommandDocsArguments(t *testing.T) {
	d := Start(t)
	r := StartRedis(t)
	for _, proto := range []int{2, 3} {
		dc, rc := d.Client(t, proto), r.Client(t, proto)
		for _, name := range []string{"set", "get", "mset", "config", "flushall", "swapdb", "debug"} {
			gd, err1 := dc.Do(Ctx(t), "COMMAND", "DOCS", name).Result()
			rd, err2 := rc.Do(Ctx(t), "COMMAND", "DOCS", name).Result()
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v %v", name, err1, err2)
			}
			for _, field := range []string{"arguments", "history", "group", "since"} {
				if g, w := docField(gd, name, field), docField(rd, name, field); g != w {
					t.Errorf("RESP%d COMMAND DOCS %s %s:\n got  %s\n want %s", proto, name, field, g, w)
				}
			}
		}
		// The full COMMAND reply parses and lists every command once.
		all, err := dc.Do(Ctx(t), "COMMAND").Slice()
		if err != nil {
			t.Fatal(err)
		}
		n, _ := dc.Do(Ctx(t), "COMMAND", "COUNT").Int()
		if len(all) != n || n == 0 {
			t.Fatalf("COMMAND has %d entries, COUNT says %d", len(all), n)
		}
		if _, err := dc.Do(Ctx(t), "COMMAND", "DOCS").Result(); err != nil {
			t.Fatal(err)
		}
	}
}

// docField extracts one field of a COMMAND DOCS reply in either protocol.
func docField(reply any, name, field string) string {
	var doc any
	switch v := reply.(type) {
	case map[any]any:
		doc = v[name]
	case []any:
		for i := 0; i+1 < len(v); i += 2 {
			if v[i] == name {
				doc = v[i+1]
			}
		}
	}
	switch m := doc.(type) {
	case map[any]any:
		return fmt.Sprintf("%#v", m[field])
	case []any:
		for i := 0; i+1 < len(m); i += 2 {
			if m[i] == field {
				return fmt.Sprintf("%#v", m[i+1])
			}
		}
	}
	return "<absent>"
}

func TestInfoSections(t *testing.T) {
	d := Start(t)
	r := StartRedis(t)
	dc, rc := d.Client(t, 3), r.Client(t, 3)
	ctx := Ctx(t)
	headers := func(c *redis.Client, args ...string) []string {
		s, err := c.Info(ctx, args...).Result()
		if err != nil {
			t.Fatal(err)
		}
		var h []string
		for _, l := range strings.Split(s, "\r\n") {
			if strings.HasPrefix(l, "# ") {
				h = append(h, l)
			}
		}
		return h
	}
	for _, args := range [][]string{nil, {"default"}, {"all"}, {"everything"}, {"cpu", "server"}, {"commandstats"}, {"keyspace"}} {
		if g, w := headers(dc, args...), headers(rc, args...); strings.Join(g, ",") != strings.Join(w, ",") {
			t.Errorf("INFO %v sections %v, want %v", args, g, w)
		}
	}
	parse := func(info string) map[string]string {
		fields := map[string]string{}
		for _, l := range strings.Split(info, "\r\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				fields[k] = v
			}
		}
		return fields
	}
	before, _ := dc.Info(ctx, "errorstats").Result()
	dc.Set(ctx, "a", "1", 0)
	dc.Set(ctx, "b", "2", 0)
	dc.Get(ctx, "a")
	dc.Get(ctx, "missing")
	dc.Do(ctx, "NOSUCHCMD")
	info, err := dc.Info(ctx, "everything").Result()
	if err != nil {
		t.Fatal(err)
	}
	fields := parse(info)
	var errs int
	fmt.Sscanf(parse(before)["errorstat_ERR"], "count=%d", &errs)
	for k, want := range map[string]string{
		"redis_version": "7.4.0", "redis_mode": "standalone", "loading": "0", "async_loading": "0",
		"role": "master", "connected_slaves": "0", "master_repl_offset": "0", "aof_enabled": "0",
		"rdb_bgsave_in_progress": "0", "rdb_last_bgsave_status": "ok", "keyspace_hits": "1", "keyspace_misses": "1",
		"db0": "keys=2,expires=0,avg_ttl=0", "errorstat_ERR": fmt.Sprintf("count=%d", errs+1), "cluster_enabled": "0",
		"tcp_port": fmt.Sprint(d.Port),
	} {
		if fields[k] != want {
			t.Errorf("INFO %s = %q, want %q", k, fields[k], want)
		}
	}
	for _, k := range []string{"damselfly_version", "os", "arch_bits", "process_id", "run_id", "uptime_in_seconds",
		"uptime_in_days", "hz", "executable", "config_file", "connected_clients", "blocked_clients", "maxclients",
		"used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human", "used_memory_peak",
		"used_memory_peak_human", "maxmemory", "maxmemory_human", "maxmemory_policy", "mem_fragmentation_ratio",
		"total_system_memory", "rdb_changes_since_last_save", "rdb_last_save_time", "total_connections_received",
		"total_commands_processed", "instantaneous_ops_per_sec", "total_net_input_bytes", "total_net_output_bytes",
		"instantaneous_input_kbps", "rejected_connections", "expired_keys", "evicted_keys", "pubsub_channels",
		"total_error_replies", "master_replid", "used_cpu_sys", "used_cpu_user", "cmdstat_set", "cmdstat_get"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("INFO lacks %s", k)
		}
	}
	if !strings.HasPrefix(fields["cmdstat_get"], "calls=2,usec=") || !strings.HasSuffix(fields["cmdstat_get"], ",rejected_calls=0,failed_calls=0") {
		t.Errorf("cmdstat_get = %q", fields["cmdstat_get"])
	}
	// CONFIG RESETSTAT clears the counters.
	if err := dc.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	info, _ = dc.Info(ctx, "stats", "commandstats", "errorstats").Result()
	for _, gone := range []string{"cmdstat_get", "cmdstat_set", "errorstat_ERR"} {
		if strings.Contains(info, gone) {
			t.Errorf("%s survived CONFIG RESETSTAT", gone)
		}
	}
	if !strings.Contains(info, "\r\nkeyspace_hits:0\r\n") || !strings.Contains(info, "\r\ncmdstat_config|resetstat:calls=1,") {
		t.Errorf("after RESETSTAT: %s", info)
	}
}

// The slow log entry has Redis 4+'s six fields; redis_exporter depends on it.
func TestSlowlogEntryShape(t *testing.T) {
	for _, s := range []*Server{Start(t), StartRedis(t)} {
		c := s.Client(t, 2)
		ctx := Ctx(t)
		if err := c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err(); err != nil {
			t.Fatalf("%s: %v", s.Addr, err)
		}
		c.Do(ctx, "CLIENT", "SETNAME", "probe")
		c.Set(ctx, "k", "v", 0)
		entries, err := c.Do(ctx, "SLOWLOG", "GET", "1").Slice()
		if err != nil || len(entries) != 1 {
			t.Fatalf("%s: %v %v", s.Addr, entries, err)
		}
		e := entries[0].([]any)
		if len(e) != 6 {
			t.Fatalf("%s: entry has %d fields", s.Addr, len(e))
		}
		_, idOK := e[0].(int64)
		_, tsOK := e[1].(int64)
		_, usOK := e[2].(int64)
		if !idOK || !tsOK || !usOK || fmt.Sprint(e[3]) != "[set k v]" || !strings.HasPrefix(e[4].(string), "127.0.0.1:") || e[5] != "probe" {
			t.Fatalf("%s: entry %#v", s.Addr, e)
		}
		if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); n < 1 {
			t.Fatalf("%s: SLOWLOG LEN %d", s.Addr, n)
		}
		if all, _ := c.Do(ctx, "SLOWLOG", "GET", "-1").Slice(); len(all) < 3 {
			t.Fatalf("%s: SLOWLOG GET -1 returned %d", s.Addr, len(all))
		}
		c.Do(ctx, "SLOWLOG", "RESET")
		if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); n != 1 { // the RESET itself
			t.Fatalf("%s: SLOWLOG LEN after RESET %d", s.Addr, n)
		}
	}
}

func TestLatencyMonitor(t *testing.T) {
	for _, s := range []*Server{Start(t), StartRedis(t, "--enable-debug-command", "yes")} {
		c := s.Client(t, 3)
		ctx := Ctx(t)
		c.ConfigSet(ctx, "latency-monitor-threshold", "20")
		if err := c.Do(ctx, "DEBUG", "SLEEP", "0.05").Err(); err != nil {
			t.Fatal(err)
		}
		latest, err := c.Do(ctx, "LATENCY", "LATEST").Slice()
		if err != nil || len(latest) != 1 {
			t.Fatalf("%s: LATENCY LATEST %v %v", s.Addr, latest, err)
		}
		ev := latest[0].([]any)
		if len(ev) != 4 || ev[0] != "command" || ev[2].(int64) < 50 || ev[3].(int64) < 50 {
			t.Fatalf("%s: event %#v", s.Addr, ev)
		}
		hist, _ := c.Do(ctx, "LATENCY", "HISTORY", "command").Slice()
		if len(hist) != 1 || len(hist[0].([]any)) != 2 {
			t.Fatalf("%s: history %#v", s.Addr, hist)
		}
		graph, _ := c.Do(ctx, "LATENCY", "GRAPH", "command").Text()
		if !strings.HasPrefix(graph, "command - high ") {
			t.Fatalf("%s: graph %q", s.Addr, graph)
		}
		doctor, _ := c.Do(ctx, "LATENCY", "DOCTOR").Text()
		if !strings.Contains(doctor, "1. command: 1 latency spikes") {
			t.Fatalf("%s: doctor %q", s.Addr, doctor)
		}
		h, err := c.Do(ctx, "LATENCY", "HISTOGRAM", "debug", "nosuch").Result()
		m, ok := h.(map[any]any)
		if err != nil || !ok || len(m) != 1 {
			t.Fatalf("%s: histogram %#v %v", s.Addr, h, err)
		}
		dbg := m["debug"].(map[any]any)
		if dbg["calls"] != int64(1) || len(dbg["histogram_usec"].(map[any]any)) != 1 {
			t.Fatalf("%s: histogram %#v", s.Addr, dbg)
		}
		if n, _ := c.Do(ctx, "LATENCY", "RESET", "command", "nosuch").Int(); n != 1 {
			t.Fatalf("%s: LATENCY RESET = %d", s.Addr, n)
		}
	}
}

func TestTimeAndLastsave(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 2)
	ctx := Ctx(t)
	tm, err := c.Time(ctx).Result()
	if err != nil || time.Since(tm).Abs() > 5*time.Second {
		t.Fatalf("TIME %v %v", tm, err)
	}
	ls, err := c.LastSave(ctx).Result()
	if err != nil || ls > time.Now().Unix() || ls < time.Now().Unix()-60 {
		t.Fatalf("LASTSAVE %d %v", ls, err)
	}
}

func TestMemoryStats(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 3)
	ctx := Ctx(t)
	c.Do(ctx, "DEBUG", "POPULATE", "1000")
	st, err := c.Do(ctx, "MEMORY", "STATS").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := st.(map[any]any)
	for _, k := range []string{"peak.allocated", "total.allocated", "startup.allocated", "keys.count", "dataset.bytes", "fragmentation", "db.0"} {
		if _, ok := m[k]; !ok {
			t.Errorf("MEMORY STATS lacks %s", k)
		}
	}
	if m["keys.count"] != int64(1000) {
		t.Errorf("keys.count = %v", m["keys.count"])
	}
	if err := c.Do(ctx, "MEMORY", "PURGE").Err(); err != nil {
		t.Fatal(err)
	}
	if txt, err := c.Do(ctx, "MEMORY", "MALLOC-STATS").Text(); err != nil || !strings.Contains(txt, "/memory/classes/total:bytes") {
		t.Fatalf("MALLOC-STATS %q %v", txt, err)
	}
}

// rawConn is a bare RESP2 connection for MONITOR and SHUTDOWN.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{nc, bufio.NewReader(nc)}
}

func (c *rawConn) send(args ...string) {
	fmt.Fprintf(c, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *rawConn) line(t *testing.T) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(l, "\r\n")
}

func TestMonitor(t *testing.T) {
	s := Start(t)
	mon := dialRaw(t, s.Addr)
	mon.send("MONITOR")
	if l := mon.line(t); l != "+OK" {
		t.Fatalf("MONITOR replied %q", l)
	}
	c := s.Client(t, 2)
	ctx := Ctx(t)
	c.Set(ctx, "k", "v", 0)
	c.ConfigGet(ctx, "hz") // admin commands are not shown
	c.Get(ctx, "k")
	var lines []string
	for len(lines) < 2 {
		if l := mon.line(t); !strings.Contains(l, `"hello"`) && !strings.Contains(l, `"client"`) {
			lines = append(lines, l)
		}
	}
	re := regexp.MustCompile(`^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] `)
	for i, want := range []string{`"set" "k" "v"`, `"get" "k"`} {
		if !re.MatchString(lines[i]) || !strings.HasSuffix(lines[i], want) {
			t.Fatalf("monitor line %q, want ... %s", lines[i], want)
		}
	}
}

func TestShutdown(t *testing.T) {
	s := Start(t)
	c := dialRaw(t, s.Addr)
	c.send("SHUTDOWN", "NOSAVE")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := c.r.ReadByte(); err == nil {
		t.Fatalf("SHUTDOWN replied %q", b)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, s.Log())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server still running after SHUTDOWN")
	}
}

// COMMAND LIST names every command and subcommand once.
func TestCommandList(t *testing.T) {
	s := Start(t)
	c := s.Client(t, 3)
	ctx := Ctx(t)
	names, err := c.Do(ctx, "COMMAND", "LIST").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Fatalf("%s listed twice", n)
		}
		seen[n] = true
	}
	for _, n := range []string{"get", "info", "config|get", "command|docs", "slowlog|get", "memory|stats"} {
		if !seen[n] {
			t.Errorf("COMMAND LIST lacks %s", n)
		}
	}
	conf, _ := c.Do(ctx, "COMMAND", "LIST", "FILTERBY", "PATTERN", "config*").StringSlice()
	sort.Strings(conf)
	if strings.Join(conf, " ") != "config config|get config|help config|resetstat config|rewrite config|set" {
		t.Errorf("PATTERN config* = %v", conf)
	}
	admin, _ := c.Do(ctx, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin").StringSlice()
	if !contains(admin, "config|set") || contains(admin, "get") {
		t.Errorf("ACLCAT admin = %v", admin)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
