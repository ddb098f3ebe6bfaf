// Package admin serves Damselfly's HTTP side: /metrics (Prometheus text,
// Dragonfly's names), /healthz, and the admin console, a single page with
// embedded assets (no CDN: the machine may be offline) that polls a JSON
// API and draws its charts on canvas.
//
// Where it is served: on the client port (HTTP is told from RESP by a
// connection's first line), on --admin_port (HTTP and privileged RESP,
// like Dragonfly) and, /metrics and /healthz only, on --prometheus_port.
//
// Access: when requirepass is set the console and its API ask for HTTP
// Basic credentials, user "default" and that password; /metrics and
// /healthz stay open, as in Dragonfly. The API is read-only (GET only):
// an HTTP port that any web page can send requests to must not offer a
// request that changes data.
package admin

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/damselfly-db/damselfly/internal/command"
	"github.com/damselfly-db/damselfly/internal/info"
)

//go:embed assets
var assets embed.FS

// Console is the HTTP side of one server.
type Console struct {
	env    *command.Env
	series *series
	static http.Handler
}

// New builds the console for env. Call Run to record the chart history.
func New(env *command.Env) *Console {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err)
	}
	return &Console{env: env, series: newSeries(600), static: http.FileServerFS(sub)}
}

// Run samples the numbers the console charts once a second until ctx
// ends, so a page opened later shows the last minutes at once.
func (c *Console) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	c.sample(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.sample(now)
		}
	}
}

// MetricsHandler serves /metrics and /healthz only (--prometheus_port).
func (c *Console) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", c.metrics)
	mux.HandleFunc("GET /healthz", c.healthz)
	return secure(mux)
}

// Handler serves everything: metrics, health and the console, and
// Dragonfly's POST /api with expose_http_api. adminPort says it serves the
// admin port, where admin_nopass lifts the password.
func (c *Console) Handler(adminPort bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", c.metrics)
	mux.HandleFunc("GET /healthz", c.healthz)
	api := http.NewServeMux()
	api.HandleFunc("GET /api/stats", c.apiStats)
	api.HandleFunc("GET /api/clients", c.apiClients)
	api.HandleFunc("GET /api/slowlog", c.apiSlowlog)
	api.HandleFunc("GET /api/config", c.apiConfig)
	api.HandleFunc("GET /api/keys", c.apiKeys)
	api.HandleFunc("GET /api/key", c.apiKey)
	if c.env.Config.ExposeHTTPAPI {
		api.HandleFunc("POST /api", c.httpAPI)
	}
	api.HandleFunc("GET /{file...}", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Cache-Control", "no-cache")
		}
		c.static.ServeHTTP(w, r)
	})
	if adminPort && c.env.Config.AdminNoPass {
		mux.Handle("/", api)
	} else {
		mux.Handle("/", c.auth(api))
	}
	return secure(mux)
}

// secure sets the headers every response carries: the console's scripts
// and styles come only from this origin, and it may not be framed.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

// auth asks for Basic credentials when requirepass is set.
func (c *Console) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pass := c.env.Config.RequirePass.Get()
		if pass != "" {
			user, got, ok := r.BasicAuth()
			if !ok || user != "default" || subtle.ConstantTimeCompare([]byte(got), []byte(pass)) != 1 {
				if ok {
					c.env.Stats.AuthFailures.Add(1)
				}
				w.Header().Set("WWW-Authenticate", `Basic realm="damselfly", charset="UTF-8"`)
				http.Error(w, "authentication required (user default, the requirepass password)", http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (c *Console) metrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(c.env.Metrics())
}

// healthz is 200 once the server serves data, 503 while a snapshot is
// loading.
func (c *Console) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if c.loading() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("LOADING\n"))
		return
	}
	w.Write([]byte("OK\n"))
}

// loading asks the subsystems' INFO hooks only (the snapshot loader sets
// INFO's loading field), not the whole INFO gathering.
func (c *Console) loading() bool {
	d := &info.Data{}
	for _, h := range c.env.InfoHooks {
		h(d)
	}
	return d.Loading
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// lower is ASCII lower case.
func lower(s string) string { return strings.ToLower(s) }
