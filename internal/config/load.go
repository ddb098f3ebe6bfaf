package config

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/damselfly-db/damselfly/internal/flags"
)

const summary = "Damselfly: an in-memory data store speaking the Redis protocol, a drop-in for Redis and Dragonfly."

// Load builds the Config from the command line (args, without the program
// name: os.Args[1:]), the flagfiles it names and the environment (environ,
// as os.Environ returns it), and validates it. On --help or --version it
// writes to out and returns an error matching ErrExit.
func Load(args []string, environ []string, out io.Writer, version string) (*Config, error) {
	c := Default()
	fs := flags.New("damselfly", summary)
	// Dragonfly reads DFLY_PASSWORD itself and uses DFLY_DEV_ENV elsewhere;
	// neither is a flag.
	fs.IgnoreEnv("PASSWORD", "DEV_ENV")
	for _, s := range c.settings {
		if err := fs.Add(s.flag()); err != nil {
			return nil, fmt.Errorf("config: registering %s: %w", s.name, err)
		}
	}

	var directives []flags.Directive
	conf := configFileArg(args)
	if conf != "" {
		d, err := readRedisConf(conf, 0)
		if err != nil && flags.AskedFor(args) == nil {
			return nil, err
		}
		directives, args = d, args[1:]
	}
	assigned, err := fs.ParseWith(directives, args, environ)
	switch {
	case errors.Is(err, flags.ErrHelp):
		if err := fs.WriteHelp(out); err != nil {
			return nil, fmt.Errorf("config: writing help: %w", err)
		}
		return nil, fmt.Errorf("%w: %w", ErrExit, err)
	case errors.Is(err, flags.ErrVersion):
		if _, err := fmt.Fprintf(out, "damselfly %s\n", version); err != nil {
			return nil, fmt.Errorf("config: writing version: %w", err)
		}
		return nil, fmt.Errorf("%w: %w", ErrExit, err)
	case err != nil:
		return nil, err
	}
	for _, a := range assigned {
		s := c.lookup(a.Name)
		c.explicit[s] = a
		c.order = append(c.order, s)
	}

	c.ConfigFile = flagfileArg(args)
	if conf != "" {
		if abs, err := filepath.Abs(conf); err == nil {
			conf = abs
		}
		c.ConfigFile = conf
	}
	c.passwordFromEnv(environ)
	if c.SaveSchedule != nil && c.SnapshotCron != nil {
		return nil, errors.New("save_schedule and snapshot_cron cannot both be set; use snapshot_cron")
	}
	return c, nil
}

// passwordFromEnv applies Dragonfly's DFLY_PASSWORD, which stands in for
// requirepass when that is empty.
func (c *Config) passwordFromEnv(environ []string) {
	if c.RequirePass.Get() != "" {
		return
	}
	for _, kv := range environ {
		if pw, ok := strings.CutPrefix(kv, flags.EnvPrefix+"PASSWORD="); ok && pw != "" {
			s := c.lookup("requirepass")
			c.RequirePass.store(pw)
			if _, ok := c.explicit[s]; !ok {
				c.order = append(c.order, s)
			}
			c.explicit[s] = flags.Assignment{Name: s.name, Spelled: s.name, Value: pw, Origin: "environment variable DFLY_PASSWORD"}
			return
		}
	}
}

// flagfileArg returns the first --flagfile named on the command line, which
// INFO reports as config_file.
func flagfileArg(args []string) string {
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if flags.Normalize(name) != "flagfile" || !strings.HasPrefix(a, "-") {
			continue
		}
		if hasVal {
			first, _, _ := strings.Cut(val, ",")
			return first
		}
		if i+1 < len(args) {
			first, _, _ := strings.Cut(args[i+1], ",")
			return first
		}
	}
	return ""
}
