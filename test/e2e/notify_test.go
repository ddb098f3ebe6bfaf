package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestKeyspaceNotifications runs the same commands on both servers with
// notify-keyspace-events enabled and compares the events published.
func TestKeyspaceNotifications(t *testing.T) {
	cmds := [][]string{
		{"SET", "s", "1"},
		{"SET", "s", "2", "EX", "100"},
		{"SETNX", "s", "x"},
		{"SETNX", "n", "x"},
		{"APPEND", "s", "x"},
		{"SETRANGE", "s", "0", "z"},
		{"INCR", "i"},
		{"INCRBYFLOAT", "f", "1.5"},
		{"MSET", "a", "1", "b", "2"},
		{"EXPIRE", "a", "100"},
		{"PERSIST", "a"},
		{"RENAME", "a", "a2"},
		{"COPY", "a2", "a3"},
		{"MOVE", "a3", "1"},
		{"GETEX", "b", "EX", "100"},
		{"GETEX", "b", "PERSIST"},
		{"GETDEL", "b"},
		{"DEL", "s", "nosuch", "i"},
		{"SETEX", "e", "100", "v"},
		{"SET", "px", "v", "PX", "1"},
	}
	var results [2][]string
	for i, tg := range oracleTargets {
		s := tg.start(t)
		admin := dialWire(t, s.Addr)
		if got := admin.do("CONFIG", "SET", "notify-keyspace-events", "KEA"); got != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET = %q", tg.name, got)
		}
		sub := dialWire(t, s.Addr)
		sub.write(respCmd("PSUBSCRIBE", "__key*__:*"))
		sub.reply()
		for _, c := range cmds {
			admin.do(c...)
		}
		time.Sleep(50 * time.Millisecond)
		admin.do("GET", "px") // lazily expire it: an "expired" event
		sub.write(respCmd("SUBSCRIBE", "end"))
		for {
			r, err := sub.tryReply()
			if err != nil {
				t.Fatalf("%s: %v after events %q", tg.name, err, results[i])
			}
			if strings.Contains(r, "message\r\n$3\r\nend") {
				break
			}
			if strings.HasPrefix(r, "*3\r\n$9\r\nsubscribe") {
				// Subscribed: now the end marker can be published.
				admin.do("PUBLISH", "end", "end")
				continue
			}
			results[i] = append(results[i], strings.ReplaceAll(r, "\r\n", " "))
		}
		if len(results[i]) < 20 {
			t.Fatalf("%s: only %d events", tg.name, len(results[i]))
		}
	}
	d, r := results[0], results[1]
	for i := 0; i < len(d) || i < len(r); i++ {
		var a, b string
		if i < len(d) {
			a = d[i]
		}
		if i < len(r) {
			b = r[i]
		}
		if a != b {
			t.Fatalf("event %d differs\ndamselfly: %s\nredis:     %s", i, a, b)
		}
	}
}
