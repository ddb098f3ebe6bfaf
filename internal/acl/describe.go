package acl

import "strings"

// describeCommands renders a selector's command rules the way Redis 7.0
// does: "+@all" or "-@all", then the categories that best approximate the
// allowed set (tried in Redis's order, each chosen only when it has more
// commands in agreement than in disagreement with the selector), then the
// single commands still differing and the first-argument exceptions.
// Redis emits those last ones in its hash table's order, which changes
// from run to run; here they come sorted by name.
func (s *Selector) describeCommands() string {
	var b strings.Builder
	fake := newSelector(s.cat)
	additive := !s.future
	if additive {
		b.WriteString("-@all ")
	} else {
		b.WriteString("+@all ")
		fake.setAll(true)
	}
	temp := s.clone()
	var applied [len(categoryNames)]bool
	for {
		best := -1
		var minDiff, maxSame = int(^uint(0) >> 1), 0
		for j := range categoryNames {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(1 << j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		fake.setCategory(1<<best, additive)
		temp.setCategory(1<<best, !additive)
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(categoryNames[best])
		b.WriteByte(' ')
		applied[best] = true
	}
	s.cat.walk(func(id int) {
		user := s.bit(id)
		if user != fake.bit(id) {
			if user {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
			b.WriteString(s.cat.cmds[id].Name)
			b.WriteByte(' ')
			fake.setCommand(id, user)
		}
		if !user {
			for _, a := range s.firstArgs[id] {
				b.WriteByte('+')
				b.WriteString(s.cat.cmds[id].Name)
				b.WriteByte('|')
				b.WriteString(a)
				b.WriteByte(' ')
			}
		}
	})
	return strings.TrimSuffix(b.String(), " ")
}

// countCategory counts the commands and subcommands of a category the
// selector allows and denies.
func (s *Selector) countCategory(bit uint32) (on, off int) {
	s.cat.categories()
	s.cat.walk(func(id int) {
		if s.cat.cmds[id].Cats&bit == 0 {
			return
		}
		if s.bit(id) {
			on++
		} else {
			off++
		}
	})
	return on, off
}

// KeysString is GETUSER's "keys" field: "~*", or the patterns.
func (s *Selector) KeysString() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

// ChannelsString is GETUSER's "channels" field: "&*", or the patterns.
func (s *Selector) ChannelsString() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, c := range s.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// CommandsString is GETUSER's "commands" field.
func (s *Selector) CommandsString() string { return s.describeCommands() }

// describe renders the selector as ACL LIST does: keys, channels, commands.
func (s *Selector) describe() string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String())
			b.WriteByte(' ')
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteByte('&')
			b.WriteString(c)
			b.WriteByte(' ')
		}
	}
	b.WriteString(s.describeCommands())
	return b.String()
}
