// Directus's Lua scripts, run through ioredis against REDIS_URL (see
// README.md). Every test uses its own key prefix, so they can share a
// server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { Redlock, ExecutionError } from '@sesamecare-oss/redlock';
import { createKv, createLimiter, SET_MAX_SCRIPT } from '@directus/memory';

const url = process.env.REDIS_URL;
if (!url) throw new Error('REDIS_URL is required');

const clients = [];
function client() {
  const c = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: false });
  clients.push(c);
  return c;
}
after(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

const prefix = `t${process.pid}:`;

// @directus/api 39.2.1, dist/synchronization.js: SET_GREATER_THAN_SCRIPT,
// the SynchronizedClock's setGreaterThan command.
const SET_GREATER_THAN_SCRIPT = `
  local key = KEYS[1]
  local value = tonumber(ARGV[1])

  if redis.call("EXISTS", key) == 1 then
    local oldValue = tonumber(redis.call('GET', key))

    if value <= oldValue then
      return false
    end
  end

  redis.call('SET', key, value)

  return true
`;

test('rate-limiter-flexible RateLimiterRedis', async () => {
  const redis = client();
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: prefix + 'rl', points: 5, duration: 10 });
  for (let i = 1; i <= 5; i++) {
    const res = await limiter.consume('user1');
    assert.equal(res.consumedPoints, i);
    assert.equal(res.remainingPoints, 5 - i);
    assert.ok(res.msBeforeNext > 0 && res.msBeforeNext <= 10000, `msBeforeNext ${res.msBeforeNext}`);
  }
  await assert.rejects(limiter.consume('user1'), (res) => {
    assert.equal(res.consumedPoints, 6);
    assert.equal(res.remainingPoints, 0);
    assert.ok(res.msBeforeNext > 0);
    return true;
  });
  // The key carries the TTL the script set.
  const ttl = await redis.pttl(prefix + 'rl:user1');
  assert.ok(ttl > 0 && ttl <= 10000, `pttl ${ttl}`);
  // A second key is independent; multi-point consumption.
  const res = await limiter.consume('user2', 3);
  assert.equal(res.consumedPoints, 3);
  assert.equal((await limiter.get('user2')).consumedPoints, 3);
  await limiter.reward('user2', 2);
  assert.equal((await limiter.get('user2')).consumedPoints, 1);
  await limiter.penalty('user2', 4);
  assert.equal((await limiter.get('user2')).consumedPoints, 5);
  assert.equal(await limiter.delete('user2'), true);
  assert.equal(await limiter.get('user2'), null);
  // block() sets a key with its own expiry.
  await limiter.block('user3', 5);
  await assert.rejects(limiter.consume('user3'));
});

test('rate limiter under concurrency: exactly the allowed number pass', async () => {
  const limiter = new RateLimiterRedis({ storeClient: client(), keyPrefix: prefix + 'rlc', points: 100, duration: 30 });
  const others = [client(), client(), client()].map(
    (c) => new RateLimiterRedis({ storeClient: c, keyPrefix: prefix + 'rlc', points: 100, duration: 30 }),
  );
  const all = [limiter, ...others];
  const results = await Promise.allSettled(Array.from({ length: 250 }, (_, i) => all[i % all.length].consume('hot')));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 100);
  assert.equal(results.filter((r) => r.status === 'rejected').length, 150);
});

test('rate limiter survives SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
  const redis = client();
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: prefix + 'rlf', points: 3, duration: 10 });
  await limiter.consume('k');
  await redis.script('FLUSH');
  const res = await limiter.consume('k');
  assert.equal(res.consumedPoints, 2);
});

test('@directus/memory LimiterRedis', async () => {
  const limiter = createLimiter({ type: 'redis', redis: client(), namespace: prefix + 'dl', points: 2, duration: 5 });
  await limiter.consume('ip1');
  await limiter.consume('ip1');
  await assert.rejects(limiter.consume('ip1'));
  await limiter.delete('ip1');
  await limiter.consume('ip1');
});

test('redlock acquire, extend, release', async () => {
  const redis = client();
  const redlock = new Redlock([redis], { retryCount: 0, driftFactor: 0.01 });
  const key = prefix + 'lock:a';
  const lock = await redlock.acquire([key], 2000);
  assert.equal(await redis.get(key), lock.value);
  const pttl = await redis.pttl(key);
  assert.ok(pttl > 0 && pttl <= 2000, `pttl ${pttl}`);

  // A second acquire of the same resource fails.
  await assert.rejects(redlock.acquire([key], 2000), ExecutionError);

  const extended = await lock.extend(5000);
  assert.ok((await redis.pttl(key)) > 2000);
  await extended.release();
  assert.equal(await redis.exists(key), 0);

  // Releasing again touches nothing; extending a released lock fails.
  await assert.rejects(extended.extend(1000), ExecutionError);

  // Multi-key locks, with keys likely on different shards.
  const keys = [prefix + 'lock:x', prefix + 'lock:y', prefix + 'lock:z'];
  const multi = await redlock.acquire(keys, 3000);
  for (const k of keys) assert.equal(await redis.get(k), multi.value);
  await assert.rejects(redlock.acquire([keys[1]], 3000), ExecutionError);
  await multi.release();
  for (const k of keys) assert.equal(await redis.exists(k), 0);
});

test('redlock using() serialises concurrent critical sections', async () => {
  const redlocks = [client(), client(), client()].map((c) => new Redlock([c], { retryCount: 200, retryDelay: 10, retryJitter: 5 }));
  const key = prefix + 'lock:using';
  let inside = 0;
  let maxInside = 0;
  let runs = 0;
  await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      redlocks[i % redlocks.length].using([key], 1000, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 5));
        runs++;
        inside--;
      }),
    ),
  );
  assert.equal(runs, 12);
  assert.equal(maxInside, 1);
});

test('@directus/memory KvRedis: setMax, increment, locks', async () => {
  const redis = client();
  const kv = createKv({ type: 'redis', redis, namespace: prefix + 'kv' });
  // (KvRedis.setMax compares the reply with 0, so it reports true
  // whether or not the value was raised: a refusal is a nil reply.)
  await kv.setMax('max', 10);
  assert.equal(await redis.get(prefix + 'kv:max'), '10');
  await kv.setMax('max', 5);
  assert.equal(await redis.get(prefix + 'kv:max'), '10');
  assert.equal(await redis.setMax(prefix + 'kv:max', 10), null);
  assert.equal(await redis.setMax(prefix + 'kv:max', 11), 1);
  assert.equal(await redis.get(prefix + 'kv:max'), '11');
  assert.equal(await kv.increment('count', 3), 3);
  await kv.set('obj', { a: 1, b: [1, 2, 3] });
  assert.deepEqual(await kv.get('obj'), { a: 1, b: [1, 2, 3] });

  const lock = await kv.acquireLock('res');
  await lock.extend(2000);
  await lock.release();
  let ran = 0;
  await Promise.all([1, 2, 3].map(() => kv.usingLock('res2', async () => { ran++; })));
  assert.equal(ran, 3);

  // The release command @directus/memory defines next to setMax.
  await redis.set(prefix + 'kv:owned', 'me');
  assert.equal(await redis.release(prefix + 'kv:owned', 'someone-else'), 0);
  assert.equal(await redis.release(prefix + 'kv:owned', 'me'), 1);
  assert.equal(SET_MAX_SCRIPT.includes("redis.call('SET', key, value)"), true);
});

test('@directus/api synchronized clock (setGreaterThan)', async () => {
  const redis = client();
  redis.defineCommand('setGreaterThan', { numberOfKeys: 1, lua: SET_GREATER_THAN_SCRIPT });
  const key = prefix + 'clock:schedule';
  const t0 = 1700000000123;
  assert.equal(await redis.setGreaterThan(key, t0), 1);
  assert.equal(await redis.setGreaterThan(key, t0), null);
  assert.equal(await redis.setGreaterThan(key, t0 - 1), null);
  assert.equal(await redis.setGreaterThan(key, t0 + 1000), 1);
  // The Lua number is written with %.17g: the timestamp stays exact.
  assert.equal(await redis.get(key), String(t0 + 1000));
  // Concurrent claimers: only one wins each tick.
  const claimers = [client(), client(), client(), client()];
  for (const c of claimers) c.defineCommand('setGreaterThan', { numberOfKeys: 1, lua: SET_GREATER_THAN_SCRIPT });
  const tick = t0 + 60000;
  const wins = await Promise.all(claimers.map((c) => c.setGreaterThan(key, tick)));
  assert.equal(wins.filter((w) => w === 1).length, 1);
});
