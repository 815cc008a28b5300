import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pkcePair, startHarness, type Harness } from '../helpers/as-harness.js';
import { CookieJar, formAction, hiddenInput } from '../helpers/browserless.js';
import { MemoryRateLimiter, RateLimits } from '../../src/as/rate-limits/index.js';
import { configSchema } from '../../src/config/schema.js';
import { authorizeUrl } from './flow.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

describe('Security review: online password guessing is bounded per username (as.login.throttle)', () => {
  it('per username: 10 failures in 15 min block it (case-insensitive) until the window ends; success clears', async () => {
    let now = 1000;
    const rl = new RateLimits(configSchema.parse({}), new MemoryRateLimiter(() => now));
    for (let i = 0; i < 10; i++) await rl.loginFailed('Alice');
    assert.ok((await rl.loginBlocked('alice')) > 0);
    now += 15 * 60_000;
    assert.equal(await rl.loginBlocked('alice'), 0);
    for (let i = 0; i < 10; i++) await rl.loginFailed('alice');
    await rl.loginSucceeded('ALICE');
    assert.equal(await rl.loginBlocked('alice'), 0);
  });
  it('after 10 wrong passwords even the right one is refused with a clear message', async () => {
    const attempt = async (password: string) => {
      const jar = new CookieJar();
      const start = await h.request(authorizeUrl(pkcePair().challenge), { redirect: 'manual' });
      jar.take(start);
      const page = await (await h.request(start.headers.get('location')!, { headers: { cookie: jar.header() } })).text();
      const res = await h.request(formAction(page), { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: hiddenInput(page, 'csrf')!, username: 'alice', password }).toString() });
      return { status: res.status, text: await res.text() };
    };
    for (let i = 0; i < 10; i++) assert.equal((await attempt('wrong-password')).status, 401);
    const blocked = await attempt('alice-password');
    assert.equal(blocked.status, 429, 'issue 6: a 429 page, with Retry-After');
    assert.match(blocked.text, /Too many/);
    h.clock.advance(15 * 60_000 + 1);
    assert.equal((await attempt('alice-password')).status, 303, 'allowed again after the window');
  });
});
