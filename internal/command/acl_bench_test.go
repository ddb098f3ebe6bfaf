package command

import (
	"strings"
	"testing"
)

// BenchmarkDispatchACL measures a whole GET through Exec for a client with
// no ACL user (the admin console's), the default user (allowed
// everything: the check stops at one flag) and a restricted user (a
// command bit and a key pattern match), to show what the check adds.
func BenchmarkDispatchACL(b *testing.B) {
	for _, user := range []string{"none", "default", "restricted"} {
		b.Run(user, func(b *testing.B) {
			e := testEnv(4)
			c := testCtx(e, 2)
			run(c, "SET", "app:user:1", "v")
			switch user {
			case "default":
				c.Client.SetACL(e.ACL.Default())
			case "restricted":
				h, _, err := e.ACL.SetUser("app", []string{"on", "nopass", "~cache:*", "%R~app:*", "+@read"})
				if err != nil {
					b.Fatal(err)
				}
				c.Client.SetACL(h)
			}
			args := [][]byte{[]byte("GET"), []byte("app:user:1")}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				c.W.Reset()
				c.Args = args
				e.Exec(c)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			if !strings.HasPrefix(string(c.W.Buf), "$1\r\nv") {
				b.Fatalf("reply %q", c.W.Buf)
			}
		})
	}
}

// TestDispatchACL checks, below the network, that Exec refuses for a
// restricted user and lets the default user through.
func TestDispatchACL(t *testing.T) {
	e := testEnv(4)
	c := testCtx(e, 2)
	c.Client.SetACL(e.ACL.Default())
	if got := run(c, "SET", "other", "v"); got != "+OK\r\n" {
		t.Fatalf("default user SET: %q", got)
	}
	h, _, err := e.ACL.SetUser("app", []string{"on", "nopass", "%R~app:*", "+@read"})
	if err != nil {
		t.Fatal(err)
	}
	c.Client.SetACL(h)
	for _, tc := range []struct{ args, want string }{
		{"GET app:1", "$-1\r\n"},
		{"GET other", "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
		{"SET app:1 v", "-NOPERM this user has no permissions to run the 'set' command\r\n"},
		{"MGET app:1 other", "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	} {
		if got := run(c, strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.args, got, tc.want)
		}
	}
}
