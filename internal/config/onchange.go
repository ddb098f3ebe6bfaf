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

// OnValidate registers fn to vet any CONFIG SET that changes one of the
// named settings: it runs once per CONFIG SET, after the new values are in
// place (fn reads them as usual) and before the hooks; if it fails, every
// value of that CONFIG SET is put back and the command fails with fn's
// reason. fn runs with the configuration locked: it may read settings
// through their holders (Get) but must not call Config's methods. It
// panics on a name OnChange would refuse.
func (c *Config) OnValidate(names []string, fn func() error) {
	v := &validator{fn}
	for _, name := range names {
		s := c.lookup(name)
		if s == nil || !s.mutable {
			panic("config: OnValidate for unknown or immutable setting " + name)
		}
		c.mu.Lock()
		if c.validators == nil {
			c.validators = map[*setting][]*validator{}
		}
		c.validators[s] = append(c.validators[s], v)
		c.mu.Unlock()
	}
}

// validator is one OnValidate registration, shared by its settings so a
// CONFIG SET changing several of them runs it once.
type validator struct{ fn func() error }
