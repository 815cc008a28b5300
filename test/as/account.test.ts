import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '../../src/as/passwords.js';
import { ISSUER, PUBLIC_CLIENT, RESOURCE, startHarness, type Harness } from '../helpers/as-harness.js';
import { CookieJar, driveAuthorization, hiddenInput } from '../helpers/browserless.js';
import { authorizeUrl, exchange, tokenRequest } from './flow.js';
import { pkcePair } from '../helpers/as-harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  await h.store.createUser({ id: 'user-2', username: 'bob', password_hash: await hashPassword('bob-password'), roles: ['admin'], disabled: false, created_at: h.clock.now });
});
after(() => h.close());

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** a browser: a cookie jar and GET/POST against the AS */
function browser(jar = new CookieJar()) {
  const send = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const res = await h.request(path, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.take(res);
    return res;
  };
  return {
    jar,
    get: (path: string) => send(path),
    post: (path: string, form: Record<string, string>) => send(path, { method: 'POST', body: new URLSearchParams(form).toString(), headers: FORM }),
  };
}

async function signIn(username = 'alice', password = `${username}-password`) {
  const b = browser();
  const page = await (await b.get('/account')).text();
  const res = await b.post('/account/login', { csrf: hiddenInput(page, 'csrf')!, username, password });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `${ISSUER}/account`);
  return b;
}

const grantIdOf = (access: string): string => JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).grant_id as string;

describe('ARCHITECTURE "Pages": "Connected apps" lists the user\'s live grants (as.account.list)', () => {
  it('not signed in: a login form (no JavaScript, strict CSP, CSRF cookie); a wrong password → 401', async () => {
    const b = browser();
    const res = await b.get('/account');
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /name="username"/);
    assert.match(html, /name="password"/);
    assert.doesNotMatch(html, /<script/i);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const bad = await b.post('/account/login', { csrf: hiddenInput(html, 'csrf')!, username: 'alice', password: 'wrong' });
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /Invalid username or password/);
  });
  it('signed in: each live grant with client name, resource, scopes, dates and a Revoke button; others\' and revoked grants hidden', async () => {
    const mine = await exchange(h, { scope: 'notes:read' });
    const gone = await exchange(h, { scope: 'notes:write' });
    await h.store.revokeGrant(grantIdOf(gone.body.access_token as string), h.clock.now, 'test');
    const b = await signIn();
    const res = await b.get('/account');
    const html = await res.text();
    assert.equal(res.status, 200);
    assert.doesNotMatch(html, /<script/i);
    const live = await h.store.listGrants({ user_id: 'user-1' });
    assert.equal([...html.matchAll(/name="grant" value="([^"]+)"/g)].length, live.length);
    assert.match(html, new RegExp(`name="grant" value="${grantIdOf(mine.body.access_token as string)}"`));
    assert.doesNotMatch(html, new RegExp(grantIdOf(gone.body.access_token as string)));
    assert.match(html, /Public test client/);
    assert.match(html, new RegExp(RESOURCE.replace(/[.]/g, '\\.')));
    assert.match(html, /<code>notes:read<\/code>/);
    assert.match(html, /Signed in as <strong>alice<\/strong>/);
  });
  it('the session from signing in during authorization is the same session', async () => {
    const jar = new CookieJar();
    await driveAuthorization((u, i) => h.request(u, i), authorizeUrl(pkcePair().challenge), { username: 'alice', password: 'alice-password', jar });
    const html = await (await browser(jar).get('/account')).text();
    assert.match(html, /Connected apps/);
    assert.doesNotMatch(html, /name="password"/);
  });
});

describe('ARCHITECTURE "Revocation": the Revoke button revokes only the user\'s own grant (as.account.revoke)', () => {
  it('revokes at once (gateway set updated, refresh token dead) and says so', async () => {
    const t = await exchange(h, { scope: 'notes:read' });
    const id = grantIdOf(t.body.access_token as string);
    const b = await signIn();
    const csrf = hiddenInput(await (await b.get('/account')).text(), 'csrf')!;
    const res = await b.post('/account/revoke', { csrf, grant: id });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${ISSUER}/account?revoked=1`);
    assert.equal((await h.store.getGrant(id))?.revoked_reason, 'user');
    assert.ok(h.revoked.includes(id));
    const refreshed = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: t.body.refresh_token as string, client_id: PUBLIC_CLIENT });
    assert.equal(refreshed.status, 400);
    const after = await (await b.get('/account?revoked=1')).text();
    assert.match(after, /Access revoked/);
    assert.doesNotMatch(after, new RegExp(id));
  });
  it("another user's grant → 404 and nothing changes", async () => {
    const t = await exchange(h, { scope: 'notes:read' });
    const id = grantIdOf(t.body.access_token as string);
    const bob = await signIn('bob');
    const csrf = hiddenInput(await (await bob.get('/account')).text(), 'csrf')!;
    const res = await bob.post('/account/revoke', { csrf, grant: id });
    assert.equal(res.status, 404);
    assert.equal((await h.store.getGrant(id))?.revoked_at, null);
    assert.ok(!h.revoked.includes(id));
  });
  it('sign out ends the session server-side (the old cookie no longer works)', async () => {
    const b = await signIn();
    const cookie = b.jar.header();
    const csrf = hiddenInput(await (await b.get('/account')).text(), 'csrf')!;
    const res = await b.post('/account/logout', { csrf });
    assert.equal(res.status, 303);
    const replay = await h.request('/account', { headers: { cookie } });
    assert.match(await replay.text(), /name="password"/);
  });
});

describe('RFC 9700 §4.16 / MCP [BP]: account forms are CSRF-protected and bound to the session (as.account.csrf)', () => {
  it('revoke without csrf, with a wrong csrf, or with another session\'s csrf → 403, nothing revoked', async () => {
    const t = await exchange(h, { scope: 'notes:read' });
    const id = grantIdOf(t.body.access_token as string);
    const alice = await signIn();
    const bob = await signIn('bob');
    const bobCsrf = hiddenInput(await (await bob.get('/account')).text(), 'csrf')!;
    const forms: Record<string, string>[] = [{ grant: id }, { grant: id, csrf: 'x'.repeat(43) }, { grant: id, csrf: bobCsrf }];
    for (const form of forms) {
      const res = await alice.post('/account/revoke', form);
      assert.equal(res.status, 403, JSON.stringify(form));
    }
    assert.equal((await h.store.getGrant(id))?.revoked_at, null);
  });
  it('login without the double-submit cookie → 403 and no session', async () => {
    const page = await (await browser().get('/account')).text();
    const res = await browser().post('/account/login', { csrf: hiddenInput(page, 'csrf')!, username: 'alice', password: 'alice-password' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.getSetCookie().length, 0);
  });
});
