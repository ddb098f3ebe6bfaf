// Package config is replaced by the config branch; this placeholder only
// lets the server compile meanwhile.
package config

import (
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
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

func (c *Config) Get(pattern string) [][2]string  { return nil }
func (c *Config) Set(pairs [][2]string) error     { return errors.New("ERR not yet") }
func (c *Config) OnChange(name string, fn func()) {}
func (c *Config) LogAccepted(l *slog.Logger)      {}
func (c *Config) SlogLevel() slog.Level           { return slog.LevelInfo }
