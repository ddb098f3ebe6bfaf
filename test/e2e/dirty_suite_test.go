package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// rdbChanges reads INFO's rdb_changes_since_last_save.
func rdbChanges(t *testing.T, w *wireConn) int {
	t.Helper()
	info := w.do("INFO", "persistence")
	_, rest, ok := strings.Cut(info, "rdb_changes_since_last_save:")
	if !ok {
		t.Fatalf("no rdb_changes_since_last_save in %q", info)
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(rest, "\r\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSetbitBitfieldDirty: SETBIT and BITFIELD count a change only when
// they changed the value or the length (Redis's unit/bitops).
func TestSetbitBitfieldDirty(t *testing.T) {
	onBoth(t, func(t *testing.T, s *Server) {
		w := dialWire(t, s.Addr)
		step := func(want int, cmds ...[]string) {
			t.Helper()
			before := rdbChanges(t, w)
			for _, c := range cmds {
				w.do(c...)
			}
			if got := rdbChanges(t, w) - before; got != want {
				t.Fatalf("%v: %d changes, want %d", cmds, got, want)
			}
		}
		step(2, []string{"SETBIT", "foo", "0", "0"}, []string{"BITFIELD", "foo2", "SET", "i5", "0", "0"})
		step(0, []string{"SETBIT", "foo", "0", "0"}, []string{"BITFIELD", "foo2", "SET", "i5", "0", "0"})
		step(4, []string{"SETBIT", "foo", "0", "1"}, []string{"SETBIT", "foo", "0", "1"}, []string{"SETBIT", "foo", "0", "0"}, []string{"SETBIT", "foo", "0", "0"},
			[]string{"BITFIELD", "foo2", "SET", "i5", "0", "1"}, []string{"BITFIELD", "foo2", "SET", "i5", "0", "1"},
			[]string{"BITFIELD", "foo2", "SET", "i5", "0", "0"}, []string{"BITFIELD", "foo2", "SET", "i5", "0", "0"})
		step(2, []string{"BITFIELD", "foo3", "INCRBY", "i5", "0", "1"}, []string{"BITFIELD", "foo3", "INCRBY", "i5", "0", "1"})
		step(2, []string{"SETBIT", "foo", "90", "0"}, []string{"BITFIELD", "foo2", "SET", "i5", "90", "0"})
		step(0, []string{"BITFIELD", "foo2", "GET", "i5", "0"})
	})
}
