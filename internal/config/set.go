package config

import "strings"

// Set answers CONFIG SET with name/value pairs. Like Redis 7 it is all or
// nothing: every name is checked (known, changeable, not repeated), then
// every value is parsed, and only when all pass are the values stored. The
// first problem, in argument order, is returned as a *SetError whose text
// is Redis's.
//
// Hooks registered with OnChange run after the values are stored, once per
// setting whose value actually changed, outside the lock, so a hook may
// read the Config (or even call Set).
//
// Concurrent readers may briefly see some of the new values and not yet
// others; each single value is always whole.
func (c *Config) Set(pairs [][2]string) error { return c.SetFrom(pairs, "") }

// SetFrom is Set for a client at address remote, which decides, with
// enable-protected-configs, whether protected settings may be changed.
func (c *Config) SetFrom(pairs [][2]string, remote string) error {
	hooks, err := c.set(pairs, remote)
	for _, h := range hooks {
		h()
	}
	return err
}

func (c *Config) set(pairs [][2]string, remote string) ([]func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	targets := make([]*setting, len(pairs))
	seen := make(map[*setting]bool)
	for i, p := range pairs {
		s := c.lookup(p[0])
		switch {
		case s == nil:
			return nil, &SetError{Name: p[0], Unknown: true}
		case s.protected && !Allows(c.EnableProtectedConfigs, remote):
			return nil, &SetError{Name: p[0], Reason: "can't set protected config"}
		case !s.mutable && !(s.acceptCurrent && strings.EqualFold(p[1], s.get())):
			return nil, &SetError{Name: p[0], Reason: "can't set immutable config"}
		case seen[s]:
			// Redis counts HZ and hz as one; so do we, and dash/underscore
			// spellings and aliases as well.
			return nil, &SetError{Name: p[0], Reason: "duplicate parameter"}
		}
		seen[s] = true
		targets[i] = s
	}

	appliers := make([]func(), len(pairs))
	for i, p := range pairs {
		if !targets[i].mutable {
			appliers[i] = func() {} // acceptCurrent: the value in force
			continue
		}
		apply, err := targets[i].parse(p[1])
		if err != nil {
			// Redis names the setting here by its registered, lower-case
			// name rather than as typed.
			return nil, &SetError{Name: strings.ToLower(p[0]), Reason: err.Error()}
		}
		if chk := targets[i].setCheck; chk != nil {
			if err := chk(p[1]); err != nil {
				return nil, &SetError{Name: strings.ToLower(p[0]), Reason: err.Error()}
			}
		}
		appliers[i] = apply
	}

	var hooks []func()
	befores := make([]string, len(appliers))
	type check struct {
		v    *validator
		name string
	}
	var checks []check
	seenV := map[*validator]bool{}
	for i, apply := range appliers {
		before := targets[i].get()
		befores[i] = before
		apply()
		if targets[i].get() != before {
			hooks = append(hooks, c.hooks[targets[i]]...)
			for _, v := range c.validators[targets[i]] {
				if !seenV[v] {
					seenV[v] = true
					checks = append(checks, check{v, strings.ToLower(pairs[i][0])})
				}
			}
		}
	}
	for _, chk := range checks {
		if err := chk.v.fn(); err != nil {
			// Put every value of this CONFIG SET back, as Redis rolls
			// back a CONFIG SET whose apply step failed.
			for i := range appliers {
				if targets[i].mutable {
					if undo, perr := targets[i].parse(befores[i]); perr == nil {
						undo()
					}
				}
			}
			return nil, &SetError{Name: chk.name, Reason: err.Error()}
		}
	}
	return hooks, nil
}
