package info

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	cases := []struct {
		args []string
		want []string
		not  []string
	}{
		{nil, []string{"server", "keyspace", "errorstats", "modules"}, []string{"commandstats", "latencystats"}},
		{[]string{"default"}, []string{"server", "cpu"}, []string{"commandstats"}},
		{[]string{"all"}, []string{"server", "commandstats", "latencystats", "keyspace"}, nil},
		{[]string{"everything"}, []string{"commandstats", "latencystats"}, nil},
		{[]string{"CPU", "Server"}, []string{"cpu", "server"}, []string{"memory", "clients"}},
		{[]string{"nosuch"}, nil, []string{"server"}},
	}
	for _, c := range cases {
		sel := Select(c.args)
		for _, s := range c.want {
			if !sel.Has(s) {
				t.Errorf("Select(%v) lacks %s", c.args, s)
			}
		}
		for _, s := range c.not {
			if sel.Has(s) {
				t.Errorf("Select(%v) has %s", c.args, s)
			}
		}
	}
}

func TestRenderLayout(t *testing.T) {
	d := &Data{RedisVersion: "7.4.0", Keyspace: []DBStat{{Index: 0, Keys: 3, Expires: 1}, {Index: 1}, {Index: 5, Keys: 1}}}
	// Sections come in Redis's order whatever the order asked, separated by
	// a blank line, every line ending in CRLF.
	got := Render(d, Select([]string{"keyspace", "cpu"}))
	want := "# CPU\r\nused_cpu_sys:0.000000\r\nused_cpu_user:0.000000\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n" +
		"used_cpu_sys_main_thread:0.000000\r\nused_cpu_user_main_thread:0.000000\r\nused_cpu_gc:0.000000\r\ngc_cpu_fraction:0.000000\r\n" +
		"\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb5:keys=1,expires=0,avg_ttl=0\r\n"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if got := Render(d, Select([]string{"nosuch"})); got != "" {
		t.Fatalf("unknown section rendered %q", got)
	}
	if got := Render(&Data{}, Select([]string{"keyspace"})); got != "# Keyspace\r\n" {
		t.Fatalf("empty keyspace rendered %q", got)
	}
}

func TestRenderFieldsClientsParse(t *testing.T) {
	d := &Data{
		RedisVersion: "7.4.0", Version: "0.1.0", UsedMemory: 1536, ConnectedClients: 2,
		TotalCommandsProcessed: 7, MasterReplID: strings.Repeat("a", 40),
		Commands: []CommandStat{{Name: "get", Calls: 4, Usec: 10, Failed: 1}, {Name: "unused"}, {Name: "config|get", Calls: 1, Usec: 3}},
		Errors:   map[string]int64{"WRONGTYPE": 2, "ERR": 1},
	}
	out := Render(d, Select([]string{"everything"}))
	for _, line := range []string{
		"redis_version:7.4.0", "redis_mode:standalone", "damselfly_version:0.1.0",
		"used_memory:1536", "used_memory_human:1.50K", "connected_clients:2",
		"total_commands_processed:7", "loading:0", "async_loading:0", "role:master",
		"master_repl_offset:0", "aof_enabled:0", "rdb_last_bgsave_status:ok", "cluster_enabled:0",
		"cmdstat_get:calls=4,usec=10,usec_per_call=2.50,rejected_calls=0,failed_calls=1",
		"cmdstat_config|get:calls=1,usec=3,usec_per_call=3.00,rejected_calls=0,failed_calls=0",
		"errorstat_ERR:count=1", "errorstat_WRONGTYPE:count=2",
	} {
		if !strings.Contains(out, "\r\n"+line+"\r\n") {
			t.Errorf("INFO lacks %q", line)
		}
	}
	if strings.Contains(out, "cmdstat_unused") {
		t.Error("a command never called is listed")
	}
	if strings.Index(out, "errorstat_ERR") > strings.Index(out, "errorstat_WRONGTYPE") {
		t.Error("error codes not sorted")
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 1023: "1023B", 1024: "1.00K", 1536: "1.50K", 1 << 20: "1.00M",
		5 << 30: "5.00G", 3 << 40: "3.00T", 1 << 50: "1.00P",
	} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %s, want %s", n, got, want)
		}
	}
}
