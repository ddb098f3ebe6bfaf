// Package server owns the network side: listeners, one goroutine per
// connection that reads, parses every complete command in its buffer, runs
// each and flushes the replies with one write per batch (pipelining), plus
// the process lifecycle (heartbeat, shutdown).
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/damselfly-db/damselfly/internal/command"
	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/shard"
)

// Server is one Damselfly process's serving state.
type Server struct {
	cfg *config.Config
	log *slog.Logger
	env *command.Env

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
	nconns    atomic.Int64
	closing   atomic.Bool

	activeExpire atomic.Bool
	cancel       context.CancelFunc
	done         chan struct{}
	doneOnce     sync.Once
}

// New builds a server from a loaded configuration.
func New(cfg *config.Config, log *slog.Logger, version string) *Server {
	threads := cfg.ProactorThreads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	runtime.GOMAXPROCS(threads)
	id := make([]byte, 20)
	rand.Read(id)
	s := &Server{cfg: cfg, log: log, conns: map[*conn]struct{}{}, done: make(chan struct{})}
	s.activeExpire.Store(true)
	s.env = &command.Env{
		Config:       cfg,
		Store:        shard.NewStore(threads, cfg.Databases),
		Table:        command.NewTable(),
		Clients:      command.NewRegistry(),
		Log:          log,
		Version:      version,
		Start:        time.Now(),
		RunID:        hex.EncodeToString(id),
		ActiveExpire: &s.activeExpire,
	}
	s.env.Store.SetEvents(s.env)
	s.env.Shutdown = s.shutdownCommand
	s.env.ResetHook = s.resetClient
	return s
}

// Env exposes the command environment (for tests and the admin side).
func (s *Server) Env() *command.Env { return s.env }

// Listen binds every configured address.
func (s *Server) Listen() error {
	binds := s.cfg.Bind
	if len(binds) == 0 {
		binds = []string{""}
	}
	for _, b := range binds {
		host := strings.TrimPrefix(b, "-") // Redis's "-::1" = optional address
		l, err := listenTCP(host, s.cfg.Port, s.cfg.TCPBacklog)
		if err != nil {
			if strings.HasPrefix(b, "-") {
				s.log.Warn("optional bind address unavailable", "addr", host, "err", err)
				continue
			}
			s.closeListeners()
			return err
		}
		s.listeners = append(s.listeners, l)
		if s.env.TCPPort == 0 {
			s.env.TCPPort = l.Addr().(*net.TCPAddr).Port
		}
	}
	if len(s.listeners) == 0 {
		return errors.New("no address to listen on")
	}
	return nil
}

// Addrs returns the bound addresses.
func (s *Server) Addrs() []net.Addr {
	var out []net.Addr
	for _, l := range s.listeners {
		out = append(out, l.Addr())
	}
	return out
}

// Serve accepts connections until Close or SHUTDOWN.
func (s *Server) Serve() error {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.env.Store.Heartbeat(ctx, s.cfg.HZ.Get, &s.activeExpire, &s.env.Stats.ExpiredKeysActive)
	go s.env.RunSampler(ctx)
	for _, l := range s.listeners {
		s.wg.Add(1)
		go func(l net.Listener) {
			defer s.wg.Done()
			s.acceptLoop(l, "main")
		}(l)
	}
	s.log.Info("ready to accept connections", "addrs", fmt.Sprint(s.Addrs()), "shards", s.env.Store.N(), "threads", runtime.GOMAXPROCS(0))
	<-s.done
	return nil
}

func (s *Server) acceptLoop(l net.Listener, listener string) {
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// EMFILE and friends: back off instead of spinning.
				if backoff == 0 {
					backoff = 5 * time.Millisecond
				} else if backoff < time.Second {
					backoff *= 2
				}
				s.log.Warn("accept failed", "err", err)
				time.Sleep(backoff)
				continue
			}
			return
		}
		backoff = 0
		s.env.Stats.ConnectionsReceived.Add(1)
		if n := s.nconns.Load(); n >= s.cfg.MaxClients.Get() {
			s.env.Stats.RejectedConnections.Add(1)
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			nc.Write([]byte("-ERR max number of clients reached\r\n"))
			nc.Close()
			continue
		}
		c := s.newConn(nc, listener)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
		}()
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// Close stops listening, closes every connection and waits for them.
func (s *Server) Close() {
	if !s.closing.CompareAndSwap(false, true) {
		return
	}
	s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	s.doneOnce.Do(func() { close(s.done) })
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		l.Close()
	}
}

// Done is closed once the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// shutdownCommand implements SHUTDOWN: the reply is the closed connection.
func (s *Server) shutdownCommand(save bool) error {
	s.log.Info("shutdown requested by client", "save", save)
	go s.Close()
	return nil
}
