import { randomUUID } from 'node:crypto';
import { constantTimeEqual, randomToken } from '../../../core/random.js';
import type { DeviceCodeRecord, UserRecord } from '../../../store/types.js';
import type { AsContext } from '../../context.js';
import { deviceApprovalPage, deviceDonePage, deviceEntryPage } from '../../pages/device.js';
import { errorPage, tooManyRequestsPage } from '../../pages/error.js';
import { pageHeaders } from '../../pages/layout.js';
import { loginPage } from '../../pages/login.js';
import { Params } from '../../params.js';
import { rateLimitsOf } from '../../rate-limits/index.js';
import { narrowToUser } from '../../user-scopes.js';
import { clearCookie, deviceCodeCookie, deviceCsrfCookie, loginCsrfCookie, readCookie, setCookie } from '../cookies.js';
import { federationOf, pageUpstreamButtons } from '../../federation/index.js';
import { readFormBody } from '../form.js';
import { checkLogin, currentSession, sessionCsrf, startSession, type SignedIn } from '../session.js';
import { deviceUrls } from './settings.js';
import { lookUpUserCode, type CodeEnterer } from './throttle.js';
import { formatUserCode, normalizeUserCode } from './user-code.js';

/**
 * The /device page (RFC 8628 §3.3; ARCHITECTURE "Pages"): enter the user code → sign in (the shared session) →
 * approve or deny. Server-rendered, no JavaScript, strict CSP. The code being approved travels in a `__Host-`
 * cookie between the steps and is checked again (and rate limited) at every step; forms carry CSRF tokens: the
 * browser's double-submit token before sign-in, a token bound to the session and the code on the approval.
 */
export type DeviceStep = 'show' | 'enter' | 'login' | 'approve-show' | 'approve';

const CSRF_TTL_S = 3600;
const INVALID_CODE = 'That code is not valid. Check the code shown on your device and enter it again; if it has expired, start again on the device.';

const approvalCsrf = (session: SignedIn, code: string): string => sessionCsrf(session, `device ${code}`);

export async function deviceEndpoint(ctx: AsContext, req: Request, step: DeviceStep, env?: unknown): Promise<Response> {
  const { settings } = ctx;
  const session = await currentSession(ctx, req);
  const browser = readCookie(req, deviceCsrfCookie(settings));
  const who: CodeEnterer = {
    ipBucket: rateLimitsOf(ctx).clientAddress(env, req).bucket,
    browser: browser && browser.length <= 128 ? browser : null,
    user_id: session?.user.id ?? null,
  };
  if (step === 'show') {
    const typed = new URL(req.url).searchParams.get('user_code') ?? '';
    const prefill = normalizeUserCode(typed);
    return entry(ctx, who.browser, { userCode: prefill ? formatUserCode(prefill) : typed.slice(0, 32) });
  }
  if (step === 'approve-show') return approvalStep(ctx, req, who, session);

  let form: Params;
  try {
    form = Params.fromForm(await readFormBody(req));
    const csrf = form.required('csrf', { max: 128 });
    const code = readCookie(req, deviceCodeCookie(settings)) ?? '';
    const expected = step === 'approve' ? session && approvalCsrf(session, code) : who.browser;
    if (!expected || !constantTimeEqual(csrf, expected)) throw new Error('csrf');
  } catch {
    // with no session the approval post goes back to sign-in; any other failure is a CSRF refusal
    if (step === 'approve' && !session) return seeOther(ctx, '/approve');
    return errorPage(settings, 403, 'Request refused', 'The form could not be verified (CSRF protection). Reload the page and try again.');
  }
  if (step === 'enter') return enterCode(ctx, who, form);
  if (step === 'login') return login(ctx, req, who, form);
  return decide(ctx, req, who, session!, form);
}

function entry(ctx: AsContext, browser: string | null, v: { userCode?: string; error?: string }, status = 200): Response {
  const csrf = browser ?? randomToken();
  const html = deviceEntryPage({ action: deviceUrls(ctx.settings).verification_uri, csrf, ...v });
  const res = new Response(html, { status, headers: pageHeaders() });
  if (!browser) setCookie(res.headers, deviceCsrfCookie(ctx.settings), csrf, { maxAge: CSRF_TTL_S, secure: ctx.settings.secureCookies });
  return res;
}

async function enterCode(ctx: AsContext, who: CodeEnterer, form: Params): Promise<Response> {
  let typed: string;
  try {
    typed = form.one('user_code', { max: 32 }) ?? '';
  } catch {
    typed = ''; // repeated or oversized: a wrong code like any other
  }
  const found = await lookUpUserCode(ctx, who, typed);
  if (found.kind === 'throttled') return tooManyRequestsPage(ctx.settings, found.retryAfterS);
  if (found.kind === 'invalid') return entry(ctx, who.browser, { error: INVALID_CODE }, 400);
  const res = seeOther(ctx, '/approve');
  setCookie(res.headers, deviceCodeCookie(ctx.settings), found.device.user_code, { maxAge: (found.device.expires_at - ctx.clock()) / 1000, secure: ctx.settings.secureCookies });
  return res;
}

/** GET /device/approve: the code from the cookie, checked again; sign-in first, then the approval page */
async function approvalStep(ctx: AsContext, req: Request, who: CodeEnterer, session: SignedIn | null): Promise<Response> {
  const device = await currentCode(ctx, req, who);
  if (device instanceof Response) return device;
  const client = await describeClient(ctx, device.client_id);
  if (!session) return signInForm(ctx, req, who, client, {}, 200);
  const resource = ctx.settings.resources.find((r) => r.id === device.resource);
  const html = deviceApprovalPage({
    action: `${deviceUrls(ctx.settings).verification_uri}/approve`,
    csrf: approvalCsrf(session, device.user_code),
    userCode: formatUserCode(device.user_code),
    clientName: client.name,
    clientHost: client.host,
    clientKind: client.kind,
    scopes: narrowToUser(ctx.settings, device.resource, session.user, device.scope),
    resource: device.resource,
    resourceName: resource?.name ?? device.resource,
    username: session.user.username,
  });
  return new Response(html, { status: 200, headers: pageHeaders() });
}

/**
 * The shared sign-in form, naming the client of the code being approved: the password form posting here (unless
 * login.password is off) and "Sign in with <IdP>" links that come back to the approval step (the code stays in
 * its cookie meanwhile); those links carry the browser's login CSRF cookie, set here when missing.
 */
function signInForm(ctx: AsContext, req: Request, who: CodeEnterer, client: { name: string | null; host: string }, v: { error?: string; username?: string }, status: number): Response {
  const csrf = who.browser ?? randomToken();
  const existing = readCookie(req, loginCsrfCookie(ctx.settings));
  const linkCsrf = existing && existing.length <= 128 ? existing : randomToken();
  const html = loginPage({
    action: `${deviceUrls(ctx.settings).verification_uri}/login`,
    csrf,
    clientName: client.name,
    clientHost: client.host,
    ...v,
    upstream: pageUpstreamButtons(ctx, `${ctx.settings.issuerPath}/device/approve`, linkCsrf),
    password: federationOf(ctx).passwordLogin,
  });
  const res = new Response(html, { status, headers: pageHeaders() });
  if (!who.browser) setCookie(res.headers, deviceCsrfCookie(ctx.settings), csrf, { maxAge: CSRF_TTL_S, secure: ctx.settings.secureCookies });
  if (linkCsrf !== existing) setCookie(res.headers, loginCsrfCookie(ctx.settings), linkCsrf, { maxAge: CSRF_TTL_S, secure: ctx.settings.secureCookies });
  return res;
}

async function login(ctx: AsContext, req: Request, who: CodeEnterer, form: Params): Promise<Response> {
  const result = await checkLogin(ctx, form);
  if (!result.ok && result.retryAfterS) return tooManyRequestsPage(ctx.settings, result.retryAfterS);
  if (!result.ok) {
    // the sign-in form again, still naming the client of the code this browser is approving
    const device = await currentCode(ctx, req, who);
    if (device instanceof Response) return device;
    const client = await describeClient(ctx, device.client_id);
    return signInForm(ctx, req, who, client, { error: result.error, ...(result.username ? { username: result.username } : {}) }, 401);
  }
  const res = seeOther(ctx, '/approve');
  await startSession(ctx, res.headers, result.user);
  return res;
}

/** POST /device/approve: decision=approve writes the grant and binds it to the code in one store call; deny marks it */
async function decide(ctx: AsContext, req: Request, who: CodeEnterer, session: SignedIn, form: Params): Promise<Response> {
  let decision: string | undefined;
  try {
    decision = form.one('decision', { max: 16 });
  } catch {
    decision = undefined;
  }
  if (decision !== 'approve' && decision !== 'deny') return errorPage(ctx.settings, 400, 'Invalid decision', 'Choose Approve or Deny.');
  const device = await currentCode(ctx, req, who);
  if (device instanceof Response) return device;
  const user: UserRecord = session.user;
  const now = ctx.clock();
  const actor = { user_id: user.id, client_id: device.client_id };
  let decided: DeviceCodeRecord | null;
  if (decision === 'approve') {
    const scope = narrowToUser(ctx.settings, device.resource, user, device.scope);
    // OpenID Connect Core §2: the user authenticated when this session started, not at this approval
    const grant = { id: randomUUID(), user_id: user.id, client_id: device.client_id, resource: device.resource, scope, created_at: now, auth_time: session.auth_time, revoked_at: null, revoked_reason: null };
    decided = await ctx.store.decideDeviceCode(device.user_code, { status: 'approved', user_id: user.id, scope, grant }, now);
    if (decided) {
      ctx.log.info({ event: 'device_authorized', client_id: device.client_id, user_id: user.id, grant_id: grant.id, scope }, 'device authorized');
      await ctx.audit.record('device.authorized', { grant_id: grant.id, resource: device.resource, scope }, { ...actor, subject: grant.id });
    }
  } else {
    decided = await ctx.store.decideDeviceCode(device.user_code, { status: 'denied' }, now);
    if (decided) {
      ctx.log.info({ event: 'device_denied', client_id: device.client_id, user_id: user.id }, 'device denied');
      await ctx.audit.record('device.denied', { resource: device.resource, scope: device.scope }, actor);
    }
  }
  // decided meanwhile (another tab, another instance) or expired since the check above
  if (!decided) return withoutCode(ctx, errorPage(ctx.settings, 400, 'This code is no longer valid', 'It expired or was already used. Start again on your device.'));
  return withoutCode(ctx, new Response(deviceDonePage(decision === 'approve'), { status: 200, headers: pageHeaders() }));
}

/** the pending code this browser is working on, checked again (rate limited), or the page to show instead */
async function currentCode(ctx: AsContext, req: Request, who: CodeEnterer): Promise<DeviceCodeRecord | Response> {
  const cookie = readCookie(req, deviceCodeCookie(ctx.settings));
  if (!cookie) return seeOther(ctx, '');
  const found = await lookUpUserCode(ctx, who, cookie.slice(0, 32));
  if (found.kind === 'throttled') return tooManyRequestsPage(ctx.settings, found.retryAfterS);
  if (found.kind === 'invalid') return withoutCode(ctx, entry(ctx, who.browser, { error: INVALID_CODE }, 400));
  return found.device;
}

/** the client as the user should see it: a CIMD client by the host of its URL, a static one by name and id */
async function describeClient(ctx: AsContext, client_id: string): Promise<{ name: string | null; host: string; kind: 'static' | 'cimd' }> {
  const cimd = client_id.startsWith('https://');
  const name = (await ctx.clients.resolve(client_id).catch(() => null))?.client_name ?? null;
  let host = client_id;
  if (cimd) {
    try {
      host = new URL(client_id).host;
    } catch {
      host = client_id;
    }
  }
  return { name, host, kind: cimd ? 'cimd' : 'static' };
}

function withoutCode(ctx: AsContext, res: Response): Response {
  clearCookie(res.headers, deviceCodeCookie(ctx.settings), ctx.settings.secureCookies);
  return res;
}

function seeOther(ctx: AsContext, path: string): Response {
  return new Response(null, { status: 303, headers: { location: `${deviceUrls(ctx.settings).verification_uri}${path}`, 'cache-control': 'no-store' } });
}
