// End-to-end checks of a running Directus whose every Redis store points at
// the server under test (Damselfly or redis-server). Run by
// test/directus/directus_test.go, which starts the stack with cmd/stack;
// by hand:
//
//   DIRECTUS_URL=http://127.0.0.1:8055 node --test test/directus/e2e.test.mjs
//
// Everything goes through Directus's public REST, GraphQL and WebSocket API;
// nothing talks to Redis directly. The tests run in file order and share the
// admin session and the test collection. Test names are stable: they are
// the keys of expected-failures-*.txt.
//
// Environment: DIRECTUS_URL, DIRECTUS_ADMIN_EMAIL, DIRECTUS_ADMIN_PASSWORD,
// RATE_LIMITER_POINTS, RATE_LIMITER_DURATION (seconds), CACHE_STATUS_HEADER.

import { before, test } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";

const URL_ = (process.env.DIRECTUS_URL ?? "http://127.0.0.1:8055").replace(/\/$/, "");
const EMAIL = process.env.DIRECTUS_ADMIN_EMAIL ?? "admin@example.com";
const PASSWORD = process.env.DIRECTUS_ADMIN_PASSWORD ?? "d1r3ctu5";
const RL_POINTS = Number(process.env.RATE_LIMITER_POINTS ?? 50);
const RL_DURATION = Number(process.env.RATE_LIMITER_DURATION ?? 1);
const CACHE_HEADER = (process.env.CACHE_STATUS_HEADER ?? "X-Cache-Status").toLowerCase();
const COLLECTION = process.env.DIRECTUS_TEST_COLLECTION ?? `dfly_articles_${Date.now().toString(36)}`;

let token = ""; // admin access token, set by the first test

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// api sends a JSON request and returns { status, headers, body }. A 429 from
// the rate limiter is waited out and retried, so that the limiter only
// matters in its own test.
async function api(method, path, { body, auth = token, headers = {}, raw = false, retry429 = true } = {}) {
	const h = { ...headers };
	if (auth) h.authorization = `Bearer ${auth}`;
	let payload = body;
	if (body !== undefined && !(body instanceof FormData)) {
		h["content-type"] = "application/json";
		payload = JSON.stringify(body);
	}
	for (let attempt = 0; ; attempt++) {
		const res = await fetch(URL_ + path, { method, headers: h, body: payload, signal: AbortSignal.timeout(30_000) });
		if (res.status === 429 && retry429 && attempt < 10) {
			await res.arrayBuffer();
			await sleep(RL_DURATION * 1000 + 100);
			continue;
		}
		const buf = Buffer.from(await res.arrayBuffer());
		let parsed = buf;
		if (!raw) {
			const text = buf.toString("utf8");
			try {
				parsed = text ? JSON.parse(text) : null;
			} catch {
				parsed = text;
			}
		}
		return { status: res.status, headers: res.headers, body: parsed };
	}
}

function ok(res, what, status = 200) {
	assert.equal(res.status, status, `${what}: HTTP ${res.status} ${JSON.stringify(res.body)?.slice(0, 500)}`);
	return res.body;
}

async function login(email = EMAIL, password = PASSWORD) {
	return api("POST", "/auth/login", { body: { email, password }, auth: "" });
}

// ---------------------------------------------------------------------------

before(async () => {
	// Wait out a rate-limited start, then log in once for every test.
	const res = await login();
	if (res.status === 200) token = res.body.data.access_token;
});


test("server: ping and health report Redis ok", async () => {
	const ping = await api("GET", "/server/ping", { auth: "", raw: true });
	assert.equal(ping.status, 200);
	assert.equal(ping.body.toString(), "pong");
	const res = ok(await login(), "login");
	token = res.data.access_token;
	const health = ok(await api("GET", "/server/health"), "health");
	const redisChecks = Object.entries(health.checks ?? {}).filter(([k]) => k.startsWith("redis"));
	assert.ok(redisChecks.length > 0, `no redis check in /server/health: ${JSON.stringify(health)}`);
	for (const [name, checks] of redisChecks) {
		for (const c of checks) assert.equal(c.status, "ok", `${name}: ${JSON.stringify(c)}`);
	}
	assert.equal(health.status, "ok", JSON.stringify(health));
});

test("auth: login, refresh, logout", async () => {
	const first = ok(await login(), "login").data;
	assert.ok(first.access_token && first.refresh_token, "tokens");
	const me = ok(await api("GET", "/users/me", { auth: first.access_token }), "users/me").data;
	assert.equal(me.email, EMAIL);

	const refreshed = ok(
		await api("POST", "/auth/refresh", { body: { refresh_token: first.refresh_token, mode: "json" }, auth: "" }),
		"refresh",
	).data;
	assert.ok(refreshed.access_token, "refreshed access token");
	assert.notEqual(refreshed.refresh_token, first.refresh_token, "refresh token rotates");
	ok(await api("GET", "/users/me", { auth: refreshed.access_token }), "users/me with refreshed token");

	const out = await api("POST", "/auth/logout", { body: { refresh_token: refreshed.refresh_token, mode: "json" }, auth: "" });
	assert.ok(out.status === 204 || out.status === 200, `logout: HTTP ${out.status} ${JSON.stringify(out.body)}`);
	const again = await api("POST", "/auth/refresh", { body: { refresh_token: refreshed.refresh_token, mode: "json" }, auth: "" });
	assert.equal(again.status, 401, `refresh after logout must fail: HTTP ${again.status}`);
	token = ok(await login(), "login again").data.access_token;
});

test("collections: create a collection with fields", async () => {
	ok(
		await api("POST", "/collections", {
			body: {
				collection: COLLECTION,
				meta: { note: "Damselfly end-to-end test" },
				schema: {},
				fields: [
					{
						field: "id",
						type: "integer",
						meta: { hidden: true, readonly: true, interface: "input" },
						schema: { is_primary_key: true, has_auto_increment: true },
					},
					{ field: "title", type: "string", meta: { interface: "input" }, schema: {} },
					{ field: "views", type: "integer", meta: { interface: "input" }, schema: { default_value: 0 } },
				],
			},
		}),
		"create collection",
	);
	const fields = ok(await api("GET", `/fields/${COLLECTION}`), "fields").data.map((f) => f.field);
	for (const f of ["id", "title", "views"]) assert.ok(fields.includes(f), `field ${f} in ${fields}`);
	const cols = ok(await api("GET", "/collections"), "collections").data.map((c) => c.collection);
	assert.ok(cols.includes(COLLECTION));
});

test("items: create, read, update, delete over REST", async () => {
	const created = ok(await api("POST", `/items/${COLLECTION}`, { body: { title: "hello", views: 1 } }), "create").data;
	assert.equal(created.title, "hello");
	const many = ok(
		await api("POST", `/items/${COLLECTION}`, { body: [{ title: "b", views: 2 }, { title: "c", views: 3 }] }),
		"create many",
	).data;
	assert.equal(many.length, 2);
	const read = ok(await api("GET", `/items/${COLLECTION}/${created.id}`), "read").data;
	assert.equal(read.title, "hello");
	const list = ok(await api("GET", `/items/${COLLECTION}?filter[views][_gte]=2&sort=views`), "filter").data;
	assert.deepEqual(list.map((i) => i.title), ["b", "c"]);
	const upd = ok(await api("PATCH", `/items/${COLLECTION}/${created.id}`, { body: { views: 10 } }), "update").data;
	assert.equal(upd.views, 10);
	const del = await api("DELETE", `/items/${COLLECTION}/${many[0].id}`);
	assert.equal(del.status, 204, `delete: HTTP ${del.status}`);
	const gone = await api("GET", `/items/${COLLECTION}/${many[0].id}`);
	assert.ok(gone.status === 403 || gone.status === 404, `deleted item still readable: HTTP ${gone.status}`);
});

test("graphql: query and mutation", async () => {
	const m = ok(
		await api("POST", "/graphql", {
			body: { query: `mutation { create_${COLLECTION}_item(data: { title: "gql", views: 7 }) { id title views } }` },
		}),
		"graphql mutation",
	);
	assert.ok(!m.errors, JSON.stringify(m.errors));
	const item = m.data[`create_${COLLECTION}_item`];
	assert.equal(item.title, "gql");
	const q = ok(
		await api("POST", "/graphql", { body: { query: `{ ${COLLECTION}(filter: { title: { _eq: "gql" } }) { id views } }` } }),
		"graphql query",
	);
	assert.ok(!q.errors, JSON.stringify(q.errors));
	assert.equal(q.data[COLLECTION].length, 1);
	assert.equal(q.data[COLLECTION][0].views, 7);
});

test("cache: a repeated GET is a HIT and a write purges it", async () => {
	const path = `/items/${COLLECTION}?sort=id&fields=id,title,views`;
	const a = await api("GET", path);
	ok(a, "first GET");
	const b = await api("GET", path);
	ok(b, "second GET");
	assert.equal(b.headers.get(CACHE_HEADER), "HIT", `second GET ${CACHE_HEADER}=${b.headers.get(CACHE_HEADER)} (first was ${a.headers.get(CACHE_HEADER)})`);
	assert.deepEqual(b.body, a.body, "a HIT serves the same body");

	const first = a.body.data[0];
	ok(await api("PATCH", `/items/${COLLECTION}/${first.id}`, { body: { title: "purged" } }), "update");
	const c = await api("GET", path);
	ok(c, "GET after write");
	assert.equal(c.headers.get(CACHE_HEADER), "MISS", `after a write ${CACHE_HEADER}=${c.headers.get(CACHE_HEADER)}`);
	assert.equal(c.body.data[0].title, "purged", "fresh data after the purge");
	const d = await api("GET", path);
	assert.equal(d.headers.get(CACHE_HEADER), "HIT", "cached again");
});

test("rate limiter: 429 then recovery", async () => {
	await sleep(RL_DURATION * 1000 + 200); // a fresh window
	const n = RL_POINTS * 3;
	const statuses = await Promise.all(
		Array.from({ length: n }, () =>
			fetch(URL_ + "/server/ping", { signal: AbortSignal.timeout(30_000) }).then(async (r) => {
				await r.arrayBuffer();
				return r.status;
			}),
		),
	);
	const limited = statuses.filter((s) => s === 429).length;
	const passed = statuses.filter((s) => s === 200).length;
	assert.ok(limited > 0, `no 429 in ${n} requests against ${RL_POINTS} points/${RL_DURATION}s (${passed} passed)`);
	assert.ok(passed > 0 && passed <= RL_POINTS, `${passed} requests passed, limit ${RL_POINTS}`);
	await sleep(RL_DURATION * 1000 + 500);
	const after = await api("GET", "/server/ping", { auth: "", raw: true, retry429: false });
	assert.equal(after.status, 200, "recovered after the window");
});

test("login limiter: failed logins suspend the user, a good login resets", async () => {
	const settings = ok(await api("GET", "/settings?fields=auth_login_attempts"), "settings").data;
	const previous = settings.auth_login_attempts;
	const email = `limiter-${Date.now()}@example.com`;
	const password = "Pa55word-limiter";
	const role = ok(await api("POST", "/roles", { body: { name: `limiter-${Date.now()}` } }), "role").data;
	const user = ok(await api("POST", "/users", { body: { email, password, role: role.id, status: "active" } }), "user").data;
	try {
		ok(await api("PATCH", "/settings", { body: { auth_login_attempts: 3 } }), "set auth_login_attempts");
		// A good login resets the counter (rate-limiter-flexible's set: MULTI/SET/PTTL/EXEC).
		ok(await login(email, password), "good login");
		// Three attempts are allowed; the fourth failure suspends the user.
		for (let i = 0; i < 4; i++) {
			const bad = await login(email, "wrong-password");
			assert.equal(bad.status, 401, `bad login ${i + 1}: HTTP ${bad.status}`);
		}
		const u = ok(await api("GET", `/users/${user.id}?fields=status`), "read user").data;
		assert.equal(u.status, "suspended", "user suspended after 4 failed logins");
		const locked = await login(email, password);
		assert.equal(locked.status, 401, "a suspended user cannot log in");
	} finally {
		await api("PATCH", "/settings", { body: { auth_login_attempts: previous ?? 25 } });
		await api("DELETE", `/users/${user.id}`);
		await api("DELETE", `/roles/${role.id}`);
	}
});

// wsOpen connects and returns helpers to send and to wait for a message.
function wsOpen(path, protocols) {
	const url = URL_.replace(/^http/, "ws") + path;
	const ws = new WebSocket(url, protocols);
	const queue = [];
	const waiters = [];
	ws.addEventListener("message", (ev) => {
		let msg;
		try {
			msg = JSON.parse(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data).toString());
		} catch {
			return;
		}
		if (msg.type === "ping") {
			ws.send(JSON.stringify({ type: "pong" }));
			return;
		}
		queue.push(msg);
		for (const w of [...waiters]) w();
	});
	const opened = new Promise((resolve, reject) => {
		ws.addEventListener("open", resolve, { once: true });
		ws.addEventListener("error", (e) => reject(new Error(`websocket ${url}: ${e.message ?? "error"}`)), { once: true });
	});
	async function next(pred, what, ms = 15_000) {
		const deadline = Date.now() + ms;
		for (;;) {
			const i = queue.findIndex(pred);
			if (i >= 0) return queue.splice(i, 1)[0];
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`websocket: timed out waiting for ${what}; got ${JSON.stringify(queue).slice(0, 800)}`);
			await new Promise((resolve) => {
				const t = setTimeout(resolve, left);
				waiters.push(() => {
					clearTimeout(t);
					resolve();
				});
			});
			waiters.length = 0;
		}
	}
	return { ws, opened, next, send: (m) => ws.send(JSON.stringify(m)), close: () => ws.close() };
}

test("websocket: a subscription receives an item event", async () => {
	const c = wsOpen("/websocket");
	try {
		await c.opened;
		c.send({ type: "auth", access_token: token });
		const auth = await c.next((m) => m.type === "auth", "auth reply");
		assert.equal(auth.status, "ok", JSON.stringify(auth));
		c.send({ type: "subscribe", collection: COLLECTION, uid: "dfly", query: { fields: ["id", "title"] } });
		const init = await c.next((m) => m.type === "subscription" && m.event === "init", "subscription init");
		assert.equal(init.uid, "dfly");
		const created = ok(await api("POST", `/items/${COLLECTION}`, { body: { title: "from-ws-test" } }), "create").data;
		const ev = await c.next((m) => m.type === "subscription" && m.event === "create", "create event");
		assert.equal(ev.uid, "dfly");
		const data = Array.isArray(ev.data) ? ev.data : [ev.data];
		assert.ok(data.some((d) => String(d.id) === String(created.id) && d.title === "from-ws-test"), JSON.stringify(ev));
	} finally {
		c.close();
	}
});

test("graphql websocket: a subscription receives a mutation event", async () => {
	const c = wsOpen("/graphql", "graphql-transport-ws");
	try {
		await c.opened;
		c.send({ type: "connection_init", payload: { access_token: token } });
		await c.next((m) => m.type === "connection_ack", "connection_ack");
		c.send({
			id: "1",
			type: "subscribe",
			payload: { query: `subscription { ${COLLECTION}_mutated { key event data { id title } } }` },
		});
		await sleep(500); // the subscription is registered asynchronously
		ok(await api("POST", `/items/${COLLECTION}`, { body: { title: "from-gql-ws" } }), "create");
		const msg = await c.next((m) => m.type === "next" && m.id === "1", "subscription next");
		const ev = msg.payload?.data?.[`${COLLECTION}_mutated`];
		assert.ok(ev, JSON.stringify(msg));
		assert.equal(ev.event, "create");
		assert.equal(ev.data?.title, "from-gql-ws");
	} finally {
		c.close();
	}
});

test("logs websocket: server logs stream through the Redis bus", async () => {
	// Every log line is PUBLISHed on <bus namespace>:logs and delivered to
	// the logs websocket by the bus subscriber: a pub/sub round trip.
	// The logs endpoint authenticates strictly: the token goes in the URL.
	const c = wsOpen(`/websocket/logs?access_token=${encodeURIComponent(token)}`);
	try {
		await c.opened;
		c.send({ type: "subscribe", log_level: "info" });
		await sleep(300);
		const marker = `/server/ping?dfly-log-marker=${Date.now()}`;
		for (let i = 0; i < 5; i++) {
			await api("GET", marker, { auth: "", raw: true });
			try {
				const msg = await c.next((m) => m.type === "logs" && JSON.stringify(m).includes("dfly-log-marker"), "a log line", 2_000);
				assert.ok(msg.data, JSON.stringify(msg));
				return;
			} catch (e) {
				if (i === 4) throw e;
			}
		}
	} finally {
		c.close();
	}
});

// png makes a w×h RGB PNG with a gradient, encoded by hand (zlib + crc32).
function png(w, h) {
	const chunk = (type, data) => {
		const len = Buffer.alloc(4);
		len.writeUInt32BE(data.length);
		const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(zlib.crc32(td) >>> 0);
		return Buffer.concat([len, td, crc]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // RGB
	const raw = Buffer.alloc((w * 3 + 1) * h);
	for (let y = 0; y < h; y++) {
		const row = y * (w * 3 + 1);
		for (let x = 0; x < w; x++) {
			raw[row + 1 + x * 3] = (x * 255) / w;
			raw[row + 2 + x * 3] = (y * 255) / h;
			raw[row + 3 + x * 3] = 128;
		}
	}
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk("IHDR", ihdr),
		chunk("IDAT", zlib.deflateSync(raw)),
		chunk("IEND", Buffer.alloc(0)),
	]);
}

test("assets: a transformation is served twice", async () => {
	const fd = new FormData();
	fd.append("title", "damselfly-e2e");
	fd.append("file", new Blob([png(64, 48)], { type: "image/png" }), "damselfly-e2e.png");
	const file = ok(await api("POST", "/files", { body: fd }), "upload").data;
	assert.equal(file.type, "image/png");
	assert.equal(file.width, 64);
	const path = `/assets/${file.id}?width=16&height=16&fit=cover&format=png`;
	const a = await api("GET", path, { raw: true });
	ok(a, "first transformation");
	const b = await api("GET", path, { raw: true });
	ok(b, "second transformation");
	assert.equal(a.headers.get("content-type"), "image/png");
	assert.ok(a.body.length > 8 && a.body.subarray(1, 4).toString() === "PNG", "a PNG");
	assert.equal(a.body.readUInt32BE(16), 16, "transformed width");
	assert.ok(a.body.equals(b.body), "the same bytes twice");
	const orig = await api("GET", `/assets/${file.id}`, { raw: true });
	ok(orig, "original");
	assert.equal(orig.body.readUInt32BE(16), 64, "original width");
	ok(await api("DELETE", `/files/${file.id}`), "delete file", 204);
});

test("cleanup: delete the test collection", async () => {
	const res = await api("DELETE", `/collections/${COLLECTION}`);
	assert.equal(res.status, 204, `HTTP ${res.status} ${JSON.stringify(res.body)}`);
});
