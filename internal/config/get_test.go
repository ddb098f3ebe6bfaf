package config

import (
	"fmt"
	"testing"
)

// Defaults as CONFIG GET shows them. For Redis's settings the values are
// those of redis-server 7.0.15 except where Dragonfly's default is used
// (hz 100 rather than 10, dbfilename).
func TestGetDefaults(t *testing.T) {
	want := map[string]string{
		"maxmemory":                  "0",
		"maxclients":                 "10000",
		"timeout":                    "0",
		"tcp-keepalive":              "300",
		"proto-max-bulk-len":         "536870912",
		"client-query-buffer-limit":  "1073741824",
		"databases":                  "16",
		"maxmemory-policy":           "noeviction",
		"notify-keyspace-events":     "",
		"slowlog-log-slower-than":    "10000",
		"slowlog-max-len":            "128",
		"latency-monitor-threshold":  "0",
		"lua-time-limit":             "5000",
		"busy-reply-threshold":       "5000",
		"hash-max-listpack-entries":  "512",
		"hash-max-ziplist-entries":   "512",
		"hash-max-listpack-value":    "64",
		"list-max-listpack-size":     "-2",
		"set-max-intset-entries":     "512",
		"set-max-listpack-entries":   "128",
		"set-max-listpack-value":     "64",
		"zset-max-listpack-entries":  "128",
		"zset-max-listpack-value":    "64",
		"appendonly":                 "no",
		"client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		"maxmemory-samples":          "5",
		"lfu-log-factor":             "10",
		"lfu-decay-time":             "1",
		"tcp-backlog":                "511",
		"port":                       "6379",
		"requirepass":                "",
		"save":                       "",
		"bind":                       "",
		"hz":                         "100",
		"dbfilename":                 "dump-{timestamp}",
		"dir":                        "",
		"cache_mode":                 "false",
		"proactor_threads":           "0",
		"pipeline_squash":            "10",
		"log_level":                  "info",
		"loglevel":                   "info",
		"snapshot_cron":              "",
		"save_schedule":              "",
	}
	c := Default()
	for name, v := range want {
		got := c.Get(name)
		if len(got) != 1 || got[0] != [2]string{name, v} {
			t.Errorf("Get(%q) = %q, want %q", name, got, v)
		}
	}
}

func TestGetExactNames(t *testing.T) {
	c := Default()
	tests := []struct {
		in   []string
		want string
	}{
		// Exact names are echoed as spelled, as Redis does.
		{[]string{"MAXCLIENTS"}, "[[MAXCLIENTS 10000]]"},
		{[]string{"tcp_keepalive"}, "[[tcp_keepalive 300]]"},
		{[]string{"tcp-backlog"}, "[[tcp-backlog 511]]"},
		{[]string{"TCP_Backlog"}, "[[TCP_Backlog 511]]"},
		{[]string{"io-threads"}, "[[io-threads 0]]"},
		{[]string{"hash-max-ziplist-entries"}, "[[hash-max-ziplist-entries 512]]"},
		{[]string{"dbnum"}, "[[dbnum 16]]"},
		{[]string{"nosuch"}, "[]"},
		{[]string{`h\z`}, "[]"},
		{[]string{"hz", "HZ", "port"}, "[[hz 100] [port 6379]]"},
		{[]string{}, "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(c.Get(tt.in...)); got != tt.want {
			t.Errorf("Get(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestGetGlobs(t *testing.T) {
	c := Default()
	names := func(pairs [][2]string) string {
		var n []string
		for _, p := range pairs {
			n = append(n, p[0])
		}
		return fmt.Sprint(n)
	}
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"slowlog*"}, "[slowlog-log-slower-than slowlog-max-len]"},
		// Globs match either spelling and answer with each name matched;
		// start-only Dragonfly names only for a Dragonfly-style glob.
		{[]string{"slowlog_*"}, "[slowlog-log-slower-than slowlog-max-len]"},
		{[]string{"tcp_*"}, "[tcp_backlog tcp-backlog tcp-keepalive]"},
		{[]string{"tcp-*"}, "[tcp-backlog tcp-keepalive]"},
		{[]string{"TCP*"}, "[tcp-backlog tcp-keepalive]"},
		{[]string{"h?"}, "[hz]"},
		{[]string{"[hp][zo]*"}, "[hz port]"},
		{[]string{"[h]\\z"}, "[hz]"},
		{[]string{"hash-max-*"}, "[hash-max-listpack-entries hash-max-ziplist-entries hash-max-listpack-value hash-max-ziplist-value]"},
		{[]string{"*of"}, "[replicaof slaveof]"},
		// A glob that only an alias matches answers with that alias, once.
		{[]string{"*ziplist*"}, "[hash-max-ziplist-entries hash-max-ziplist-value list-max-ziplist-size zset-max-ziplist-entries zset-max-ziplist-value]"},
		{[]string{"*time-limit*"}, "[lua-time-limit]"},
		{[]string{"*threshold*"}, "[active-defrag-threshold-lower active-defrag-threshold-upper busy-reply-threshold latency-monitor-threshold]"},
		{[]string{"io*"}, "[io-threads-do-reads]"},
		{[]string{"io_*"}, "[io-threads-do-reads io_threads]"},
		{[]string{"maxmemory*"}, "[maxmemory maxmemory-clients maxmemory-policy maxmemory-samples]"},
		{[]string{"maxmemory*", "maxmemory"}, "[maxmemory maxmemory-clients maxmemory-policy maxmemory-samples]"},
		{[]string{"port", "*port"}, "[port cluster-announce-bus-port cluster-announce-port cluster-announce-tls-port cluster-port replica-announce-port slave-announce-port]"},
		{[]string{"*_port"}, "[admin_port cluster-announce-bus-port cluster-announce-port cluster-announce-tls-port cluster-port no_tls_on_admin_port prometheus_port replica-announce-port slave-announce-port]"},
		// Hidden settings answer by name only.
		{[]string{"key-load-*"}, "[]"},
		{[]string{"key-load-delay"}, "[key-load-delay]"},
		{[]string{"nomatch*"}, "[]"},
		// So do Dragonfly's flags that only exist for its command lines.
		{[]string{"*version_check*"}, "[]"},
		{[]string{"version_check", "memcached_port"}, "[version_check memcached_port]"},
	}
	for _, tt := range tests {
		if got := names(c.Get(tt.in...)); got != tt.want {
			t.Errorf("Get(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}

	all := c.Get("*")
	if len(all) < len(c.settings)-len(dragonflyCompat)-40 {
		t.Errorf("Get(*) gave %d pairs for %d settings", len(all), len(c.settings))
	}
	seen := map[string]bool{}
	for _, p := range all {
		if seen[p[0]] {
			t.Errorf("Get(*) repeats %s", p[0])
		}
		seen[p[0]] = true
	}
}
