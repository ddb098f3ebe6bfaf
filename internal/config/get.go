package config

import "strings"

// Get answers CONFIG GET: name/value pairs for every setting matching any
// of the patterns, each setting at most once, in pattern order and by name
// within a glob.
//
// A pattern without glob characters (* ? [) is looked up directly and
// answered with the name as the user spelled it, as Redis does. A glob
// matches the Redis and Dragonfly spellings alike and lists the setting
// under each name it matched (setting.globNames), each name once.
//
// Get takes no lock: values come from atomic holders or from start-only
// fields that no longer change.
func (c *Config) Get(patterns ...string) [][2]string {
	var out [][2]string
	seen := make(map[string]bool)
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?[") {
			if s := c.lookup(p); s != nil && !seen[strings.ToLower(p)] {
				seen[strings.ToLower(p)] = true
				out = append(out, [2]string{p, s.get()})
			}
			continue
		}
		for _, s := range c.settings {
			for _, name := range s.globNames(p) {
				if !seen[name] {
					seen[name] = true
					out = append(out, [2]string{name, s.get()})
				}
			}
		}
	}
	return out
}
