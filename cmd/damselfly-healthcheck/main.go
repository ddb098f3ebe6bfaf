// Command damselfly-healthcheck is the container health check of Damselfly:
// it sends PING to the server and exits 0 on PONG, 1 otherwise. It is a
// separate tiny static binary because the image has no shell and no
// redis-cli.
//
// Usage: damselfly-healthcheck [host:port]
//
// The address defaults to 127.0.0.1 and the port of DFLY_port (6379). The
// password, if any, comes from DFLY_requirepass or DFLY_PASSWORD, the same
// variables the server reads.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	addr := "127.0.0.1:" + envOr("6379", "DFLY_port", "DFLY_PORT")
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	if err := ping(addr, envOr("", "DFLY_requirepass", "DFLY_REQUIREPASS", "DFLY_PASSWORD"), 3*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "unhealthy:", err)
		os.Exit(1)
	}
}

func envOr(def string, names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return def
}

// ping dials addr, authenticates when a password is given, and expects
// +PONG. A server still loading its snapshot answers -LOADING, which is
// reported as unhealthy.
func ping(addr, password string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReader(c)
	if password != "" {
		fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password)
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("AUTH: %s", strings.TrimSpace(line))
		}
	}
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING: %s", strings.TrimSpace(line))
	}
	return nil
}
