package e2e

import (
	"strings"
	"testing"
	"time"
)

// bitsEvents runs cmds on both servers with every keyspace event enabled
// and fails when the published events differ.
func bitsEvents(t *testing.T, cmds [][]string) {
	t.Helper()
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
		time.Sleep(20 * time.Millisecond)
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
				admin.do("PUBLISH", "end", "end")
				continue
			}
			results[i] = append(results[i], strings.ReplaceAll(r, "\r\n", " "))
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
	if len(d) == 0 {
		t.Fatal("no events")
	}
}

func TestBitmapNotifications(t *testing.T) {
	bitsEvents(t, [][]string{
		{"SETBIT", "b", "7", "1"},
		{"SETBIT", "b", "7", "1"}, // no change: no event
		{"SETBIT", "b", "7", "0"},
		{"SETBIT", "b", "100", "0"}, // grows: event
		{"BITFIELD", "f", "GET", "u8", "0"},
		{"BITFIELD", "f", "SET", "u8", "0", "0"}, // creates: event
		{"BITFIELD", "f", "SET", "u8", "0", "0"}, // no change
		{"BITFIELD", "f", "INCRBY", "u8", "0", "1"},
		{"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"},
		{"SET", "s1", "abc"},
		{"BITOP", "AND", "d", "s1", "b"},
		{"BITOP", "OR", "d", "nosuch"},
		{"BITOP", "OR", "d", "nosuch"},
		{"PFADD", "h", "a"},
		{"PFADD", "h", "a"},
		{"PFADD", "h"},
		{"PFADD", "h2"},
		{"PFCOUNT", "h"},
		{"PFMERGE", "h3", "h", "h2"},
		{"PFMERGE", "h3"},
	})
}

func TestGeoSortNotifications(t *testing.T) {
	bitsEvents(t, [][]string{
		{"GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
		{"GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo"},
		{"GEOSEARCHSTORE", "d1", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"},
		{"GEOSEARCHSTORE", "d1", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"},
		{"GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d2"},
		{"GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STOREDIST", "d3"},
		{"GEORADIUS", "nosuch", "15", "37", "200", "km", "STORE", "d2"},
		{"RPUSH", "l", "3", "1", "2"},
		{"SORT", "l", "STORE", "s1"},
		{"SORT", "l", "LIMIT", "0", "0", "STORE", "s1"},
		{"SORT", "l", "STORE", "s2"},
		{"SORT", "nosuch", "STORE", "s2"},
	})
}
