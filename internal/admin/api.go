package admin

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/damselfly-db/damselfly/internal/command"
	"github.com/damselfly-db/damselfly/internal/info"
)

// point is one second of chart history.
type point struct {
	T         int64    `json:"t"` // unix ms
	Ops       float64  `json:"ops"`
	Used      int64    `json:"used"`
	RSS       int64    `json:"rss"`
	Max       int64    `json:"max"`
	HitsPS    float64  `json:"hits_ps"`
	MissesPS  float64  `json:"misses_ps"`
	HitRatio  *float64 `json:"hit_ratio"` // nil when there was no lookup
	ExpiredPS float64  `json:"expired_ps"`
	EvictedPS float64  `json:"evicted_ps"`
	Clients   int64    `json:"clients"`
	Keys      int64    `json:"keys"`
	InKbps    float64  `json:"in_kbps"`
	OutKbps   float64  `json:"out_kbps"`
}

// series is a ring of points plus the counters of the previous sample.
type series struct {
	mu   sync.Mutex
	pts  []point
	next int
	full bool
	prev struct {
		ok                                   bool
		t                                    time.Time
		cmds, hits, misses, expired, evicted int64
		in, out                              int64
	}
}

func newSeries(n int) *series { return &series{pts: make([]point, n)} }

func (s *series) add(p point) {
	s.pts[s.next] = p
	s.next = (s.next + 1) % len(s.pts)
	if s.next == 0 {
		s.full = true
	}
}

// since returns the points after t (unix ms), oldest first.
func (s *series) since(t int64) []point {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []point
	start, n := 0, s.next
	if s.full {
		start, n = s.next, len(s.pts)
	}
	for i := 0; i < n; i++ {
		p := s.pts[(start+i)%len(s.pts)]
		if p.T > t {
			out = append(out, p)
		}
	}
	return out
}

func (c *Console) sample(now time.Time) {
	d := c.env.GatherInfoUnwatched(info.Selection{"memory": true}, 0)
	var keys int64
	for _, k := range d.Keyspace {
		keys += k.Keys
	}
	s := c.series
	s.mu.Lock()
	defer s.mu.Unlock()
	pv := &s.prev
	first := !pv.ok
	p := point{T: now.UnixMilli(), Used: d.UsedMemory, RSS: d.UsedMemoryRSS, Max: d.MaxMemory,
		Clients: d.ConnectedClients, Keys: keys}
	if pv.ok {
		dt := now.Sub(pv.t).Seconds()
		if dt > 0 {
			rate := func(cur, old int64) float64 { return float64(max(cur-old, 0)) / dt }
			p.Ops = rate(d.TotalCommandsProcessed, pv.cmds)
			p.HitsPS = rate(d.KeyspaceHits, pv.hits)
			p.MissesPS = rate(d.KeyspaceMisses, pv.misses)
			p.ExpiredPS = rate(d.ExpiredKeys, pv.expired)
			p.EvictedPS = rate(d.EvictedKeys, pv.evicted)
			p.InKbps = rate(d.TotalNetInputBytes, pv.in) / 1024
			p.OutKbps = rate(d.TotalNetOutputBytes, pv.out) / 1024
			if p.HitsPS+p.MissesPS > 0 {
				r := p.HitsPS / (p.HitsPS + p.MissesPS)
				p.HitRatio = &r
			}
		}
	}
	pv.ok, pv.t = true, now
	pv.cmds, pv.hits, pv.misses = d.TotalCommandsProcessed, d.KeyspaceHits, d.KeyspaceMisses
	pv.expired, pv.evicted, pv.in, pv.out = d.ExpiredKeys, d.EvictedKeys, d.TotalNetInputBytes, d.TotalNetOutputBytes
	if !first {
		s.add(p)
	}
}

type dbRow struct {
	DB       int   `json:"db"`
	Keys     int64 `json:"keys"`
	Expires  int64 `json:"expires"`
	AvgTTL   int64 `json:"avg_ttl"`
	Hits     int64 `json:"hits"`
	Misses   int64 `json:"misses"`
	Expired  int64 `json:"expired"`
	Evicted  int64 `json:"evicted"`
	Capacity int64 `json:"capacity"`
}

// apiStats is what the page polls every second: the INFO numbers it shows
// and the chart points newer than ?since=.
func (c *Console) apiStats(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	d := c.env.GatherInfo(info.Select(nil), 0)
	cfg := c.env.Config
	var rows []dbRow
	var keys, expires int64
	for _, k := range d.Keyspace {
		keys += k.Keys
		expires += k.Expires
		if k.Index == 0 || k.Keys > 0 || k.Hits > 0 || k.Misses > 0 {
			rows = append(rows, dbRow{k.Index, k.Keys, k.Expires, k.AvgTTL, k.Hits, k.Misses, k.Expired, k.Evicted, k.Capacity})
		}
	}
	var ratio *float64
	if t := d.KeyspaceHits + d.KeyspaceMisses; t > 0 {
		v := float64(d.KeyspaceHits) / float64(t)
		ratio = &v
	}
	snap := c.snapshotStatus(d)
	writeJSON(w, map[string]any{
		"now": time.Now().UnixMilli(),
		"server": map[string]any{
			"version":          d.Version,
			"redis_version":    d.RedisVersion,
			"go_version":       d.GoVersion,
			"os":               d.OS,
			"pid":              d.PID,
			"run_id":           d.RunID,
			"tcp_port":         d.TCPPort,
			"uptime_seconds":   d.UptimeSeconds,
			"threads":          d.Threads,
			"shards":           d.Shards,
			"hz":               d.HZ,
			"role":             "master",
			"maxmemory_policy": d.MaxMemoryPolicy,
			"cache_mode":       cfg.CacheMode.Get(),
			"requirepass":      cfg.RequirePass.Get() != "",
		},
		"stats": map[string]any{
			"ops_per_sec":                d.InstantaneousOpsPerSec,
			"total_commands_processed":   d.TotalCommandsProcessed,
			"total_connections_received": d.TotalConnectionsReceived,
			"keyspace_hits":              d.KeyspaceHits,
			"keyspace_misses":            d.KeyspaceMisses,
			"hit_ratio":                  ratio,
			"expired_keys":               d.ExpiredKeys,
			"evicted_keys":               d.EvictedKeys,
			"rejected_connections":       d.RejectedConnections,
			"total_error_replies":        d.TotalErrorReplies,
			"input_kbps":                 d.InstantaneousInputKbps,
			"output_kbps":                d.InstantaneousOutputKbps,
			"total_net_input_bytes":      d.TotalNetInputBytes,
			"total_net_output_bytes":     d.TotalNetOutputBytes,
		},
		"memory": map[string]any{
			"used":      d.UsedMemory,
			"rss":       d.UsedMemoryRSS,
			"peak":      d.UsedMemoryPeak,
			"max":       d.MaxMemory,
			"dataset":   d.UsedMemoryDataset,
			"startup":   d.UsedMemoryStartup,
			"frag":      ratioOf(d.UsedMemoryRSS, d.UsedMemory),
			"system":    d.TotalSystemMemory,
			"allocator": d.MemAllocator,
		},
		"clients": map[string]any{
			"connected":  d.ConnectedClients,
			"blocked":    d.BlockedClients,
			"pubsub":     d.PubSubClients,
			"maxclients": d.MaxClients,
		},
		"keyspace": map[string]any{"keys": keys, "expires": expires, "dbs": rows},
		"snapshot": snap,
		"series":   c.series.since(since),
	})
}

func ratioOf(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// snapshotStatus is the persistence block: the snapshot subsystem's own
// report when it is there, otherwise "not configured".
func (c *Console) snapshotStatus(d *info.Data) map[string]any {
	if c.env.Snapshots == nil {
		return map[string]any{"configured": false, "status": "snapshots: not configured",
			"in_progress": d.RDBBgsaveInProgress, "saves": d.RDBSaves}
	}
	s := c.env.Snapshots()
	status := "snapshots: not configured"
	if s.Configured {
		status = "last save: never"
		if !s.LastSave.IsZero() {
			status = "last save: " + s.LastSave.UTC().Format(time.RFC3339) + " (" + s.LastStatus + ")"
		}
		if s.InProgress {
			status = "saving…"
		}
	}
	out := map[string]any{"configured": s.Configured, "status": status, "in_progress": s.InProgress,
		"dir": s.Dir, "file": s.File, "last_status": s.LastStatus, "last_duration_seconds": s.LastDuration,
		"saves": s.Saves, "failures": s.Failures}
	if !s.LastSave.IsZero() {
		out["last_save"] = s.LastSave.Unix()
	}
	if !s.NextScheduled.IsZero() {
		out["next_scheduled"] = s.NextScheduled.Unix()
	}
	return out
}

// apiClients is CLIENT LIST, one object per client.
func (c *Console) apiClients(w http.ResponseWriter, r *http.Request) {
	v, err := c.runS(0, "CLIENT", "LIST")
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	out := []map[string]string{}
	for _, line := range strings.Split(str(v), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		m := map[string]string{}
		for _, f := range strings.Fields(line) {
			k, val, _ := strings.Cut(f, "=")
			m[k] = val
		}
		out = append(out, m)
	}
	writeJSON(w, map[string]any{"clients": out})
}

// apiSlowlog is SLOWLOG GET.
func (c *Console) apiSlowlog(w http.ResponseWriter, r *http.Request) {
	n := r.URL.Query().Get("count")
	if _, err := strconv.Atoi(n); err != nil {
		n = "50"
	}
	v, err := c.runS(0, "SLOWLOG", "GET", n)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	l, _ := c.runS(0, "SLOWLOG", "LEN")
	type entry struct {
		ID       int64    `json:"id"`
		Time     int64    `json:"time"`
		Duration int64    `json:"duration_us"`
		Args     []string `json:"args"`
		Addr     string   `json:"addr"`
		Name     string   `json:"name"`
	}
	out := []entry{}
	list, _ := v.([]any)
	for _, e := range list {
		f, _ := e.([]any)
		if len(f) < 4 {
			continue
		}
		en := entry{ID: num(f[0]), Time: num(f[1]), Duration: num(f[2])}
		args, _ := f[3].([]any)
		for _, a := range args {
			b, _ := a.([]byte)
			en.Args = append(en.Args, display(b))
		}
		if len(f) >= 6 {
			en.Addr, en.Name = str(f[4]), str(f[5])
		}
		out = append(out, en)
	}
	writeJSON(w, map[string]any{"len": num(l), "entries": out,
		"slower_than_us": c.env.Config.SlowlogSlowerThan.Get(), "max_len": c.env.Config.SlowlogMaxLen.Get()})
}

// apiConfig is CONFIG GET *, sorted by name.
func (c *Console) apiConfig(w http.ResponseWriter, r *http.Request) {
	v, err := c.runS(0, "CONFIG", "GET", "*")
	if err != nil {
		jsonError(w, http.StatusInternalServerError, err.Error())
		return
	}
	type kv struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	list, _ := v.([]any)
	out := []kv{}
	for i := 0; i+1 < len(list); i += 2 {
		out = append(out, kv{str(list[i]), str(list[i+1])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, map[string]any{"config": out})
}

type keyRow struct {
	Key string `json:"key"` // for display
	Raw string `json:"raw"` // base64 of the exact bytes
	command.KeyInfo
}

// apiKeys is one SCAN step with type and TTL of each key found:
// ?db=&cursor=&match=&type=&count=.
func (c *Console) apiKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	db, err := c.dbArg(q.Get("db"))
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	cursor := q.Get("cursor")
	if cursor == "" {
		cursor = "0"
	}
	if _, err := strconv.ParseUint(cursor, 10, 64); err != nil {
		jsonError(w, http.StatusBadRequest, "invalid cursor")
		return
	}
	count := 100
	if n, err := strconv.Atoi(q.Get("count")); err == nil && n > 0 {
		count = min(n, 1000)
	}
	args := []string{"SCAN", cursor, "COUNT", strconv.Itoa(count)}
	if m := q.Get("match"); m != "" {
		args = append(args, "MATCH", m)
	}
	if t := q.Get("type"); t != "" {
		args = append(args, "TYPE", t)
	}
	v, err := c.runS(db, args...)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	reply, _ := v.([]any)
	if len(reply) != 2 {
		jsonError(w, http.StatusInternalServerError, "unexpected SCAN reply")
		return
	}
	keys, _ := reply[1].([]any)
	rows := []keyRow{}
	for _, k := range keys {
		b, _ := k.([]byte)
		ki, ok := c.env.KeyInfo(db, b)
		if !ok {
			continue // expired or deleted since SCAN saw it
		}
		rows = append(rows, keyRow{Key: display(b), Raw: base64.StdEncoding.EncodeToString(b), KeyInfo: ki})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	writeJSON(w, map[string]any{"db": db, "cursor": str(reply[0]), "keys": rows})
}

// previewCommands are the read commands that show the start of a value of
// each complex type, and the one that gives its length (strings are read
// directly). These count as reads, like any client's. A type whose commands are
// not in this build gets an error text instead of a preview.
var previewCommands = map[string][2][]string{
	"list":   {{"LRANGE", "", "0", "49"}, {"LLEN", ""}},
	"set":    {{"SSCAN", "", "0", "COUNT", "50"}, {"SCARD", ""}},
	"zset":   {{"ZRANGE", "", "0", "49", "WITHSCORES"}, {"ZCARD", ""}},
	"hash":   {{"HSCAN", "", "0", "COUNT", "50"}, {"HLEN", ""}},
	"stream": {{"XRANGE", "", "-", "+", "COUNT", "20"}, {"XLEN", ""}},
}

// apiKey shows one key: ?db=&raw=<base64 key> (or &key= for a text key).
func (c *Console) apiKey(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	db, err := c.dbArg(q.Get("db"))
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	key := []byte(q.Get("key"))
	if raw := q.Get("raw"); raw != "" {
		if key, err = base64.StdEncoding.DecodeString(raw); err != nil {
			jsonError(w, http.StatusBadRequest, "invalid raw key")
			return
		}
	}
	ki, ok := c.env.KeyInfo(db, key)
	if !ok {
		jsonError(w, http.StatusNotFound, "no such key")
		return
	}
	out := map[string]any{"db": db, "key": display(key), "raw": base64.StdEncoding.EncodeToString(key),
		"type": ki.Type, "encoding": ki.Encoding, "ttl_ms": ki.TTLMs, "bytes": ki.Bytes}
	if ki.Type == "string" {
		// Read directly: no hit counted, no access time touched.
		out["length"] = ki.Len
		out["preview"] = display(ki.Prefix)
		writeJSON(w, out)
		return
	}
	cmds, ok := previewCommands[ki.Type]
	if !ok {
		out["preview_error"] = "no preview for type " + ki.Type
		writeJSON(w, out)
		return
	}
	withKey := func(tmpl []string) [][]byte {
		args := make([][]byte, len(tmpl))
		for i, a := range tmpl {
			args[i] = []byte(a)
		}
		args[1] = key
		return args
	}
	if n, err := c.run(db, withKey(cmds[1])...); err == nil {
		out["length"] = num(n)
	}
	v, err := c.run(db, withKey(cmds[0])...)
	if err != nil {
		out["preview_error"] = err.Error()
		writeJSON(w, out)
		return
	}
	if ki.Type == "set" || ki.Type == "hash" {
		if l, ok := v.([]any); ok && len(l) == 2 {
			v = l[1] // SSCAN/HSCAN: [cursor, items]
		}
	}
	out["preview"] = previewValue(v)
	writeJSON(w, out)
}

// previewValue turns a decoded reply into JSON-friendly display values.
func previewValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return display(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = previewValue(e)
		}
		return out
	}
	return v
}

func (c *Console) dbArg(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	db, err := strconv.Atoi(s)
	if err != nil || db < 0 || db >= c.env.Config.Databases {
		return 0, errBadDB
	}
	return db, nil
}

var errBadDB = replyError("invalid db index")

// display shows bytes as text when they are printable UTF-8, and as a Go
// quoted string (escapes visible) otherwise.
func display(b []byte) string {
	if utf8.Valid(b) {
		printable := true
		for _, r := range string(b) {
			if !unicode.IsPrint(r) && r != ' ' {
				printable = false
				break
			}
		}
		if printable {
			return string(b)
		}
	}
	return strconv.Quote(string(b))
}
