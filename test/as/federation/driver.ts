/**
 * Plays the browser for a sign-in through an upstream IdP: Portcullis (in-process harness) → "Sign in with …" →
 * the real oidc-provider's login and consent forms over HTTP → the callback, which is returned unsent so that a
 * test can replay, alter or send it from another browser. Every response Portcullis gives is kept (bodies and
 * Location headers) so a test can prove no upstream token is in any of them.
 */
import assert from 'node:assert/strict';
import { ISSUER, pkcePair, type Harness } from '../../helpers/as-harness.js';
import type { AuditRow } from '../../../src/store/types.js';
import { CookieJar, formAction, hiddenInput } from '../../helpers/browserless.js';
import { IDP_CLIENT_SECRET, signInAtIdp, TestIdp, type TestIdpOptions } from '../../helpers/oidc-idp.js';
import { authorizeUrl, type AuthzOptions } from '../flow.js';

export const CLIENT_REDIRECT = 'http://127.0.0.1:53111/callback';

/**
 * A real oidc-provider IdP for the in-process harness: its client redirects to the harness's
 * /login/callback/<kind> (the tests configure each IdP under the id of its kind), and TEST_IDP_SECRET holds the
 * client secret their config names.
 */
export async function startIdp(kind: TestIdpOptions['kind'], o: Omit<TestIdpOptions, 'kind' | 'redirectUris'> = {}): Promise<TestIdp> {
  process.env.TEST_IDP_SECRET = IDP_CLIENT_SECRET;
  return new TestIdp({ kind, redirectUris: [`${ISSUER}/login/callback/${kind}`], ...o }).start();
}

export interface Browser {
  jar: CookieJar;
  /** every Portcullis response: status, Location and body */
  seen: string[];
  /** a request to Portcullis with this browser's cookies (redirects not followed) */
  get(url: string, init?: RequestInit): Promise<Response>;
}

export function browser(h: Harness): Browser {
  const jar = new CookieJar();
  const seen: string[] = [];
  return {
    jar,
    seen,
    async get(url, init = {}) {
      const res = await h.request(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
      jar.take(res);
      const body = await res.clone().text();
      seen.push(`${res.status} ${res.headers.get('location') ?? ''} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${body}`);
      return res;
    },
  };
}

export interface AtCallback {
  b: Browser;
  /** the interaction page URL (after the callback, the consent page is here) */
  interactionUrl: string;
  /** the IdP's redirect to Portcullis, not yet sent */
  callback: URL;
  verifier: string;
  /** the authorization request the IdP received */
  upstreamAuthorize: URL;
}

/** /authorize → login page → "Sign in with <idp>" → the IdP's forms → the callback URL (unsent). */
export async function toCallback(h: Harness, idpId: string, login: string, o: AuthzOptions & { b?: Browser } = {}): Promise<AtCallback> {
  const b = o.b ?? browser(h);
  const { verifier, challenge } = pkcePair();
  const start = await b.get(authorizeUrl(challenge, { redirect_uri: CLIENT_REDIRECT, scope: 'notes:read', ...o }));
  assert.equal(start.status, 303, `authorize: ${await start.text()}`);
  const interactionUrl = new URL(start.headers.get('location')!, ISSUER).href;
  const page = await b.get(interactionUrl);
  const html = await page.text();
  const link = new RegExp(`href="([^"]*/upstream/${idpId}\\?[^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(link, `the login page has a "Sign in with" link for ${idpId}:\n${html}`);
  const go = await b.get(new URL(link, ISSUER).href);
  assert.equal(go.status, 303, `upstream start: ${await go.text()}`);
  const upstreamAuthorize = new URL(go.headers.get('location')!);
  const callback = await signInAtIdp(fetch, upstreamAuthorize.href, `${ISSUER}/login/callback/${idpId}`, login, b.jar);
  return { b, interactionUrl, callback, verifier, upstreamAuthorize };
}

/** sends the callback; on success follows to consent, approves, and returns the client redirect */
export async function finish(at: AtCallback, callback: URL = at.callback): Promise<{ callbackRes: Response; location?: URL; consentHtml?: string }> {
  const callbackRes = await at.b.get(callback.href);
  if (callbackRes.status !== 303) return { callbackRes };
  assert.equal(new URL(callbackRes.headers.get('location')!, ISSUER).href, at.interactionUrl, 'back to the interaction');
  const consent = await at.b.get(at.interactionUrl);
  const consentHtml = await consent.text();
  assert.equal(consent.status, 200, consentHtml);
  const approve = await at.b.get(new URL(formAction(consentHtml), ISSUER).href, {
    method: 'POST',
    body: new URLSearchParams({ csrf: hiddenInput(consentHtml, 'csrf') ?? '', decision: 'approve' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER },
  });
  assert.equal(approve.status, 303, await approve.text());
  return { callbackRes, location: new URL(approve.headers.get('location')!), consentHtml };
}

/** the upstream sign-in audit entries of one type, newest first, data parsed */
export async function upstreamAudits(h: Harness, type: string): Promise<(Omit<AuditRow, 'data'> & { data: Record<string, unknown> })[]> {
  return (await h.store.listAudit({ types: [type], limit: 100, order: 'desc' })).map((e) => ({ ...e, data: JSON.parse(e.data) as Record<string, unknown> }));
}

/** a refused callback: an error page (no redirect anywhere), no session cookie, nothing written, audited with `reason` */
export async function expectRefused(h: Harness, at: AtCallback, callback: URL, status: number, reason: string): Promise<string> {
  const users = (await h.store.listUsers()).length;
  const before = (await upstreamAudits(h, 'login.upstream.failure')).length;
  const res = await at.b.get(callback.href);
  const html = await res.text();
  assert.equal(res.status, status, html);
  assert.equal(res.headers.get('location'), null, 'never a redirect (least of all to the MCP client)');
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.ok(!res.headers.getSetCookie().some((c) => /session/.test(c)), 'no session started');
  assert.equal((await h.store.listUsers()).length, users, 'no user written');
  const failures = await upstreamAudits(h, 'login.upstream.failure');
  assert.equal(failures.length, before + 1, 'audited once');
  assert.equal(failures[0]!.data.reason, reason);
  assert.doesNotMatch(html, /eyJ/, 'no token in the page');
  return html;
}
