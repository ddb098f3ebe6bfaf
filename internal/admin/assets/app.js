// Damselfly admin console: polls the JSON API and draws its charts on
// canvas. No framework, no CDN. Data from the server is only ever put in
// the page as text (textContent), never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const HISTORY_MS = 10 * 60 * 1000; // history kept: ten minutes
const MIN_WINDOW_MS = 60 * 1000; // the charts' time axis spans at least a minute

const state = {
  since: 0,
  points: [],
  databases: 16,
  cursor: "0",
  selectedRow: null,
};

// ---------- formatting ----------
function fmtInt(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return Math.round(n).toLocaleString("en-US");
}
function fmtBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  if (i === 0 || Number.isInteger(v)) return v.toFixed(0) + " " + units[i];
  return v.toFixed(v < 10 ? 2 : 1) + " " + units[i];
}
function fmtPct(r) {
  if (r === null || r === undefined) return "–";
  if (r === 0 || r === 1) return (r * 100).toFixed(0) + "%";
  return (r * 100).toFixed(r >= 0.99 ? 2 : 1) + "%";
}
function fmtDuration(sec) {
  sec = Math.max(0, Math.floor(sec));
  const d = Math.floor(sec / 86400), h = Math.floor(sec % 86400 / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
  if (d) return d + "d " + h + "h";
  if (h) return h + "h " + m + "m";
  if (m) return m + "m " + s + "s";
  return s + "s";
}
function fmtTTL(ms) {
  if (ms < 0) return "none";
  if (ms < 1000) return ms + " ms";
  return fmtDuration(ms / 1000);
}
function fmtRate(v) {
  if (v >= 1000) return fmtInt(v);
  if (v >= 10 || Number.isInteger(v)) return v.toFixed(0);
  return v.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
}
function setText(id, text) {
  const el = $(id);
  if (el && el.textContent !== String(text)) el.textContent = text;
}

// apiURL resolves a path against the page without the user:password a
// person may have typed in the address (fetch refuses such URLs; the
// browser resends the Basic credentials it already holds).
function apiURL(path) {
  const u = new URL(path, location.href);
  u.username = "";
  u.password = "";
  return u.href;
}

async function getJSON(url) {
  const r = await fetch(apiURL(url), { cache: "no-store", credentials: "same-origin" });
  if (!r.ok) {
    let msg = r.status + " " + r.statusText;
    try { const j = await r.json(); if (j.error) msg = j.error; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return r.json();
}

// ---------- tables ----------
function fillTable(tableId, rows, cells) {
  const tbody = $(tableId).tBodies[0];
  const frag = document.createDocumentFragment();
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const c of cells(row)) {
      const td = document.createElement("td");
      if (c && typeof c === "object") {
        td.textContent = c.text;
        if (c.cls) td.className = c.cls;
        if (c.title) td.title = c.title;
      } else {
        td.textContent = c;
      }
      tr.appendChild(td);
    }
    frag.appendChild(tr);
  }
  tbody.replaceChildren(frag);
  return tbody;
}

// ---------- charts ----------
const COLORS = ["#3fb8af", "#e0a43c", "#d9534f", "#8c7ae6"];

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// drawChart plots series [{label, color, values: [number|null]}] against
// times t (unix ms). fmt formats the y axis.
function drawChart(canvas, t, series, fmt, fixedMax, binary) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600, h = canvas.clientHeight || 200;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const padL = 64, padR = 10, padT = 8, padB = 22;
  const pw = w - padL - padR, ph = h - padT - padB;
  // Series marked optional (a limit line) do not stretch the scale when
  // they are far above the others.
  let ymax = 0, optMax = 0;
  for (const s of series) {
    for (const v of s.values) {
      if (v === null || v === undefined) continue;
      if (s.optional) optMax = Math.max(optMax, v); else ymax = Math.max(ymax, v);
    }
  }
  if (optMax > 0 && optMax <= ymax * 2) ymax = Math.max(ymax, optMax);
  if (fixedMax) {
    ymax = fixedMax;
  } else if (binary) {
    // Byte scales step in whole KiB, MiB, GiB.
    let unit = 1;
    while (ymax * 1.1 / unit >= 1024) unit *= 1024;
    ymax = niceMax(ymax * 1.1 / unit) * unit;
  } else {
    ymax = niceMax(ymax * 1.1);
  }
  const now = t.length ? t[t.length - 1] : Date.now();
  // The window grows with the history, from one minute to ten.
  const span = Math.min(HISTORY_MS, Math.max(MIN_WINDOW_MS, t.length ? now - t[0] : 0));
  const t0 = now - span;
  const x = (ts) => padL + (ts - t0) / span * pw;
  const y = (v) => padT + ph - v / ymax * ph;

  g.font = "11px system-ui, sans-serif";
  g.strokeStyle = "#2a3543";
  g.fillStyle = "#8a98a8";
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let i = 0; i <= 4; i++) {
    const v = ymax * i / 4, yy = Math.round(y(v)) + 0.5;
    g.beginPath(); g.moveTo(padL, yy); g.lineTo(w - padR, yy); g.stroke();
    g.fillText(fmt(v), padL - 6, yy);
  }
  g.textAlign = "center";
  g.textBaseline = "top";
  const stepS = span <= 60000 ? 10 : span <= 180000 ? 30 : span <= 360000 ? 60 : 120;
  for (let sec = 0; sec * 1000 <= span; sec += stepS) {
    const m = Math.floor(sec / 60), r = sec % 60;
    const label = sec === 0 ? "now" : "-" + (m ? m + "m" : "") + (r ? r + "s" : "");
    g.fillText(label, x(now - sec * 1000), padT + ph + 6);
  }
  g.save();
  g.beginPath(); g.rect(padL, padT, pw, ph); g.clip();
  series.forEach((s, i) => {
    g.strokeStyle = s.color || COLORS[i % COLORS.length];
    g.lineWidth = 1.6;
    g.setLineDash(s.dash || []);
    g.beginPath();
    let pen = false;
    for (let k = 0; k < t.length; k++) {
      const v = s.values[k];
      if (v === null || v === undefined || t[k] < t0) { pen = false; continue; }
      if (s.optional && v > ymax) { pen = false; continue; }
      const px = x(t[k]), py = y(Math.min(v, ymax));
      if (pen) g.lineTo(px, py); else g.moveTo(px, py);
      pen = true;
    }
    g.stroke();
  });
  g.restore();
  const first = series[0].values;
  let last = null;
  for (let k = first.length - 1; k >= 0; k--) if (first[k] !== null) { last = first[k]; break; }
  canvas.dataset.points = String(t.length);
  canvas.dataset.last = last === null ? "" : String(last);
  canvas.dataset.updated = String(now);
}

function legend(id, series, fmt) {
  const box = $(id);
  const frag = document.createDocumentFragment();
  series.forEach((s, i) => {
    const span = document.createElement("span");
    const sw = document.createElement("i");
    sw.style.background = s.color || COLORS[i % COLORS.length];
    span.appendChild(sw);
    let last = null;
    for (let k = s.values.length - 1; k >= 0; k--) if (s.values[k] !== null) { last = s.values[k]; break; }
    span.appendChild(document.createTextNode(s.label + (last === null ? "" : " " + fmt(last))));
    frag.appendChild(span);
  });
  box.replaceChildren(frag);
}

function drawCharts() {
  const cutoff = Date.now() - HISTORY_MS - 5000;
  state.points = state.points.filter((p) => p.t >= cutoff);
  const P = state.points, t = P.map((p) => p.t);
  const ops = [{ label: "ops/sec", values: P.map((p) => p.ops) }];
  drawChart($("chart-ops"), t, ops, fmtRate);
  legend("legend-ops", ops, fmtRate);
  const mem = [
    { label: "used", values: P.map((p) => p.used) },
    { label: "rss", values: P.map((p) => p.rss) },
    { label: "max", values: P.map((p) => (p.max > 0 ? p.max : null)), dash: [5, 4], optional: true },
  ];
  drawChart($("chart-memory"), t, mem, fmtBytes, 0, true);
  legend("legend-memory", mem, fmtBytes);
  const hits = [{ label: "hit ratio", values: P.map((p) => (p.hit_ratio === null ? null : p.hit_ratio * 100)) }];
  drawChart($("chart-hits"), t, hits, (v) => v.toFixed(0) + "%", 100);
  legend("legend-hits", hits, (v) => v.toFixed(1) + "%");
  const ev = [
    { label: "expired/s", values: P.map((p) => p.expired_ps) },
    { label: "evicted/s", values: P.map((p) => p.evicted_ps) },
  ];
  drawChart($("chart-events"), t, ev, fmtRate);
  legend("legend-events", ev, fmtRate);
}

// ---------- stats ----------
function showStats(s) {
  const sv = s.server, st = s.stats, m = s.memory, c = s.clients, ks = s.keyspace;
  setText("server-version", "v" + sv.version + " (redis " + sv.redis_version + ")");
  setText("server-role", sv.role);
  setText("server-port", sv.tcp_port);
  setText("server-uptime", fmtDuration(sv.uptime_seconds));
  setText("server-policy", sv.maxmemory_policy + (sv.cache_mode ? " · cache_mode" : ""));
  setText("ops", fmtInt(st.ops_per_sec));
  setText("ops-total", fmtInt(st.total_commands_processed) + " commands");
  setText("mem-used", fmtBytes(m.used));
  setText("mem-peak", fmtBytes(m.peak));
  setText("mem-rss", fmtBytes(m.rss));
  setText("mem-frag", m.frag.toFixed(2));
  setText("mem-max", m.max > 0 ? fmtBytes(m.max) : "no limit");
  setText("mem-pct", m.max > 0 ? fmtPct(m.used / m.max) + " used" : "");
  setText("hit-ratio", fmtPct(st.hit_ratio));
  setText("hits", fmtInt(st.keyspace_hits));
  setText("misses", fmtInt(st.keyspace_misses));
  setText("keys-total", fmtInt(ks.keys));
  setText("keys-expiring", fmtInt(ks.expires));
  setText("clients-connected", fmtInt(c.connected));
  setText("clients-blocked", fmtInt(c.blocked));
  setText("clients-max", fmtInt(c.maxclients));
  setText("expired-total", fmtInt(st.expired_keys));
  setText("evicted-total", fmtInt(st.evicted_keys));
  const snap = s.snapshot;
  setText("snapshot-status", snap.status);
  const det = [];
  if (snap.configured) {
    if (snap.file) det.push((snap.dir ? snap.dir + "/" : "") + snap.file);
    if (snap.next_scheduled) det.push("next " + new Date(snap.next_scheduled * 1000).toLocaleString());
    det.push(fmtInt(snap.saves) + " saves, " + fmtInt(snap.failures || 0) + " failed");
  }
  setText("snapshot-detail", det.join(" · "));
  fillTable("keyspace-table", ks.dbs, (d) => [
    "db" + d.db, fmtInt(d.keys), fmtInt(d.expires), d.avg_ttl ? fmtTTL(d.avg_ttl) : "–",
    fmtInt(d.hits), fmtInt(d.misses), fmtInt(d.expired), fmtInt(d.evicted), fmtInt(d.capacity),
  ]);
  if (s.series && s.series.length) {
    state.points.push(...s.series);
    state.since = s.series[s.series.length - 1].t;
  }
  drawCharts();
}

function setLive(ok, text) {
  $("live-dot").className = "dot " + (ok ? "ok" : "bad");
  setText("live-text", text);
}

async function pollStats() {
  try {
    const s = await getJSON("api/stats?since=" + state.since);
    showStats(s);
    setLive(true, "live");
  } catch (e) {
    setLive(false, "disconnected: " + e.message);
  }
}

// ---------- clients, slow log, config ----------
async function loadClients() {
  try {
    const r = await getJSON("api/clients");
    const list = r.clients || [];
    setText("clients-count", list.length + " connected");
    fillTable("clients-table", list, (c) => [
      c.id, { text: c.addr, cls: "mono" }, c.name || "", [c["lib-name"], c["lib-ver"]].filter(Boolean).join(" "),
      fmtDuration(+c.age), fmtDuration(+c.idle), c.db, { text: c.cmd, cls: "mono" }, c.flags,
      fmtBytes(+c.qbuf), fmtBytes(+c["tot-net-in"] || 0), fmtBytes(+c["tot-net-out"] || 0),
    ]);
  } catch (e) {
    setText("clients-count", "error: " + e.message);
  }
}

async function loadSlowlog() {
  try {
    const r = await getJSON("api/slowlog?count=100");
    setText("slowlog-info", r.len + " entries (slower than " + r.slower_than_us + " µs, keeps " + r.max_len + ")");
    fillTable("slowlog-table", r.entries, (e) => [
      e.id, new Date(e.time * 1000).toLocaleTimeString(), fmtInt(e.duration_us) + " µs",
      { text: (e.args || []).join(" "), cls: "mono" }, { text: e.addr + (e.name ? " (" + e.name + ")" : ""), cls: "mono" },
    ]);
  } catch (e) {
    setText("slowlog-info", "error: " + e.message);
  }
}

let configRows = [];
function showConfig() {
  const f = $("config-filter").value.trim().toLowerCase();
  fillTable("config-table", configRows.filter((r) => !f || r.name.includes(f) || r.value.toLowerCase().includes(f)),
    (r) => [{ text: r.name, cls: "mono" }, { text: r.value, cls: "mono" }]);
}
async function loadConfig() {
  try {
    const r = await getJSON("api/config");
    configRows = r.config || [];
    const dbs = configRows.find((x) => x.name === "databases");
    if (dbs) setDatabases(+dbs.value);
    showConfig();
  } catch (e) {
    fillTable("config-table", [{ name: "error", value: e.message }], (r) => [r.name, r.value]);
  }
}

// ---------- key browser ----------
function setDatabases(n) {
  if (!(n > 0) || n === state.databases && $("browser-db").options.length) return;
  state.databases = n;
  const sel = $("browser-db"), cur = sel.value || "0";
  const frag = document.createDocumentFragment();
  for (let i = 0; i < n; i++) {
    const o = document.createElement("option");
    o.value = String(i);
    o.textContent = "db" + i;
    frag.appendChild(o);
  }
  sel.replaceChildren(frag);
  sel.value = cur;
}

async function scanKeys(more) {
  if (!more) {
    state.cursor = "0";
    $("browser-table").tBodies[0].replaceChildren();
  }
  const q = new URLSearchParams({
    db: $("browser-db").value || "0", cursor: state.cursor, match: $("browser-match").value || "*",
    type: $("browser-type").value, count: $("browser-count").value || "100",
  });
  setText("browser-status", "scanning…");
  try {
    const r = await getJSON("api/keys?" + q);
    state.cursor = r.cursor;
    const tbody = $("browser-table").tBodies[0];
    for (const k of r.keys) {
      const tr = document.createElement("tr");
      for (const [text, cls] of [[k.key, "mono"], [k.type], [fmtTTL(k.ttl_ms)], [fmtBytes(k.bytes)]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      tr.addEventListener("click", () => previewKey(r.db, k.raw, tr));
      tbody.appendChild(tr);
    }
    $("browser-more").disabled = state.cursor === "0";
    setText("browser-status", tbody.rows.length + " keys" + (state.cursor === "0" ? " (scan complete)" : " (more available)"));
  } catch (e) {
    setText("browser-status", "error: " + e.message);
  }
}

async function previewKey(db, raw, tr) {
  if (state.selectedRow) state.selectedRow.classList.remove("selected");
  state.selectedRow = tr;
  tr.classList.add("selected");
  const box = $("browser-preview");
  try {
    const k = await getJSON("api/key?" + new URLSearchParams({ db: String(db), raw }));
    const h = document.createElement("h3");
    h.className = "mono";
    h.textContent = k.key;
    const meta = document.createElement("p");
    meta.className = "hint";
    meta.textContent = k.type + " · " + k.encoding + " · ttl " + fmtTTL(k.ttl_ms) + " · " + fmtBytes(k.bytes) +
      (k.length !== undefined ? " · length " + fmtInt(k.length) : "");
    const pre = document.createElement("pre");
    if (k.preview_error) {
      pre.className = "err";
      pre.textContent = k.preview_error;
    } else {
      pre.textContent = formatPreview(k.type, k.preview);
    }
    box.replaceChildren(h, meta, pre);
  } catch (e) {
    const p = document.createElement("p");
    p.className = "err";
    p.textContent = e.message;
    box.replaceChildren(p);
  }
}

function formatPreview(type, v) {
  if (type === "string") return v;
  if (!Array.isArray(v)) return JSON.stringify(v, null, 2);
  if (type === "hash" || type === "zset") {
    const lines = [];
    for (let i = 0; i + 1 < v.length; i += 2) lines.push(v[i] + (type === "zset" ? "  (score " + v[i + 1] + ")" : " => " + v[i + 1]));
    return lines.join("\n");
  }
  if (type === "stream") return v.map((e) => e[0] + "  " + JSON.stringify(e[1])).join("\n");
  return v.map((x, i) => (type === "list" ? i + ") " : "") + x).join("\n");
}

// ---------- wiring ----------
function showTab(name) {
  document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("active", p.id === "tab-" + name));
  if (name === "clients") loadClients();
  if (name === "slowlog") loadSlowlog();
  if (name === "config") loadConfig();
}

function init() {
  document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  $("clients-refresh").addEventListener("click", loadClients);
  $("slowlog-refresh").addEventListener("click", loadSlowlog);
  $("config-refresh").addEventListener("click", loadConfig);
  $("config-filter").addEventListener("input", showConfig);
  $("browser-form").addEventListener("submit", (e) => { e.preventDefault(); scanKeys(false); });
  $("browser-more").addEventListener("click", () => scanKeys(true));
  window.addEventListener("resize", drawCharts);
  setDatabases(16);
  loadConfig();
  loadClients();
  loadSlowlog();
  pollStats();
  setInterval(pollStats, 1000);
  setInterval(() => {
    const active = document.querySelector(".tabs button.active");
    if (active && active.dataset.tab === "clients") loadClients();
    if (active && active.dataset.tab === "slowlog") loadSlowlog();
  }, 5000);
}

init();
