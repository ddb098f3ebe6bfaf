// Package config is replaced by the config branch; this placeholder only
// lets the server compile meanwhile.
package config

import (
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/damselfly-db/damselfly/internal/glob"
)

var ErrExit = errors.New("exit")

type Int struct{ v atomic.Int64 }

func (i *Int) Get() int64  { return i.v.Load() }
func (i *Int) set(v int64) { i.v.Store(v) }

type Bool struct{ v atomic.Bool }

func (b *Bool) Get() bool { return b.v.Load() }

type String struct{ v atomic.Pointer[string] }

func (s *String) Get() string {
	if p := s.v.Load(); p != nil {
		return *p
	}
	return ""
}

type Config struct {
	Port              int
	Bind              []string
	TCPBacklog        int
	ProactorThreads   int
	Databases         int
	HZ                Int
	MaxClients        Int
	Timeout           Int
	TCPKeepalive      Int
	ProtoMaxBulkLen   Int
	QueryBufferLimit  Int
	RequirePass       String
	SlowlogSlowerThan Int
	SlowlogMaxLen     Int
	MaxMemory         Int
	CacheMode         Bool

	// Added by the server-commands branch (INFO, LATENCY, CONFIG REWRITE).
	LatencyMonitorThreshold Int    // latency-monitor-threshold, ms; 0 = off
	MaxMemoryPolicy         String // maxmemory-policy
	ConfigFile              string // the flagfile/config file path, "" if none
}

func Load(args []string, environ []string, out io.Writer, version string) (*Config, error) {
	c := &Config{Port: 6379, TCPBacklog: 511, Databases: 16}
	c.HZ.set(100)
	c.MaxClients.set(10000)
	c.TCPKeepalive.set(300)
	c.ProtoMaxBulkLen.set(512 << 20)
	c.QueryBufferLimit.set(1 << 30)
	c.SlowlogSlowerThan.set(10000)
	c.SlowlogMaxLen.set(128)
	policy := "noeviction"
	c.MaxMemoryPolicy.v.Store(&policy)
	for i := 0; i+1 < len(args); i += 2 {
		switch args[i] {
		case "--port":
			c.Port, _ = strconv.Atoi(args[i+1])
		case "--bind":
			c.Bind = []string{args[i+1]}
		case "--requirepass":
			v := args[i+1]
			c.RequirePass.v.Store(&v)
		}
	}
	return c, nil
}

// ints is the placeholder's CONFIG GET/SET registry: just enough for the
// server commands' tests until the real config package lands.
func (c *Config) ints() map[string]*Int {
	return map[string]*Int{
		"hz": &c.HZ, "maxclients": &c.MaxClients, "timeout": &c.Timeout,
		"slowlog-log-slower-than": &c.SlowlogSlowerThan, "slowlog-max-len": &c.SlowlogMaxLen,
		"maxmemory": &c.MaxMemory, "latency-monitor-threshold": &c.LatencyMonitorThreshold,
	}
}

func (c *Config) Get(pattern string) [][2]string {
	var out [][2]string
	for name, v := range c.ints() {
		if glob.MatchString(pattern, name, true) {
			out = append(out, [2]string{name, strconv.FormatInt(v.Get(), 10)})
		}
	}
	if glob.MatchString(pattern, "maxmemory-policy", true) {
		out = append(out, [2]string{"maxmemory-policy", c.MaxMemoryPolicy.Get()})
	}
	return out
}

func (c *Config) Set(pairs [][2]string) error {
	ints := c.ints()
	for _, p := range pairs {
		name := strings.ToLower(p[0])
		if name == "maxmemory-policy" {
			v := p[1]
			c.MaxMemoryPolicy.v.Store(&v)
			continue
		}
		v, ok := ints[name]
		if !ok {
			return errors.New("ERR Unknown option or number of arguments for CONFIG SET - '" + p[0] + "'")
		}
		n, err := strconv.ParseInt(p[1], 10, 64)
		if err != nil {
			return errors.New("ERR CONFIG SET failed (possibly related to argument '" + p[0] + "') - argument couldn't be parsed into an integer")
		}
		v.set(n)
	}
	return nil
}

func (c *Config) OnChange(name string, fn func()) {}
func (c *Config) LogAccepted(l *slog.Logger)      {}
func (c *Config) SlogLevel() slog.Level           { return slog.LevelInfo }
