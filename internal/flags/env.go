package flags

import (
	"fmt"
	"strings"
)

// EnvPrefix starts the environment variables that set flags, as in
// Dragonfly: DFLY_port=6380 is --port=6380.
const EnvPrefix = "DFLY_"

// environ gathers DFLY_<name>=value variables. The name is matched like a
// flag name (any case, dash or underscore). Unknown DFLY_ variables are an
// error, as they are in Dragonfly, because a misspelt setting silently
// ignored is worse than a refusal to start.
//
// The environment has no meaningful order, so DFLY_flagfile is read first
// and the more specific DFLY_<name> variables override what it says.
func (c *collector) environ(environ []string) error {
	var vars [][3]string // key, name, value
	for _, kv := range environ {
		key, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		name, ours := strings.CutPrefix(key, EnvPrefix)
		if !ours || name == "" || c.set.envSkip[Normalize(name)] {
			continue
		}
		if Normalize(name) == "flagfile" {
			if err := c.flagfiles(value); err != nil {
				return fmt.Errorf("environment variable %s: %w", key, err)
			}
			continue
		}
		vars = append(vars, [3]string{key, name, value})
	}
	for _, v := range vars {
		key, name, value := v[0], v[1], v[2]
		origin := "environment variable " + key
		f := c.set.byName[Normalize(name)]
		if f == nil {
			if near := c.set.suggest(name); near != "" {
				return fmt.Errorf("unknown environment variable %s; did you mean %s%s?", key, EnvPrefix, near)
			}
			return fmt.Errorf("unknown environment variable %s", key)
		}
		if f.Bool {
			c.addBool(f, name, value, origin)
		} else {
			c.add(f, name, value, origin)
		}
	}
	return nil
}
