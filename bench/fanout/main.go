// Command fanout measures PUBLISH fan-out: S subscribers on one channel,
// one publisher sending N messages in pipelined batches, timed until every
// subscriber has received every message. With -pid it also reports the
// server's CPU time per delivered message, read from /proc.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address (loopback only)")
	subs := flag.Int("subs", 100, "subscribers")
	n := flag.Int("n", 20000, "messages")
	size := flag.Int("size", 100, "payload bytes")
	batch := flag.Int("batch", 50, "PUBLISH commands per write")
	pid := flag.Int("pid", 0, "server pid, for CPU time per message")
	flag.Parse()
	if !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "[::1]") && !strings.HasPrefix(*addr, "localhost") {
		fmt.Fprintln(os.Stderr, "fanout: loopback addresses only")
		os.Exit(2)
	}
	var ready, done sync.WaitGroup
	for i := 0; i < *subs; i++ {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fanout:", err)
			os.Exit(1)
		}
		fmt.Fprintf(c, "*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nbench\r\n")
		ready.Add(1)
		done.Add(1)
		go func(c net.Conn) {
			defer done.Done()
			r := bufio.NewReaderSize(c, 1<<16)
			readReply(r) // subscribe confirmation
			ready.Done()
			for got := 0; got < *n; got++ {
				readReply(r)
			}
			c.Close()
		}(c)
	}
	ready.Wait()
	pub, err := net.Dial("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
	payload := strings.Repeat("x", *size)
	cmd := fmt.Sprintf("*3\r\n$7\r\nPUBLISH\r\n$5\r\nbench\r\n$%d\r\n%s\r\n", len(payload), payload)
	pr := bufio.NewReader(pub)
	cpu0 := cpuTicks(*pid)
	start := time.Now()
	go func() {
		for sent := 0; sent < *n; sent += *batch {
			k := min(*batch, *n-sent)
			pub.Write([]byte(strings.Repeat(cmd, k)))
			for i := 0; i < k; i++ {
				pr.ReadString('\n')
			}
		}
	}()
	done.Wait()
	el := time.Since(start)
	cpu := cpuTicks(*pid) - cpu0
	delivered := float64(*n) * float64(*subs)
	fmt.Printf("delivered=%.0f seconds=%.3f msgs_per_sec=%.0f", delivered, el.Seconds(), delivered/el.Seconds())
	if *pid > 0 {
		fmt.Printf(" cpu_us_per_msg=%.3f", float64(cpu)*1e6/100/delivered)
	}
	fmt.Println()
}

// readReply skips one RESP reply (arrays of bulk strings and integers).
func readReply(r *bufio.Reader) {
	line, err := r.ReadString('\n')
	if err != nil {
		os.Exit(1)
	}
	switch line[0] {
	case '*', '>':
		var k int
		fmt.Sscanf(line[1:], "%d", &k)
		for i := 0; i < k; i++ {
			readReply(r)
		}
	case '$':
		var k int
		fmt.Sscanf(line[1:], "%d", &k)
		if k >= 0 {
			buf := make([]byte, k+2)
			if _, err := ioReadFull(r, buf); err != nil {
				os.Exit(1)
			}
		}
	}
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// cpuTicks reads utime+stime (clock ticks, 100 Hz) of pid from /proc.
func cpuTicks(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var u, st int64
	fmt.Sscan(fields[11], &u)
	fmt.Sscan(fields[12], &st)
	return u + st
}
