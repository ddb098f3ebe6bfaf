package main

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// subscribers are the connections that receive -mix directus's PUBLISHes,
// as Directus's other instances and websocket hub do; they drain and count
// messages so that the server really fans out and writes them.
type subscribers struct {
	conns []net.Conn
	wg    sync.WaitGroup
	count atomic.Uint64
}

func startSubscribers(cfg *config) (*subscribers, error) {
	s := &subscribers{}
	if cfg.mixName != "directus" || cfg.weights[opPublish] == 0 {
		return s, nil
	}
	for i := range cfg.subscribers {
		conn, err := dial(cfg)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("subscriber %d: %w", i, err)
		}
		s.conns = append(s.conns, conn)
		r := bufio.NewReaderSize(conn, 64<<10)
		var w cmdBuf
		w.array(2)
		w.bulkString("SUBSCRIBE")
		w.bulkString(cfg.channel)
		var rep reply
		if _, err := conn.Write(w.b); err == nil {
			err = readReply(r, &rep)
		}
		if err != nil || rep.kind != '*' {
			s.close()
			return nil, fmt.Errorf("subscriber %d: SUBSCRIBE %s failed (%v, reply type %q)", i, cfg.channel, err, rep.kind)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			var m reply
			for readReply(r, &m) == nil {
				s.count.Add(1)
			}
		}()
	}
	return s, nil
}

// close ends the subscriber connections and waits for their readers.
func (s *subscribers) close() {
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.wg.Wait()
}

// wait returns the number of messages read once it reaches want, or
// whatever arrived when timeout passes.
func (s *subscribers) wait(want uint64, timeout time.Duration) uint64 {
	deadline := time.Now().Add(timeout)
	for {
		n := s.count.Load()
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(time.Millisecond)
	}
}
