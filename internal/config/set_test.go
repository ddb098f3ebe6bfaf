package config

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// Replies of redis-server 7.0.15 to the same CONFIG SET commands, except
// where marked: there Damselfly deliberately differs.
func TestSetErrors(t *testing.T) {
	const failed = "ERR CONFIG SET failed (possibly related to argument "
	tests := []struct {
		pairs []string
		want  string
	}{
		{[]string{"foo", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]string{"maxclients", "10", "foo", "20"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]string{"Foo", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'Foo'"},
		{[]string{"maxclients", "abc"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"MAXCLIENTS", "abc"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"maxclients", "-1"}, failed + "'maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{[]string{"maxclients", "0"}, failed + "'maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{[]string{"maxclients", "0100"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"maxclients", "+5"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"maxclients", " 5"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"maxclients", "1.5"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"maxclients", "99999999999999999999999"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"slowlog-log-slower-than", "-0"}, failed + "'slowlog-log-slower-than') - argument couldn't be parsed into an integer"},
		{[]string{"hash-max-ziplist-entries", "abc"}, failed + "'hash-max-ziplist-entries') - argument couldn't be parsed into an integer"},
		{[]string{"hash-max-listpack-entries", "-1"}, failed + "'hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive"},
		{[]string{"maxmemory", "abc"}, failed + "'maxmemory') - argument must be a memory value"},
		{[]string{"maxmemory", "1x"}, failed + "'maxmemory') - argument must be a memory value"},
		{[]string{"maxmemory", "-1"}, failed + "'maxmemory') - argument must be a memory value"},
		{[]string{"maxmemory", " 100"}, failed + "'maxmemory') - argument must be a memory value"},
		{[]string{"maxmemory-policy", "foo"}, failed + "'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
		{[]string{"maxmemory-policy", " noeviction"}, failed + "'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
		{[]string{"notify-keyspace-events", "Q"}, failed + "'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
		{[]string{"save", "100"}, failed + "'save') - Invalid save parameters"},
		{[]string{"save", "a b"}, failed + "'save') - Invalid save parameters"},
		{[]string{"save", "100 1 x 2"}, failed + "'save') - Invalid save parameters"},
		{[]string{"save", "0 1"}, failed + "'save') - Invalid save parameters"},
		{[]string{"save", "1 -1"}, failed + "'save') - Invalid save parameters"},
		{[]string{"hz", "-1"}, failed + "'hz') - argument must be between 0 and 2147483647 inclusive"},
		{[]string{"hz", "abc"}, failed + "'hz') - argument couldn't be parsed into an integer"},
		{[]string{"timeout", "-1"}, failed + "'timeout') - argument must be between 0 and 2147483647 inclusive"},
		{[]string{"proto-max-bulk-len", "10"}, failed + "'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"},
		{[]string{"client-query-buffer-limit", "10"}, failed + "'client-query-buffer-limit') - argument must be between 1048576 and 9223372036854775807 inclusive"},
		{[]string{"client-output-buffer-limit", "foo 1 2 3"}, failed + "'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."},
		{[]string{"client-output-buffer-limit", "normal 1 2"}, failed + "'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."},
		{[]string{"client-output-buffer-limit", "normal a 2 3"}, failed + "'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{[]string{"client-output-buffer-limit", "master 1 2 3"}, failed + "'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."},
		{[]string{"slowlog-max-len", "-1"}, failed + "'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive"},
		{[]string{"slowlog-log-slower-than", "-5"}, failed + "'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive"},
		{[]string{"slowlog-log-slower-than", "abc"}, failed + "'slowlog-log-slower-than') - argument couldn't be parsed into an integer"},
		{[]string{"tcp-keepalive", "-1"}, failed + "'tcp-keepalive') - argument must be between 0 and 2147483647 inclusive"},
		{[]string{"latency-monitor-threshold", "-1"}, failed + "'latency-monitor-threshold') - argument must be between 0 and 9223372036854775807 inclusive"},
		{[]string{"lua-time-limit", "-1"}, failed + "'lua-time-limit') - argument must be between 0 and 9223372036854775807 inclusive"},
		{[]string{"list-max-ziplist-size", "abc"}, failed + "'list-max-ziplist-size') - argument couldn't be parsed into an integer"},
		{[]string{"maxmemory-samples", "0"}, failed + "'maxmemory-samples') - argument must be between 1 and 2147483647 inclusive"},
		{[]string{"lfu-log-factor", "-1"}, failed + "'lfu-log-factor') - argument must be between 0 and 2147483647 inclusive"},
		{[]string{"lfu-decay-time", "-1"}, failed + "'lfu-decay-time') - argument must be between 0 and 2147483647 inclusive"},
		{[]string{"databases", "3"}, failed + "'databases') - can't set immutable config"},
		{[]string{"tcp-backlog", "5"}, failed + "'tcp-backlog') - can't set immutable config"},
		{[]string{"dir", "/nonexistent"}, failed + "'dir') - can't set protected config"},
		{[]string{"maxclients", "10", "maxclients", "20"}, failed + "'maxclients') - duplicate parameter"},
		{[]string{"hz", "5", "HZ", "6"}, failed + "'HZ') - duplicate parameter"},
		{[]string{"maxclients", "abc", "hz", "5"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"hz", "5", "maxclients", "abc"}, failed + "'maxclients') - argument couldn't be parsed into an integer"},
		// Damselfly: appendonly is read-only (Redis: mutable, "argument must be 'yes' or 'no'").
		{[]string{"appendonly", "maybe"}, failed + "'appendonly') - can't set immutable config"},
		// Damselfly: the start-only settings Redis lets CONFIG SET change.
		{[]string{"port", "0"}, failed + "'port') - can't set immutable config"},
		{[]string{"bind", "127.0.0.1"}, failed + "'bind') - can't set immutable config"},
		{[]string{"dbfilename", "a/b"}, failed + "'dbfilename') - can't set protected config"},
		// Damselfly: aliases and either spelling are the same setting.
		{[]string{"lua-time-limit", "10", "busy-reply-threshold", "20"}, failed + "'busy-reply-threshold') - duplicate parameter"},
		{[]string{"tcp-keepalive", "10", "tcp_keepalive", "20"}, failed + "'tcp_keepalive') - duplicate parameter"},
		{[]string{"cache_mode", "maybe"}, failed + "'cache_mode') - argument must be 'yes' or 'no'"},
		{[]string{"pipeline_squash", "-1"}, failed + "'pipeline_squash') - argument must be between 0 and 4294967295 inclusive"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.pairs), func(t *testing.T) {
			c := Default()
			before := c.Get("*")
			err := c.Set(pairs(tt.pairs...))
			var se *SetError
			if !errors.As(err, &se) || err.Error() != tt.want {
				t.Fatalf("Set(%q) = %v\nwant %s", tt.pairs, err, tt.want)
			}
			if after := c.Get("*"); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("a failed Set changed something")
			}
		})
	}
}

func pairs(kv ...string) [][2]string {
	var p [][2]string
	for i := 0; i+1 < len(kv); i += 2 {
		p = append(p, [2]string{kv[i], kv[i+1]})
	}
	return p
}

func TestSetValues(t *testing.T) {
	tests := []struct {
		name, value, get string
	}{
		{"list-max-listpack-size", "0", "0"},
		{"list-max-listpack-size", "-6", "-6"},
		{"maxmemory-samples", "65", "65"},
		{"hz", "0", "0"},
		{"maxmemory-policy", "ALLKEYS-LRU", "allkeys-lru"},
		{"requirepass", "", ""},
		{"requirepass", "hunter2", "hunter2"},
		{"maxmemory", "0100", "100"},
		{"maxmemory", "100B", "100"},
		{"maxmemory", "1gb", "1073741824"},
		// Dragonfly's units: Redis would give 1000000000 and reject 1.5gb.
		{"maxmemory", "1g", "1073741824"},
		{"maxmemory", "1.5gb", "1610612736"},
		{"save", "3600  1", "3600 1"},
		{"save", "1 0", "1 0"},
		{"save", "", ""},
		{"notify-keyspace-events", "KEA", "AKE"},
		{"notify-keyspace-events", "Ex", "xE"},
		{"notify-keyspace-events", "", ""},
		{"client-output-buffer-limit", "normal 1mb 2kb 3", "normal 1048576 2048 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
		{"client-output-buffer-limit", "", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
		{"cache_mode", "yes", "true"},
		{"cache_mode", "false", "false"},
		{"lua_time_limit", "100", "100"},
		{"slowlog-log-slower-than", "-1", "-1"},
		{"maxclients", "4294967295", "4294967295"},
	}
	for _, tt := range tests {
		c := Default()
		if err := c.Set(pairs(tt.name, tt.value)); err != nil {
			t.Errorf("Set(%s, %q): %v", tt.name, tt.value, err)
			continue
		}
		if got := c.Get(tt.name); len(got) != 1 || got[0][1] != tt.get {
			t.Errorf("after Set(%s, %q), Get = %q, want %q", tt.name, tt.value, got, tt.get)
		}
	}
}

func TestSetTypedFields(t *testing.T) {
	c := Default()
	err := c.Set(pairs("maxclients", "20", "maxmemory", "2gb", "cache_mode", "true", "requirepass", "pw",
		"save", "3600 1", "notify-keyspace-events", "Ex", "client-output-buffer-limit", "pubsub 1 2 3",
		"lua-time-limit", "7", "hash-max-ziplist-value", "1kb", "hz", "50"))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxClients.Get() != 20 || c.MaxMemory.Get() != 2<<30 || !c.CacheMode.Get() || c.RequirePass.Get() != "pw" ||
		c.Save.Get().String() != "3600 1" || !c.NotifyKeyspaceEvents.Get().Has(EventExpired|EventKeyevent) ||
		c.ClientOutputBufferLimit.Get().PubSub != (BufferLimit{1, 2, 3}) || c.LuaTimeLimit.Get() != 7 ||
		c.HashMaxListpackValue.Get() != 1024 || c.HZ.Get() != 50 {
		t.Errorf("typed fields not updated: %+v", c)
	}
}

// Like Redis 7, CONFIG SET with several pairs changes all or none.
func TestSetAtomic(t *testing.T) {
	c := Default()
	if err := c.Set(pairs("maxclients", "20", "hz", "abc")); err == nil {
		t.Fatal("want an error")
	}
	if err := c.Set(pairs("maxclients", "20", "databases", "3")); err == nil {
		t.Fatal("want an error")
	}
	if err := c.Set(pairs("maxclients", "20", "nosuch", "3")); err == nil {
		t.Fatal("want an error")
	}
	if c.MaxClients.Get() != 10000 {
		t.Errorf("maxclients changed to %d by a failed Set", c.MaxClients.Get())
	}
	if err := c.Set(pairs("maxclients", "20", "hz", "5")); err != nil {
		t.Fatal(err)
	}
	if c.MaxClients.Get() != 20 || c.HZ.Get() != 5 {
		t.Errorf("maxclients %d, hz %d", c.MaxClients.Get(), c.HZ.Get())
	}
	if err := c.Set(nil); err != nil {
		t.Errorf("empty Set: %v", err)
	}
}

func TestOnChange(t *testing.T) {
	c := Default()
	var slowlog, lua, both int
	c.OnChange("slowlog-max-len", func() { slowlog++ })
	c.OnChange("slowlog_max_len", func() { both++ })
	c.OnChange("lua-time-limit", func() { lua++ })
	c.OnChange("busy_reply_threshold", func() {
		// A hook may read the config and even set it.
		if c.LuaTimeLimit.Get() == 1 {
			if err := c.Set(pairs("busy-reply-threshold", "2")); err != nil {
				t.Error(err)
			}
		}
	})

	mustSet := func(kv ...string) {
		t.Helper()
		if err := c.Set(pairs(kv...)); err != nil {
			t.Fatal(err)
		}
	}
	mustSet("slowlog-max-len", "10")
	mustSet("slowlog-max-len", "10") // unchanged: no hook
	mustSet("SLOWLOG-MAX-LEN", "11", "hz", "1")
	if slowlog != 2 || both != 2 {
		t.Errorf("slowlog hooks ran %d and %d times, want 2", slowlog, both)
	}
	if err := c.Set(pairs("slowlog-max-len", "12", "hz", "x")); err == nil || slowlog != 2 {
		t.Errorf("a failed Set ran hooks (%d) or succeeded (%v)", slowlog, err)
	}

	mustSet("busy-reply-threshold", "1")
	if lua != 2 || c.LuaTimeLimit.Get() != 2 {
		t.Errorf("lua hook ran %d times, value %d", lua, c.LuaTimeLimit.Get())
	}

	for _, name := range []string{"nosuch", "port"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("OnChange(%q) did not panic", name)
				}
			}()
			c.OnChange(name, func() {})
		}()
	}
}

// Run with -race: readers take no lock while Set runs.
func TestConcurrentReadsDuringSet(t *testing.T) {
	c := Default()
	var hooked atomic.Int64
	c.OnChange("maxclients", func() { hooked.Add(1) })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if v := c.MaxClients.Get(); v < 1 {
					t.Errorf("read maxclients %d", v)
				}
				_ = c.Save.Get().String()
				_ = c.RequirePass.Get()
				_ = c.ClientOutputBufferLimit.Get()
				_ = c.Get("max*")
			}
		}()
	}
	var setters sync.WaitGroup
	for i := 0; i < 4; i++ {
		setters.Add(1)
		go func(i int) {
			defer setters.Done()
			for j := 0; j < 200; j++ {
				v := fmt.Sprint(1 + i*1000 + j)
				if err := c.Set(pairs("maxclients", v, "save", v+" 1", "requirepass", v,
					"client-output-buffer-limit", "normal "+v+" 0 0")); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	setters.Wait()
	close(stop)
	wg.Wait()
	if hooked.Load() == 0 {
		t.Error("hook never ran")
	}
}

// TestSetProtected: dir and dbfilename change only when
// enable-protected-configs allows the client (Redis 7's texts).
func TestSetProtected(t *testing.T) {
	const failed = "ERR CONFIG SET failed (possibly related to argument "
	dir := t.TempDir()
	tests := []struct {
		mode, remote, name, value, want string
	}{
		{"no", "127.0.0.1:5000", "dir", dir, failed + "'dir') - can't set protected config"},
		{"local", "127.0.0.2:5000", "dbfilename", "x.rdb", failed + "'dbfilename') - can't set protected config"},
		{"local", "127.0.0.1:5000", "dbfilename", "x.rdb", ""},
		{"local", "[::1]:5000", "dir", dir, ""},
		{"yes", "192.0.2.7:5000", "dir", dir, ""},
		{"yes", "", "dir", "/nonexistent-damselfly", failed + "'dir') - No such file or directory"},
		{"yes", "", "dir", "/etc/passwd", failed + "'dir') - Not a directory"},
		{"yes", "", "dbfilename", "a/b", failed + "'dbfilename') - dbfilename can't be a path, just a filename"},
	}
	for _, tt := range tests {
		c := Default()
		c.EnableProtectedConfigs = tt.mode
		err := c.SetFrom(pairs(tt.name, tt.value), tt.remote)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s from %q: Set(%s %s) = %q, want %q", tt.mode, tt.remote, tt.name, tt.value, got, tt.want)
			continue
		}
		if err == nil && c.Get(tt.name)[0][1] != tt.value {
			t.Errorf("%s = %q after Set", tt.name, c.Get(tt.name)[0][1])
		}
	}
}

// TestIsLocalAddr: Redis's islocalClient: exactly 127.0.0.1 or ::1.
func TestIsLocalAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:6379": true, "[::1]:6379": true, "[::ffff:127.0.0.1]:1": true, "127.0.0.1": true,
		"127.0.0.2:6379": false, "192.0.2.7:1": false, "[fe80::1]:1": false, "": false, "garbage": false,
	} {
		if got := IsLocalAddr(addr); got != want {
			t.Errorf("IsLocalAddr(%q) = %v, want %v", addr, got, want)
		}
	}
	if !Allows("yes", "192.0.2.7:1") || Allows("no", "127.0.0.1:1") || Allows("local", "127.0.0.2:1") || !Allows("local", "[::1]:2") {
		t.Error("Allows")
	}
}
