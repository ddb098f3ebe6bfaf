package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// directusVersion is the Directus release the stack installs by default
// (the one whose Redis traffic test/directus/commands-seen.txt records).
const directusVersion = "12.4.1"

// nodeMajor is the Node.js major version Directus 12 needs (engines: >=22).
const nodeMajor = 22

// installation is a ready Node and Directus.
type installation struct {
	node        string // node binary
	directusDir string // holds node_modules/directus
	directusCLI string // node_modules/directus/cli.js
}

// manifest is the package.json of the cached Directus install.
//
//   - overrides: the npm registry reachable from our machines lacks
//     @directus/app@18.0.1, which @directus/api@39.2.1 (Directus 12.4.1)
//     pins; 18.0.0 is the same admin app one patch earlier. The API, which
//     is what talks to Redis, is unchanged.
//   - allowScripts: npm 11 asks for dependency install scripts to be
//     approved; these are the ones Directus needs (native modules compiled
//     from source when no prebuilt binary can be downloaded: sqlite3 and
//     isolated-vm; argon2 and sharp ship theirs inside npm packages).
func manifest(version string) []byte {
	m := map[string]any{
		"name":         "damselfly-directus",
		"private":      true,
		"description":  "Directus installed by Damselfly's cmd/stack (cache; safe to delete)",
		"dependencies": map[string]string{"directus": version},
		"allowScripts": map[string]bool{
			"argon2": true, "isolated-vm": true, "sqlite3": true, "esbuild": true,
			"protobufjs": true, "oracledb": true, "braintrust": true,
		},
	}
	if version == "12.4.1" {
		m["overrides"] = map[string]string{"@directus/app": "18.0.0"}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}

// ensureInstalled returns Node ≥ 22 and Directus, installing what is missing
// into the cache. Concurrent launchers wait for each other.
func ensureInstalled(ctx context.Context, o *options, u *ui) (*installation, error) {
	if err := os.MkdirAll(o.cacheDir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockFile(ctx, filepath.Join(o.cacheDir, "install.lock"), u)
	if err != nil {
		return nil, err
	}
	defer unlock()

	node, nodeDir, err := ensureNode(ctx, o, u)
	if err != nil {
		return nil, err
	}
	man := manifest(o.directusV)
	sum := sha256.Sum256(man)
	name := fmt.Sprintf("directus-%s-node%d-%s", o.directusV, nodeMajor, hex.EncodeToString(sum[:])[:8])
	dir := filepath.Join(o.cacheDir, name)
	cli := filepath.Join(dir, "node_modules", "directus", "cli.js")
	marker := filepath.Join(dir, ".installed")
	if fileExists(marker) && fileExists(cli) {
		u.printf("Directus %s: cached in %s", o.directusV, dir)
		return &installation{node: node, directusDir: dir, directusCLI: cli}, nil
	}

	u.printf("installing Directus %s from npm into %s (a few minutes the first time: native modules compile)", o.directusV, dir)
	partial := dir + ".partial"
	os.RemoveAll(partial)
	if err := os.MkdirAll(partial, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(partial, "package.json"), man, 0o644); err != nil {
		return nil, err
	}
	logPath := filepath.Join(o.cacheDir, name+".install.log")
	start := time.Now()
	npmArgs := []string{"install", "--no-audit", "--no-fund", "--foreground-scripts", "--loglevel=info"}
	if err := runNPM(ctx, u, "Directus "+o.directusV, partial, node, nodeDir, logPath, npmArgs); err != nil {
		return nil, err
	}
	if !fileExists(filepath.Join(partial, "node_modules", "directus", "cli.js")) {
		return nil, fmt.Errorf("npm install finished but node_modules/directus/cli.js is missing; see %s", logPath)
	}
	// Check the native modules load under this Node before trusting the install.
	check := exec.CommandContext(ctx, node, "-e", `for (const m of ["sqlite3","argon2","sharp","isolated-vm"]) require(m)`)
	check.Dir = partial
	if out, err := check.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("the installed native modules do not load: %v\n%s", err, tail(string(out), 20))
	}
	os.RemoveAll(dir)
	if err := os.Rename(partial, dir); err != nil {
		return nil, err
	}
	info, _ := json.Marshal(map[string]any{
		"directus": o.directusV, "node": node, "seconds": int(time.Since(start).Seconds()),
		"installed_at": time.Now().UTC().Format(time.RFC3339),
	})
	if err := os.WriteFile(marker, info, 0o644); err != nil {
		return nil, err
	}
	u.printf("Directus %s installed in %s", o.directusV, humanDuration(time.Since(start)))
	return &installation{node: node, directusDir: dir, directusCLI: filepath.Join(dir, "node_modules", "directus", "cli.js")}, nil
}

// ensureNode finds node ≥ 22 on PATH, or installs the npm package node@22
// (which ships the official binary and headers) into the cache. nodeDir is
// the directory holding include/node for node-gyp, or "" to let npm decide.
func ensureNode(ctx context.Context, o *options, u *ui) (node, nodeDir string, err error) {
	if p, err := exec.LookPath("node"); err == nil {
		if v := nodeVersion(ctx, p); v >= nodeMajor {
			dir := filepath.Dir(filepath.Dir(p))
			if fileExists(filepath.Join(dir, "include", "node", "node_api.h")) {
				return p, dir, nil
			}
			return p, "", nil
		}
	}
	dir := filepath.Join(o.cacheDir, fmt.Sprintf("node-%d", nodeMajor))
	bin := filepath.Join(dir, "node_modules", "node", "bin", "node")
	if fileExists(filepath.Join(dir, ".installed")) && nodeVersion(ctx, bin) >= nodeMajor {
		return bin, nodeHeaders(dir), nil
	}
	u.printf("system node is older than %d: installing the npm package %s into %s", nodeMajor, o.nodeV, dir)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	pkg := `{"name":"damselfly-node","private":true,"allowScripts":{"node":true}}`
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkg), 0o644); err != nil {
		return "", "", err
	}
	logPath := filepath.Join(o.cacheDir, fmt.Sprintf("node-%d.install.log", nodeMajor))
	if err := runNPM(ctx, u, o.nodeV, dir, "", "", logPath, []string{"install", "--no-audit", "--no-fund", "--loglevel=http", o.nodeV}); err != nil {
		return "", "", err
	}
	if v := nodeVersion(ctx, bin); v < nodeMajor {
		return "", "", fmt.Errorf("npm installed %s but %s does not run as Node %d; see %s", o.nodeV, bin, nodeMajor, logPath)
	}
	if err := os.WriteFile(filepath.Join(dir, ".installed"), nil, 0o644); err != nil {
		return "", "", err
	}
	return bin, nodeHeaders(dir), nil
}

// nodeHeaders finds the node-<os>-<arch> package inside the node package:
// it holds include/node, which node-gyp needs to compile native modules
// without downloading headers.
func nodeHeaders(dir string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "node_modules", "node", "node_modules", "node-*", "include", "node", "node_api.h"))
	if len(m) == 0 {
		return ""
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(m[0])))
}

var nodeVersionRE = regexp.MustCompile(`^v(\d+)\.`)

func nodeVersion(ctx context.Context, bin string) int {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return 0
	}
	m := nodeVersionRE.FindSubmatch(out)
	if m == nil {
		return 0
	}
	v, _ := strconv.Atoi(string(m[1]))
	return v
}

// runNPM runs npm in dir with node (when given) first on PATH and node-gyp
// pointed at its headers, logging everything to logPath and printing a
// progress line every few seconds.
func runNPM(ctx context.Context, u *ui, what, dir, node, nodeDir, logPath string, args []string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm is needed to install %s: %w (Debian: apt-get install npm)", what, err)
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	env := os.Environ()
	if node != "" {
		env = setEnv(env, "PATH", filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	if nodeDir != "" {
		env = setEnv(env, "npm_config_nodedir", nodeDir)
	}
	// prebuild-install (sqlite3, isolated-vm) tries to download a prebuilt
	// binary from GitHub; where that host is unreachable it fails at once and
	// the package's install script falls back to node-gyp, which compiles
	// against nodeDir's headers. sharp and argon2 ship their binaries inside
	// npm packages.
	env = setEnv(env, "npm_config_update_notifier", "false")
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &npmProgress{what: what, start: time.Now()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			p.line(line)
			if u.verbose {
				u.child("npm", line)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				u.printf("%s", p.status())
			}
		}
	}()
	err = cmd.Wait()
	pw.Close()
	wg.Wait()
	close(done)
	if err != nil {
		return fmt.Errorf("npm install of %s failed (%v); the end of %s:\n%s", what, err, logPath, tailFile(logPath, 30))
	}
	u.printf("%s", p.status())
	return nil
}

// npmProgress condenses npm's http/info log into one status line.
type npmProgress struct {
	mu       sync.Mutex
	what     string
	start    time.Time
	meta     int
	tarballs int
	scripts  int
	building string
	compiled int
	done     string
}

var npmRanRE = regexp.MustCompile(`^npm info run (\S+?)@\S+ (preinstall|install|postinstall) `)

func (p *npmProgress) line(l string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case strings.HasPrefix(l, "npm http fetch GET 200 "), strings.HasPrefix(l, "npm http fetch GET 304 "):
		if strings.Contains(l, "/-/") {
			p.tarballs++
		} else {
			p.meta++
		}
	case strings.HasPrefix(l, "npm http cache "):
		p.tarballs++
	case npmRanRE.MatchString(l):
		m := npmRanRE.FindStringSubmatch(l)
		if !strings.Contains(l, "{ code:") {
			p.scripts++
			p.building = m[1]
		}
	case strings.Contains(l, "CXX(target)") || strings.Contains(l, "CC(target)"):
		p.compiled++
	case strings.HasPrefix(l, "added ") || strings.HasPrefix(l, "up to date"):
		p.done = l
	}
}

func (p *npmProgress) status() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := humanDuration(time.Since(p.start))
	if p.done != "" {
		return fmt.Sprintf("install %s: %s (%s)", p.what, p.done, el)
	}
	s := fmt.Sprintf("install %s: %s, %d manifests, %d packages fetched", p.what, el, p.meta, p.tarballs)
	if p.building != "" {
		s += fmt.Sprintf(", install scripts: %d (now %s", p.scripts, p.building)
		if p.compiled > 0 {
			s += fmt.Sprintf(", %d C/C++ files compiled", p.compiled)
		}
		s += ")"
	}
	return s
}

// lockFile takes an exclusive flock, waiting (and saying so) while another
// launcher holds it.
func lockFile(ctx context.Context, path string, u *ui) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !said {
			u.printf("waiting for another install to finish (%s)", path)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func setEnv(env []string, key, value string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return tail(string(b), n)
}
