// Package deploy holds the Docker and Compose files of the Directus +
// Damselfly stack. No Docker engine runs where these tests run, so they
// validate the compose file with the compose-spec library, check the
// Dockerfile's shape, and build and run the binaries exactly as the
// Dockerfile does (deploy/build.sh).
package deploy

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func loadCompose(t *testing.T, envFiles []string, env ...string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"docker-compose.yml"},
		cli.WithWorkingDirectory("."),
		cli.WithEnv(env),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// flagfileValues reads damselfly.flags into name -> value.
func flagfileValues(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("damselfly.flags")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(strings.TrimLeft(l, "-"), "=")
		if !ok {
			t.Fatalf("damselfly.flags: write --name=value, got %q", l)
		}
		out[name] = value
	}
	return out
}

func TestComposeFileIsValid(t *testing.T) {
	p, err := loadCompose(t, []string{".env.example"})
	if err != nil {
		t.Fatalf("docker-compose.yml with .env.example: %v", err)
	}
	if p.Name != "damselfly-directus" {
		t.Errorf("project name %q", p.Name)
	}
	for _, name := range []string{"damselfly", "postgres", "directus", "redis-exporter", "prometheus", "grafana"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s missing; have %v", name, p.ServiceNames())
		}
	}

	df := p.Services["damselfly"]
	if df.Build == nil || df.Build.Dockerfile != "deploy/Dockerfile" {
		t.Errorf("damselfly must build deploy/Dockerfile, got %+v", df.Build)
	} else if root, _ := filepath.Abs(".."); df.Build.Context != root {
		t.Errorf("damselfly build context %q, want the repository root %q", df.Build.Context, root)
	}
	if df.HealthCheck == nil || len(df.HealthCheck.Test) < 2 || df.HealthCheck.Test[1] != "/usr/local/bin/damselfly-healthcheck" {
		t.Errorf("damselfly healthcheck: %+v", df.HealthCheck)
	}
	hasVolume := false
	for _, v := range df.Volumes {
		if v.Target == "/data" && v.Type == types.VolumeTypeVolume {
			hasVolume = true
		}
	}
	if !hasVolume {
		t.Errorf("damselfly needs a named volume on /data: %+v", df.Volumes)
	}
	published := map[uint32]string{}
	for _, s := range p.Services {
		for _, port := range s.Ports {
			published[port.Target] = s.Name + " " + port.HostIP + ":" + port.Published
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %d on %q; the default must be 127.0.0.1", s.Name, port.Target, port.HostIP)
			}
		}
	}
	for port, svc := range map[uint32]string{6379: "damselfly", 9998: "damselfly", 9999: "damselfly", 8055: "directus", 9121: "redis-exporter", 9090: "prometheus", 3000: "grafana"} {
		if !strings.HasPrefix(published[port], svc+" ") {
			t.Errorf("port %d: want published by %s, got %q", port, svc, published[port])
		}
	}

	// The DFLY_* defaults of the compose file are the flagfile's values:
	// one set of seed options, whichever way Damselfly is started.
	flags := flagfileValues(t)
	for k, v := range df.Environment {
		name, ok := strings.CutPrefix(k, "DFLY_")
		if !ok || v == nil {
			continue
		}
		if fv, ok := flags[name]; !ok {
			t.Errorf("compose sets %s, which damselfly.flags does not have", k)
		} else if fv != *v {
			t.Errorf("compose %s=%q but damselfly.flags --%s=%s", k, *v, name, fv)
		}
	}

	dx := p.Services["directus"]
	want := map[string]string{
		"REDIS": "redis://damselfly:6379", "CACHE_ENABLED": "true", "CACHE_STORE": "redis", "CACHE_AUTO_PURGE": "true",
		"CACHE_STATUS_HEADER": "X-Cache-Status", "RATE_LIMITER_ENABLED": "true", "RATE_LIMITER_STORE": "redis",
		"SYNCHRONIZATION_STORE": "redis", "MESSENGER_STORE": "redis", "WEBSOCKETS_ENABLED": "true",
		"DB_CLIENT": "pg", "DB_HOST": "postgres",
	}
	for k, v := range want {
		if got := dx.Environment[k]; got == nil || *got != v {
			t.Errorf("directus %s = %v, want %q", k, deref(got), v)
		}
	}
	for _, dep := range []string{"damselfly", "postgres"} {
		if d, ok := dx.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("directus must wait for %s to be healthy: %+v", dep, dx.DependsOn)
		}
	}
	if !strings.HasPrefix(dx.Image, "directus/directus:12.") {
		t.Errorf("directus image %q", dx.Image)
	}
	ex := p.Services["redis-exporter"]
	if v := ex.Environment["REDIS_ADDR"]; v == nil || *v != "redis://damselfly:6379" {
		t.Errorf("redis-exporter REDIS_ADDR %v", deref(v))
	}
	mounts := func(svc, source, target string) {
		for _, v := range p.Services[svc].Volumes {
			if v.Type == types.VolumeTypeBind && strings.HasSuffix(v.Source, source) && v.Target == target {
				return
			}
		}
		t.Errorf("%s must mount %s on %s: %+v", svc, source, target, p.Services[svc].Volumes)
	}
	mounts("prometheus", "/deploy/prometheus.yml", "/etc/prometheus/prometheus.yml")
	mounts("grafana", "/deploy/grafana/provisioning", "/etc/grafana/provisioning")
	mounts("damselfly", "/deploy/damselfly.flags", "/etc/damselfly/damselfly.flags")
}

func deref(p *string) string {
	if p == nil {
		return "<unset>"
	}
	return *p
}

func TestComposeRefusesMissingSecrets(t *testing.T) {
	// No env file at all: the required secrets must stop `docker compose up`
	// with a message saying what to set.
	_, err := loadCompose(t, []string{os.DevNull})
	if err == nil {
		t.Fatal("compose loaded without KEY/SECRET/passwords")
	}
	if !strings.Contains(err.Error(), "in .env") {
		t.Errorf("error should say what to set in .env: %v", err)
	}
}

func TestComposeTakesOverrides(t *testing.T) {
	p, err := loadCompose(t, []string{".env.example"}, "DFLY_maxmemory=512mb", "DAMSELFLY_PORT=6380", "CACHE_TTL=1m")
	if err != nil {
		t.Fatal(err)
	}
	if v := p.Services["damselfly"].Environment["DFLY_maxmemory"]; v == nil || *v != "512mb" {
		t.Errorf("DFLY_maxmemory override: %v", deref(v))
	}
	if v := p.Services["directus"].Environment["CACHE_TTL"]; v == nil || *v != "1m" {
		t.Errorf("CACHE_TTL override: %v", deref(v))
	}
	found := false
	for _, port := range p.Services["damselfly"].Ports {
		if port.Target == 6379 && port.Published == "6380" {
			found = true
		}
	}
	if !found {
		t.Errorf("DAMSELFLY_PORT override: %+v", p.Services["damselfly"].Ports)
	}
}

var composeVarRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	compose, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{} // name -> set (uncommented)
	for _, l := range strings.Split(string(example), "\n") {
		l = strings.TrimSpace(l)
		set := !strings.HasPrefix(l, "#")
		l = strings.TrimSpace(strings.TrimPrefix(l, "#"))
		if name, _, ok := strings.Cut(l, "="); ok && regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`).MatchString(name) {
			documented[name] = documented[name] || set
		}
	}
	used := map[string]bool{}
	for _, m := range composeVarRE.FindAllStringSubmatch(string(compose), -1) {
		used[m[1]] = true
		if _, ok := documented[m[1]]; !ok {
			t.Errorf("docker-compose.yml uses ${%s}, which .env.example does not document", m[1])
		}
	}
	var unused []string
	for name, set := range documented {
		if set && !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf(".env.example sets variables docker-compose.yml never reads (comment them out if they are launcher-only): %v", unused)
	}
}

func TestDockerfileShape(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(gomod))
	for _, want := range []string{
		"ARG GO_VERSION=" + goVer[1],
		"FROM golang:${GO_VERSION}-${DEBIAN_VERSION} AS build",
		"RUN VERSION=${VERSION} sh deploy/build.sh /out",
		"COPY --from=build /out/damselfly /out/damselfly-healthcheck /usr/local/bin/",
		"COPY deploy/damselfly.flags /etc/damselfly/damselfly.flags",
		"USER damselfly:damselfly",
		"VOLUME /data",
		`CMD ["/usr/local/bin/damselfly-healthcheck"]`,
		`ENTRYPOINT ["/usr/local/bin/damselfly"]`,
		`CMD ["--flagfile=/etc/damselfly/damselfly.flags"]`,
		"EXPOSE 6379 9998 9999",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if strings.Count(df, "\nFROM ") != 2 {
		t.Errorf("want a two-stage build (build, then runtime)")
	}
	if !strings.Contains(df, "HEALTHCHECK ") {
		t.Error("no HEALTHCHECK")
	}
}

// TestBuildAsDockerfile builds the binaries with deploy/build.sh, as the
// Dockerfile's build stage does, checks they are static, and runs the
// server with the shipped flagfile and the health check against it.
func TestBuildAsDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binaries")
	}
	out := t.TempDir()
	cmd := exec.Command("sh", "deploy/build.sh", out)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "VERSION=9.9.9-test")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy/build.sh: %v\n%s", err, b)
	}
	for _, name := range []string{"damselfly", "damselfly-healthcheck"} {
		f, err := elf.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked (has an ELF interpreter)", name)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("%s needs shared libraries %v", name, libs)
		}
		f.Close()
	}
	v, err := exec.Command(filepath.Join(out, "damselfly"), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(v), "9.9.9-test") {
		t.Errorf("damselfly --version: %v %s", err, v)
	}

	port := freePort(t)
	data := t.TempDir()
	srv := exec.Command(filepath.Join(out, "damselfly"), "--flagfile=damselfly.flags",
		"--bind=127.0.0.1", fmt.Sprintf("--port=%d", port), "--dir="+data, "--prometheus_port=0", "--admin_port=0")
	var log strings.Builder
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if srv.ProcessState == nil {
			srv.Process.Kill()
			srv.Wait()
		}
	}()
	health := func() error {
		c := exec.Command(filepath.Join(out, "damselfly-healthcheck"))
		c.Env = append(os.Environ(), fmt.Sprintf("DFLY_port=%d", port))
		b, err := c.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, b)
		}
		return nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for health() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the health check never passed: %v\nserver log:\n%s", health(), log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.Process.Signal(os.Interrupt)
	srv.Wait()
	if err := health(); err == nil {
		t.Error("the health check passes with the server stopped")
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The files the compose file mounts exist, and Prometheus scrapes the
// compose services on ports they listen on.
func TestComposeMountsAndScrapeTargets(t *testing.T) {
	p, err := loadCompose(t, []string{".env.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts %s, which does not exist", s.Name, v.Source)
			}
		}
	}
	b, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	listens := map[string]bool{"damselfly:9999": true, "damselfly:6379": true, "damselfly:9998": true,
		"redis-exporter:9121": true, "directus:8055": true, "localhost:9090": true}
	targets := regexp.MustCompile(`'([a-z0-9.-]+:\d+)'|"([a-z0-9.-]+:\d+)"`).FindAllStringSubmatch(string(b), -1)
	if len(targets) < 2 {
		t.Fatalf("prometheus.yml: found targets %v", targets)
	}
	for _, m := range targets {
		target := m[1] + m[2]
		host, _, _ := strings.Cut(target, ":")
		if _, ok := p.Services[host]; !ok && host != "localhost" {
			t.Errorf("prometheus.yml scrapes %s: no such compose service", target)
		} else if !listens[target] {
			t.Errorf("prometheus.yml scrapes %s: that service does not listen there", target)
		}
	}
}
