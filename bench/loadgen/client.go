package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"
)

// client is one connection running closed-loop pipelined batches, as
// redis-benchmark and memtier do: write -pipeline commands in one write,
// read their replies, repeat. Everything it counts is its own; results are
// merged after the run, so clients share nothing while measuring.
type client struct {
	cfg   *config
	conn  net.Conn
	r     *bufio.Reader
	w     cmdBuf
	keys  keyDist
	ops   *rand.Rand
	mix   mix
	value []byte

	pending []pendingOp
	missed  []uint64 // GET misses to SET next batch (-cache-aside)

	stats stats
}

type pendingOp struct {
	kind opKind
	key  uint64
}

// stats is what one client measured; merge adds them up.
type stats struct {
	hist      histogram
	count     [numOps]uint64
	hits      uint64
	misses    uint64
	errors    map[string]uint64
	ioErr     error
	delivered uint64 // sum of PUBLISH replies: subscribers reached
}

func (s *stats) merge(o *stats) {
	s.hist.merge(&o.hist)
	for i := range s.count {
		s.count[i] += o.count[i]
	}
	s.hits += o.hits
	s.misses += o.misses
	s.delivered += o.delivered
	for k, v := range o.errors {
		if s.errors == nil {
			s.errors = map[string]uint64{}
		}
		s.errors[k] += v
	}
	if s.ioErr == nil {
		s.ioErr = o.ioErr
	}
}

// rngs returns the two generators of client i: one for keys, one for the
// command mix, so that the key sequence depends only on -seed and i.
func rngs(seed uint64, i int) (keys, ops *rand.Rand) {
	return rand.New(rand.NewPCG(seed, uint64(2*i))), rand.New(rand.NewPCG(seed, uint64(2*i+1)))
}

func dial(cfg *config) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", cfg.addr, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", cfg.addr, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return conn, nil
}

func newClient(cfg *config, i int, value []byte) (*client, error) {
	conn, err := dial(cfg)
	if err != nil {
		return nil, err
	}
	kr, or := rngs(cfg.seed, i)
	return &client{
		cfg:     cfg,
		conn:    conn,
		r:       bufio.NewReaderSize(conn, 64<<10),
		keys:    newKeyDist(cfg.dist, cfg.keys, kr),
		ops:     or,
		mix:     newMix(cfg.weights),
		value:   value,
		pending: make([]pendingOp, 0, cfg.pipeline),
		w:       cmdBuf{b: make([]byte, 0, cfg.pipeline*(len(value)+128))},
		stats:   stats{errors: map[string]uint64{}},
	}, nil
}

// appendOp writes one command of kind k on key index key.
func (c *client) appendOp(k opKind, key uint64) {
	cfg := c.cfg
	switch k {
	case opGet:
		c.w.array(2)
		c.w.bulkString("GET")
		c.w.bulkKey(cfg.keyPrefix, key)
	case opSet:
		if cfg.ttlMS > 0 {
			c.w.array(5)
		} else {
			c.w.array(3)
		}
		c.w.bulkString("SET")
		c.w.bulkKey(cfg.keyPrefix, key)
		c.w.bulk(c.value)
		if cfg.ttlMS > 0 {
			c.w.bulkString("PX")
			c.w.bulkInt(cfg.ttlMS)
		}
	case opEvalsha:
		// rlflxIncr(key, points, secDuration, limiterPoints, limiterDuration)
		c.w.array(8)
		c.w.bulkString("EVALSHA")
		c.w.bulkString(rateLimiterSHA)
		c.w.bulkString("1")
		c.w.bulkKey(cfg.rlPrefix, key)
		c.w.bulkString("1")
		c.w.bulkInt(cfg.rlDuration)
		c.w.bulkInt(cfg.rlPoints)
		c.w.bulkInt(cfg.rlDuration)
	case opPublish:
		c.w.array(3)
		c.w.bulkString("PUBLISH")
		c.w.bulkString(cfg.channel)
		c.w.bulk(c.value)
	}
}

// batch sends up to n commands and reads their replies, recording the
// latency of each from the write of the batch to the reply's arrival.
func (c *client) batch(n int) error {
	c.w.reset()
	c.pending = c.pending[:0]
	for range n {
		var op pendingOp
		if k := len(c.missed); k > 0 {
			op = pendingOp{kind: opSet, key: c.missed[k-1]}
			c.missed = c.missed[:k-1]
		} else {
			op = pendingOp{kind: c.mix.pick(c.ops), key: c.keys.next()}
		}
		c.appendOp(op.kind, op.key)
		c.pending = append(c.pending, op)
	}
	if c.cfg.timeout > 0 {
		c.conn.SetDeadline(time.Now().Add(c.cfg.timeout))
	}
	t0 := time.Now()
	if _, err := c.conn.Write(c.w.b); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	var rep reply
	for _, op := range c.pending {
		if err := readReply(c.r, &rep); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read %s reply: %w", op.kind, err)
		}
		c.stats.hist.record(uint64(time.Since(t0)))
		c.stats.count[op.kind]++
		switch {
		case rep.kind == '-':
			c.stats.errors[string(rep.errMsg)]++
		case op.kind == opGet && rep.isNil:
			c.stats.misses++
			if c.cfg.cacheAside {
				c.missed = append(c.missed, op.key)
			}
		case op.kind == opGet:
			c.stats.hits++
		case op.kind == opPublish && rep.kind == ':':
			c.stats.delivered += uint64(rep.n)
		}
	}
	return nil
}

// run sends batches until quota commands are done (quota > 0) or the
// deadline passes.
func (c *client) run(quota uint64, deadline time.Time) {
	p := uint64(c.cfg.pipeline)
	for done := uint64(0); ; {
		n := p
		if quota > 0 {
			if done >= quota {
				return
			}
			n = min(p, quota-done)
		} else if !time.Now().Before(deadline) {
			return
		}
		if err := c.batch(int(n)); err != nil {
			c.stats.ioErr = err
			return
		}
		done += n
	}
}

// prefill SETs keys lo..hi-1 in pipelined batches, unmeasured, so that
// GETs of a read-heavy mix find their keys.
func (c *client) prefill(lo, hi uint64) error {
	const depth = 128
	var rep reply
	for k := lo; k < hi; {
		c.w.reset()
		n := min(depth, hi-k)
		for j := range n {
			c.appendOp(opSet, k+j)
		}
		if _, err := c.conn.Write(c.w.b); err != nil {
			return fmt.Errorf("prefill write: %w", err)
		}
		for range n {
			if err := readReply(c.r, &rep); err != nil {
				return fmt.Errorf("prefill read: %w", err)
			}
			if rep.kind == '-' {
				return fmt.Errorf("prefill: SET replied -%s", rep.errMsg)
			}
		}
		k += n
	}
	return nil
}

// call sends one command and returns its reply line type and text (for
// set-up commands only; it allocates).
func call(conn net.Conn, r *bufio.Reader, args ...string) (string, error) {
	var w cmdBuf
	w.array(len(args))
	for _, a := range args {
		w.bulkString(a)
	}
	if _, err := conn.Write(w.b); err != nil {
		return "", err
	}
	line, err := readLine(r)
	if err != nil {
		return "", err
	}
	s := string(line)
	if len(line) > 0 && line[0] == '$' {
		n, err := parseInt(line[1:])
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "$nil", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		s = "$" + string(buf[:n])
	}
	return s, nil
}
