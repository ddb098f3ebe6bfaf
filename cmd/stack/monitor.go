package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"
)

// monitorer writes the server's MONITOR stream to a file from before
// Directus starts until the stack stops: every command the server runs,
// including those Lua scripts call ("[0 lua]"), which the recording proxy
// cannot see.
type monitorer struct {
	conn *respConn
	done chan struct{}
}

func startMonitor(addr, password, path string) (*monitorer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	c, err := dialRESP(addr, password, 2*time.Second)
	if err != nil {
		f.Close()
		return nil, err
	}
	c.c.SetDeadline(time.Time{})
	if _, err := fmt.Fprint(c.c, "*1\r\n$7\r\nMONITOR\r\n"); err != nil {
		c.Close()
		f.Close()
		return nil, err
	}
	m := &monitorer{conn: c, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		defer f.Close()
		w := bufio.NewWriterSize(f, 64*1024)
		defer w.Flush()
		first := true
		for {
			line, err := c.r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if first && line == "+OK" {
				first = false
				continue
			}
			first = false
			fmt.Fprintln(w, strings.TrimPrefix(line, "+"))
		}
	}()
	return m, nil
}

func (m *monitorer) close() {
	m.conn.Close()
	<-m.done
}
