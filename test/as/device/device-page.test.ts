/**
 * The /device page (RFC 8628 §3.3, §5.1, §5.4; ARCHITECTURE "Pages") on the real runtime over loopback HTTP:
 * code entry, sign-in, approval; a wrong, expired or used code says nothing about which; CSRF on every form;
 * brute-force protection on user codes per IP and per browser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieJar, type Fetcher } from '../../helpers/browserless.js';
import { devicePageRequest, driveDevice, submit, type DevicePage } from '../../helpers/device-driver.js';
import { storeFingerprint } from '../../helpers/store-fingerprint.js';
import { startHarness } from '../../helpers/as-harness.js';
import { CLI_CLIENT, PASSWORD, startDeviceServer, USER, type DeviceServer } from './harness.js';

const http: Fetcher = (u, i) => fetch(u, i);

async function deviceAuthorization(s: DeviceServer, form: Record<string, string> = { client_id: CLI_CLIENT, scope: 'notes:read' }): Promise<Response> {
  return s.request('/device_authorization', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
}

async function newCode(s: DeviceServer): Promise<{ device_code: string; user_code: string; verification_uri_complete: string }> {
  const res = await deviceAuthorization(s);
  assert.equal(res.status, 200);
  return (await res.json()) as { device_code: string; user_code: string; verification_uri_complete: string };
}

const errorText = (p: DevicePage): string => /id="device-error">([^<]*)</.exec(p.html)?.[1] ?? '';

describe('RFC 8628 §3.3 the /device page (as.device.page, as.device.user-code)', () => {
  let s: DeviceServer;
  before(async () => {
    s = await startDeviceServer();
  });
  after(() => s.close());

  it('verification_uri_complete prefills the code; the page has a strict CSP, frame-ancestors none, no-store, a CSRF token and the user_code field', async () => {
    const { user_code, verification_uri_complete } = await newCode(s);
    const res = await http(verification_uri_complete);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /form-action 'self'/);
    assert.doesNotMatch(csp, /script-src/, 'no script at all');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const html = await res.text();
    assert.match(html, new RegExp(`name="user_code" value="${user_code}"`));
    assert.match(html, /name="csrf" value="[A-Za-z0-9_-]{43}"/);
    assert.doesNotMatch(html, /<script/i);
  });

  it('the approval page shows the client, the resource, the scopes, the user, the code and the phishing warning (RFC 8628 §5.4); Approve finishes', async () => {
    const { user_code, verification_uri_complete } = await newCode(s);
    const { pages, last, jar } = await driveDevice(http, verification_uri_complete, { username: USER, password: PASSWORD, decision: 'none' });
    assert.ok(pages.some((p) => p.html.includes('name="password"')), 'signed in on the way');
    assert.match(last.html, /id="client-host">Device CLI</);
    assert.match(last.html, /Portcullis demo notes/);
    assert.ok(last.html.includes(s.resource));
    assert.match(last.html, /<code>notes:read<\/code>/);
    assert.match(last.html, new RegExp(`id="user-code">${user_code}<`));
    assert.match(last.html, /id="device-warning"[^>]*><strong>Only approve if you started this on your device\.<\/strong>/);
    assert.match(last.html, /name="decision" value="approve"/);
    assert.match(last.html, /name="decision" value="deny"/);
    assert.equal(last.html.includes(USER), true);
    // the same form posted from a browser without this session and code (a cross-site post) approves nothing
    const foreign = await submit(http, new CookieJar(), last, { decision: 'approve' });
    assert.doesNotMatch(foreign.html, /Device connected/);
    assert.equal((await s.runtime.store.getDeviceCodeByUserCode(user_code.replace('-', ''), s.clock.fn()))?.status, 'pending');
    const done = await submit(http, jar, last, { decision: 'approve' });
    assert.match(done.html, /Device connected/);
    assert.equal((await s.runtime.store.getDeviceCodeByUserCode(user_code.replace('-', ''), s.clock.fn()))?.status, 'approved');
  });

  it('RFC 8628 §6.1: the code is accepted in lower case, with spaces and without the dash', async () => {
    const { user_code } = await newCode(s);
    const typed = ` ${user_code.slice(0, 2)} ${user_code.slice(2).replace('-', '')} `.toLowerCase();
    const { last } = await driveDevice(http, `${s.issuer}/device`, { user_code: typed, username: USER, password: PASSWORD, decision: 'approve' });
    assert.match(last.html, /Device connected/);
  });

  it('a wrong password shows the sign-in form again (401), still naming the client; the right one continues to the approval', async () => {
    const { verification_uri_complete } = await newCode(s);
    const jar = new CookieJar();
    const entry = await devicePageRequest(http, jar, verification_uri_complete);
    const signIn = await submit(http, jar, entry, { user_code: /name="user_code" value="([^"]*)"/.exec(entry.html)![1]! });
    assert.match(signIn.html, /name="password"/);
    const wrong = await submit(http, jar, signIn, { username: USER, password: 'wrong-password' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /Invalid username or password/);
    assert.match(wrong.html, /Device CLI/);
    const approval = await submit(http, jar, wrong, { username: USER, password: PASSWORD });
    assert.match(approval.html, /name="decision" value="approve"/);
  });

  it('an already signed-in browser goes straight from the code to the approval', async () => {
    const jar = new CookieJar();
    await driveDevice(http, (await newCode(s)).verification_uri_complete, { username: USER, password: PASSWORD, decision: 'approve', jar });
    const { pages } = await driveDevice(http, (await newCode(s)).verification_uri_complete, { username: USER, password: PASSWORD, decision: 'approve', jar });
    assert.ok(!pages.some((p) => p.html.includes('name="password"')), 'no second sign-in');
  });

  it('RFC 8628 §5.1: a wrong, an expired and a used code get the same answer (400, one message, nothing else changed); each audited', async () => {
    const used = await newCode(s);
    await driveDevice(http, used.verification_uri_complete, { username: USER, password: PASSWORD, decision: 'approve' });
    const expiring = await newCode(s);
    s.clock.advance(121_000);
    const answers: DevicePage[] = [];
    const before = storeFingerprint(s.runtime.store);
    const auditBefore = (await s.runtime.store.getAuditHead())!.seq;
    for (const code of ['BCDF-GHJK', used.user_code, expiring.user_code, 'not a code']) {
      const jar = new CookieJar();
      const entry = await devicePageRequest(http, jar, `${s.issuer}/device`);
      answers.push(await submit(http, jar, entry, { user_code: code }));
    }
    for (const a of answers) {
      assert.equal(a.status, 400);
      assert.equal(errorText(a), errorText(answers[0]!), 'one message for every refusal');
      assert.match(a.html, /name="user_code"/, 'the entry form again');
    }
    assert.match(errorText(answers[0]!), /not valid/);
    assert.equal(storeFingerprint(s.runtime.store), before, 'no row written');
    const rejected = await s.runtime.store.listAudit({ types: ['device.user_code_rejected'], after_seq: auditBefore, limit: 10 });
    assert.equal(rejected.length, 4);
    assert.ok(rejected.every((e) => JSON.parse(e.data).reason === 'invalid' && !e.data.includes(used.user_code.replace('-', ''))), 'the code itself is never recorded');
  });
});

describe('RFC 9700 §4.16 / ARCHITECTURE "Pages": CSRF on every /device form (as.device.page-csrf)', () => {
  let s: DeviceServer;
  before(async () => {
    s = await startDeviceServer();
  });
  after(() => s.close());

  it('code entry and sign-in without the CSRF token are refused (403), nothing written', async () => {
    const { user_code } = await newCode(s);
    const jar = new CookieJar();
    await devicePageRequest(http, jar, `${s.issuer}/device`);
    const before = storeFingerprint(s.runtime.store);
    const entry = await devicePageRequest(http, jar, `${s.issuer}/device`, { user_code });
    assert.equal(entry.status, 403);
    const wrong = await devicePageRequest(http, jar, `${s.issuer}/device`, { user_code, csrf: 'x'.repeat(43) });
    assert.equal(wrong.status, 403);
    const login = await devicePageRequest(http, jar, `${s.issuer}/device/login`, { username: USER, password: PASSWORD });
    assert.equal(login.status, 403);
    assert.equal(storeFingerprint(s.runtime.store), before);
  });

  it('an approval without the CSRF token, or with the token of another code, is refused (403) and the code stays pending', async () => {
    const first = await newCode(s);
    const { last, jar } = await driveDevice(http, first.verification_uri_complete, { username: USER, password: PASSWORD, decision: 'none' });
    const approveUrl = `${s.issuer}/device/approve`;
    const before = storeFingerprint(s.runtime.store);
    const missing = await devicePageRequest(http, jar, approveUrl, { decision: 'approve' });
    assert.equal(missing.status, 403);
    assert.match(missing.html, /CSRF/);
    // the token of this page, replayed after the browser switched to another code, is not valid for that code
    const token = /name="csrf" value="([^"]+)"/.exec(last.html)![1]!;
    const second = await newCode(s);
    const afterNew = storeFingerprint(s.runtime.store);
    const entry = await devicePageRequest(http, jar, `${s.issuer}/device`);
    await submit(http, jar, entry, { user_code: second.user_code });
    const swapped = await devicePageRequest(http, jar, approveUrl, { decision: 'approve', csrf: token });
    assert.equal(swapped.status, 403);
    assert.equal(storeFingerprint(s.runtime.store), afterNew);
    assert.notEqual(before, afterNew, 'only the second code was added in between');
    for (const c of [first, second]) assert.equal((await s.runtime.store.getDeviceCodeByUserCode(c.user_code.replace('-', ''), s.clock.fn()))?.status, 'pending');
  });

  it('on an https issuer the page cookies are __Host- prefixed, Secure, HttpOnly, SameSite=Lax', async () => {
    const h = await startHarness({ issuer: 'https://as.example', dev: false, resources: [{ path: '/mcp', upstream: 'http://127.0.0.1:1/mcp', name: 'Test MCP', scopes: ['notes:read'] }] });
    try {
      const res = await h.app.fetch(new Request('https://as.example/device'));
      const cookie = res.headers.getSetCookie().find((c) => c.includes('portcullis_device_csrf'));
      assert.ok(cookie, 'a CSRF cookie');
      assert.match(cookie, /^__Host-portcullis_device_csrf=/);
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.match(cookie, /Path=\//);
    } finally {
      await h.close();
    }
  });
});

describe('RFC 8628 §5.1 user code brute forcing; per-IP limit on /device_authorization (as.device.brute-force, as.device.rate-limit)', () => {
  let s: DeviceServer;
  before(async () => {
    s = await startDeviceServer({
      rate_limits: { trusted_proxies: ['127.0.0.1'], device: { user_code: { limit: 3, window_s: 600 }, per_ip: { limit: 5, window_s: 60 } } },
    });
  });
  after(() => s.close());

  const fromIp = (ip: string): Fetcher => (u, i) => fetch(u, { ...i, headers: { ...(i?.headers as Record<string, string>), 'x-forwarded-for': ip } });

  it('after 3 wrong codes from one IP even the right code waits (429 page with Retry-After), from any browser there; another IP is not affected; the window ends', async () => {
    const { user_code } = await newCode(s);
    const attacker = fromIp('203.0.113.7');
    for (let i = 0; i < 3; i++) {
      const jar = new CookieJar(); // a fresh browser each time: the per-IP bucket still counts
      const p = await submit(attacker, jar, await devicePageRequest(attacker, jar, `${s.issuer}/device`), { user_code: `BCDF-GHK${'BCD'[i]}` });
      assert.equal(p.status, 400);
    }
    const jar = new CookieJar();
    const blocked = await devicePageRequest(attacker, jar, `${s.issuer}/device`, { user_code, csrf: 'unused' });
    assert.equal(blocked.status, 403, 'CSRF is still checked first');
    const entry = await devicePageRequest(attacker, jar, `${s.issuer}/device`);
    const throttled = await devicePageRequest(attacker, jar, `${s.issuer}/device`, { user_code, csrf: /name="csrf" value="([^"]+)"/.exec(entry.html)![1]! });
    assert.equal(throttled.status, 429);
    assert.match(throttled.html, /Too many requests/);
    const [audit] = await s.runtime.store.listAudit({ types: ['device.user_code_rejected'], order: 'desc', limit: 1 });
    assert.equal(JSON.parse(audit!.data).reason, 'throttled');
    assert.equal((await s.runtime.store.getDeviceCodeByUserCode(user_code.replace('-', ''), s.clock.fn()))?.status, 'pending');

    // the user on another network is not locked out by the attacker
    const { last } = await driveDevice(fromIp('198.51.100.20'), `${s.issuer}/device`, { user_code, username: USER, password: PASSWORD, decision: 'none' });
    assert.match(last.html, /name="decision"/);
    // and the attacker's window ends
    s.clock.advance(601_000);
    const later = await newCode(s);
    const again = await driveDevice(attacker, later.verification_uri_complete, { username: USER, password: PASSWORD, decision: 'approve' });
    assert.match(again.last.html, /Device connected/);
  });

  it('one browser moving between IPs is limited by its own bucket too', async () => {
    s.clock.advance(601_000);
    const jar = new CookieJar();
    for (let i = 0; i < 3; i++) {
      const f = fromIp(`192.0.2.${i + 1}`);
      const p = await submit(f, jar, await devicePageRequest(f, jar, `${s.issuer}/device`), { user_code: `ZZZZ-ZZZ${'BCD'[i]}` });
      assert.equal(p.status, 400);
    }
    const f = fromIp('192.0.2.99');
    const p = await submit(f, jar, await devicePageRequest(f, jar, `${s.issuer}/device`), { user_code: 'ZZZZ-ZZZF' });
    assert.equal(p.status, 429);
  });

  it('/device_authorization past rate_limits.device.per_ip: 429 temporarily_unavailable with Retry-After, nothing written', async () => {
    s.clock.advance(61_000);
    const f = fromIp('203.0.113.50');
    const call = () => f(`${s.issuer}/device_authorization`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `client_id=${CLI_CLIENT}` });
    for (let i = 0; i < 5; i++) assert.equal((await call()).status, 200);
    const before = storeFingerprint(s.runtime.store);
    const res = await call();
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
    assert.equal(storeFingerprint(s.runtime.store), before);
  });
});
