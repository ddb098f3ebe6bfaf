package flags

import (
	"fmt"
	"strconv"
	"strings"
)

const commandLine = "command line"

// pending is one occurrence of a flag, gathered before any is applied so
// that precedence between the environment and the command line can be
// settled first.
type pending struct {
	Assignment
	flag *Flag
	bad  error // a boolean flag given a non-boolean; reported only if applied
}

// collector gathers the occurrences of one precedence level.
type collector struct {
	set   *Set
	list  []pending
	files []string // flagfiles being read, innermost last, to catch cycles
}

// Parse fills the flags from args (the command line without the program
// name) and environ (KEY=VALUE strings, as os.Environ returns). Values from
// the command line and the flagfiles it names win over the environment; a
// flag given several times keeps the last value. It returns the assignments
// that took effect, one per flag, in the order they were applied.
//
// ErrHelp or ErrVersion is returned, before anything is applied, when help
// or the version was asked for.
func (s *Set) Parse(args, environ []string) ([]Assignment, error) {
	return s.ParseWith(nil, args, environ)
}

// Directive is a setting read from elsewhere than the command line (a
// Redis configuration file): a flag name, its value, and where it was
// read, such as "config file /etc/redis/redis.conf:12".
type Directive struct {
	Name, Value, Origin string
}

// ParseWith is Parse with directives applied first at the command line's
// precedence, so that flags given after them on the command line win, as
// options after the configuration file do for redis-server.
func (s *Set) ParseWith(directives []Directive, args, environ []string) ([]Assignment, error) {
	if err := AskedFor(args); err != nil {
		return nil, err
	}
	cmd := &collector{set: s}
	for _, d := range directives {
		if _, err := cmd.occurrence(d.Name+"="+d.Value, nil, d.Origin); err != nil {
			return nil, err
		}
	}
	if err := cmd.args(args); err != nil {
		return nil, err
	}
	env := &collector{set: s}
	if err := env.environ(environ); err != nil {
		return nil, err
	}

	onCmd := make(map[*Flag]bool)
	for _, p := range cmd.list {
		onCmd[p.flag] = true
	}
	var order []pending
	for _, p := range env.list {
		// Like Dragonfly: a flag present on the command line ignores its
		// environment variable entirely, even an invalid one.
		if !onCmd[p.flag] {
			order = append(order, p)
		}
	}
	order = append(order, cmd.list...)

	last := make(map[*Flag]int)
	for i, p := range order {
		if err := p.apply(); err != nil {
			return nil, err
		}
		last[p.flag] = i
	}
	var applied []Assignment
	for i, p := range order {
		if last[p.flag] == i {
			applied = append(applied, p.Assignment)
		}
	}
	return applied, nil
}

func (p pending) apply() error {
	err := p.bad
	if err == nil {
		err = p.flag.Set(p.Value)
	}
	if err == nil {
		return nil
	}
	from := ""
	if p.Origin != commandLine {
		from = " (from " + p.Origin + ")"
	}
	return fmt.Errorf("invalid value %q for flag --%s%s: %w", p.Value, p.Spelled, from, err)
}

// AskedFor finds --help or --version anywhere on the command line, so that
// asking for help works even next to a mistake (or an unreadable
// configuration file): ErrHelp, ErrVersion, or nil.
func AskedFor(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		body, ok := flagBody(a)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(body, "=")
		switch Normalize(name) {
		case "help", "h", "helpfull", "helpshort":
			return ErrHelp
		case "version":
			return ErrVersion
		}
	}
	return nil
}

func (c *collector) args(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return unexpected(args[i+1])
			}
			return nil
		}
		body, ok := flagBody(a)
		if !ok {
			return unexpected(a)
		}
		n, err := c.occurrence(body, args[i+1:], commandLine)
		if err != nil {
			return err
		}
		i += n
	}
	return nil
}

func unexpected(arg string) error {
	if strings.HasPrefix(arg, "-") && arg != "-" {
		return fmt.Errorf("malformed flag %q", arg)
	}
	return fmt.Errorf("unexpected argument %q: only flags such as --name=value are accepted", arg)
}

// flagBody strips the one or two leading dashes of a flag argument.
func flagBody(arg string) (string, bool) {
	if len(arg) < 2 || arg[0] != '-' {
		return "", false
	}
	body := arg[1:]
	if body[0] == '-' {
		body = body[1:]
	}
	if body == "" || body[0] == '-' || body[0] == '=' {
		return "", false
	}
	return body, true
}

// occurrence handles one flag whose dashes are already stripped: "name" or
// "name=value". following holds what comes after it, from which a value may
// be taken; the number of elements taken is returned.
func (c *collector) occurrence(body string, following []string, origin string) (int, error) {
	where := ""
	if origin != commandLine {
		where = origin + ": "
	}
	name, value, hasValue := strings.Cut(body, "=")
	taken := 0
	takeValue := func() error {
		if hasValue {
			return nil
		}
		if len(following) == 0 {
			return fmt.Errorf("%smissing value for flag --%s", where, name)
		}
		value, taken = following[0], 1
		return nil
	}

	switch Normalize(name) {
	case "help", "h", "helpfull", "helpshort":
		return 0, ErrHelp
	case "version":
		return 0, ErrVersion
	case "flagfile":
		if err := takeValue(); err != nil {
			return 0, err
		}
		if err := c.flagfiles(value); err != nil {
			return 0, fmt.Errorf("%s%w", where, err)
		}
		return taken, nil
	}

	f, negated := c.set.lookup(name)
	switch {
	case f == nil:
		return 0, c.set.unknown(where, name)
	case negated:
		if hasValue {
			return 0, fmt.Errorf("%sflag --%s takes no value; write --%s=%s instead", where, name, name[2:], value)
		}
		c.add(f, name, "false", origin)
		return 0, nil
	case f.Bool:
		if !hasValue {
			if len(following) > 0 {
				if _, ok := ParseBool(following[0]); ok {
					c.addBool(f, name, following[0], origin)
					return 1, nil
				}
			}
			c.add(f, name, "true", origin)
			return 0, nil
		}
		c.addBool(f, name, value, origin)
		return 0, nil
	}
	if err := takeValue(); err != nil {
		return 0, err
	}
	c.add(f, name, value, origin)
	return taken, nil
}

func (c *collector) add(f *Flag, spelled, value, origin string) {
	c.list = append(c.list, pending{
		Assignment: Assignment{Name: f.Name, Spelled: spelled, Value: value, Origin: origin},
		flag:       f,
	})
}

// addBool records a boolean given as text, normalised to "true" or "false"
// so that Set sees one spelling.
func (c *collector) addBool(f *Flag, spelled, text, origin string) {
	b, ok := ParseBool(text)
	if !ok {
		c.list = append(c.list, pending{
			Assignment: Assignment{Name: f.Name, Spelled: spelled, Value: text, Origin: origin},
			flag:       f,
			bad:        fmt.Errorf("want a boolean: true or false (also yes/no, 1/0)"),
		})
		return
	}
	c.add(f, spelled, strconv.FormatBool(b), origin)
}

// unknown builds the error for a name no flag answers to.
func (s *Set) unknown(where, name string) error {
	if near := s.suggest(name); near != "" {
		return fmt.Errorf("%sunknown flag --%s; did you mean --%s?", where, name, near)
	}
	return fmt.Errorf("%sunknown flag --%s", where, name)
}
