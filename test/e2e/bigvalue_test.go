package e2e

import (
	"bufio"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestBigValue512MB: a 512 MB SET (Redis's largest string) is accepted;
// one byte more is refused with Redis's protocol error; and while the
// 512 MB are being read, another connection keeps getting PINGs answered.
// The same upload runs against redis-server in the same test (one server
// at a time, to keep the machine's memory in check) and the PING latencies
// of both are logged side by side.
func TestBigValue512MB(t *testing.T) {
	const size = 512 << 20
	for _, tg := range oracleTargets {
		t.Run(tg.name, func(t *testing.T) {
			s := tg.start(t)
			ctl := dialWire(t, s.Addr)
			tooBig := dialWire(t, s.Addr)
			tooBig.writeStr(fmt.Sprintf("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", size+1))
			tooBig.expect("-ERR Protocol error: invalid bulk length\r\n")

			pinger, err := net.Dial("tcp", s.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer pinger.Close()
			pr := bufio.NewReader(pinger)
			uploading := make(chan struct{})
			pings := make(chan []time.Duration, 1)
			go func() {
				var lat []time.Duration
				for {
					select {
					case <-uploading:
						pings <- lat
						return
					default:
					}
					start := time.Now()
					pinger.SetDeadline(time.Now().Add(30 * time.Second))
					pinger.Write([]byte("PING\r\n"))
					if l, err := pr.ReadString('\n'); err != nil || l != "+PONG\r\n" {
						pings <- lat
						return
					}
					lat = append(lat, time.Since(start))
					time.Sleep(2 * time.Millisecond)
				}
			}()

			up, err := net.Dial("tcp", s.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer up.Close()
			start := time.Now()
			fmt.Fprintf(up, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n", size)
			chunk := []byte(strings.Repeat("x", 1<<20))
			for sent := 0; sent < size; sent += len(chunk) {
				if _, err := up.Write(chunk); err != nil {
					t.Fatalf("upload after %d MB: %v", sent>>20, err)
				}
			}
			up.Write([]byte("\r\n"))
			up.SetReadDeadline(time.Now().Add(60 * time.Second))
			line, err := bufio.NewReader(up).ReadString('\n')
			took := time.Since(start)
			close(uploading)
			lat := <-pings
			if line != "+OK\r\n" {
				t.Fatalf("512 MB SET: %q %v", line, err)
			}
			if got := ctl.do("STRLEN", "big"); got != fmt.Sprintf(":%d\r\n", size) {
				t.Fatalf("STRLEN: %q", got)
			}
			if len(lat) < 3 {
				t.Fatalf("only %d PINGs answered during a %v upload", len(lat), took)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			t.Logf("%s: 512 MB SET in %v; %d PINGs answered meanwhile, median %v, p99 %v, max %v",
				tg.name, took.Round(time.Millisecond), len(lat), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
			ctl.do("DEL", "big")
		})
	}
}
