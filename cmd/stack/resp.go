package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// A small RESP client, enough for the launcher's own checks (PING, INFO,
// cleaning stale locks) and for reading both directions of the recording
// proxy. Values: string (simple and bulk), int64, float64 (RESP3), bool,
// nil, []any, respError; push and map frames become []any.

type respError string

func (e respError) Error() string { return string(e) }

type respConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialRESP(addr, password string, timeout time.Duration) (*respConn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	rc := &respConn{c: c, r: bufio.NewReader(c)}
	if password != "" {
		if _, err := rc.do(timeout, "AUTH", password); err != nil {
			c.Close()
			return nil, err
		}
	}
	return rc, nil
}

func (rc *respConn) Close() error { return rc.c.Close() }

// do sends one command and reads its reply. A server error is returned as
// a respError.
func (rc *respConn) do(timeout time.Duration, args ...string) (any, error) {
	rc.c.SetDeadline(time.Now().Add(timeout))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(rc.c, b.String()); err != nil {
		return nil, err
	}
	v, err := readRESP(rc.r)
	if err != nil {
		return nil, err
	}
	if e, ok := v.(respError); ok {
		return nil, e
	}
	return v, nil
}

// readRESP reads one RESP2 or RESP3 value.
func readRESP(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("resp: malformed line %q", line)
	}
	t, body := line[0], line[1:len(line)-2]
	switch t {
	case '+':
		return body, nil
	case '-':
		return respError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case ',':
		return strconv.ParseFloat(body, 64)
	case '#':
		return body == "t", nil
	case '_':
		return nil, nil
	case '(':
		return body, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, fmt.Errorf("resp: bad length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		if t == '!' {
			return respError(buf[:n]), nil
		}
		return string(buf[:n]), nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, fmt.Errorf("resp: bad length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		out := make([]any, 0, min(n, 1024))
		for i := 0; i < n; i++ {
			v, err := readRESP(r)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if t == '|' { // an attribute: the value follows
			return readRESP(r)
		}
		return out, nil
	default:
		// An inline command (requests only): words separated by blanks.
		return toAny(strings.Fields(strings.TrimRight(line, "\r\n"))), nil
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// infoField returns one field of an INFO reply.
func infoField(info, name string) string {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), name+":"); ok {
			return v
		}
	}
	return ""
}

// pingAddr checks that a RESP server answers PING.
func pingAddr(addr, password string) error {
	c, err := dialRESP(addr, password, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := c.do(2*time.Second, "PING")
	if err != nil {
		return err
	}
	if v != "PONG" {
		return fmt.Errorf("PING answered %v", v)
	}
	return nil
}

// deleteMatching removes the keys matching pattern (SCAN, falling back to
// KEYS) and returns how many it removed.
func deleteMatching(addr, password, pattern string) (int, error) {
	c, err := dialRESP(addr, password, 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var keys []string
	cursor := "0"
	for i := 0; i < 10000; i++ {
		v, err := c.do(5*time.Second, "SCAN", cursor, "MATCH", pattern, "COUNT", "1000")
		if err != nil {
			var re respError
			if !errors.As(err, &re) {
				return 0, err
			}
			v, err = c.do(5*time.Second, "KEYS", pattern)
			if err != nil {
				return 0, err
			}
			keys = strs(v)
			break
		}
		arr, _ := v.([]any)
		if len(arr) != 2 {
			return 0, fmt.Errorf("SCAN: unexpected reply %v", v)
		}
		cursor, _ = arr[0].(string)
		keys = append(keys, strs(arr[1])...)
		if cursor == "0" {
			break
		}
	}
	n := 0
	for _, k := range keys {
		v, err := c.do(5*time.Second, "DEL", k)
		if err != nil {
			return n, err
		}
		if d, _ := v.(int64); d > 0 {
			n++
		}
	}
	return n, nil
}

func strs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
