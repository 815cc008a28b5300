import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createRateLimits, MemoryRateLimiter, RateLimits } from '../../../src/as/rate-limits/index.js';
import { RedisRateLimiter } from '../../../src/as/rate-limits/redis.js';
import { configSchema } from '../../../src/config/schema.js';
import { createLogger, silentLogger } from '../../../src/core/log.js';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET } from '../../helpers/as-harness.js';
import { storeFingerprint } from '../../helpers/store-fingerprint.js';
import { basic, bogusCode, closeAll, form, from, limitedHarness } from './helpers.js';

/**
 * Against a real Redis: PORTCULLIS_TEST_REDIS_URL (default redis://127.0.0.1:6379). Unreachable fails with a
 * message saying so, unless PORTCULLIS_TEST_REDIS=skip.
 */
const URL = process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SKIP = process.env.PORTCULLIS_TEST_REDIS === 'skip';
const prefix = `portcullis-test:${randomUUID()}:`;
const opened: RedisRateLimiter[] = [];
let reachable = false;

const limiter = (p = prefix): RedisRateLimiter => {
  const l = new RedisRateLimiter({ url: URL, fallback: new MemoryRateLimiter(), log: silentLogger(), prefix: p });
  opened.push(l);
  return l;
};

before(async () => {
  const probe = new Redis(URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    reachable = (await probe.ping()) === 'PONG';
  } catch {
    reachable = false;
  } finally {
    probe.disconnect();
  }
  if (!reachable && !SKIP) throw new Error(`Redis is not reachable at ${URL}: start one (redis-server), set PORTCULLIS_TEST_REDIS_URL, or set PORTCULLIS_TEST_REDIS=skip`);
});
after(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
  await closeAll();
});

describe('issue 6: two instances share a Redis bucket (ops.ratelimit.redis)', { skip: SKIP && 'PORTCULLIS_TEST_REDIS=skip' }, () => {
  it('two limiters, one bucket: 3 hits on A and 2 on B fill a limit of 5; peek does not count; the TTL is the window', async () => {
    const [a, b] = [limiter(), limiter()];
    assert.ok((await a.connect()) && (await b.connect()));
    for (let i = 0; i < 3; i++) assert.equal((await a.hit('shared', 5, 60_000)).allowed, true);
    for (let i = 0; i < 2; i++) assert.equal((await b.hit('shared', 5, 60_000)).allowed, true);
    assert.equal((await a.peek('shared', 5, 60_000)).allowed, false);
    const refused = await b.hit('shared', 5, 60_000);
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterS > 0 && refused.retryAfterS <= 60, `Retry-After ${refused.retryAfterS}`);
    const ttl = await a.redis.pttl('shared'); // keyPrefix applies
    assert.ok(ttl > 0 && ttl <= 60_000);
    await b.reset('shared');
    assert.equal((await a.hit('shared', 5, 60_000)).count, 1, 'reset clears it for every instance');
  });
  it('N concurrent hits from two instances never over-admit (INCR and PEXPIRE are one atomic script)', async () => {
    const [a, b] = [limiter(), limiter()];
    await Promise.all([a.connect(), b.connect()]);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).hit('race', 10, 60_000)));
    assert.equal(results.filter((r) => r.allowed).length, 10);
  });
  it('two AS instances (separate stores) on one Redis: /token per_client is shared; 429 leaves the store unchanged', async () => {
    const config = { token: { per_client: { limit: 3, window_s: 60 } } };
    const [h1, h2] = [await limitedHarness(config), await limitedHarness(config)];
    for (const h of [h1, h2]) {
      const l = limiter();
      await l.connect();
      h.ctx.rateLimits = new RateLimits(configSchema.parse({ rate_limits: config }), l);
    }
    const post = { ...form(bogusCode), headers: { ...form(bogusCode).headers, authorization: basic(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET) } };
    assert.equal((await from(h1, '198.51.100.1', '/token', post)).status, 400);
    assert.equal((await from(h2, '198.51.100.2', '/token', post)).status, 400);
    assert.equal((await from(h1, '198.51.100.3', '/token', post)).status, 400);
    const before = storeFingerprint(h2.store);
    const res = await from(h2, '198.51.100.4', '/token', post);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
    assert.equal(storeFingerprint(h2.store), before);
  });
  it('createRateLimits with backend: redis connects and shares (the runtime path)', async () => {
    const config = configSchema.parse({ rate_limits: { backend: 'redis', redis_url: URL, authorize: { per_ip: { limit: 1, window_s: 60 } } } });
    const [x, y] = [await createRateLimits(config, { clock: Date.now, log: silentLogger() }), await createRateLimits(config, { clock: Date.now, log: silentLogger() })];
    try {
      const client = { ip: `test-${randomUUID()}`, bucket: `test-${randomUUID()}` };
      assert.equal(await x.ip('authorize', client), 0);
      assert.ok((await y.ip('authorize', client)) > 0);
    } finally {
      await Promise.all([x.close(), y.close()]);
    }
  });
});

describe('issue 6: a Redis failure degrades to per-instance limits, logged (ops.ratelimit.redis-failure)', () => {
  it('unreachable Redis: start-up goes on, each instance enforces the limits alone, one error logged', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (s: string) => void lines.push(s) });
    const l = new RedisRateLimiter({ url: 'redis://127.0.0.1:1', fallback: new MemoryRateLimiter(), log });
    opened.push(l);
    assert.equal(await l.connect(), false);
    assert.equal((await l.hit('k', 2, 60_000)).allowed, true);
    assert.equal((await l.hit('k', 2, 60_000)).allowed, true);
    const third = await l.hit('k', 2, 60_000);
    assert.equal(third.allowed, false, 'fail-safe: not fail-open');
    assert.equal(third.retryAfterS, 60);
    const errors = lines.map((s) => JSON.parse(s) as { event?: string; level: number }).filter((e) => e.event === 'rate_limit_redis_error');
    assert.equal(errors.length, 1, 'logged once, not per request');
    assert.ok(errors[0]!.level >= 50);
  });
});
