package e2e

import (
	"context"
	"strings"
	"testing"
)

// What Redis 7.0's unit/introspection checks of CONFIG, on both servers.

// redisSanitySkip is the list of settings Redis's "CONFIG sanity" test
// does not write back (start-only or special on Redis itself).
var redisSanitySkip = strings.Fields(`rdbchecksum daemonize io-threads-do-reads tcp-backlog
	always-show-logo syslog-enabled cluster-enabled disable-thp aclfile unixsocket pidfile
	syslog-ident appendfilename appenddirname supervised syslog-facility databases io-threads
	logfile unixsocketperm replicaof slaveof requirepass server_cpulist bio_cpulist
	aof_rewrite_cpulist bgsave_cpulist set-proc-title cluster-config-file cluster-port
	oom-score-adj oom-score-adj-values enable-protected-configs enable-debug-command
	enable-module-command dbfilename dir socket-mark-id tls-prefer-server-ciphers
	tls-session-cache-timeout tls-session-cache-size tls-session-caching tls-cert-file
	tls-key-file tls-client-cert-file tls-client-key-file tls-dh-params-file tls-ca-cert-file
	tls-ca-cert-dir tls-protocols tls-ciphers tls-ciphersuites tls-port`)

// TestConfigWriteBack: every value CONFIG GET * lists (but Redis's own
// skip list) can be set back with CONFIG SET and reads back the same.
func TestConfigWriteBack(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		ctx := context.Background()
		rc := s.Client(t, 2)
		all, err := rc.ConfigGet(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		skip := map[string]bool{}
		for _, k := range redisSanitySkip {
			skip[k] = true
		}
		n := 0
		for k, v := range all {
			if skip[k] {
				continue
			}
			n++
			if err := rc.ConfigSet(ctx, k, v).Err(); err != nil {
				t.Errorf("CONFIG SET %s %q: %v", k, v, err)
				continue
			}
			if got := rc.ConfigGet(ctx, k).Val()[k]; got != v {
				t.Errorf("CONFIG GET %s after setting it back: %q, was %q", k, got, v)
			}
		}
		if n < 120 {
			t.Fatalf("only %d settings written back", n)
		}
		// Start-only settings still refuse another value.
		w := dialWire(t, s.Addr)
		w.expect0("CONFIG", "SET", "daemonize", "yes", "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n")
	})
}

// TestConfigGetNamesAndHidden: a glob lists a setting under each of its
// names; hidden settings answer only by name; maxmemory-clients takes a
// percentage or a size, and a bad value leaves every setting of the
// command as it was.
func TestConfigGetNamesAndHidden(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		// Redis lists them in hash order.
		if got := w.do("CONFIG", "GET", "*of"); !strings.HasPrefix(got, "*4\r\n") || !strings.Contains(got, "$9\r\nreplicaof\r\n$0\r\n\r\n") || !strings.Contains(got, "$7\r\nslaveof\r\n$0\r\n\r\n") {
			t.Fatalf("CONFIG GET *of: %q", got)
		}
		w.expect0("CONFIG", "GET", "key-load-delay", "*2\r\n$14\r\nkey-load-delay\r\n$1\r\n0\r\n")
		if got := w.do("CONFIG", "GET", "*"); strings.Contains(got, "key-load-delay") {
			t.Fatal("CONFIG GET * lists the hidden key-load-delay")
		}
		if got := w.do("CONFIG", "GET", "maxmemory*"); !strings.Contains(got, "$17\r\nmaxmemory-clients\r\n$1\r\n0\r\n") {
			t.Fatalf("CONFIG GET maxmemory*: %q", got)
		}

		w.expect0("CONFIG", "SET", "maxmemory", "10000002", "+OK\r\n")
		w.expect0("CONFIG", "SET", "maxmemory", "10000001", "maxmemory-clients", "200%", "client-query-buffer-limit", "invalid",
			"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100\r\n")
		w.expect0("CONFIG", "GET", "maxmemory", "*2\r\n$9\r\nmaxmemory\r\n$8\r\n10000002\r\n")
		w.expect0("CONFIG", "SET", "maxmemory-clients", "abc", "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value\r\n")
		w.expect0("CONFIG", "SET", "maxmemory-clients", "10%", "+OK\r\n")
		w.expect0("CONFIG", "GET", "maxmemory-clients", "*2\r\n$17\r\nmaxmemory-clients\r\n$3\r\n10%\r\n")
		w.expect0("CONFIG", "SET", "maxmemory-clients", "1gb", "+OK\r\n")
		w.expect0("CONFIG", "GET", "maxmemory-clients", "*2\r\n$17\r\nmaxmemory-clients\r\n$10\r\n1073741824\r\n")
	})
}

// TestGetKeysAndFlagsSortStore: SORT's STORE destination is flagged as
// overwritten (OW update), as Redis's getkeys procedure does.
func TestGetKeysAndFlagsSortStore(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		want := "*2\r\n*2\r\n$2\r\nk1\r\n*2\r\n+RO\r\n+access\r\n*2\r\n$2\r\nk2\r\n*2\r\n+OW\r\n+update\r\n"
		w.expect0("COMMAND", "GETKEYSANDFLAGS", "sort", "k1", "store", "k2", want)
		w.expect0("COMMAND", "GETKEYSANDFLAGS", "sort", "k1", "by", "x", "get", "y", "store", "k2", want)
	})
}
