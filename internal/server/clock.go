package server

import "time"

// anchorEvery bounds how long a connection derives wall-clock time from
// the monotonic clock before it reads the wall clock again.
const anchorEvery = time.Second

// now is time.Now for the connection's hot path: the anchor plus one
// monotonic reading. On this kind of VM a clock read costs 60-70 ns and
// time.Now makes two (wall and monotonic); a request at pipeline depth 1
// used to read the clock four times.
func (c *conn) now() time.Time {
	d := time.Since(c.anchor)
	if d >= anchorEvery || d < 0 {
		c.anchor = time.Now()
		return c.anchor
	}
	return c.anchor.Add(d)
}
