package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestTCPBacklog checks that --tcp_backlog reaches listen(2): for a
// listening socket, ss reports the backlog in its Send-Q column.
func TestTCPBacklog(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Fatalf("ss (iproute2) is needed to read the listen backlog: %v", err)
	}
	for _, backlog := range []int{77, 512} {
		s := Start(t, "--tcp-backlog", fmt.Sprint(backlog))
		out, err := exec.Command("ss", "-Hltn", fmt.Sprintf("sport = :%d", s.Port)).Output()
		if err != nil {
			t.Fatal(err)
		}
		fields := strings.Fields(string(out))
		if len(fields) < 3 || fields[2] != fmt.Sprint(backlog) {
			t.Fatalf("ss shows %q, want Send-Q %d", out, backlog)
		}
	}
}
