/**
 * OpenID Connect Core §3.1.2.1 `prompt` and `max_age` at /authorize (§15.1: every OpenID Provider supports prompt
 * none and login, and max_age): prompt=none never shows a page and answers login_required / consent_required
 * (§3.1.2.6); prompt=login and select_account ask for a sign-in made for this request; prompt=consent asks again
 * although consent is remembered; max_age accepts a session at most that old (0 = prompt=login). Bad values are
 * invalid_request at the client, and nothing is stored for them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { pkcePair, type Harness } from '../../helpers/as-harness.js';
import { CookieJar, driveAuthorization } from '../../helpers/browserless.js';
import { APP, APP_REDIRECT, appAuth, ISSUER, PASSWORDS, post, PUBLIC_CLIENT, REDIRECT, startIdp } from '../idjag-issuance/setup.js';

const HOUR = 3600_000;
let h: Harness;
before(async () => {
  h = await startIdp();
});
after(() => h.close());

const fetcher = (url: string, init?: RequestInit) => h.request(url, init);
const seconds = (ms: number): number => Math.floor(ms / 1000);

function authorizeUrl(challenge: string, extra: Record<string, string> = {}, client_id = APP, redirect_uri = APP_REDIRECT): string {
  const u = new URL(`${ISSUER}/authorize`);
  const q = { response_type: 'code', client_id, redirect_uri, code_challenge: challenge, code_challenge_method: 'S256', state: 'st-9', scope: 'openid profile', ...extra };
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  return u.toString();
}

/** /authorize through this browser: the pages shown (login form, consent) and the final redirect to the client */
async function authorize(jar: CookieJar, extra: Record<string, string> = {}, username = 'alice'): Promise<{ location: URL; pages: string[]; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const { location, pages } = await driveAuthorization(fetcher, authorizeUrl(challenge, extra), { username, password: PASSWORDS[username]!, jar });
  return { location: new URL(location), pages, verifier };
}

async function idToken(location: URL, verifier: string): Promise<Record<string, unknown>> {
  const code = location.searchParams.get('code');
  assert.ok(code, `a code: ${location.href}`);
  const res = await post(h, '/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: APP_REDIRECT }, appAuth());
  const body = (await res.json()) as Record<string, string>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return decodeJwt(body.id_token!);
}

const loginShown = (pages: string[]) => pages.some((p) => p.includes('name="password"'));
const consentShown = (pages: string[]) => pages.some((p) => p.includes('name="decision"'));
const consentsGranted = async () => (await h.store.listAudit({ types: ['consent.granted'], limit: 1000 })).length;

/** a signed-in browser whose consent to the app (openid profile) is remembered */
async function signedIn(username = 'alice'): Promise<CookieJar> {
  const jar = new CookieJar();
  const first = await authorize(jar, {}, username);
  assert.ok(loginShown(first.pages), 'a fresh browser signs in (consent is asked the first time only)');
  assert.ok(first.location.searchParams.get('code'));
  // the test clock stands still: a later request must start after this sign-in
  h.clock.advance(1000);
  return jar;
}

function assertError(location: URL, error: string): void {
  assert.equal(location.origin + location.pathname, APP_REDIRECT, 'back at the client');
  assert.equal(location.searchParams.get('error'), error, location.href);
  assert.equal(location.searchParams.get('state'), 'st-9');
  assert.equal(location.searchParams.get('iss'), ISSUER, 'RFC 9207 iss on the error too');
  assert.equal(location.searchParams.get('code'), null);
}

describe('OpenID Connect Core §3.1.2.1 prompt=none (oidc.prompt.none)', () => {
  it('no session: login_required at the client, no page shown, nothing granted (oidc.prompt.none)', async () => {
    const before = await consentsGranted();
    const { location, pages } = await authorize(new CookieJar(), { prompt: 'none' });
    assert.deepEqual(pages, [], 'no login page');
    assertError(location, 'login_required');
    assert.equal(await consentsGranted(), before);
  });

  it('signed in, consent remembered: a code without any page; its ID token carries the sign-in time (oidc.prompt.none)', async () => {
    const t0 = h.clock.now;
    const jar = await signedIn();
    h.clock.advance(HOUR);
    const { location, pages, verifier } = await authorize(jar, { prompt: 'none' });
    assert.deepEqual(pages, []);
    assert.equal((await idToken(location, verifier)).auth_time, seconds(t0));
  });

  it('signed in, consent not remembered for these scopes: consent_required (oidc.prompt.none)', async () => {
    const jar = await signedIn();
    const { location, pages } = await authorize(jar, { prompt: 'none', scope: 'openid profile email' });
    assert.deepEqual(pages, []);
    assertError(location, 'consent_required');
  });

  it('a loopback redirect is asked every time: consent_required even when signed in (oidc.prompt.none, as.consent)', async () => {
    const jar = await signedIn();
    const { challenge } = pkcePair();
    const { location, pages } = await driveAuthorization(fetcher, authorizeUrl(challenge, { prompt: 'none', scope: 'notes:read', resource: `${ISSUER.replace(/:\d+$/, '')}:9999/mcp` }, PUBLIC_CLIENT, REDIRECT), { username: 'alice', password: PASSWORDS.alice!, jar });
    assert.deepEqual(pages, []);
    const loc = new URL(location);
    assert.equal(loc.origin + loc.pathname, REDIRECT);
    assert.equal(loc.searchParams.get('error'), 'consent_required');
    assert.equal(loc.searchParams.get('state'), 'st-9');
    assert.equal(loc.searchParams.get('iss'), ISSUER);
  });

  it('with max_age older than the session: login_required (oidc.prompt.none, oidc.max-age)', async () => {
    const jar = await signedIn();
    h.clock.advance(HOUR);
    const { location, pages } = await authorize(jar, { prompt: 'none', max_age: '600' });
    assert.deepEqual(pages, []);
    assertError(location, 'login_required');
  });

  it('answered by /authorize itself: no interaction stored, no cookie set, nothing of another tab\'s pending request touched (oidc.prompt.none)', async () => {
    const jar = new CookieJar();
    // another tab's interactive request, waiting at its login page
    const { challenge } = pkcePair();
    const pending = await h.request(authorizeUrl(challenge), { redirect: 'manual' });
    jar.take(pending);
    const cookieBefore = jar.header();
    const silent = await h.request(authorizeUrl(pkcePair().challenge, { prompt: 'none' }), { redirect: 'manual', headers: { cookie: jar.header() } });
    assert.equal(silent.status, 303);
    assertError(new URL(silent.headers.get('location')!), 'login_required');
    assert.deepEqual(silent.headers.getSetCookie(), [], 'no cookie set or cleared');
    jar.take(silent);
    assert.equal(jar.header(), cookieBefore);
    const page = await h.request(new URL(pending.headers.get('location')!, ISSUER).href, { headers: { cookie: jar.header() } });
    assert.equal(page.status, 200, 'the other request still shows its login page');
  });
});

describe('OpenID Connect Core §3.1.2.1 prompt=login, select_account, consent and max_age (oidc.prompt.login, oidc.prompt.consent, oidc.max-age)', () => {
  it('prompt=login with a live session: the login form; the new sign-in is the auth_time (oidc.prompt.login)', async () => {
    const jar = await signedIn();
    h.clock.advance(HOUR);
    const t1 = h.clock.now;
    const { location, pages, verifier } = await authorize(jar, { prompt: 'login' });
    assert.ok(loginShown(pages), 'signed in again although the session was live');
    assert.ok(!consentShown(pages), 'consent still remembered');
    assert.equal((await idToken(location, verifier)).auth_time, seconds(t1));
  });

  it('prompt=select_account: the login form, where another account can be chosen (oidc.prompt.login)', async () => {
    const jar = await signedIn('alice');
    const { location, pages, verifier } = await authorize(jar, { prompt: 'select_account' }, 'bob');
    assert.ok(loginShown(pages));
    assert.ok(consentShown(pages), 'bob has not consented to the app');
    assert.equal((await idToken(location, verifier)).sub, 'user-bob');
  });

  it('prompt=login: a consent posted without signing in again is refused with the login form (oidc.prompt.login)', async () => {
    const jar = await signedIn();
    const { challenge } = pkcePair();
    // the consent form's CSRF token is only on pages of this interaction; even with it, the decision needs the new sign-in
    const start = await h.request(authorizeUrl(challenge, { prompt: 'login consent' }), { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(start);
    const interaction = new URL(start.headers.get('location')!, ISSUER).href;
    const page = await h.request(interaction, { headers: { cookie: jar.header() } });
    const html = await page.text();
    assert.match(html, /name="password"/, 'the login form, not consent');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const posted = await h.request(`${interaction}/consent`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ csrf, decision: 'approve' }).toString(), headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER } });
    assert.notEqual(posted.status, 303, 'no code');
    assert.match(await posted.text(), /name="password"/);
  });

  it('prompt=login: a session started elsewhere (another tab, the account page) while the request waits does not count; only its own login page does (oidc.prompt.login)', async () => {
    const jar = await signedIn();
    const { verifier, challenge } = pkcePair();
    const start = await h.request(authorizeUrl(challenge, { prompt: 'login' }), { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(start);
    const interaction = new URL(start.headers.get('location')!, ISSUER).href;
    assert.match(await (await h.request(interaction, { headers: { cookie: jar.header() } })).text(), /name="password"/);
    // a new session from the account page, in the same browser, after the request started
    h.clock.advance(1000);
    jar.take(new Response(null, { headers: [['set-cookie', 'portcullis_session=; Max-Age=0']] }));
    const accountPage = await h.request('/account', { headers: { cookie: jar.header() } });
    jar.take(accountPage);
    const accountHtml = await accountPage.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(accountHtml)![1]!;
    const signIn = await h.request('/account/login', { method: 'POST', redirect: 'manual', body: new URLSearchParams({ csrf, username: 'alice', password: PASSWORDS.alice! }).toString(), headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER } });
    assert.equal(signIn.status, 303, 'signed in on the account page');
    jar.take(signIn);
    const again = await h.request(interaction, { headers: { cookie: jar.header() } });
    assert.match(await again.text(), /name="password"/, 'still the login form of this request');
    // signing in on the request's own page completes it
    const { location } = await driveAuthorization(fetcher, interaction, { username: 'alice', password: PASSWORDS.alice!, jar });
    assert.ok((await idToken(new URL(location), verifier)).auth_time);
  });

  it('prompt=consent: the consent page although consent is remembered (oidc.prompt.consent)', async () => {
    const jar = await signedIn();
    const { pages, location } = await authorize(jar, { prompt: 'consent' });
    assert.ok(!loginShown(pages), 'the session is enough');
    assert.ok(consentShown(pages));
    assert.ok(location.searchParams.get('code'));
  });

  it('max_age: a session younger than it is used as is; an older one signs in again; 0 always does (oidc.max-age)', async () => {
    const t0 = h.clock.now;
    const jar = await signedIn();
    h.clock.advance(30 * 60_000);
    const young = await authorize(jar, { max_age: '3600' });
    assert.deepEqual(young.pages, [], 'within max_age: no page');
    assert.equal((await idToken(young.location, young.verifier)).auth_time, seconds(t0), 'auth_time present (required with max_age) and the sign-in');

    const old = await authorize(jar, { max_age: '600' });
    assert.ok(loginShown(old.pages), 'older than max_age: signed in again');
    assert.equal((await idToken(old.location, old.verifier)).auth_time, seconds(h.clock.now));

    h.clock.advance(1000);
    const zero = await authorize(jar, { max_age: '0' });
    assert.ok(loginShown(zero.pages), 'max_age=0 is prompt=login');
    assert.ok(zero.location.searchParams.get('code'), 'and then succeeds (the sign-in made for this request satisfies it)');
  });
});

describe('OpenID Connect Core §3.1.2.1: max_age at the code (oidc.max-age)', () => {
  it('max_age holds for the code too: a sign-in made here, then longer than max_age + 30 s on the consent page, signs in again (oidc.max-age)', async () => {
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    // never approved before for these scopes: the consent page is shown after the sign-in
    const url = authorizeUrl(challenge, { max_age: '0', scope: 'openid email' }, APP, APP_REDIRECT);
    const start = await h.request(url, { redirect: 'manual' });
    jar.take(start);
    const interaction = new URL(start.headers.get('location')!, ISSUER).href;
    const loginHtml = await (await h.request(interaction, { headers: { cookie: jar.header() } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(loginHtml)![1]!;
    const login = await h.request(`${interaction}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ csrf, username: 'carol', password: PASSWORDS.carol! }).toString(), headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER } });
    assert.equal(login.status, 303);
    jar.take(login);
    h.clock.advance(20_000);
    assert.match(await (await h.request(interaction, { headers: { cookie: jar.header() } })).text(), /name="decision"/, '20 s later: still the consent page');
    h.clock.advance(15_000);
    assert.match(await (await h.request(interaction, { headers: { cookie: jar.header() } })).text(), /name="password"/, '35 s after the sign-in: max_age=0 needs a new one');
  });
});

describe('OpenID Connect Core §3.1.2.1 login_hint (oidc.login-hint)', () => {
  it('prefills the sign-in form, escaped; what the user typed wins after a failed attempt (oidc.login-hint)', async () => {
    const { challenge } = pkcePair();
    const jar = new CookieJar();
    const start = await h.request(authorizeUrl(challenge, { login_hint: 'carol"><script>x</script>' }), { redirect: 'manual' });
    jar.take(start);
    const interaction = new URL(start.headers.get('location')!, ISSUER).href;
    const html = await (await h.request(interaction, { headers: { cookie: jar.header() } })).text();
    assert.match(html, /name="username" autocomplete="username" required value="carol&quot;&gt;&lt;script&gt;x&lt;\/script&gt;"/);
    assert.doesNotMatch(html, /<script>x/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const failed = await h.request(`${interaction}/login`, { method: 'POST', body: new URLSearchParams({ csrf, username: 'bob', password: 'wrong-password' }).toString(), headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER } });
    assert.equal(failed.status, 401);
    assert.match(await failed.text(), /name="username" autocomplete="username" required value="bob"/);
  });
});

describe('OpenID Connect Core §3.1.2.1: bad prompt and max_age values (oidc.prompt.invalid)', () => {
  const cases: [string, (q: URLSearchParams) => void, RegExp][] = [
    ['prompt=none with another value', (q) => q.set('prompt', 'none login'), /none/],
    ['an unknown prompt value', (q) => q.set('prompt', 'create'), /prompt/],
    ['a negative max_age', (q) => q.set('max_age', '-1'), /max_age/],
    ['a fractional max_age', (q) => q.set('max_age', '1.5'), /max_age/],
    ['a non-numeric max_age', (q) => q.set('max_age', 'soon'), /max_age/],
    ['two prompt parameters', (q) => (q.append('prompt', 'login'), q.append('prompt', 'consent')), /prompt/],
  ];
  for (const [name, change, pattern] of cases) {
    it(`${name}: invalid_request at the client, no interaction started (oidc.prompt.invalid)`, async () => {
      const { challenge } = pkcePair();
      const url = new URL(authorizeUrl(challenge));
      change(url.searchParams);
      const res = await h.request(url.href, { redirect: 'manual' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.getSetCookie().length, 0, 'no interaction cookie');
      const loc = new URL(res.headers.get('location')!);
      assertError(loc, 'invalid_request');
      assert.match(loc.searchParams.get('error_description') ?? '', pattern);
    });
  }

  it('discovery lists the prompt values (oidc.prompt.none)', async () => {
    const meta = (await (await h.request('/.well-known/openid-configuration')).json()) as { prompt_values_supported?: string[] };
    assert.deepEqual(meta.prompt_values_supported, ['none', 'login', 'consent', 'select_account']);
  });
});
