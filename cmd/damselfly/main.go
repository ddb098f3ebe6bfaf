// Command damselfly runs the Damselfly server: flags in, server out.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/damselfly-db/damselfly/internal/config"
	"github.com/damselfly-db/damselfly/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := config.Load(os.Args[1:], os.Environ(), os.Stdout, version)
	if errors.Is(err, config.ErrExit) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "damselfly:", err)
		return 1
	}
	if d := cfg.Get("daemonize"); len(d) == 1 && d[0][1] == "yes" && os.Getenv(daemonChildEnv) == "" {
		return daemonize()
	}
	// Redis's logfile: empty means the standard stream (stderr, as
	// Dragonfly logs); a path is opened for appending, and like Redis
	// the server does not start when it cannot be.
	var logOut io.Writer = os.Stderr
	if lf := cfg.Get("logfile"); len(lf) == 1 && lf[0][1] != "" {
		f, err := os.OpenFile(lf[0][1], os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "damselfly: can't open the log file:", err)
			return 1
		}
		defer f.Close()
		logOut = f
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	// DAMSELFLY_CPUPROFILE=file writes a pprof CPU profile until exit: the
	// way the performance work measures the hot path.
	if path := os.Getenv("DAMSELFLY_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	// DAMSELFLY_MEMPROFILE=file writes a pprof heap profile at exit (after
	// a collection, so it shows what is live): where the memory work finds
	// the bytes used_memory does not count.
	if path := os.Getenv("DAMSELFLY_MEMPROFILE"); path != "" {
		defer func() {
			if f, err := os.Create(path); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	// "PID: n" as Redis's start-up banner has it: Redis's test harness
	// finds the server it spawned by that text in the log.
	log.Info(fmt.Sprintf("starting damselfly, PID: %d", os.Getpid()), "version", version, "pid", os.Getpid())
	cfg.LogAccepted(log)
	srv := server.New(cfg, log, version)
	if err := srv.Listen(); err != nil {
		log.Error("cannot listen", "err", err)
		return 1
	}
	// Redis's pidfile: written once listening, removed at exit.
	if pf := cfg.Get("pidfile"); len(pf) == 1 && pf[0][1] != "" {
		path := pf[0][1]
		if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Warn("cannot write the pidfile", "file", path, "err", err)
		} else {
			defer os.Remove(path)
		}
	}
	// A write past RLIMIT_FSIZE must fail the save with EFBIG, not kill
	// the process (the Go runtime already does not die of it; say so).
	signal.Ignore(syscall.SIGXFSZ)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sig:
			log.Info("received signal, shutting down", "signal", s.String())
			srv.Shutdown()
		case <-srv.Done():
		}
	}()
	if err := srv.Serve(); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	log.Info("damselfly is now ready to exit, bye bye")
	return 0
}

// daemonChildEnv marks the background copy daemonize starts.
const daemonChildEnv = "DAMSELFLY_DAEMON_CHILD"

// daemonize is Redis's daemonize yes: the server goes on in the
// background, in a session of its own with its standard streams on
// /dev/null (logs go to logfile when one is set, else nowhere, as with
// Redis), and the command returns at once. Go cannot fork a running
// runtime, so it starts itself again with the same arguments.
func daemonize() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "damselfly: daemonize:", err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "damselfly: daemonize:", err)
		return 1
	}
	defer null.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonChildEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "damselfly: daemonize:", err)
		return 1
	}
	return 0
}
