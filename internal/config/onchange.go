package config

// OnChange registers fn to run after CONFIG SET changes the named setting
// (any spelling). It panics if no setting has that name or if CONFIG SET
// can never change it, since either is a mistake in the caller's code that
// would otherwise fail silently.
func (c *Config) OnChange(name string, fn func()) {
	s := c.lookup(name)
	if s == nil {
		panic("config: OnChange for unknown setting " + name)
	}
	if !s.mutable {
		panic("config: OnChange for " + name + ", which CONFIG SET cannot change")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hooks[s] = append(c.hooks[s], fn)
}
