import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LOOPBACK_CLIENT, PUBLIC_CLIENT, pkcePair, startHarness, type Harness } from '../helpers/as-harness.js';
import { CookieJar, driveAuthorization, formAction, hiddenInput } from '../helpers/browserless.js';
import { authorizeUrl } from './flow.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());
const fetcher = (url: string, init?: RequestInit) => h.request(url, init);

describe('ARCHITECTURE "Consent" / MCP [SEC] "Localhost Redirect URI Risks" (as.consent)', () => {
  it('consent page shows redirect host, scopes, resource; framing forbidden; strict CSP', async () => {
    const { pages } = await driveAuthorization(fetcher, authorizeUrl(pkcePair().challenge, { scope: 'notes:read' }), { username: 'alice', password: 'alice-password' });
    const consent = pages.find((p) => p.includes('name="decision"'))!;
    assert.match(consent, /id="redirect-host">127\.0\.0\.1:53111</);
    assert.match(consent, /notes:read/);
    assert.match(consent, /http:\/\/127\.0\.0\.1:9999\/mcp/);
    assert.match(consent, /value="approve"/);
    assert.match(consent, /value="deny"/);
    const res = await h.request(authorizeUrl(pkcePair().challenge), { redirect: 'manual' });
    const page = await h.request(res.headers.get('location')!, { headers: { cookie: res.headers.getSetCookie()[0]!.split(';')[0]! } });
    assert.match(page.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
  });
  it('a client whose redirect URIs are not all loopback is remembered; a new scope asks again', async () => {
    const h = await startHarness();
    after(() => h.close());
    const fetcher = (url: string, init?: RequestInit) => h.request(url, init);
    const jar = new CookieJar();
    const opts = { username: 'alice', password: 'alice-password', jar };
    const first = await driveAuthorization(fetcher, authorizeUrl(pkcePair().challenge, { redirect_uri: 'https://app.example/cb', scope: 'notes:read' }), opts);
    assert.ok(first.pages.some((p) => p.includes('name="decision"')));
    const second = await driveAuthorization(fetcher, authorizeUrl(pkcePair().challenge, { redirect_uri: 'https://app.example/cb', scope: 'notes:read' }), opts);
    assert.equal(second.pages.length, 0, 'remembered: no login, no consent');
    assert.ok(new URL(second.location).searchParams.get('code'));
    const wider = await driveAuthorization(fetcher, authorizeUrl(pkcePair().challenge, { redirect_uri: 'https://app.example/cb', scope: 'notes:read notes:write' }), opts);
    assert.ok(wider.pages.some((p) => p.includes('name="decision"')), 'a new scope asks again');
  });
  it('loopback-only clients are asked every time, even after approving', async () => {
    const jar = new CookieJar();
    const opts = { username: 'alice', password: 'alice-password', jar };
    for (let i = 0; i < 2; i++) {
      const run = await driveAuthorization(fetcher, authorizeUrl(pkcePair().challenge, { client_id: LOOPBACK_CLIENT, scope: 'notes:read' }), opts);
      assert.ok(run.pages.some((p) => p.includes('name="decision"')), `run ${i}`);
    }
  });
  it('the loopback warning is shown for loopback-only clients', async () => {
    await h.ctx.store.putConsent({ user_id: 'user-1', client_id: PUBLIC_CLIENT, resource: 'x', scope: [], client_version: 'v', created_at: 0 });
    const t = await startHarness({ clients: [{ client_id: 'loop', redirect_uris: ['http://127.0.0.1/cb'] }] });
    try {
      const { pages } = await driveAuthorization((u, i) => t.request(u, i), authorizeUrl(pkcePair().challenge, { client_id: 'loop', redirect_uri: 'http://127.0.0.1:5000/cb' }), { username: 'alice', password: 'alice-password' });
      assert.ok(pages.some((p) => p.includes('id="loopback-warning"')));
    } finally {
      await t.close();
    }
  });
});

describe('Pages: CSRF tokens and browser binding (as.pages.csrf)', () => {
  it('a consent post without the right CSRF token is refused and issues nothing', async () => {
    const jar = new CookieJar();
    const start = await h.request(authorizeUrl(pkcePair().challenge), { redirect: 'manual' });
    jar.take(start);
    const loginPage = await (await h.request(start.headers.get('location')!, { headers: { cookie: jar.header() } })).text();
    const csrf = hiddenInput(loginPage, 'csrf')!;
    const login = await h.request(formAction(loginPage), { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, username: 'alice', password: 'alice-password' }).toString() });
    jar.take(login);
    const consentPage = await (await h.request(login.headers.get('location')!, { headers: { cookie: jar.header() } })).text();
    const res = await h.request(formAction(consentPage), { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=forged&decision=approve' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('location'), null);
  });
  it('an interaction opened without its browser cookie is refused', async () => {
    const start = await h.request(authorizeUrl(pkcePair().challenge), { redirect: 'manual' });
    const res = await h.request(start.headers.get('location')!);
    assert.equal(res.status, 400);
  });
  it('wrong password shows the login page again with a generic error', async () => {
    await assert.rejects(driveAuthorization(fetcher, authorizeUrl(pkcePair().challenge), { username: 'alice', password: 'nope' }), /login failed/);
  });
});
