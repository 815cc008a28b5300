/**
 * Issue 10 attack suite — the authorization endpoint and its login/consent pages (OAuth 2.1 §4.1; RFC 9700;
 * RFC 8252 §7.3; RFC 7636; RFC 9207; MCP [SEC]). Each case asserts the exact refusal (a local error page that
 * never redirects, or a redirect with error + state + iss), that nothing was stored, and the audit entry where the
 * control audits. `[bites: <control>]`: scripts/mutation-run.mjs disables that control and the case must fail.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar, hiddenInput } from '../helpers/browserless.js';
import {
  APP_REDIRECT,
  authorizeCode,
  authorizeUrl,
  LOOPBACK_CLIENT,
  OTHER_PUBLIC_CLIENT,
  pkcePair,
  PUBLIC_CLIENT,
  refusedWithoutWrite,
  startTarget,
  USER,
  type AttackTarget,
  type AuthorizeParams,
} from './harness.js';

let t: AttackTarget;
before(async () => {
  t = await startTarget();
});
after(() => t.close());

const challenge = (): string => pkcePair().challenge;

/** a page rendered here (never a redirect): exact status, HTML, no Location */
async function localErrorPage(res: Response, status: number, text?: RegExp): Promise<string> {
  const html = await res.text();
  assert.equal(res.status, status, html.slice(0, 300));
  assert.equal(res.headers.get('location'), null, 'never redirected');
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  if (text) assert.match(html, text);
  return html;
}

/** a GET /authorize that must be refused on a page, nothing stored */
async function refusedOnPage(p: AuthorizeParams, text = /Invalid redirect URI/): Promise<void> {
  const { result } = await refusedWithoutWrite(t, () => t.fetch(authorizeUrl(t, { code_challenge: challenge(), ...p })));
  await localErrorPage(result, 400, text);
}

/** a GET /authorize refused back to the client: 303 to the redirect URI with error, state echoed, iss; nothing stored */
async function refusedToClient(p: AuthorizeParams, error: string, redirect = APP_REDIRECT): Promise<URL> {
  const { result } = await refusedWithoutWrite(t, () => t.fetch(authorizeUrl(t, p)));
  assert.equal(result.status, 303, await result.text());
  const loc = new URL(result.headers.get('location')!);
  assert.equal(`${loc.origin}${loc.pathname}`, redirect);
  assert.equal(loc.searchParams.get('error'), error);
  assert.equal(loc.searchParams.get('code'), null);
  assert.equal(loc.searchParams.get('iss'), t.issuer, 'RFC 9207 §2: iss on error responses too');
  if (p.state !== undefined && p.state.length <= 2048) assert.equal(loc.searchParams.get('state'), p.state);
  return loc;
}

/** the interaction an authorization request starts: its id and the browser (cookie jar) bound to it */
async function startInteraction(p: AuthorizeParams = {}): Promise<{ id: string; jar: CookieJar; html: string; csrf: string }> {
  const jar = new CookieJar();
  const res = await t.fetch(authorizeUrl(t, { code_challenge: challenge(), ...p }));
  assert.equal(res.status, 303, await res.text());
  jar.take(res);
  const loc = res.headers.get('location')!;
  const id = loc.split('/').pop()!;
  const page = await t.fetch(loc, { headers: { cookie: jar.header() } });
  const html = await page.text();
  return { id, jar, html, csrf: hiddenInput(html, 'csrf') ?? '' };
}

const post = (path: string, body: Record<string, string>, cookie: string): Promise<Response> =>
  t.fetch(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(body).toString() });

describe('attack: redirect URI manipulation at /authorize (OAuth 2.1 §4.1.1 exact match; RFC 9700 §4.1; RFC 8252 §7.3)', () => {
  const variations: Array<[string, string]> = [
    ['extra path segment', 'https://app.example/cb/extra'],
    ['path prefix only', 'https://app.example/c'],
    ['trailing slash added', 'https://app.example/cb/'],
    ['extra query parameter', 'https://app.example/cb?next=https://evil.example'],
    ['registered query changed', 'https://app.example/cb?x=2'],
    ['fragment appended', 'https://app.example/cb#frag'],
    ['host case changed', 'https://APP.example/cb'],
    ['path case changed', 'https://app.example/CB'],
    ['scheme downgraded to http', 'http://app.example/cb'],
    ['userinfo: registered host as username', 'https://app.example@evil.example/cb'],
    ['userinfo: attacker as username', 'https://evil.example@app.example/cb'],
    ['IDN homograph (Cyrillic а)', 'https://аpp.example/cb'],
    ['punycode look-alike', 'https://xn--pp-8cd.example/cb'],
    ['percent-encoded path character', 'https://app.example/%63b'],
    ['percent-encoded slash and dot segments', 'https://app.example/cb%2F..%2Fevil'],
    ['dot segments', 'https://app.example/cb/../evil'],
    ['default port made explicit', 'https://app.example:443/cb'],
    ['other port', 'https://app.example:8443/cb'],
    ['subdomain of the registered host', 'https://evil.app.example/cb'],
    ['registered host as a subdomain of the attacker', 'https://app.example.evil.example/cb'],
    ['backslash authority trick', 'https://evil.example\\@app.example/cb'],
    ['javascript: scheme', 'javascript:alert(1)//https://app.example/cb'],
    ['data: scheme', 'data:text/html,<script>alert(1)</script>'],
    ['loopback host swapped (localhost for 127.0.0.1)', 'http://localhost:5000/callback'],
    ['loopback [::1] not registered for this client', 'http://[::1]:5000/callback'],
    ['loopback with another path', 'http://127.0.0.1:5000/callback/evil'],
    ['loopback with userinfo', 'http://evil@127.0.0.1:5000/callback'],
    ['loopback over https (not registered)', 'https://127.0.0.1:5000/callback'],
    ['another loopback address (127.0.0.2)', 'http://127.0.0.2:5000/callback'],
    ['loopback port out of range', 'http://127.0.0.1:70000/callback'],
    ['loopback with a fragment', 'http://127.0.0.1:5000/callback#x'],
  ];
  for (const [name, redirect_uri] of variations) {
    it(`${name} is refused on a page, never redirected (as.authorize.redirect-exact) [bites: authz.redirect-uri-exact]`, async () => {
      await refusedOnPage({ redirect_uri });
    });
  }

  it('loopback redirect with any port is accepted (RFC 8252 §7.3) while the rest must match (as.authorize.redirect-exact)', async () => {
    const res = await t.fetch(authorizeUrl(t, { client_id: LOOPBACK_CLIENT, redirect_uri: 'http://127.0.0.1:53124/callback', code_challenge: challenge() }));
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /\/interaction\//);
  });

  it('redirect_uri left out while several are registered is refused on a page (as.authorize.redirect-exact)', async () => {
    await refusedOnPage({ redirect_uri: undefined }, /redirect_uri is required/);
  });

  it('redirect_uri left out for a loopback client is refused on a page (a port is needed) (as.authorize.redirect-exact)', async () => {
    await refusedOnPage({ client_id: LOOPBACK_CLIENT, redirect_uri: undefined }, /redirect_uri is required/);
  });

  it('open redirect: unknown client_id with an attacker redirect_uri gets a page, never a redirect (as.authorize.redirect-exact)', async () => {
    await refusedOnPage({ client_id: 'no-such-client', redirect_uri: 'https://evil.example/' }, /not registered/);
  });

  it('open redirect: an invalid request with an unregistered redirect_uri is shown here, not sent there (as.authorize.redirect-exact) [bites: authz.redirect-uri-exact]', async () => {
    await refusedOnPage({ redirect_uri: 'https://evil.example/cb', response_type: 'token' });
  });

  it('two redirect_uri parameters are refused on a page (as.authorize.redirect-exact)', async () => {
    const url = `${authorizeUrl(t, { code_challenge: challenge() })}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`;
    const { result } = await refusedWithoutWrite(t, () => t.fetch(url));
    await localErrorPage(result, 400);
  });
});

describe('attack: PKCE downgrade at /authorize (OAuth 2.1 §4.1.1; RFC 7636 §4.2)', () => {
  it('missing code_challenge is refused back to the client with invalid_request (as.authorize.pkce-s256-required) [bites: authz.pkce-required]', async () => {
    await refusedToClient({ code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request');
  });

  it('code_challenge_method=plain is refused (as.authorize.pkce-s256-required) [bites: authz.pkce-required]', async () => {
    await refusedToClient({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request');
  });

  it('code_challenge without a method (means plain) is refused (as.authorize.pkce-s256-required) [bites: authz.pkce-required]', async () => {
    await refusedToClient({ code_challenge: challenge(), code_challenge_method: undefined }, 'invalid_request');
  });

  it('malformed (short) S256 challenge is refused (as.authorize.pkce-s256-required) [bites: authz.pkce-required]', async () => {
    await refusedToClient({ code_challenge: 'abc', code_challenge_method: 'S256' }, 'invalid_request');
  });

  it('lowercase method "s256" is refused (as.authorize.pkce-s256-required) [bites: authz.pkce-required]', async () => {
    await refusedToClient({ code_challenge: challenge(), code_challenge_method: 's256' }, 'invalid_request');
  });
});

describe('attack: state and mix-up (RFC 9207; OAuth 2.1 §4.1.2; MCP [SEC] Mix-Up)', () => {
  it('state is reflected exactly, parameter injection through state is inert (as.authorize.iss) [bites: authz.iss-in-response]', async () => {
    const state = 'x&code=attacker-code&iss=https://evil.example';
    const loc = await refusedToClient({ state, response_type: 'token', code_challenge: challenge() }, 'unsupported_response_type');
    assert.deepEqual(loc.searchParams.getAll('state'), [state]);
    assert.deepEqual(loc.searchParams.getAll('code'), []);
    assert.deepEqual(loc.searchParams.getAll('iss'), [t.issuer]);
  });

  it('the success response carries code, the exact state and iss = this issuer (mix-up defence) (as.authorize.iss) [bites: authz.iss-in-response]', async () => {
    const c = await authorizeCode(t, { state: 'st-mixup' });
    assert.equal(c.location.searchParams.get('state'), 'st-mixup');
    assert.deepEqual(c.location.searchParams.getAll('iss'), [t.issuer]);
  });

  it('an oversized state (over 2048 characters) is refused and not reflected (as.authorize.iss)', async () => {
    const loc = await refusedToClient({ state: 's'.repeat(3000), code_challenge: challenge() }, 'invalid_request');
    assert.equal(loc.searchParams.get('state'), null);
  });

  it('implicit flow (response_type=token) is refused (as.authorize.code-only)', async () => {
    await refusedToClient({ response_type: 'token', code_challenge: challenge(), state: 's1' }, 'unsupported_response_type');
  });

  it('hybrid response_type "code id_token" is refused (as.authorize.code-only)', async () => {
    await refusedToClient({ response_type: 'code id_token', code_challenge: challenge(), state: 's2' }, 'unsupported_response_type');
  });

  it('request object (JAR) smuggling is refused (as.authorize.code-only)', async () => {
    await refusedToClient({ request: 'eyJhbGciOiJub25lIn0.e30.', code_challenge: challenge(), state: 's3' }, 'invalid_request');
  });

  it('response_mode=fragment (token leakage through the fragment) is refused (as.authorize.code-only)', async () => {
    await refusedToClient({ response_mode: 'fragment', code_challenge: challenge(), state: 's4' }, 'invalid_request');
  });

  it('two resource values (one audience per token) are refused with invalid_target (as.authorize.resource)', async () => {
    const url = `${authorizeUrl(t, { code_challenge: challenge(), state: 's5' })}&resource=${encodeURIComponent(t.otherResource)}`;
    const { result } = await refusedWithoutWrite(t, () => t.fetch(url));
    assert.equal(new URL(result.headers.get('location')!).searchParams.get('error'), 'invalid_target');
  });

  it('a resource this server does not protect is refused with invalid_target (as.authorize.resource)', async () => {
    await refusedToClient({ resource: 'https://evil.example/mcp', code_challenge: challenge(), state: 's6' }, 'invalid_target');
  });
});

describe('attack: clickjacking of the login and consent pages (RFC 9700 §4.16; MCP [SEC] consent page)', () => {
  const framing = (res: Response): void => {
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
  };

  it('the login page forbids framing (as.pages.frame-ancestors) [bites: authz.frame-ancestors]', async () => {
    const { jar, id } = await startInteraction();
    framing(await t.fetch(`/interaction/${id}`, { headers: { cookie: jar.header() } }));
  });

  it('the consent page forbids framing (as.pages.frame-ancestors) [bites: authz.frame-ancestors]', async () => {
    const { jar, id, csrf } = await startInteraction({ client_id: LOOPBACK_CLIENT, redirect_uri: 'http://127.0.0.1:5000/callback' });
    const login = await post(`/interaction/${id}/login`, { csrf, ...USER }, jar.header());
    jar.take(login);
    const consent = await t.fetch(`/interaction/${id}`, { headers: { cookie: jar.header() } });
    const html = await consent.text();
    assert.match(html, /name="decision"/);
    framing(consent);
  });

  it('the error page forbids framing (as.pages.frame-ancestors) [bites: authz.frame-ancestors]', async () => {
    framing(await t.fetch(authorizeUrl(t, { redirect_uri: 'https://evil.example/' })));
  });
});

describe('attack: CSRF and interaction hijacking on login and consent (RFC 9700 §4.7; MCP [SEC] consent CSRF)', () => {
  it('login POST without the CSRF token is refused with 403, no session started (as.pages.csrf) [bites: authz.csrf]', async () => {
    const { id, jar } = await startInteraction();
    const { result } = await refusedWithoutWrite(t, () => post(`/interaction/${id}/login`, USER, jar.header()));
    await localErrorPage(result, 403, /CSRF/);
    assert.equal(result.headers.getSetCookie().length, 0);
  });

  it('login POST with a forged CSRF token is refused with 403 (as.pages.csrf) [bites: authz.csrf]', async () => {
    const { id, jar } = await startInteraction();
    const { result } = await refusedWithoutWrite(t, () => post(`/interaction/${id}/login`, { ...USER, csrf: 'forged-token' }, jar.header()));
    await localErrorPage(result, 403, /CSRF/);
  });

  it('consent POST without the CSRF token issues no code (as.pages.csrf) [bites: authz.csrf]', async () => {
    const { id, jar, csrf } = await startInteraction();
    jar.take(await post(`/interaction/${id}/login`, { csrf, ...USER }, jar.header()));
    const { result, audit } = await refusedWithoutWrite(t, () => post(`/interaction/${id}/consent`, { decision: 'approve' }, jar.header()));
    await localErrorPage(result, 403, /CSRF/);
    assert.equal(audit.filter((a) => a.type === 'consent.granted').length, 0);
  });

  it('cross-site login: posting to a victim\'s interaction from another browser (no binding cookie) is refused (as.pages.csrf) [bites: authz.interaction-binding]', async () => {
    const victim = await startInteraction();
    const { result } = await refusedWithoutWrite(t, () => post(`/interaction/${victim.id}/login`, { ...USER, csrf: victim.csrf }, ''));
    await localErrorPage(result, 400, /no longer valid/);
  });

  it('consent from another browser (attacker\'s own interaction cookie, victim\'s interaction) is refused (as.pages.csrf) [bites: authz.interaction-binding]', async () => {
    const victim = await startInteraction();
    const attacker = await startInteraction();
    const { result } = await refusedWithoutWrite(t, () => post(`/interaction/${victim.id}/consent`, { decision: 'approve', csrf: victim.csrf }, attacker.jar.header()));
    await localErrorPage(result, 400, /no longer valid/);
  });

  it('a wrong password is refused on the page (401), audited as login.failure, no session (as.pages.login-audited)', async () => {
    const { id, jar, csrf } = await startInteraction();
    const { result, audit } = await refusedWithoutWrite(t, () => post(`/interaction/${id}/login`, { csrf, username: USER.username, password: 'wrong-password' }, jar.header()));
    assert.equal(result.status, 401);
    assert.equal(result.headers.getSetCookie().length, 0);
    assert.ok(audit.some((a) => a.type === 'login.failure'), JSON.stringify(audit));
  });

  it('the interaction is single use: replaying the consent POST issues no second code (as.pages.csrf)', async () => {
    const { id, jar, csrf } = await startInteraction({ client_id: LOOPBACK_CLIENT, redirect_uri: 'http://127.0.0.1:5003/callback' });
    jar.take(await post(`/interaction/${id}/login`, { csrf, ...USER }, jar.header()));
    const page = await (await t.fetch(`/interaction/${id}`, { headers: { cookie: jar.header() } })).text();
    const consentCsrf = hiddenInput(page, 'csrf') ?? csrf;
    const first = await post(`/interaction/${id}/consent`, { decision: 'approve', csrf: consentCsrf }, jar.header());
    assert.equal(first.status, 303);
    const { result } = await refusedWithoutWrite(t, () => post(`/interaction/${id}/consent`, { decision: 'approve', csrf: consentCsrf }, jar.header()));
    await localErrorPage(result, 400, /no longer valid/);
  });
});

describe('attack: consent reuse across clients (MCP [SEC] Confused Deputy: per-client consent)', () => {
  it('consent remembered for one client is not reused for another client (as.consent)', async () => {
    const jar = new CookieJar();
    await authorizeCode(t, { client_id: PUBLIC_CLIENT }, jar); // approve once: remembered for atk-public
    const again = await t.fetch(authorizeUrl(t, { client_id: PUBLIC_CLIENT, code_challenge: challenge() }), { headers: { cookie: jar.header() } });
    jar.take(again);
    const same = await t.fetch(again.headers.get('location')!, { headers: { cookie: jar.header() } });
    assert.equal(same.status, 303, 'the same client is not asked again');
    assert.match(same.headers.get('location') ?? '', /^https:\/\/app\.example\/cb\?code=/);
    const other = await t.fetch(authorizeUrl(t, { client_id: OTHER_PUBLIC_CLIENT, code_challenge: challenge() }), { headers: { cookie: jar.header() } });
    jar.take(other);
    const page = await t.fetch(other.headers.get('location')!, { headers: { cookie: jar.header() } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /name="decision"/, 'another client is asked for consent');
  });

  it('remembered consent does not cover a scope that was not granted (as.consent)', async () => {
    const jar = new CookieJar();
    await authorizeCode(t, { client_id: PUBLIC_CLIENT, scope: 'notes:read' }, jar);
    const more = await t.fetch(authorizeUrl(t, { client_id: PUBLIC_CLIENT, scope: 'notes:read notes:write', code_challenge: challenge() }), { headers: { cookie: jar.header() } });
    jar.take(more);
    const page = await t.fetch(more.headers.get('location')!, { headers: { cookie: jar.header() } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /name="decision"/);
  });

  it('a loopback redirect is asked every time, even after approval (localhost impersonation) (as.consent)', async () => {
    const jar = new CookieJar();
    await authorizeCode(t, { client_id: LOOPBACK_CLIENT, redirect_uri: 'http://127.0.0.1:5001/callback' }, jar);
    const again = await t.fetch(authorizeUrl(t, { client_id: LOOPBACK_CLIENT, redirect_uri: 'http://127.0.0.1:5002/callback', code_challenge: challenge() }), { headers: { cookie: jar.header() } });
    jar.take(again);
    const page = await t.fetch(again.headers.get('location')!, { headers: { cookie: jar.header() } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /name="decision"/);
  });
});

describe('attack: skipping the sign-in an app asked for (OpenID Connect Core §3.1.2.1, §3.1.2.6)', () => {
  it('prompt=none without a session: no login page, login_required at the client with state and iss, nothing stored (oidc.prompt.none) [bites: authz.prompt-none]', async () => {
    const { result } = await refusedWithoutWrite(t, () => t.fetch(authorizeUrl(t, { code_challenge: challenge(), prompt: 'none' })));
    assert.equal(result.status, 303);
    const loc = new URL(result.headers.get('location')!);
    assert.equal(loc.origin + loc.pathname, APP_REDIRECT, 'straight back to the client, no interaction page');
    assert.equal(loc.searchParams.get('error'), 'login_required');
    assert.equal(loc.searchParams.get('state'), 'st-123');
    assert.ok(loc.searchParams.get('iss'));
    assert.deepEqual(result.headers.getSetCookie(), []);
  });

  it('prompt=login: a live session with remembered consent issues no code until the user signs in again (oidc.prompt.login) [bites: authz.reauthentication]', async () => {
    const jar = new CookieJar();
    await authorizeCode(t, { client_id: PUBLIC_CLIENT }, jar); // signed in, consent remembered
    const again = await t.fetch(authorizeUrl(t, { client_id: PUBLIC_CLIENT, code_challenge: challenge(), prompt: 'login' }), { headers: { cookie: jar.header() } });
    jar.take(again);
    const page = await t.fetch(again.headers.get('location')!, { headers: { cookie: jar.header() } });
    assert.equal(page.status, 200, 'a page, not a redirect with a code');
    assert.match(await page.text(), /name="password"/);
  });
});
