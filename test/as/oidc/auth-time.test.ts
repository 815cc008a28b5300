/**
 * auth_time is the time the user authenticated (OpenID Connect Core §2), in every token derived from a sign-in: the
 * start of the browser session, not the consent (remembered consent approves with no authentication at all), not a
 * refresh (§12.2), not a device approval; carried by access tokens unchanged (RFC 9068 §2.2.1) and by the ID-JAGs
 * minted from the sign-in. Grants written before store migration 5 have no recorded time: their creation stands in.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { pkcePair, type Harness } from '../../helpers/as-harness.js';
import { CookieJar, driveAuthorization, formAction, hiddenInput } from '../../helpers/browserless.js';
import { driveDevice } from '../../helpers/device-driver.js';
import { sha256 } from '../../../src/core/random.js';
import { SESSION_TTL_MS } from '../../../src/as/endpoints/session.js';
import { newRefreshToken } from '../../../src/as/tokens.js';
import {
  APP,
  APP_REDIRECT,
  appAuth,
  exchange,
  idpConfig,
  ISSUER,
  OTHER,
  OTHER_SECRET,
  PASSWORDS,
  post,
  REFRESH_TOKEN_TYPE,
  RESOURCE,
  startIdp,
} from '../idjag-issuance/setup.js';

const HOUR = 3600_000;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DEVICE_CLIENT = 'auth-time-device';
const USERINFO = `${ISSUER}/userinfo`;

let h: Harness;
before(async () => {
  const base = idpConfig();
  h = await startIdp({ clients: [...(base.clients ?? []), { client_id: DEVICE_CLIENT, client_name: 'Device CLI', grant_types: [DEVICE_GRANT, 'refresh_token'] }] });
});
after(() => h.close());

const seconds = (ms: number): number => Math.floor(ms / 1000);
const fetcher = (url: string, init?: RequestInit) => h.request(url, init);

function authorizeUrl(challenge: string, client_id: string, scope: string): string {
  const u = new URL(`${ISSUER}/authorize`);
  const q = { response_type: 'code', client_id, redirect_uri: APP_REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 'st-1', scope };
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  return u.toString();
}

/** the code the client's redirect carries, redeemed by the confidential app */
async function redeem(location: string, verifier: string, client_id = APP): Promise<Record<string, string>> {
  const code = new URL(location).searchParams.get('code');
  assert.ok(code, `a code: ${location}`);
  const form = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: APP_REDIRECT };
  const res = client_id === OTHER ? await post(h, '/token', { ...form, client_id: OTHER, client_secret: OTHER_SECRET }) : await post(h, '/token', form, appAuth());
  const body = (await res.json()) as Record<string, string>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** the app's sign-in through this browser (`jar`): the pages it had to show (none when signed in and consent remembered) */
async function signIn(jar: CookieJar, username = 'alice', scope = 'openid profile offline_access'): Promise<{ body: Record<string, string>; pages: string[] }> {
  const { verifier, challenge } = pkcePair();
  const { location, pages } = await driveAuthorization(fetcher, authorizeUrl(challenge, APP, scope), { username, password: PASSWORDS[username]!, jar });
  return { body: await redeem(location, verifier), pages };
}

const refresh = async (refresh_token: string): Promise<Record<string, string>> => {
  const res = await post(h, '/token', { grant_type: 'refresh_token', refresh_token }, appAuth());
  const body = (await res.json()) as Record<string, string>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
};

const sessionId = (jar: CookieJar): string => /(?:^|; )portcullis_session=([^;]+)/.exec(jar.header())![1]!;

describe('OpenID Connect Core §2: auth_time is when the user signed in, not when a code was approved (as.oidc.auth-time)', () => {
  it('signed in at T0, remembered consent at T1 = T0 + 3 h: the ID token says T0, and so do the access token and the grant (as.oidc.auth-time)', async () => {
    const jar = new CookieJar();
    const t0 = h.clock.now;
    const first = await signIn(jar);
    assert.ok(first.pages.some((p) => p.includes('name="password"')), 'signed in at T0');
    assert.equal(decodeJwt(first.body.id_token!).auth_time, seconds(t0));

    h.clock.advance(3 * HOUR);
    const again = await signIn(jar);
    assert.deepEqual(again.pages, [], 'T1: no sign-in and no consent page (session and remembered consent)');
    const idToken = decodeJwt(again.body.id_token!);
    assert.equal(idToken.iat, seconds(h.clock.now));
    assert.equal(idToken.auth_time, seconds(t0), 'the sign-in, not the approval three hours later');
    const at = decodeJwt(again.body.access_token!);
    assert.equal(at.auth_time, seconds(t0));
    assert.equal((await h.store.getGrant(at.grant_id as string))?.auth_time, t0, 'kept on the grant, in ms');
  });

  it('explicit consent long after the sign-in: still the sign-in (as.oidc.auth-time)', async () => {
    const jar = new CookieJar();
    const t0 = h.clock.now;
    await signIn(jar, 'bob');
    h.clock.advance(SESSION_TTL_MS - HOUR);
    // another client, never consented to: the consent page is shown and approved now
    const { verifier, challenge } = pkcePair();
    const { location, pages } = await driveAuthorization(fetcher, authorizeUrl(challenge, OTHER, 'openid'), { username: 'bob', password: PASSWORDS.bob!, jar });
    assert.equal(pages.length, 1, 'the consent page only');
    assert.match(pages[0]!, /name="decision"/);
    assert.equal(decodeJwt((await redeem(location, verifier, OTHER)).id_token!).auth_time, seconds(t0));
  });

  it('a new sign-in moves auth_time: once the session is over, the next code carries the new sign-in (as.oidc.auth-time)', async () => {
    const jar = new CookieJar();
    await signIn(jar, 'carol', 'openid');
    h.clock.advance(SESSION_TTL_MS + HOUR);
    const t1 = h.clock.now;
    const later = await signIn(jar, 'carol', 'openid');
    assert.ok(later.pages.some((p) => p.includes('name="password"')), 'the session expired: signed in again');
    assert.equal(decodeJwt(later.body.id_token!).auth_time, seconds(t1));
  });
});

describe('OpenID Connect Core §12.2; RFC 9068 §2.2.1: every token derived from the sign-in keeps its auth_time (as.oidc.auth-time-kept)', () => {
  it('refreshed at T2: the new ID token and access token carry T0; an ID-JAG exchanged from that refresh token too (as.oidc.auth-time-kept)', async () => {
    const jar = new CookieJar();
    const t0 = h.clock.now;
    await signIn(jar);
    h.clock.advance(3 * HOUR);
    const code = await signIn(jar);
    h.clock.advance(2 * HOUR);
    const refreshed = await refresh(code.body.refresh_token!);
    const idToken = decodeJwt(refreshed.id_token!);
    assert.equal(idToken.iat, seconds(h.clock.now));
    assert.equal(idToken.auth_time, seconds(t0), 'not the refresh, not the code');
    assert.equal(decodeJwt(refreshed.access_token!).auth_time, seconds(t0));

    const viaRefresh = await exchange(h, { subject_token: refreshed.refresh_token, subject_token_type: REFRESH_TOKEN_TYPE });
    assert.equal(viaRefresh.res.status, 200, JSON.stringify(viaRefresh.body));
    assert.equal(decodeJwt(viaRefresh.body.access_token as string).auth_time, seconds(t0));
    const viaIdToken = await exchange(h, { subject_token: refreshed.id_token });
    assert.equal(viaIdToken.res.status, 200, JSON.stringify(viaIdToken.body));
    assert.equal(decodeJwt(viaIdToken.body.access_token as string).auth_time, seconds(t0));
  });

  it('a grant from before migration 5 (auth_time null) falls back to its creation: refresh and ID-JAG alike (as.oidc.auth-time-kept)', async () => {
    const created = h.clock.now - 5 * HOUR;
    const grant = { id: `legacy-${created}`, user_id: 'user-1', client_id: APP, resource: USERINFO, scope: ['openid', 'offline_access'], created_at: created, auth_time: null, revoked_at: null, revoked_reason: null };
    await h.store.createGrant(grant);
    assert.equal((await h.store.getGrant(grant.id))?.auth_time, null);
    const rt = newRefreshToken(h.ctx, { grant_id: grant.id, user_id: grant.user_id, client_id: APP, resource: USERINFO, scope: grant.scope });
    await h.store.putRefreshToken(rt.record);

    const refreshed = await refresh(rt.token);
    assert.equal(decodeJwt(refreshed.id_token!).auth_time, seconds(created));
    assert.equal(decodeJwt(refreshed.access_token!).auth_time, seconds(created));
    const jag = await exchange(h, { subject_token: refreshed.refresh_token, subject_token_type: REFRESH_TOKEN_TYPE });
    assert.equal(jag.res.status, 200, JSON.stringify(jag.body));
    assert.equal(decodeJwt(jag.body.access_token as string).auth_time, seconds(created));
  });
});

describe('RFC 8628 device approval: auth_time is the approving session\'s sign-in (as.oidc.auth-time)', () => {
  async function device(jar: CookieJar): Promise<{ body: Record<string, string>; signedIn: boolean }> {
    const start = await post(h, '/device_authorization', { client_id: DEVICE_CLIENT, scope: 'notes:read', resource: RESOURCE });
    const da = (await start.json()) as Record<string, string>;
    assert.equal(start.status, 200, JSON.stringify(da));
    const { pages } = await driveDevice(fetcher, da.verification_uri_complete!, { username: 'alice', password: PASSWORDS.alice!, decision: 'approve', jar });
    const res = await post(h, '/token', { grant_type: DEVICE_GRANT, device_code: da.device_code, client_id: DEVICE_CLIENT });
    const body = (await res.json()) as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(body));
    return { body, signedIn: pages.some((p) => p.html.includes('name="password"')) };
  }

  it('signed in on the /device page at T0, a second device approved at T1 from that session: its tokens, refreshed at T2, carry T0 (as.oidc.auth-time, as.oidc.auth-time-kept)', async () => {
    const jar = new CookieJar();
    const t0 = h.clock.now;
    const first = await device(jar);
    assert.ok(first.signedIn);
    assert.equal(decodeJwt(first.body.access_token!).auth_time, seconds(t0));

    h.clock.advance(3 * HOUR);
    const second = await device(jar);
    assert.equal(second.signedIn, false, 'approved from the existing session');
    const at = decodeJwt(second.body.access_token!);
    assert.equal(at.auth_time, seconds(t0), 'the sign-in, not the approval');
    assert.equal((await h.store.getGrant(at.grant_id as string))?.auth_time, t0);

    h.clock.advance(2 * HOUR);
    const res = await post(h, '/token', { grant_type: 'refresh_token', refresh_token: second.body.refresh_token!, client_id: DEVICE_CLIENT });
    const refreshed = (await res.json()) as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(refreshed));
    assert.equal(decodeJwt(refreshed.access_token!).auth_time, seconds(t0));
  });
});

describe('no code without the session that signed its user in: no auth_time is made up (as.oidc.auth-time)', () => {
  /** /authorize → sign in on the login page → the interaction URL, signed in */
  async function signedInInteraction(jar: CookieJar, client_id: string, scope: string): Promise<{ url: string; verifier: string }> {
    const { verifier, challenge } = pkcePair();
    const get = async (url: string, init: RequestInit = {}) => {
      const res = await h.request(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
      jar.take(res);
      return res;
    };
    const start = await get(authorizeUrl(challenge, client_id, scope));
    const url = new URL(start.headers.get('location')!, ISSUER).href;
    const login = await (await get(url)).text();
    assert.match(login, /name="password"/);
    const body = new URLSearchParams({ csrf: hiddenInput(login, 'csrf')!, username: 'alice', password: PASSWORDS.alice! });
    const res = await get(new URL(formAction(login), ISSUER).href, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 303);
    return { url, verifier };
  }

  const consent = (url: string, html: string, cookie: string) =>
    h.request(new URL(formAction(html), url).href, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: hiddenInput(html, 'csrf')!, decision: 'approve' }).toString(),
    });

  it('signed out between sign-in and consent: the sign-in page again, no grant; signing in again gives that new time (as.oidc.auth-time)', async () => {
    const jar = new CookieJar();
    const { url, verifier } = await signedInInteraction(jar, OTHER, 'openid email');
    const page = await (await h.request(url, { headers: { cookie: jar.header() } })).text();
    assert.match(page, /name="decision"/, 'the consent page');
    await h.store.deleteSession(sha256(sessionId(jar)));
    const grants = (await h.store.listGrants({ user_id: 'user-1', client_id: OTHER })).length;

    const res = await consent(url, page, jar.header());
    assert.equal(res.status, 200);
    assert.match(await res.text(), /name="password"/, 'asked to sign in');
    assert.equal((await h.store.listGrants({ user_id: 'user-1', client_id: OTHER })).length, grants, 'no grant written');

    h.clock.advance(2 * 60_000); // within the interaction's lifetime
    const t1 = h.clock.now;
    const { location } = await driveAuthorization(fetcher, url, { username: 'alice', password: PASSWORDS.alice!, jar });
    assert.equal(decodeJwt((await redeem(location, verifier, OTHER)).id_token!).auth_time, seconds(t1));
  });

  it('another user signed in since in this browser: the interaction\'s user is asked to sign in again, no code (as.oidc.auth-time)', async () => {
    const jar = new CookieJar();
    const { url } = await signedInInteraction(jar, OTHER, 'openid profile');
    const page = await (await h.request(url, { headers: { cookie: jar.header() } })).text();
    const bobSid = `bob-session-${h.clock.now}`;
    await h.store.putSession({ id_hash: sha256(bobSid), user_id: 'user-bob', created_at: h.clock.now, expires_at: h.clock.now + HOUR });
    const res = await consent(url, page, jar.header().replace(sessionId(jar), bobSid));
    assert.equal(res.status, 200);
    assert.match(await res.text(), /name="password"/);
    assert.equal(res.headers.get('location'), null, 'no redirect with a code');
  });
});
