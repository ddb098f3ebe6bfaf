package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/damselfly-db/damselfly/internal/flags"
	"github.com/damselfly-db/damselfly/internal/resp"
)

// Redis's configuration file: `damselfly /etc/redis/redis.conf [--flags]`
// starts like `redis-server /etc/redis/redis.conf [--options]`, so a Redis
// deployment (a systemd unit, a container command) swaps the binary and
// keeps its file. Each line is a directive and its arguments, split as
// Redis splits them (quotes, escapes); the arguments are joined with
// spaces into the value of the setting of the same name (save 3600 1 300
// 100, bind 127.0.0.1 -::1, client-output-buffer-limit normal 0 0 0), and
// options on the command line win over the file. include reads another
// file in place. Directives that would configure what Damselfly does not
// have stop start-up with the reason rather than be dropped.

// maxIncludeDepth stops include cycles.
const maxIncludeDepth = 8

// refusedDirectives are redis.conf directives Damselfly cannot honour.
var refusedDirectives = map[string]string{
	"rename-command": "commands cannot be renamed; deny them with ACL rules (ACL SETUSER default -flushall) instead",
	"loadmodule":     "modules are not supported",
	"user":           "ACL users are read from an aclfile (the aclfile directive), not from the configuration file",
	"sentinel":       "Sentinel is not supported",
}

// readRedisConf reads a Redis configuration file into directives.
func readRedisConf(path string, depth int) ([]flags.Directive, error) {
	if depth > maxIncludeDepth {
		return nil, fmt.Errorf("config file %s: includes nested more than %d deep", path, maxIncludeDepth)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	var out []flags.Directive
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		origin := fmt.Sprintf("config file %s:%d", path, i+1)
		argv, ok := resp.SplitArgs(line)
		if !ok {
			return nil, fmt.Errorf("%s: unbalanced quotes in %q", origin, line)
		}
		if len(argv) == 0 {
			continue
		}
		name := strings.ToLower(argv[0])
		if why, refused := refusedDirectives[name]; refused {
			return nil, fmt.Errorf("%s: %s: %s", origin, name, why)
		}
		if name == "include" {
			if len(argv) != 2 {
				return nil, fmt.Errorf("%s: include takes one file", origin)
			}
			// A relative path is opened from the working directory, as
			// Redis does.
			more, err := readRedisConf(argv[1], depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin, err)
			}
			out = append(out, more...)
			continue
		}
		if len(argv) < 2 {
			return nil, fmt.Errorf("%s: %q: Bad directive or wrong number of arguments", origin, line)
		}
		out = append(out, flags.Directive{Name: name, Value: strings.Join(argv[1:], " "), Origin: origin})
	}
	return out, nil
}

// configFileArg is the Redis configuration file named first on the command
// line, as redis-server takes it, or "".
func configFileArg(args []string) string {
	if len(args) > 0 && args[0] != "" && !strings.HasPrefix(args[0], "-") {
		return args[0]
	}
	return ""
}
