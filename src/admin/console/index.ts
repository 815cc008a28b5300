import type { AsContext } from '../../as/context.js';
import { clearCookie, loginCsrfCookie, readCookie, setCookie } from '../../as/endpoints/cookies.js';
import { readFormBody } from '../../as/endpoints/form.js';
import { checkLogin, endSession, startSession } from '../../as/endpoints/session.js';
import { errorPage, tooManyRequestsPage } from '../../as/pages/error.js';
import { esc, page, pageHeaders } from '../../as/pages/layout.js';
import { loginPage } from '../../as/pages/login.js';
import { Params } from '../../as/params.js';
import { federationOf, pageUpstreamButtons, safeReturnTo } from '../../as/federation/index.js';
import { OAuthError } from '../../core/errors.js';
import { constantTimeEqual, randomToken } from '../../core/random.js';
import type { AdminDeps } from '../api/router.js';
import { consoleAccess, crossSite, verifiedForm } from './auth.js';
import { noticeOf, withNotice, type ActionHandler, type ConsoleCall, type PageHandler } from './call.js';
import { consoleHeaders, consolePage } from './layout.js';
import { auditPage } from './pages/audit.js';
import { clientPage, clientsPage, decideAction, rereviewAction } from './pages/clients.js';
import { grantsPage, revokeGrantAction } from './pages/grants.js';
import { keysPage, rotateAction } from './pages/keys.js';
import { overviewPage } from './pages/overview.js';
import { policyPage } from './pages/policy.js';
import { createUserAction, disabledAction, rolesAction, userPage, usersPage } from './pages/users.js';
import { CONSOLE_CSS_PATH, stylesheetResponse } from './style.js';

/** path of the admin console below the issuer (the JSON API lives below it, at /admin/api/v1) */
export const CONSOLE_PATH = '/admin';

const PAGES: Record<string, PageHandler> = {
  '/': overviewPage,
  '/clients': clientsPage,
  '/clients/view': clientPage,
  '/users': usersPage,
  '/users/view': userPage,
  '/grants': grantsPage,
  '/audit': auditPage,
  '/policy': policyPage,
  '/keys': keysPage,
};

const ACTIONS: Record<string, ActionHandler> = {
  '/clients/decide': decideAction,
  '/clients/rereview': rereviewAction,
  '/grants/revoke': revokeGrantAction,
  '/users/create': createUserAction,
  '/users/roles': rolesAction,
  '/users/disable': disabledAction(true),
  '/users/enable': disabledAction(false),
  '/keys/rotate': rotateAction,
};

/**
 * The admin console (issue 8) under `${issuer}/admin`: server-rendered pages that work without JavaScript, for
 * users holding the `admin` role, signed in through the same login and session as every page. Every change is a
 * POST form carrying the session-bound CSRF token, refused outright when it comes from another site, and audited
 * as an `admin.action` naming the administrator (as the admin API does, through the same domain functions).
 */
export function createAdminConsole(ctx: AsContext, deps: AdminDeps = {}): (req: Request) => Promise<Response> {
  const base = `${ctx.settings.issuerPath}${CONSOLE_PATH}`;
  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname === base ? '/' : url.pathname.slice(base.length).replace(/(.)\/$/, '$1');
    try {
      if (path === CONSOLE_CSS_PATH && (req.method === 'GET' || req.method === 'HEAD')) return stylesheetResponse();
      if (req.method === 'GET' || req.method === 'HEAD') return await show(ctx, deps, req, url, base, path);
      if (req.method === 'POST') return await act(ctx, deps, req, url, base, path);
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD, POST', 'cache-control': 'no-store' } });
    } catch (e) {
      ctx.log.error({ err: e, path }, 'admin console failed');
      return errorPage(ctx.settings, 500, 'Something went wrong', 'The console could not complete the request. It has been logged.');
    }
  };
}

async function show(ctx: AsContext, deps: AdminDeps, req: Request, url: URL, base: string, path: string): Promise<Response> {
  const access = await consoleAccess(ctx, req);
  if (access.kind === 'anonymous') return showLogin(ctx, base, undefined, undefined, 200, url.pathname + url.search);
  if (access.kind === 'forbidden') return forbidden(ctx, base, access.session.user.username, access.csrf);
  const handler = Object.hasOwn(PAGES, path) ? PAGES[path]! : null;
  const call: ConsoleCall = { ctx, deps, req, url, base, access };
  const view = handler ? await handler(call) : { title: 'Not found', section: 'overview' as const, status: 404, body: '', error: 'There is no such console page.' };
  const notice = view.error ? { kind: 'error' as const, text: view.error } : noticeOf(url);
  const html = consolePage({ base, username: access.actor.name, csrf: access.csrf, section: view.section, title: view.title, notice }, view.body);
  return new Response(html, { status: view.status ?? 200, headers: consoleHeaders() });
}

const refused = (ctx: AsContext, why: string): Response => errorPage(ctx.settings, 403, 'Request refused', why);
const CSRF_REFUSED = 'The form could not be verified (CSRF protection). Reload the console and try again. Nothing was changed.';

async function act(ctx: AsContext, deps: AdminDeps, req: Request, url: URL, base: string, path: string): Promise<Response> {
  // a forged cross-site post is refused before anything is read or changed
  const foreign = crossSite(ctx, req);
  if (foreign) {
    ctx.log.warn({ event: 'admin_console_cross_site', path, source: foreign }, 'admin console: cross-site request refused');
    return refused(ctx, 'This request came from another site. Nothing was changed.');
  }
  if (path === '/login') return login(ctx, req, base);
  const access = await consoleAccess(ctx, req);
  if (access.kind === 'anonymous') return refused(ctx, 'Sign in to the console first. Nothing was changed.');
  const form = await verifiedForm(req, access.csrf);
  if (!form) {
    ctx.log.warn({ event: 'admin_console_csrf', path, user_id: access.session.user.id }, 'admin console: CSRF token missing or wrong');
    return refused(ctx, CSRF_REFUSED);
  }
  if (path === '/logout') {
    const res = seeOther(base);
    await endSession(ctx, access.session, res.headers);
    return res;
  }
  if (access.kind === 'forbidden') return forbidden(ctx, base, access.session.user.username, access.csrf);
  const handler = Object.hasOwn(ACTIONS, path) ? ACTIONS[path]! : null;
  if (!handler) return errorPage(ctx.settings, 404, 'Not found', 'There is no such console action.');
  const call: ConsoleCall = { ctx, deps, req, url, base, access };
  let result;
  try {
    result = await handler(call, form);
  } catch (e) {
    // Params refuses repeated, oversized or control-character values: bad input, nothing changed
    if (e instanceof OAuthError) return seeOther(withNotice(`${base}`, 'bad-input'));
    throw e;
  }
  return seeOther(withNotice(result.to, result.notice));
}

/**
 * the shared login page (ARCHITECTURE "Pages": fields username, password), posting to the console; "Sign in with
 * <IdP>" links come back to the console page asked for (`returnTo`, when it is on the allow-list; else the overview)
 */
function showLogin(ctx: AsContext, base: string, error?: string, username?: string, status = 200, returnTo?: string): Response {
  const csrf = randomToken();
  const html = loginPage({
    action: `${base}/login`,
    csrf,
    clientName: 'the Portcullis admin console',
    clientHost: new URL(ctx.settings.issuer).host,
    ...(error ? { error } : {}),
    ...(username ? { username } : {}),
    upstream: pageUpstreamButtons(ctx, safeReturnTo(ctx.settings, returnTo) ?? base, csrf),
    password: federationOf(ctx).passwordLogin,
  });
  const res = new Response(html, { status: error ? 401 : status, headers: pageHeaders() });
  setCookie(res.headers, loginCsrfCookie(ctx.settings), csrf, { maxAge: 3600, secure: ctx.settings.secureCookies });
  return res;
}

/** POST login: the same checks as every login (checkLogin: rate limits, audit), then the shared session */
async function login(ctx: AsContext, req: Request, base: string): Promise<Response> {
  let form: Params;
  try {
    form = Params.fromForm(await readFormBody(req));
    const sent = form.required('csrf', { max: 128 });
    const expected = readCookie(req, loginCsrfCookie(ctx.settings));
    if (!expected || !constantTimeEqual(sent, expected)) throw new Error('csrf');
  } catch {
    return refused(ctx, CSRF_REFUSED);
  }
  // login.password: false — only the IdP; a posted password is never checked
  if (!federationOf(ctx).passwordLogin) return showLogin(ctx, base, 'Sign in with your identity provider.');
  const result = await checkLogin(ctx, form);
  if (!result.ok && result.retryAfterS) return tooManyRequestsPage(ctx.settings, result.retryAfterS);
  if (!result.ok) return showLogin(ctx, base, result.error, result.username);
  const res = seeOther(base);
  clearCookie(res.headers, loginCsrfCookie(ctx.settings), ctx.settings.secureCookies);
  await startSession(ctx, res.headers, result.user);
  return res;
}

/** signed in, but without the admin role: 403, with a way to sign out and in as someone else */
function forbidden(ctx: AsContext, base: string, username: string, csrf: string): Response {
  const body = `<h1>Administrators only</h1><div class="error" role="alert" id="forbidden">You are signed in as <strong>${esc(username)}</strong>, who does not hold the <code>admin</code> role. The admin console is for administrators.</div>
<form method="post" action="${esc(base)}/logout"><input type="hidden" name="csrf" value="${esc(csrf)}"><div class="row"><button type="submit" class="secondary">Sign out</button></div></form>`;
  ctx.log.info({ event: 'admin_console_forbidden', username }, 'admin console refused: not an administrator');
  return new Response(page('Administrators only', body), { status: 403, headers: pageHeaders() });
}

function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
}
