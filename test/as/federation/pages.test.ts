/**
 * "Sign in with <IdP>" on every page that signs users in — the Connected apps page (/account), the admin console
 * (/admin, issue 8: "only users with an admin role, logged in through the same login (local or upstream IdP)") and
 * the device approval page (/device) — against a REAL oidc-provider dressed as Entra ID (roles from groups) and as
 * Google. The callback starts the shared browser session and returns to the page; the return path cannot be turned
 * into an open redirect; the state is bound to the browser; login.password: false refuses passwords everywhere;
 * the federation routes are rate limited per IP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, ISSUER, type Harness } from '../../helpers/as-harness.js';
import { hiddenInput } from '../../helpers/browserless.js';
import { IDP_CLIENT_ID, IDP_CLIENT_SECRET, signInAtIdp, type TestIdp } from '../../helpers/oidc-idp.js';
import { storeFingerprint } from '../../helpers/store-fingerprint.js';
import { from } from '../rate-limits/helpers.js';
import { browser, type Browser, startIdp, upstreamAudits } from './driver.js';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DEVICE_CLIENT = 'device-cli';
const FORM = { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER };

const idpConfig = (entra: TestIdp | null, google: TestIdp | null, extra: Record<string, unknown> = {}) => ({
  ...extra,
  upstream_idps: [
    ...(entra
      ? [{ id: 'entra', display_name: 'Microsoft', issuer: entra.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET', allowed_tenants: [TENANT], claims: { groups: 'groups' }, group_roles: { 'g-mcp-admins': ['admin'] }, default_roles: ['reader'] }]
      : []),
    ...(google ? [{ id: 'google', display_name: 'Google', issuer: google.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET' }] : []),
  ],
});

const harnessConfig = (login: Record<string, unknown>) => ({
  roles: { admin: ['notes:read', 'notes:write'], reader: ['notes:read'] },
  clients: [{ client_id: DEVICE_CLIENT, client_name: 'Device CLI', grant_types: [DEVICE_GRANT] }],
  login,
});

/** the page's "Sign in with …" link for `idp` (HTML-decoded), or undefined */
const upstreamLink = (html: string, idp: string): string | undefined => new RegExp(`href="([^"]*/login/upstream/${idp}\\?[^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, '&');

/** page → its "Sign in with" link → the IdP's own forms → the callback URL (not yet sent) */
async function toPageCallback(b: Browser, pagePath: string, idp: string, login: string): Promise<{ callback: URL; link: URL; loginHtml: string }> {
  const page = await b.get(`${ISSUER}${pagePath}`);
  const loginHtml = await page.text();
  const href = upstreamLink(loginHtml, idp);
  assert.ok(href, `a "Sign in with" link for ${idp} on ${pagePath}:\n${loginHtml}`);
  const link = new URL(href, ISSUER);
  const go = await b.get(link.href);
  assert.equal(go.status, 303, `start: ${await go.text()}`);
  const callback = await signInAtIdp(fetch, go.headers.get('location')!, `${ISSUER}/login/callback/${idp}`, login, b.jar);
  return { callback, link, loginHtml };
}

describe('upstream IdP sign-in returns to /account, /admin and /device (as.federation.page-continuation)', () => {
  let entra: TestIdp;
  let google: TestIdp;
  let h: Harness;

  before(async () => {
    entra = await startIdp('entra', {
      tenants: [TENANT],
      accounts: { carol: { email: 'carol@contoso.example', groups: ['g-mcp-admins'] }, dave: { email: 'dave@contoso.example', groups: ['g-other'] } },
    });
    google = await startIdp('google');
    h = await startHarness(harnessConfig(idpConfig(entra, google)) as never);
  });
  after(async () => {
    await h?.close();
    await entra?.close();
    await google?.close();
  });

  const audits = (type: string) => upstreamAudits(h, type);

  test('an admin (role from the IdP groups) signs in to the console through Entra and lands on the page asked for (as.federation.admin-role, as.federation.page-continuation)', async () => {
    const b = browser(h);
    const { callback, link, loginHtml } = await toPageCallback(b, '/admin/users', 'entra', 'carol');
    assert.match(loginHtml, /Sign in with Microsoft/);
    assert.match(loginHtml, /name="password"/, 'password sign-in still offered (login.password defaults to true)');
    assert.equal(link.searchParams.get('return_to'), '/admin/users');
    const res = await b.get(callback.href);
    assert.equal(res.status, 303, await res.text());
    assert.equal(res.headers.get('location'), `${ISSUER}/admin/users`, 'back to the console page asked for, on our own origin');
    assert.ok(res.headers.getSetCookie().some((c) => /^portcullis_session=/.test(c)), 'the shared browser session');
    const users = await b.get(`${ISSUER}/admin/users`);
    const html = await users.text();
    assert.equal(users.status, 200, html);
    assert.match(html, /Signed in as <strong>entra:carol<\/strong>/);
    assert.match(html, /<h1>Users and roles<\/h1>/);
    const ok = (await audits('login.upstream.success'))[0]!;
    assert.equal(ok.data.return_to, '/admin/users');
    assert.deepEqual(ok.data.roles, ['admin', 'reader']);
    assert.equal(ok.client_id, null, 'no MCP client involved');
    const seen = b.seen.join('\n');
    assert.ok(entra.issuedTokens.length > 0 && entra.issuedTokens.every((t) => !seen.includes(t)), 'no IdP token in any response');
  });

  test('a federated user without the admin role is refused by the console (as.federation.admin-role)', async () => {
    const b = browser(h);
    const { callback } = await toPageCallback(b, '/admin', 'entra', 'dave');
    const res = await b.get(callback.href);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${ISSUER}/admin`);
    const refused = await b.get(`${ISSUER}/admin`);
    const html = await refused.text();
    assert.equal(refused.status, 403);
    assert.match(html, /Administrators only/);
    assert.match(html, /entra:dave/);
    const action = await b.get(`${ISSUER}/admin/keys/rotate`, { method: 'POST', headers: FORM, body: new URLSearchParams({ csrf: hiddenInput(html, 'csrf') ?? '' }).toString() });
    assert.equal(action.status, 403, 'no console action either');
  });

  test('the Connected apps page through Google (as.federation.page-continuation)', async () => {
    const b = browser(h);
    const { callback, link } = await toPageCallback(b, '/account', 'google', 'erin');
    assert.equal(link.searchParams.get('return_to'), '/account');
    const res = await b.get(callback.href);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${ISSUER}/account`);
    const page = await b.get(`${ISSUER}/account`);
    const html = await page.text();
    assert.equal(page.status, 200, html);
    assert.match(html, /<h1>Connected apps<\/h1>/);
    assert.match(html, /Signed in as <strong>erin@example\.test<\/strong>/);
  });

  test('the device approval page through Google: sign in, back to the approval, approve, the device gets its token (as.federation.page-continuation)', async () => {
    const auth = await h.request('/device_authorization', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: DEVICE_CLIENT, scope: 'notes:read' }).toString() });
    assert.equal(auth.status, 200, await auth.clone().text());
    const { device_code, user_code } = (await auth.json()) as { device_code: string; user_code: string };
    const b = browser(h);
    const entry = await (await b.get(`${ISSUER}/device?user_code=${user_code}`)).text();
    const entered = await b.get(`${ISSUER}/device`, { method: 'POST', headers: FORM, body: new URLSearchParams({ csrf: hiddenInput(entry, 'csrf')!, user_code }).toString() });
    assert.equal(entered.status, 303);
    const { callback, link, loginHtml } = await toPageCallback(b, '/device/approve', 'google', 'fred');
    assert.match(loginHtml, /Device CLI/, 'the sign-in form names the client of the code');
    assert.equal(link.searchParams.get('return_to'), '/device/approve');
    const res = await b.get(callback.href);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${ISSUER}/device/approve`);
    const approval = await b.get(`${ISSUER}/device/approve`);
    const html = await approval.text();
    assert.equal(approval.status, 200, html);
    assert.match(html, /id="user-code">[A-Z]{4}-[A-Z]{4}</);
    assert.match(html, /fred@example\.test/);
    const done = await b.get(`${ISSUER}/device/approve`, { method: 'POST', headers: FORM, body: new URLSearchParams({ csrf: hiddenInput(html, 'csrf')!, decision: 'approve' }).toString() });
    assert.match(await done.text(), /Device connected/);
    const token = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code, client_id: DEVICE_CLIENT }).toString() });
    assert.equal(token.status, 200, await token.clone().text());
    assert.ok(((await token.json()) as { access_token?: string }).access_token);
  });

  test('open redirect: an absolute URL, //evil, /\\evil or an encoded variant as return path is refused, nothing stored (as.federation.no-open-redirect)', async () => {
    const b = browser(h);
    const page = await (await b.get(`${ISSUER}/account`)).text();
    const csrf = new URL(upstreamLink(page, 'google')!, ISSUER).searchParams.get('csrf')!;
    const raw = [
      'https://evil.example/',
      'https:%2F%2Fevil.example',
      '//evil.example',
      '%2F%2Fevil.example',
      '%252F%252Fevil.example',
      '/%5Cevil.example',
      '%2F%5Cevil.example',
      '/%2F%2Fevil.example',
      '%2F%09%2Fevil.example',
      '/account%3F%2F%2Fevil.example',
      '/account/..%2F..%2Fevil',
      '/account%23//evil.example',
      'javascript:alert(1)',
      '/admin/api/v1/users',
      '/token',
    ];
    const before = storeFingerprint(h.store);
    const asked = google.authorizeRequests.length;
    for (const r of raw) {
      const res = await b.get(`${ISSUER}/login/upstream/google?return_to=${r}&csrf=${encodeURIComponent(csrf)}`);
      assert.equal(res.status, 400, r);
      assert.equal(res.headers.get('location'), null, `${r}: never a redirect`);
      assert.ok(!res.headers.getSetCookie().some((c) => /upstream_login/.test(c)), r);
    }
    // a second return_to beside a good one is refused too
    const twice = await b.get(`${ISSUER}/login/upstream/google?return_to=/account&return_to=//evil.example&csrf=${encodeURIComponent(csrf)}`);
    assert.equal(twice.status, 400);
    assert.equal(storeFingerprint(h.store), before, 'no login state written');
    assert.equal(google.authorizeRequests.length, asked);
    // the console page asked for is only carried when it is on the list; otherwise the console's overview
    const odd = await (await b.get(`${ISSUER}/admin//evil.example`)).text();
    assert.equal(new URL(upstreamLink(odd, 'google')!, ISSUER).searchParams.get('return_to'), '/admin', 'normalized to the safe default');
  });

  test('a page sign-in is bound to its browser: CSRF on the start, state refused from another browser (as.federation.page-binding, as.federation.state-single-use)', async () => {
    const b = browser(h);
    const page = await (await b.get(`${ISSUER}/account`)).text();
    const link = new URL(upstreamLink(page, 'google')!, ISSUER);
    const before = storeFingerprint(h.store);
    const wrong = new URL(link);
    wrong.searchParams.set('csrf', 'x'.repeat(43));
    assert.equal((await b.get(wrong.href)).status, 403, 'wrong CSRF token');
    assert.equal((await browser(h).get(link.href)).status, 403, 'the link in a browser without the login cookie');
    assert.equal(storeFingerprint(h.store), before);

    const a = browser(h);
    const { callback } = await toPageCallback(a, '/account', 'google', 'gina');
    const stranger = browser(h);
    const noCookies = await stranger.get(callback.href);
    assert.equal(noCookies.status, 400);
    const other = browser(h);
    await toPageCallback(other, '/account', 'google', 'gina'); // has its own upstream-login cookie
    const stolen = await other.get(callback.href);
    assert.equal(stolen.status, 400);
    assert.equal(stolen.headers.get('location'), null);
    assert.ok(!stolen.headers.getSetCookie().some((c) => /session/.test(c)), 'no session for the other browser');
    assert.equal((await audits('login.upstream.failure'))[0]!.data.reason, 'state_mismatch');
    const replay = await a.get(callback.href);
    assert.equal(replay.status, 400, 'single use: consumed by the refused attempt');
    assert.equal((await audits('login.upstream.failure'))[0]!.data.reason, 'state_unknown');
    // an authorization's interaction cookie does not stand in for a page sign-in's binding, nor the reverse
    const c = browser(h);
    const { callback: cb2 } = await toPageCallback(c, '/account', 'google', 'gina');
    c.jar.take(new Response(null, { headers: [['set-cookie', 'portcullis_upstream_login=; Max-Age=0'], ['set-cookie', 'portcullis_interaction=abc']] }));
    assert.equal((await c.get(cb2.href)).status, 400);
    assert.equal((await audits('login.upstream.failure'))[0]!.data.reason, 'state_mismatch');
  });
});

describe('login.password: false refuses passwords on every sign-in page (as.federation.password-off-everywhere)', () => {
  let google: TestIdp;
  let h: Harness;
  before(async () => {
    google = await startIdp('google');
    h = await startHarness(harnessConfig(idpConfig(null, google, { password: false })) as never);
  });
  after(async () => {
    await h?.close();
    await google?.close();
  });

  async function refusesPassword(b: Browser, pagePath: string, postPath: string, csrf: (html: string) => string): Promise<void> {
    const page = await b.get(`${ISSUER}${pagePath}`);
    const html = await page.text();
    assert.equal(page.status, 200, html);
    assert.doesNotMatch(html, /name="password"/, `${pagePath}: no password form`);
    assert.match(html, /Sign in with Google/);
    const res = await b.get(`${ISSUER}${postPath}`, { method: 'POST', headers: FORM, body: new URLSearchParams({ csrf: csrf(html), username: 'alice', password: 'alice-password' }).toString() });
    assert.equal(res.status, 401, `${postPath}: the right local password is refused`);
    assert.equal(res.headers.get('location'), null);
    assert.ok(!res.headers.getSetCookie().some((c) => /session/.test(c)), `${postPath}: no session`);
  }

  test('/account, /admin and /device offer only the IdP and refuse a posted password; the IdP still signs in', async () => {
    const cookieCsrf = (b: Browser) => () => /portcullis_login_csrf=([^;]+)/.exec(b.jar.header())![1]!;
    const acc = browser(h);
    await refusesPassword(acc, '/account', '/account/login', cookieCsrf(acc));
    const adm = browser(h);
    await refusesPassword(adm, '/admin', '/admin/login', cookieCsrf(adm));

    const auth = await h.request('/device_authorization', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: DEVICE_CLIENT, scope: 'notes:read' }).toString() });
    const { user_code } = (await auth.json()) as { user_code: string };
    const dev = browser(h);
    const entry = await (await dev.get(`${ISSUER}/device`)).text();
    assert.equal((await dev.get(`${ISSUER}/device`, { method: 'POST', headers: FORM, body: new URLSearchParams({ csrf: hiddenInput(entry, 'csrf')!, user_code }).toString() })).status, 303);
    await refusesPassword(dev, '/device/approve', '/device/login', () => hiddenInput(entry, 'csrf')!);
    assert.equal((await h.store.listAudit({ types: ['login.success'], limit: 10 })).length, 0, 'no password sign-in anywhere');

    // and the IdP link on the same page works
    const { callback } = await toPageCallback(acc, '/account', 'google', 'hana');
    const res = await acc.get(callback.href);
    assert.equal(res.headers.get('location'), `${ISSUER}/account`);
    assert.match(await (await acc.get(`${ISSUER}/account`)).text(), /Signed in as <strong>hana@example\.test<\/strong>/);
  });
});

describe('issue 6: the federation routes are rate-limited per IP (ops.ratelimit.upstream-login)', () => {
  test('starts (page and authorization) and callbacks share a per-IP bucket: a 429 page with Retry-After, nothing stored', async () => {
    process.env.TEST_IDP_SECRET = IDP_CLIENT_SECRET;
    // the IdP is never reached: every request here is refused before discovery
    const h = await startHarness({ rate_limits: { upstream_login: { per_ip: { limit: 3, window_s: 60 } } }, login: { upstream_idps: [{ id: 'google', issuer: 'http://127.0.0.1:9/', client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET' }] } } as never);
    try {
      const IP = '198.51.100.77';
      assert.equal((await from(h, IP, '/login/upstream/google?return_to=/account')).status, 403);
      assert.equal((await from(h, IP, '/login/callback/google?state=x&code=y')).status, 400);
      assert.equal((await from(h, IP, '/interaction/nope/upstream/google?csrf=x')).status, 400);
      const before = storeFingerprint(h.store);
      for (const path of ['/login/upstream/google?return_to=/account', '/login/callback/google?state=x&code=y', '/interaction/nope/upstream/google?csrf=x']) {
        const res = await from(h, IP, path, { redirect: 'manual' });
        assert.equal(res.status, 429, path);
        assert.equal(res.headers.get('retry-after'), '60');
        assert.equal(res.headers.get('location'), null);
        assert.match(res.headers.get('content-type')!, /^text\/html/);
        assert.match(await res.text(), /Too many requests/);
      }
      assert.equal(storeFingerprint(h.store), before);
      assert.equal((await from(h, '198.51.100.78', '/login/callback/google?state=x&code=y')).status, 400, 'another address is not affected');
      h.clock.advance(60_000);
      assert.equal((await from(h, IP, '/login/callback/google?state=x&code=y')).status, 400, 'the window ends');
    } finally {
      await h.close();
    }
  });
});
