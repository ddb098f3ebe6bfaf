package flags

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// flagfiles reads a comma-separated list of flagfiles, as absl's
// --flagfile takes.
func (c *collector) flagfiles(list string) error {
	for _, path := range strings.Split(list, ",") {
		if err := c.flagfile(path); err != nil {
			return err
		}
	}
	return nil
}

// flagfile reads one flag per line, like gflags' --flagfile. Lines are
// trimmed; blank lines and lines starting with # are skipped. "--name=value"
// takes everything after "=" literally, spaces and quotes included, as absl
// does. "--name value" is also accepted, and there a value wrapped in one
// pair of quotes loses them, so that a line copied from a shell command
// (--save "") means what it meant there.
func (c *collector) flagfile(path string) error {
	if path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("flagfile %s: %w", path, err)
	}
	for _, open := range c.files {
		if open == abs {
			return fmt.Errorf("flagfile %s includes itself", path)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading flagfile: %w", err)
	}
	c.files = append(c.files, abs)
	defer func() { c.files = c.files[:len(c.files)-1] }()

	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		origin := fmt.Sprintf("flagfile %s:%d", path, i+1)
		body, ok := flagBody(line)
		if !ok {
			return fmt.Errorf("%s: expected a flag such as --name=value, got %q", origin, line)
		}
		var following []string
		if sp := strings.IndexAny(body, " \t"); sp >= 0 {
			if eq := strings.IndexByte(body, '='); eq < 0 || sp < eq {
				following = []string{unquote(strings.TrimSpace(body[sp+1:]))}
				body = body[:sp]
			}
		}
		n, err := c.occurrence(body, following, origin)
		if err != nil {
			return err
		}
		if n < len(following) {
			return fmt.Errorf("%s: unexpected %q after --%s", origin, following[0], body)
		}
	}
	return nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
