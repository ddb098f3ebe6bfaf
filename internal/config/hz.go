package config

import "time"

// TickInterval is the period of background work for the current hz: 1s/hz,
// but no shorter than a millisecond, as in Dragonfly. It is zero when hz is
// 0, which Dragonfly takes to mean no periodic background work.
func (c *Config) TickInterval() time.Duration {
	hz := c.HZ.Get()
	if hz <= 0 {
		return 0
	}
	return max(time.Second/time.Duration(hz), time.Millisecond)
}
