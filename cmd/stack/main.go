// Command stack brings up the Directus + Damselfly system on one machine,
// without Docker: Damselfly with the seeds' options (deploy/damselfly.flags),
// Directus 12 from npm on SQLite (or Postgres when DB_* says so) with every
// Redis store pointed at Damselfly, redis_exporter when installed, and
// Prometheus on request. It prints the URLs, streams a readable status and
// stops everything cleanly on Ctrl-C.
//
//	go run ./cmd/stack              # up: install (cached), start, watch
//	go run ./cmd/stack install      # only install Node 22 and Directus
//	go run ./cmd/stack help
//
// Installing Directus takes minutes the first time (native modules compile);
// the install is cached under ${XDG_CACHE_HOME:-~/.cache}/damselfly, keyed
// by Directus version, Node major version and install manifest, and reused.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usageText = `usage: stack [up] [flags]       bring the stack up and watch it (Ctrl-C stops it)
       stack install [flags]    install Node 22 and Directus into the cache
       stack help               this text

Run from the repository root (go run ./cmd/stack), or pass --repo.

Flags:
`

func run(args []string, stdout, stderr io.Writer) int {
	sub := "up"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	o := defaultOptions()
	fs := flag.NewFlagSet("stack "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.register(fs, sub)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	switch sub {
	case "help", "-h", "--help":
		fs.Usage()
		return 0
	case "up", "install":
	default:
		fmt.Fprintf(stderr, "stack: unknown command %q\n", sub)
		fs.Usage()
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "stack: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := o.resolve(); err != nil {
		fmt.Fprintln(stderr, "stack:", err)
		return 2
	}
	ui := newUI(stdout, o.verbose)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch sub {
	case "install":
		var inst *installation
		inst, err = ensureInstalled(ctx, o, ui)
		if err == nil {
			ui.printf("node:     %s", inst.node)
			ui.printf("directus: %s", inst.directusCLI)
		}
	case "up":
		err = up(ctx, o, ui)
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			ui.printf("stopped")
			return 0
		}
		fmt.Fprintln(stderr, "stack:", err)
		return 1
	}
	return 0
}

// options are the launcher's settings, from flags.
type options struct {
	repo      string // repository root (deploy/, cmd/damselfly)
	cacheDir  string // installs of Node and Directus
	stateDir  string // data, logs, secrets of this stack
	fresh     bool   // wipe stateDir first
	verbose   bool   // stream every child log line
	directusV string // Directus version
	nodeV     string // npm spec of the Node package when the system node is too old

	server    string // damselfly | redis-server | host:port
	damselfly string // damselfly binary; empty builds ./cmd/damselfly
	flagfile  string
	envFile   string
	bind      string

	port          int // RESP port of the server we start
	adminPort     int
	metricsPort   int
	directusPort  int
	exporterPort  int
	promPort      int
	exporter      bool
	prometheus    bool
	record        string // record the Redis traffic of Directus to this file
	monitor       string // write the server's MONITOR stream to this file
	startAttempts int
	startTimeout  duration
	statusEvery   duration
}

func defaultOptions() *options {
	return &options{
		server:        "damselfly",
		bind:          "127.0.0.1",
		directusV:     directusVersion,
		nodeV:         "node@22",
		port:          6379,
		adminPort:     9998,
		metricsPort:   9999,
		directusPort:  8055,
		exporterPort:  9121,
		promPort:      9090,
		exporter:      true,
		startAttempts: 3,
		startTimeout:  duration(defaultStartTimeout),
		statusEvery:   duration(defaultStatusEvery),
	}
}

func (o *options) register(fs *flag.FlagSet, sub string) {
	fs.StringVar(&o.repo, "repo", "", "repository root (default: found from the current directory)")
	fs.StringVar(&o.cacheDir, "cache", "", "cache of the Node and Directus installs (default ${XDG_CACHE_HOME:-~/.cache}/damselfly)")
	fs.StringVar(&o.directusV, "directus-version", o.directusV, "Directus version to install from npm")
	fs.BoolVar(&o.verbose, "verbose", false, "print every log line of every process, not only warnings and errors")
	if sub == "install" {
		return
	}
	fs.StringVar(&o.stateDir, "state", "", "directory for the stack's data, logs and secrets (default ${XDG_STATE_HOME:-~/.local/state}/damselfly/stack)")
	fs.BoolVar(&o.fresh, "fresh", false, "delete the state directory first (a new database, new secrets)")
	fs.StringVar(&o.server, "server", o.server, "Redis server for Directus: damselfly, redis-server (Debian's, to compare) or host:port of one already running")
	fs.StringVar(&o.damselfly, "damselfly", "", "damselfly binary (default: build ./cmd/damselfly with deploy/build.sh)")
	fs.StringVar(&o.flagfile, "flagfile", "", "Damselfly flagfile (default deploy/damselfly.flags)")
	fs.StringVar(&o.envFile, "env-file", "", "environment file for Directus (default deploy/.env when it exists)")
	fs.StringVar(&o.bind, "bind", o.bind, "address every service listens on")
	fs.IntVar(&o.port, "port", o.port, "Damselfly/redis-server port (0 picks a free one)")
	fs.IntVar(&o.adminPort, "admin-port", o.adminPort, "Damselfly admin console port (0 picks a free one, -1 turns it off)")
	fs.IntVar(&o.metricsPort, "metrics-port", o.metricsPort, "Damselfly Prometheus port (0 picks a free one, -1 turns it off)")
	fs.IntVar(&o.directusPort, "directus-port", o.directusPort, "Directus port (0 picks a free one)")
	fs.IntVar(&o.exporterPort, "exporter-port", o.exporterPort, "redis_exporter port (0 picks a free one)")
	fs.BoolVar(&o.exporter, "exporter", o.exporter, "run redis_exporter when it is installed (Debian: prometheus-redis-exporter)")
	fs.BoolVar(&o.prometheus, "prometheus", false, "also run Prometheus (Debian: prometheus), scraping Damselfly and redis_exporter")
	fs.IntVar(&o.promPort, "prometheus-port", o.promPort, "Prometheus port (0 picks a free one)")
	fs.StringVar(&o.record, "record", "", "put a recording proxy between Directus and the server and write every command and error reply to this file")
	fs.StringVar(&o.monitor, "monitor", "", "write the server's MONITOR stream (every command it runs, Lua's included) to this file")
	fs.IntVar(&o.startAttempts, "start-attempts", o.startAttempts, "how many times to start Directus before giving up")
	fs.Var(&o.startTimeout, "start-timeout", "how long Directus may take to answer /server/ping")
	fs.Var(&o.statusEvery, "status-every", "interval of the status line (0 turns it off)")
}

// resolve fills the defaults that depend on the environment.
func (o *options) resolve() error {
	if o.repo == "" {
		root, err := findRepo()
		if err != nil {
			return err
		}
		o.repo = root
	}
	home, _ := os.UserHomeDir()
	if o.cacheDir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			base = filepath.Join(home, ".cache")
		}
		o.cacheDir = filepath.Join(base, "damselfly")
	}
	if o.stateDir == "" {
		base := os.Getenv("XDG_STATE_HOME")
		if base == "" {
			base = filepath.Join(home, ".local", "state")
		}
		o.stateDir = filepath.Join(base, "damselfly", "stack")
	}
	if o.flagfile == "" {
		o.flagfile = filepath.Join(o.repo, "deploy", "damselfly.flags")
	}
	if o.envFile == "" {
		if p := filepath.Join(o.repo, "deploy", ".env"); fileExists(p) {
			o.envFile = p
		}
	}
	var err error
	for _, p := range []*string{&o.cacheDir, &o.stateDir, &o.flagfile, &o.envFile, &o.record, &o.monitor, &o.damselfly} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return err
			}
		}
	}
	if o.startAttempts < 1 {
		o.startAttempts = 1
	}
	return nil
}

// findRepo walks up from the working directory to the directory holding
// go.mod and deploy/.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if fileExists(filepath.Join(d, "go.mod")) && fileExists(filepath.Join(d, "deploy")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run from the Damselfly repository (no go.mod with deploy/ above %s), or pass --repo", dir)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
