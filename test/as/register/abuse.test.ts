import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryRateLimiter } from '../../../src/as/rate-limits/index.js';
import { createApp } from '../../../src/server/app.js';
import { pkcePair } from '../../helpers/as-harness.js';
import { authorizeUrl, exchange, tokenRequest } from '../flow.js';
import { fingerprint } from '../trust/helpers.js';
import { closeAll, dcrHarness, NATIVE, oauthError, register, registered } from './helpers.js';

after(closeAll);
const HOUR = 3600_000;

describe('issue 3: per-IP registration rate limit → 429 with Retry-After (as.dcr.rate-limit)', () => {
  it('the 4th request in the hour from one IP is refused, store unchanged; another IP is not affected; the window ends', async () => {
    const h = await dcrHarness({ rate_limit_per_ip_per_hour: 3 });
    for (let i = 0; i < 3; i++) assert.equal((await register(h, NATIVE, { ip: '203.0.113.1' })).status, 201);
    const before = fingerprint(h);
    h.clock.advance(10 * 60_000);
    const limited = await register(h, NATIVE, { ip: '203.0.113.1' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), String(50 * 60));
    assert.equal(await oauthError(limited), 'temporarily_unavailable');
    assert.equal(fingerprint(h), before);
    assert.equal((await register(h, NATIVE, { ip: '203.0.113.2' })).status, 201);
    h.clock.advance(50 * 60_000);
    assert.equal((await register(h, NATIVE, { ip: '203.0.113.1' })).status, 201);
  });
  it('invalid requests count too (abuse is abuse), and the limiter keeps a bounded number of IPs', async () => {
    const h = await dcrHarness({ rate_limit_per_ip_per_hour: 2 });
    await register(h, {}, { ip: '203.0.113.9' });
    await register(h, {}, { ip: '203.0.113.9' });
    assert.equal((await register(h, NATIVE, { ip: '203.0.113.9' })).status, 429);
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now, 100);
    for (let i = 0; i < 1000; i++, now++) limiter.take(`ip-${i}`, 1, HOUR, 1);
    assert.equal(limiter.size, 100);
    assert.equal(limiter.take('ip-999', 1, HOUR, 1).allowed, false, 'a recent IP is still limited');
  });
});

describe('issue 3: oversized or malformed registration bodies are refused (as.dcr.body-size)', () => {
  const cases: Array<[string, { raw: string; headers?: Record<string, string> }]> = [
    ['a 17 KB body', { raw: JSON.stringify({ ...NATIVE, client_name: 'x'.repeat(17 * 1024) }) }],
    ['not JSON', { raw: '{"application_type":' }],
    ['a JSON array', { raw: '[]' }],
    ['a form body', { raw: 'application_type=native', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ['an over-long client_name', { raw: JSON.stringify({ ...NATIVE, client_name: 'x'.repeat(500) }) }],
    ['too many redirect URIs', { raw: JSON.stringify({ ...NATIVE, redirect_uris: Array.from({ length: 11 }, (_, i) => `http://127.0.0.1/cb${i}`) }) }],
  ];
  for (const [label, o] of cases) {
    it(`${label} → 400, never a 500, store unchanged`, async () => {
      const h = await dcrHarness();
      const before = fingerprint(h);
      const res = await register(h, null, o);
      assert.equal(res.status, 400);
      assert.match(await oauthError(res), /^invalid_(client_metadata|redirect_uri)$/);
      assert.equal(fingerprint(h), before);
    });
  }
  it('GET → 400 invalid_request', async () => {
    const h = await dcrHarness();
    assert.equal((await h.request('/register')).status, 400);
  });
});

describe('RFC 7591 §3: an optional initial access token, compared in constant time (as.dcr.initial-access-token)', () => {
  it('missing → 401 with a Bearer challenge; wrong → 401 invalid_token; right → 201', async () => {
    process.env.TEST_DCR_IAT = 'initial-access-token-value';
    const h = await dcrHarness({ require_initial_access_token: true, initial_access_token_env: 'TEST_DCR_IAT' });
    const before = fingerprint(h);
    const missing = await register(h, NATIVE);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
    const wrong = await register(h, NATIVE, { headers: { authorization: 'Bearer not-it' } });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate')!, /error="invalid_token"/);
    assert.equal(fingerprint(h), before);
    assert.equal((await register(h, NATIVE, { headers: { authorization: 'Bearer initial-access-token-value' } })).status, 201);
  });
  it('required but not configured → ConfigError at start naming the option', async () => {
    const h = await dcrHarness();
    const settings = { ...h.ctx.settings, config: { ...h.ctx.settings.config, registration: { ...h.ctx.settings.config.registration, require_initial_access_token: true, initial_access_token_env: 'TEST_DCR_UNSET' } } };
    assert.throws(() => createApp({ ...h.ctx, settings }, new Map()), /registration\.initial_access_token_env: environment variable TEST_DCR_UNSET/);
  });
});

describe('issue 3: registrations expire after client_ttl_days (as.dcr.expiry)', () => {
  it('an expired client gets an error page at /authorize and invalid_client at /token, store unchanged', async () => {
    const h = await dcrHarness({ client_ttl_days: 1 });
    const { client_id } = await registered(h);
    const { body } = await exchange(h, { client_id: client_id as string });
    h.clock.advance(24 * HOUR);
    const before = fingerprint(h);
    const page = await h.request(authorizeUrl(pkcePair().challenge, { client_id: client_id as string }), { redirect: 'manual' });
    assert.equal(page.status, 400);
    assert.equal(page.headers.get('location'), null);
    assert.match(await page.text(), /registration has expired/);
    const refresh = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: body.refresh_token as string, client_id: client_id as string });
    assert.equal(refresh.status, 401);
    assert.equal(await oauthError(refresh), 'invalid_client');
    assert.equal(fingerprint(h), before);
  });
});

describe('issue 3: registered clients are subject to the trust policy by redirect URI host (as.dcr.trust)', () => {
  it('review mode: a new registered client waits for approval, then completes the flow', async () => {
    const h = await dcrHarness({}, { trust: { mode: 'review' } });
    const { client_id } = await registered(h);
    const res = await h.request(authorizeUrl(pkcePair().challenge, { client_id: client_id as string }), { redirect: 'manual' });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Awaiting approval/);
    const rec = (await h.store.getClientTrust(client_id as string))!;
    assert.equal(JSON.parse(rec.document).client_name, 'Native App');
    await h.store.decideClientTrust({ client_id: client_id as string, status: 'approved', by: 'ops', now: h.clock.now, expected_version: rec.version });
    assert.equal((await exchange(h, { client_id: client_id as string })).res.status, 200);
  });
  it('allowlist mode: a registration whose redirect hosts are not trusted is refused', async () => {
    const h = await dcrHarness({}, { trust: { mode: 'allowlist', trusted_hosts: ['127.0.0.1'] } });
    assert.equal((await register(h, NATIVE)).status, 201);
    const res = await register(h, { ...NATIVE, redirect_uris: ['https://app.example/cb'] });
    assert.equal(await oauthError(res), 'invalid_redirect_uri');
  });
});
