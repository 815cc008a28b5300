import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startRuntime } from '../../../src/server/runtime.js';
import { configSchema } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/log.js';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, PUBLIC_CLIENT, pkcePair } from '../../helpers/as-harness.js';
import { storeFingerprint } from '../../helpers/store-fingerprint.js';
import { authorizeUrl } from '../flow.js';
import { basic, bogusCode, closeAll, form, from, limitedHarness } from './helpers.js';

after(closeAll);
const IP = '198.51.100.20';

async function assertJson429(res: Response, retryAfter: string): Promise<void> {
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), retryAfter);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.headers.get('content-type')!, /^application\/json/);
  assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
}

describe('issue 6: token endpoint rate-limited per client with Retry-After (ops.ratelimit.token)', () => {
  it('an authenticated client past per_client gets 429 temporarily_unavailable, no-store, Retry-After; store unchanged; the window ends', async () => {
    const h = await limitedHarness({ token: { per_client: { limit: 3, window_s: 60 } } });
    const auth = { authorization: basic(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET) };
    // from three different addresses: the bucket is the client's, not an address's
    for (let i = 0; i < 3; i++) assert.equal((await from(h, `198.51.100.${i + 1}`, '/token', { ...form(bogusCode), headers: { ...form(bogusCode).headers, ...auth } })).status, 400);
    const before = storeFingerprint(h.store);
    h.clock.advance(20_000);
    await assertJson429(await from(h, '198.51.100.9', '/token', { ...form(bogusCode), headers: { ...form(bogusCode).headers, ...auth } }), '40');
    assert.equal(storeFingerprint(h.store), before);
    h.clock.advance(40_000);
    assert.equal((await from(h, IP, '/token', { ...form(bogusCode), headers: { ...form(bogusCode).headers, ...auth } })).status, 400);
  });
  it('a wrong secret or a public client_id does not spend the client bucket (anyone could send them)', async () => {
    const h = await limitedHarness({ token: { per_client: { limit: 1, window_s: 60 } } });
    for (let i = 0; i < 3; i++) {
      assert.equal((await from(h, IP, '/token', { ...form(bogusCode), headers: { ...form(bogusCode).headers, authorization: basic(CONFIDENTIAL_CLIENT, 'wrong') } })).status, 401);
      assert.equal((await from(h, IP, '/token', form({ ...bogusCode, client_id: PUBLIC_CLIENT, redirect_uri: 'http://127.0.0.1/callback' }))).status, 400);
    }
    const auth = { authorization: basic(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET) };
    assert.equal((await from(h, IP, '/token', { ...form(bogusCode), headers: { ...form(bogusCode).headers, ...auth } })).status, 400);
    assert.equal((await from(h, IP, '/token', { ...form(bogusCode), headers: { ...form(bogusCode).headers, ...auth } })).status, 429);
  });
  it('per_ip: counted before any work, CORS preflights not counted', async () => {
    const h = await limitedHarness({ token: { per_ip: { limit: 2, window_s: 60 } } });
    for (let i = 0; i < 3; i++) await from(h, IP, '/token', { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:3000', 'access-control-request-method': 'POST' } });
    for (let i = 0; i < 2; i++) assert.equal((await from(h, IP, '/token', form({ grant_type: 'nope' }))).status, 400);
    const before = storeFingerprint(h.store);
    await assertJson429(await from(h, IP, '/token', form({ grant_type: 'nope' })), '60');
    assert.equal(storeFingerprint(h.store), before);
    assert.equal((await from(h, '198.51.100.21', '/token', form({ grant_type: 'nope' }))).status, 400, 'another address is not affected');
  });
});

describe('issue 6: /authorize rate-limited per IP with a 429 page, never a redirect (ops.ratelimit.authorize)', () => {
  it('past per_ip: 429 HTML with Retry-After and no Location, before the client is even resolved; store unchanged', async () => {
    const h = await limitedHarness({ authorize: { per_ip: { limit: 2, window_s: 60 } } });
    const url = authorizeUrl(pkcePair().challenge);
    for (let i = 0; i < 2; i++) assert.equal((await from(h, IP, url, { redirect: 'manual' })).status, 303);
    const before = storeFingerprint(h.store);
    const res = await from(h, IP, url, { redirect: 'manual' });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('location'), null);
    assert.equal(res.headers.get('retry-after'), '60');
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    assert.match(res.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    assert.match(await res.text(), /Too many requests/);
    assert.equal(storeFingerprint(h.store), before);
  });
});

describe('issue 6: sign-in rate-limited per IP and per user (ops.ratelimit.login)', () => {
  it('login form posts past per_ip get a 429 page (interaction and account pages share the bucket); GETs are not counted', async () => {
    const h = await limitedHarness({ login: { per_ip: { limit: 2, window_s: 60 } } });
    for (let i = 0; i < 3; i++) await from(h, IP, '/account');
    assert.equal((await from(h, IP, '/interaction/nope/login', form({ username: 'alice', password: 'x' }))).status, 400);
    assert.equal((await from(h, IP, '/account/login', form({ username: 'alice', password: 'x' }))).status, 403);
    const before = storeFingerprint(h.store);
    const res = await from(h, IP, '/account/login', form({ username: 'alice', password: 'x' }));
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '60');
    assert.equal(storeFingerprint(h.store), before);
  });
  it('per_user is configurable (rate_limits.login.per_user); see as.login.throttle for the flow', async () => {
    const h = await limitedHarness({ login: { per_user: { limit: 2, window_s: 300 } } });
    const { rateLimitsOf } = await import('../../../src/as/rate-limits/index.js');
    const rl = rateLimitsOf(h.ctx);
    await rl.loginFailed('bob');
    assert.equal(await rl.loginBlocked('bob'), 0);
    await rl.loginFailed('BOB');
    assert.equal(await rl.loginBlocked('bob'), 300);
  });
});

describe('issue 6: registration limits move to rate_limits.register (ops.ratelimit.register)', () => {
  it('rate_limits.register.per_ip applies; the old registration.rate_limit_per_ip_per_hour still wins when set', async () => {
    const h = await limitedHarness({ register: { per_ip: { limit: 1, window_s: 600 } } }, { registration: { enabled: true } });
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    assert.equal((await from(h, IP, '/register', post)).status, 400);
    await assertJson429(await from(h, IP, '/register', post), '600');
    assert.equal((await from(h, IP, '/register')).status, 400, 'GET is not counted');
    const legacy = await limitedHarness({ register: { per_ip: { limit: 1, window_s: 600 } } }, { registration: { enabled: true, rate_limit_per_ip_per_hour: 2 } });
    for (let i = 0; i < 2; i++) assert.equal((await from(legacy, IP, '/register', post)).status, 400);
    await assertJson429(await from(legacy, IP, '/register', post), '3600');
  });
  it('enabled: false switches every limit off', async () => {
    const h = await limitedHarness({ enabled: false, token: { per_ip: { limit: 1, window_s: 60 } } });
    for (let i = 0; i < 3; i++) assert.equal((await from(h, IP, '/token', form({ grant_type: 'nope' }))).status, 400);
  });
  it('bad options fail at start naming the option: a trusted proxy that is no address, redis without redis_url', async () => {
    const base = { data_dir: '/nonexistent-never-created', port: 0, dev: true, upstream: 'http://127.0.0.1:1/mcp' };
    for (const [rl, option] of [
      [{ trusted_proxies: ['10.0.0.0/33'] }, 'rate_limits.trusted_proxies'],
      [{ trusted_proxies: ['proxy.internal'] }, 'rate_limits.trusted_proxies'],
      [{ backend: 'redis' }, 'rate_limits.redis_url'],
    ] as const) {
      const config = configSchema.parse({ ...base, rate_limits: rl });
      // fails before the data dir, the store or Redis is touched
      await assert.rejects(startRuntime(config, { log: silentLogger(), env: {} }), (e: unknown) => e instanceof ConfigError && e.option === option);
    }
  });
});
