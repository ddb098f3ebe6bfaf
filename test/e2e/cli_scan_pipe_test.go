package e2e

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestCLIScan(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		// 1000 keys, 100 of them user:*; MSET in one command.
		args := []string{"MSET"}
		want := map[string]bool{}
		for i := 0; i < 1000; i++ {
			k := fmt.Sprintf("other:%d", i)
			if i%10 == 0 {
				k = fmt.Sprintf("user:%d", i)
				want[k] = true
			}
			args = append(args, k, "v")
		}
		w := dialWire(t, s.Addr)
		w.write(respCmd(args...))
		w.expect("+OK\r\n")

		check := func(extra ...string) {
			t.Helper()
			r := runRedisCLI(t, s, 20*time.Second, nil, false, append([]string{"--scan", "--pattern", "user:*"}, extra...)...)
			if r.timedOut || r.err != nil || r.stderr != "" {
				t.Errorf("redis-cli --scan %q: err=%v timedOut=%v stderr=%q stdout=%q", extra, r.err, r.timedOut, r.stderr, wireTrunc(r.stdout, 300))
				return
			}
			seen := map[string]int{}
			for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
				seen[l]++
			}
			var bad []string
			for k, n := range seen {
				if !want[k] || n != 1 {
					bad = append(bad, fmt.Sprintf("%q x%d", k, n))
				}
			}
			for k := range want {
				if seen[k] == 0 {
					bad = append(bad, fmt.Sprintf("missing %q", k))
				}
			}
			sort.Strings(bad)
			if len(bad) > 0 {
				t.Errorf("redis-cli --scan --pattern user:* %q: %d problems, first: %v", extra, len(bad), bad[:min(len(bad), 10)])
			}
		}
		check()
		// redis-cli 7.0 has no --count; -i makes it pause between batches,
		// which exercises many cursor round trips the same way.
		check("-i", "0.001")

		// Without a pattern: all 1000 keys, each once.
		r := runRedisCLI(t, s, 20*time.Second, nil, false, "--scan")
		all := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		uniq := map[string]bool{}
		for _, k := range all {
			uniq[k] = true
		}
		if r.err != nil || len(all) != 1000 || len(uniq) != 1000 {
			t.Errorf("redis-cli --scan: %d lines, %d distinct, err=%v stderr=%q; want 1000", len(all), len(uniq), r.err, r.stderr)
		}
	})
}

// pipeSummary is redis-cli --pipe's last line.
func pipeSummary(out string) string {
	ls := wireLines(strings.TrimRight(out, "\n"))
	return ls[len(ls)-1]
}

func TestCLIPipe(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, s *Server) {
		const n = 10000
		// RESP form.
		var in bytes.Buffer
		for i := 0; i < n; i++ {
			in.Write(respCmd("SET", fmt.Sprintf("pipe:%d", i), fmt.Sprintf("val:%d", i)))
		}
		r := runRedisCLI(t, s, 60*time.Second, in.Bytes(), false, "--pipe")
		if r.timedOut || r.err != nil || pipeSummary(r.stdout) != "errors: 0, replies: 10000" {
			t.Fatalf("redis-cli --pipe (RESP): err=%v timedOut=%v stdout=%q stderr=%q", r.err, r.timedOut, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "All data transferred. Waiting for the last reply...\nLast reply received from server.\n") {
			t.Errorf("redis-cli --pipe: unexpected progress output %q", r.stdout)
		}

		// Inline form, CRLF and bare LF, with blank lines between commands.
		in.Reset()
		for i := 0; i < n; i++ {
			eol := "\r\n"
			if i%2 == 1 {
				eol = "\n"
			}
			fmt.Fprintf(&in, "SET inline:%d \"v %d\"%s", i, i, eol)
			switch i % 7 {
			case 0:
				in.WriteString("\r\n")
			case 3:
				in.WriteString("\n\r\n")
			}
		}
		r = runRedisCLI(t, s, 60*time.Second, in.Bytes(), false, "--pipe")
		if r.timedOut || r.err != nil || pipeSummary(r.stdout) != "errors: 0, replies: 10000" {
			t.Fatalf("redis-cli --pipe (inline): err=%v timedOut=%v stdout=%q stderr=%q", r.err, r.timedOut, r.stdout, r.stderr)
		}

		// The data is all there.
		w := dialWire(t, s.Addr)
		for _, i := range []int{0, 1, 2, 4999, 9998, 9999} {
			w.write(respCmd("MGET", fmt.Sprintf("pipe:%d", i), fmt.Sprintf("inline:%d", i)))
			v1, v2 := fmt.Sprintf("val:%d", i), fmt.Sprintf("v %d", i)
			w.expect("*2\r\n" + respBulk(v1) + respBulk(v2))
		}
		mget := []string{"MGET"}
		for i := 0; i < n; i++ {
			mget = append(mget, fmt.Sprintf("pipe:%d", i))
		}
		w.write(respCmd(mget...))
		var want strings.Builder
		fmt.Fprintf(&want, "*%d\r\n", n)
		for i := 0; i < n; i++ {
			want.WriteString(respBulk(fmt.Sprintf("val:%d", i)))
		}
		if got := w.reply(); got != want.String() {
			t.Errorf("MGET of the 10000 piped keys differs: %q", wireTrunc(got, 200))
		}

		// Errors are counted and make redis-cli exit 1.
		r = runRedisCLI(t, s, 20*time.Second, []byte("SET a b\r\nNOSUCH x\r\nGET\r\nGET a\r\n"), false, "--pipe")
		if pipeSummary(r.stdout) != "errors: 2, replies: 4" || r.err == nil {
			t.Errorf("redis-cli --pipe with errors: err=%v stdout=%q", r.err, r.stdout)
		}
		wantErr := "ERR unknown command 'NOSUCH', with args beginning with: 'x' \nERR wrong number of arguments for 'get' command\n"
		if r.stderr != wantErr {
			t.Errorf("redis-cli --pipe with errors: stderr %q, want %q", r.stderr, wantErr)
		}
	})
}
