import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pkcePair, startHarness, type Harness } from '../helpers/as-harness.js';
import { CookieJar, formAction, hiddenInput } from '../helpers/browserless.js';
import { LoginThrottle } from '../../src/as/login-throttle.js';
import { authorizeUrl } from './flow.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

describe('Security review: online password guessing is bounded per username (as.login.throttle)', () => {
  it('LoginThrottle: 10 failures in 15 min block the username until the oldest ages out; success clears', () => {
    const t = new LoginThrottle(10, 15 * 60_000);
    for (let i = 0; i < 10; i++) t.fail('Alice', 1000 + i);
    assert.ok(t.blockedFor('alice', 2000) > 0);
    assert.equal(t.blockedFor('alice', 1000 + 15 * 60_000), 0);
    t.succeed('ALICE');
    assert.equal(t.blockedFor('alice', 2000), 0);
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
    assert.equal(blocked.status, 401);
    assert.match(blocked.text, /Too many failed attempts/);
    h.clock.advance(15 * 60_000 + 1);
    assert.equal((await attempt('alice-password')).status, 303, 'allowed again after the window');
  });
});
