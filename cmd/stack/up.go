package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// stack is one running system.
type stack struct {
	o       *options
	u       *ui
	inst    *installation
	logDir  string
	server  *proc // damselfly or redis-server, nil for an external server
	serverN string
	addr    string // host:port of the Redis server
	dfAddr  string // what Directus connects to: addr, or the recording proxy
	pass    string
	proxy   *recorder
	mon     *monitorer
	export  *proc
	prom    *proc
	direct  *proc
	env     map[string]string // Directus's environment
	urls    map[string]string
	order   []string
}

// up installs what is missing, starts every service, prints the URLs and
// watches until ctx ends (Ctrl-C), then stops everything.
func up(ctx context.Context, o *options, u *ui) (err error) {
	if o.fresh {
		u.printf("--fresh: deleting %s", o.stateDir)
		if err := os.RemoveAll(o.stateDir); err != nil {
			return err
		}
	}
	s := &stack{o: o, u: u, logDir: filepath.Join(o.stateDir, "logs"), urls: map[string]string{}}
	for _, d := range []string{o.stateDir, s.logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	os.Remove(s.readyFile())
	defer func() {
		s.stopAll()
		os.Remove(s.readyFile())
	}()

	inst, err := ensureInstalled(ctx, o, u)
	if err != nil {
		return err
	}
	s.inst = inst
	if err := s.startServer(ctx); err != nil {
		return err
	}
	if o.record != "" {
		if s.proxy, err = startRecorder(o.bind, s.addr, o.record); err != nil {
			return err
		}
		s.dfAddr = s.proxy.addr()
		u.printf("recording Directus's Redis traffic to %s (proxy %s -> %s)", o.record, s.dfAddr, s.addr)
	}
	if o.monitor != "" {
		if s.mon, err = startMonitor(s.addr, s.pass, o.monitor); err != nil {
			return fmt.Errorf("--monitor: %w", err)
		}
		u.printf("writing the server's MONITOR stream to %s", o.monitor)
	}
	if o.exporter {
		s.startExporter()
	}
	if o.prometheus {
		s.startPrometheus()
	}
	if err := s.startDirectus(ctx); err != nil {
		return err
	}
	s.printReady()
	if err := s.writeReady(); err != nil {
		return err
	}
	return s.watch(ctx)
}

func (s *stack) readyFile() string { return filepath.Join(s.o.stateDir, "stack.json") }

func (s *stack) url(name, value string) {
	if _, ok := s.urls[name]; !ok {
		s.order = append(s.order, name)
	}
	s.urls[name] = value
}

// freePort returns port, or a free port on the bind address when it is 0.
func (s *stack) freePort(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(s.o.bind, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *stack) hostPort(port int) string { return net.JoinHostPort(s.o.bind, strconv.Itoa(port)) }

// startServer starts Damselfly (or redis-server) and waits for PING.
func (s *stack) startServer(ctx context.Context) error {
	o := s.o
	switch o.server {
	case "damselfly", "redis-server":
	default:
		if _, _, err := net.SplitHostPort(o.server); err != nil {
			return fmt.Errorf("--server: want damselfly, redis-server or host:port, got %q", o.server)
		}
		s.addr, s.dfAddr, s.serverN = o.server, o.server, "redis"
		s.pass = os.Getenv("REDIS_PASSWORD")
		if err := pingAddr(s.addr, s.pass); err != nil {
			return fmt.Errorf("the server at %s does not answer PING: %w", s.addr, err)
		}
		s.url("Redis (external)", "redis://"+s.addr)
		return nil
	}
	port, err := s.freePort(o.port)
	if err != nil {
		return err
	}
	s.addr = s.hostPort(port)
	s.dfAddr = s.addr
	s.serverN = o.server
	dataDir := filepath.Join(o.stateDir, o.server)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	if busy := dialable(s.addr); busy {
		return fmt.Errorf("port %d is already in use on %s: stop what listens there or pass --port (0 picks a free one)", port, o.bind)
	}
	var path string
	var args []string
	env := os.Environ()
	if o.envFile != "" && o.server == "damselfly" {
		// DFLY_* settings of the env file reach Damselfly as under Docker;
		// the launcher's own environment wins.
		file, err := readEnvFile(o.envFile)
		if err != nil {
			return err
		}
		own := envMap(env)
		for k, v := range file {
			if _, set := own[k]; strings.HasPrefix(k, "DFLY_") && !set {
				env = append(env, k+"="+v)
			}
		}
	}
	if o.server == "redis-server" {
		if path, err = exec.LookPath("redis-server"); err != nil {
			return fmt.Errorf("--server=redis-server: %w (Debian: apt-get install redis-server)", err)
		}
		args = []string{"--port", strconv.Itoa(port), "--bind", o.bind, "--dir", dataDir, "--save", "", "--appendonly", "no"}
		s.pass = ""
	} else {
		if path, err = s.damselflyBinary(ctx); err != nil {
			return err
		}
		args = []string{"--flagfile=" + o.flagfile, "--bind=" + o.bind, "--port=" + strconv.Itoa(port), "--dir=" + dataDir}
		for _, p := range []struct {
			flag string
			port *int
			name string
			path string
		}{{"admin_port", &o.adminPort, "Damselfly admin console", "/"}, {"prometheus_port", &o.metricsPort, "Damselfly metrics", "/metrics"}} {
			if *p.port < 0 {
				args = append(args, "--"+p.flag+"=0")
				continue
			}
			n, err := s.freePort(*p.port)
			if err != nil {
				return err
			}
			*p.port = n
			args = append(args, fmt.Sprintf("--%s=%d", p.flag, n))
			s.url(p.name, "http://"+s.hostPort(n)+p.path)
		}
		m := envMap(env)
		s.pass = m["DFLY_requirepass"]
		if s.pass == "" {
			s.pass = m["DFLY_PASSWORD"]
		}
	}
	s.u.printf("starting %s on %s (%s)", o.server, s.addr, path)
	s.server, err = startProc(s.u, o.server, path, args, env, dataDir, filepath.Join(s.logDir, o.server+".log"), serverFilter)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := pingAddr(s.addr, s.pass); err == nil {
			break
		}
		if s.server.exited() {
			return fmt.Errorf("%s exited at start (%s); the end of its log:\n%s", o.server, s.server.exitText(), tailFile(filepath.Join(s.logDir, o.server+".log"), 15))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not answer PING on %s after 20s", o.server, s.addr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.url(strings.ToUpper(o.server[:1])+o.server[1:], "redis://"+s.addr)
	return nil
}

// damselflyBinary returns --damselfly, or builds the binaries with
// deploy/build.sh (as the Dockerfile does) into the state directory.
func (s *stack) damselflyBinary(ctx context.Context) (string, error) {
	if s.o.damselfly != "" {
		return s.o.damselfly, nil
	}
	out := filepath.Join(s.o.stateDir, "bin")
	s.u.printf("building Damselfly with deploy/build.sh")
	cmd := exec.CommandContext(ctx, "sh", filepath.Join("deploy", "build.sh"), out)
	cmd.Dir = s.o.repo
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("deploy/build.sh: %v\n%s", err, b)
	}
	return filepath.Join(out, "damselfly"), nil
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// serverFilter shows the server's warnings, errors and readiness.
func serverFilter(line string) string {
	l := strings.ToLower(line)
	for _, w := range []string{"level=warn", "level=error", "ready to accept", "# warning", "panic", "fatal"} {
		if strings.Contains(l, w) {
			return line
		}
	}
	return ""
}

// startExporter runs redis_exporter when one is installed.
func (s *stack) startExporter() {
	path := ""
	for _, name := range []string{"redis_exporter", "prometheus-redis-exporter"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		s.u.printf("redis_exporter is not installed (Debian: apt-get install prometheus-redis-exporter): skipped")
		return
	}
	port, err := s.freePort(s.o.exporterPort)
	if err != nil {
		s.u.printf("redis_exporter: %v: skipped", err)
		return
	}
	s.o.exporterPort = port
	args := []string{"--redis.addr=redis://" + s.addr, "--web.listen-address=" + s.hostPort(port)}
	env := os.Environ()
	if s.pass != "" {
		env = setEnv(env, "REDIS_PASSWORD", s.pass)
	}
	p, err := startProc(s.u, "redis_exporter", path, args, env, s.o.stateDir, filepath.Join(s.logDir, "redis_exporter.log"), exporterFilter)
	if err != nil {
		s.u.printf("redis_exporter: %v: skipped", err)
		return
	}
	s.export = p
	s.url("redis_exporter", "http://"+s.hostPort(port)+"/metrics")
}

func exporterFilter(line string) string {
	l := strings.ToLower(line)
	if strings.Contains(l, "level=error") || strings.Contains(l, "level=fatal") || strings.Contains(l, "level=warn") {
		return line
	}
	return ""
}

// startPrometheus runs Prometheus scraping Damselfly and redis_exporter.
func (s *stack) startPrometheus() {
	path, err := exec.LookPath("prometheus")
	if err != nil {
		s.u.printf("prometheus is not installed (Debian: apt-get install prometheus): skipped")
		return
	}
	port, err := s.freePort(s.o.promPort)
	if err != nil {
		s.u.printf("prometheus: %v: skipped", err)
		return
	}
	text, err := s.prometheusConfig(port)
	if err != nil {
		s.u.printf("prometheus: %v: skipped", err)
		return
	}
	cfg := filepath.Join(s.o.stateDir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		s.u.printf("prometheus: %v: skipped", err)
		return
	}
	args := []string{"--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(s.o.stateDir, "prometheus"), "--web.listen-address=" + s.hostPort(port)}
	p, err := startProc(s.u, "prometheus", path, args, os.Environ(), s.o.stateDir, filepath.Join(s.logDir, "prometheus.log"), exporterFilter)
	if err != nil {
		s.u.printf("prometheus: %v: skipped", err)
		return
	}
	s.prom = p
	s.url("Prometheus", "http://"+s.hostPort(port))
}

// prometheusConfig is deploy/prometheus.yml (the compose file's) with the
// services' names replaced by the addresses this stack uses.
func (s *stack) prometheusConfig(port int) (string, error) {
	b, err := os.ReadFile(filepath.Join(s.o.repo, "deploy", "prometheus.yml"))
	if err != nil {
		return "", err
	}
	metrics := s.hostPort(s.o.metricsPort)
	if s.serverN != "damselfly" || s.o.metricsPort <= 0 {
		metrics = s.addr // redis-server has no /metrics: the target shows as down
	}
	exporter := s.hostPort(s.o.exporterPort)
	r := strings.NewReplacer("damselfly:9999", metrics, "redis-exporter:9121", exporter, "localhost:9090", s.hostPort(port))
	return "# deploy/prometheus.yml, with this stack's addresses (written by cmd/stack)\n" + r.Replace(string(b)), nil
}

// directusEnvironment layers Directus's settings: the launcher's defaults
// (every Redis store on), then the env file, then the launcher's own
// environment; the addresses the launcher chose win over all three.
func (s *stack) directusEnvironment(port int) (map[string]string, error) {
	o := s.o
	secrets, err := s.secrets()
	if err != nil {
		return nil, err
	}
	def := map[string]string{
		"KEY":                          secrets["KEY"],
		"SECRET":                       secrets["SECRET"],
		"ADMIN_EMAIL":                  "admin@example.com",
		"ADMIN_PASSWORD":               "damselfly",
		"DB_CLIENT":                    "sqlite3",
		"DB_FILENAME":                  filepath.Join(o.stateDir, "directus.db"),
		"STORAGE_LOCATIONS":            "local",
		"STORAGE_LOCAL_ROOT":           filepath.Join(o.stateDir, "uploads"),
		"EXTENSIONS_PATH":              filepath.Join(o.stateDir, "extensions"),
		"CACHE_ENABLED":                "true",
		"CACHE_STORE":                  "redis",
		"CACHE_TTL":                    "5m",
		"CACHE_AUTO_PURGE":             "true",
		"CACHE_NAMESPACE":              "system-cache",
		"CACHE_STATUS_HEADER":          "X-Cache-Status",
		"RATE_LIMITER_ENABLED":         "true",
		"RATE_LIMITER_STORE":           "redis",
		"RATE_LIMITER_POINTS":          "50",
		"RATE_LIMITER_DURATION":        "1",
		"SYNCHRONIZATION_STORE":        "redis",
		"MESSENGER_STORE":              "redis",
		"WEBSOCKETS_ENABLED":           "true",
		"WEBSOCKETS_REST_ENABLED":      "true",
		"WEBSOCKETS_GRAPHQL_ENABLED":   "true",
		"WEBSOCKETS_HEARTBEAT_ENABLED": "true",
		"WEBSOCKETS_LOGS_ENABLED":      "true",
		"LOG_LEVEL":                    "info",
		"TELEMETRY":                    "false",
	}
	env := envMap(os.Environ())
	for k, v := range def {
		if _, ok := env[k]; !ok {
			env[k] = v
		}
	}
	if o.envFile != "" {
		file, err := readEnvFile(o.envFile)
		if err != nil {
			return nil, err
		}
		own := envMap(os.Environ())
		for k, v := range file {
			if _, set := own[k]; !set {
				env[k] = v
			}
		}
	}
	redisURL := "redis://" + s.dfAddr
	if s.pass != "" {
		redisURL = "redis://:" + s.pass + "@" + s.dfAddr
	}
	for k := range env {
		if strings.HasPrefix(k, "REDIS_") {
			delete(env, k)
		}
	}
	env["REDIS"] = redisURL
	env["HOST"] = o.bind
	env["PORT"] = strconv.Itoa(port)
	env["PUBLIC_URL"] = "http://" + s.hostPort(port)
	env["LOG_STYLE"] = "raw" // JSON lines: the launcher renders them
	env["CONFIG_PATH"] = filepath.Join(o.stateDir, "directus.env.unused")
	// Directus looks for "package extensions" in the package.json of its
	// working directory (the state directory) and warns when there is none.
	if pj := filepath.Join(o.stateDir, "package.json"); !fileExists(pj) {
		os.WriteFile(pj, []byte(`{"name":"damselfly-stack-directus","private":true}`+"\n"), 0o644)
	}
	for _, d := range []string{env["STORAGE_LOCAL_ROOT"], env["EXTENSIONS_PATH"]} {
		if d != "" {
			os.MkdirAll(d, 0o755)
		}
	}
	return env, nil
}

// secrets returns KEY and SECRET, made once per state directory.
func (s *stack) secrets() (map[string]string, error) {
	path := filepath.Join(s.o.stateDir, "secrets.env")
	if m, err := readEnvFile(path); err == nil && m["KEY"] != "" && m["SECRET"] != "" {
		return m, nil
	}
	m := map[string]string{"KEY": randomHex(16), "SECRET": randomHex(32)}
	content := "# Made by cmd/stack for this state directory: Directus's KEY and SECRET.\nKEY=" + m["KEY"] + "\nSECRET=" + m["SECRET"] + "\n"
	return m, os.WriteFile(path, []byte(content), 0o600)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startDirectus bootstraps the database and starts Directus, retrying when
// it dies at start: ioredis can crash Directus when a SUBSCRIBE reply comes
// before its INFO ready check, and a crashed start leaves a stale
// directus:lock:* key that blocks the next one; both are cleaned up here.
func (s *stack) startDirectus(ctx context.Context) error {
	port, err := s.freePort(s.o.directusPort)
	if err != nil {
		return err
	}
	if dialable(s.hostPort(port)) {
		return fmt.Errorf("port %d is already in use on %s: pass --directus-port (0 picks a free one)", port, s.o.bind)
	}
	s.o.directusPort = port
	s.env, err = s.directusEnvironment(port)
	if err != nil {
		return err
	}
	if s.env["DB_CLIENT"] == "sqlite3" {
		s.u.printf("Directus database: SQLite %s", s.env["DB_FILENAME"])
	} else {
		s.u.printf("Directus database: %s %s:%s/%s", s.env["DB_CLIENT"], s.env["DB_HOST"], s.env["DB_PORT"], s.env["DB_DATABASE"])
	}
	var last error
	for attempt := 1; attempt <= s.o.startAttempts; attempt++ {
		// A server of our own serves no other Directus, so its locks are
		// stale: a snapshot can bring back the lock of a crashed run.
		if attempt > 1 || s.server != nil {
			if n, err := deleteMatching(s.addr, s.pass, "directus:lock:*"); err == nil && n > 0 {
				s.u.printf("removed %d stale directus:lock:* key(s)", n)
			}
		}
		if attempt > 1 {
			s.u.printf("starting Directus again (attempt %d of %d)", attempt, s.o.startAttempts)
		}
		last = s.tryDirectus(ctx, port)
		if last == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.u.printf("Directus did not start: %v", last)
	}
	return fmt.Errorf("Directus did not start after %d attempts: %w; logs in %s", s.o.startAttempts, last, filepath.Join(s.logDir, "directus.log"))
}

func (s *stack) tryDirectus(ctx context.Context, port int) error {
	logPath := filepath.Join(s.logDir, "directus.log")
	env := environ(s.env)
	s.u.printf("Directus: bootstrap (database migrations, first admin)")
	boot, err := startProc(s.u, "directus", s.inst.node, []string{s.inst.directusCLI, "bootstrap"}, env, s.o.stateDir, logPath, directusFilter)
	if err != nil {
		return err
	}
	select {
	case <-boot.done:
	case <-ctx.Done():
		boot.stop(5 * time.Second)
		return ctx.Err()
	case <-time.After(time.Duration(s.o.startTimeout)):
		boot.stop(5 * time.Second)
		return fmt.Errorf("bootstrap did not finish in %v", time.Duration(s.o.startTimeout))
	}
	if boot.err != nil {
		return fmt.Errorf("bootstrap %s", boot.exitText())
	}
	s.u.printf("Directus: starting on %s", s.hostPort(port))
	p, err := startProc(s.u, "directus", s.inst.node, []string{s.inst.directusCLI, "start"}, env, s.o.stateDir, logPath, directusFilter)
	if err != nil {
		return err
	}
	ping := "http://" + s.hostPort(port) + "/server/ping"
	deadline := time.Now().Add(time.Duration(s.o.startTimeout))
	for {
		if body, err := httpGet(ping, 2*time.Second); err == nil && body == "pong" {
			s.direct = p
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("directus %s", p.exitText())
		case <-ctx.Done():
			p.stop(10 * time.Second)
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop(10 * time.Second)
			return fmt.Errorf("no answer on %s after %v", ping, time.Duration(s.o.startTimeout))
		}
	}
}

// directusFilter renders Directus's JSON log lines (LOG_STYLE=raw) and
// keeps warnings, errors, the start banner and anything not JSON (a crash).
func directusFilter(line string) string {
	var rec struct {
		Level int    `json:"level"`
		Msg   string `json:"msg"`
		Err   *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"err"`
	}
	if json.Unmarshal([]byte(line), &rec) != nil {
		if strings.TrimSpace(line) == "" {
			return ""
		}
		return line
	}
	msg := rec.Msg
	if rec.Err != nil && rec.Err.Message != "" && !strings.Contains(msg, rec.Err.Message) {
		msg += ": " + rec.Err.Type + ": " + rec.Err.Message
	}
	switch {
	case rec.Level >= 50:
		return "ERROR " + msg
	case rec.Level >= 40:
		return "WARN " + msg
	case strings.HasPrefix(msg, "Server started"):
		return msg
	}
	return ""
}

func httpGet(url string, timeout time.Duration) (string, error) {
	c := http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return string(b), nil
}

func (s *stack) printReady() {
	s.url("Directus", "http://"+s.hostPort(s.o.directusPort))
	s.url("Directus admin app", "http://"+s.hostPort(s.o.directusPort)+"/admin")
	s.u.printf("ready: the stack is up (Ctrl-C stops it)")
	names := append([]string(nil), s.order...)
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	for _, n := range names {
		s.u.printf("  %-24s %s", n, s.urls[n])
	}
	s.u.printf("  %-24s %s / %s", "Directus login", s.env["ADMIN_EMAIL"], s.env["ADMIN_PASSWORD"])
	s.u.printf("  %-24s %s", "logs", s.logDir)
	s.u.printf("  %-24s redis-cli -h %s -p %s  (--stat, info, monitor)", "debug", s.o.bind, s.addr[strings.LastIndex(s.addr, ":")+1:])
}

func rank(name string) int {
	switch {
	case strings.HasPrefix(name, "Directus"):
		return 0
	case strings.HasPrefix(name, "Damselfly"), strings.HasPrefix(name, "Redis"):
		return 1
	}
	return 2
}

// writeReady writes stack.json: what runs where, for scripts and tests.
func (s *stack) writeReady() error {
	info := map[string]any{
		"server":         s.serverN,
		"redis":          s.addr,
		"directus_redis": s.dfAddr,
		"directus":       "http://" + s.hostPort(s.o.directusPort),
		"admin_email":    s.env["ADMIN_EMAIL"],
		"admin_password": s.env["ADMIN_PASSWORD"],
		"logs":           s.logDir,
		"urls":           s.urls,
		"launcher_pid":   os.Getpid(),
		"env": map[string]string{
			"RATE_LIMITER_POINTS":   s.env["RATE_LIMITER_POINTS"],
			"RATE_LIMITER_DURATION": s.env["RATE_LIMITER_DURATION"],
			"CACHE_STATUS_HEADER":   s.env["CACHE_STATUS_HEADER"],
		},
	}
	pids := map[string]int{}
	for name, p := range map[string]*proc{"server": s.server, "directus": s.direct, "redis_exporter": s.export, "prometheus": s.prom} {
		if p != nil {
			pids[name] = p.pid()
		}
	}
	info["pids"] = pids
	if s.export != nil {
		info["exporter"] = "http://" + s.hostPort(s.o.exporterPort) + "/metrics"
	}
	b, _ := json.MarshalIndent(info, "", "  ")
	tmp := s.readyFile() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.readyFile())
}

// watch prints a status line now and then, restarts Directus if it dies
// (cleaning stale locks), and returns when ctx ends or a service is lost.
func (s *stack) watch(ctx context.Context) error {
	var tick <-chan time.Time
	if s.o.statusEvery > 0 {
		t := time.NewTicker(time.Duration(s.o.statusEvery))
		defer t.Stop()
		tick = t.C
		s.u.printf("%s", s.status())
	}
	restarts := 0
	for {
		var serverDone, directusDone <-chan struct{}
		if s.server != nil {
			serverDone = s.server.done
		}
		directusDone = s.direct.done
		select {
		case <-ctx.Done():
			s.u.printf("stopping (signal received)")
			return ctx.Err()
		case <-tick:
			s.u.printf("%s", s.status())
		case <-serverDone:
			return fmt.Errorf("%s stopped: %s; see %s", s.serverN, s.server.exitText(), s.logDir)
		case <-directusDone:
			restarts++
			s.u.printf("Directus stopped: %s", s.direct.exitText())
			if restarts > s.o.startAttempts {
				return fmt.Errorf("Directus keeps stopping; see %s", filepath.Join(s.logDir, "directus.log"))
			}
			if err := s.startDirectus(ctx); err != nil {
				return err
			}
			s.writeReady()
		}
	}
}

// status is one line on the health of every service.
func (s *stack) status() string {
	parts := []string{s.serverStatus()}
	if _, err := httpGet(s.urls["Directus"]+"/server/ping", 2*time.Second); err == nil {
		parts = append(parts, "directus ok")
	} else {
		parts = append(parts, "directus DOWN ("+err.Error()+")")
	}
	if s.export != nil {
		body, err := httpGet(s.urls["redis_exporter"], 3*time.Second)
		switch {
		case err != nil:
			parts = append(parts, "exporter DOWN")
		case strings.Contains(body, "\nredis_up 1"):
			parts = append(parts, "exporter ok")
		default:
			parts = append(parts, "exporter: redis_up 0")
		}
	}
	if s.prom != nil {
		if _, err := httpGet(s.urls["Prometheus"]+"/-/ready", 2*time.Second); err == nil {
			parts = append(parts, "prometheus ok")
		} else {
			parts = append(parts, "prometheus DOWN")
		}
	}
	if s.proxy != nil {
		parts = append(parts, s.proxy.summaryLine())
	}
	return "status: " + strings.Join(parts, " · ")
}

func (s *stack) serverStatus() string {
	c, err := dialRESP(s.addr, s.pass, 2*time.Second)
	if err != nil {
		return s.serverN + " DOWN (" + err.Error() + ")"
	}
	defer c.Close()
	v, err := c.do(3*time.Second, "INFO")
	if err != nil {
		return s.serverN + " INFO: " + err.Error()
	}
	info, _ := v.(string)
	keys := 0
	for _, l := range strings.Split(info, "\n") {
		if strings.HasPrefix(l, "db") && strings.Contains(l, ":keys=") {
			f := strings.TrimPrefix(l[strings.Index(l, ":keys=")+6:], "")
			if i := strings.IndexByte(f, ','); i > 0 {
				n, _ := strconv.Atoi(f[:i])
				keys += n
			}
		}
	}
	return fmt.Sprintf("%s ok (%s clients, %d keys, %s, %s ops/s)", s.serverN,
		orDash(infoField(info, "connected_clients")), keys, orDash(infoField(info, "used_memory_human")),
		orDash(infoField(info, "instantaneous_ops_per_sec")))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stopAll stops the services in reverse order of dependency.
func (s *stack) stopAll() {
	type named struct {
		name  string
		p     *proc
		grace time.Duration
	}
	for _, n := range []named{{"directus", s.direct, 15 * time.Second}, {"prometheus", s.prom, 10 * time.Second}, {"redis_exporter", s.export, 5 * time.Second}} {
		if n.p != nil && !n.p.exited() {
			s.u.printf("stopping %s (pid %d)", n.name, n.p.pid())
			n.p.stop(n.grace)
		}
	}
	if s.mon != nil {
		s.mon.close()
	}
	if s.proxy != nil {
		s.proxy.close()
		s.u.printf("Redis traffic recorded in %s", s.o.record)
	}
	if s.server != nil && !s.server.exited() {
		s.u.printf("stopping %s (pid %d)", s.serverN, s.server.pid())
		if err := s.server.stop(30 * time.Second); err != nil && !isSignalExit(err) {
			s.u.printf("%s: %v", s.serverN, err)
		}
	}
}

func isSignalExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && !ee.Exited()
}
