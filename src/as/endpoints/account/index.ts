import { constantTimeEqual, randomToken } from '../../../core/random.js';
import type { GrantSummary } from '../../../store/types.js';
import type { AsContext } from '../../context.js';
import { accountPage, type ConnectedApp } from '../../pages/account.js';
import { errorPage, tooManyRequestsPage } from '../../pages/error.js';
import { pageHeaders } from '../../pages/layout.js';
import { loginPage } from '../../pages/login.js';
import { Params } from '../../params.js';
import { clearCookie, loginCsrfCookie, readCookie, setCookie } from '../cookies.js';
import { readFormBody } from '../form.js';
import { checkLogin, currentSession, endSession, sessionCsrf, startSession, type SignedIn } from '../session.js';
import { federationOf, pageUpstreamButtons } from '../../federation/index.js';

export const USER_REVOCATION_REASON = 'user';
const CSRF_PURPOSE = 'account';
/** how long the page waits for CIMD client names before showing hosts only */
const NAME_BUDGET_MS = 1500;

type Step = 'show' | 'login' | 'revoke' | 'logout';

/**
 * A user's own "Connected apps" page (ARCHITECTURE "Pages"): sign in, see the live grants, revoke one, sign out.
 * Every POST carries a CSRF token: bound to the session when signed in, double-submitted with a cookie before.
 */
export async function accountEndpoint(ctx: AsContext, req: Request, step: Step): Promise<Response> {
  const session = await currentSession(ctx, req);
  if (step === 'show') return session ? showAccount(ctx, session, new URL(req.url).searchParams.has('revoked')) : showLogin(ctx);

  let form: Params;
  try {
    form = Params.fromForm(await readFormBody(req));
    const csrf = form.required('csrf', { max: 128 });
    const expected = step === 'login' ? readCookie(req, loginCsrfCookie(ctx.settings)) : session && sessionCsrf(session, CSRF_PURPOSE);
    if (!expected || !constantTimeEqual(csrf, expected)) throw new Error('csrf');
  } catch {
    return errorPage(ctx.settings, 403, 'Request refused', 'The form could not be verified (CSRF protection). Reload the page and try again.');
  }
  if (step === 'login') return login(ctx, form);
  if (!session) return seeOther(ctx);
  if (step === 'logout') {
    const res = seeOther(ctx);
    await endSession(ctx, session, res.headers);
    return res;
  }
  return revoke(ctx, session, form);
}

async function login(ctx: AsContext, form: Params): Promise<Response> {
  const result = await checkLogin(ctx, form);
  if (!result.ok && result.retryAfterS) return tooManyRequestsPage(ctx.settings, result.retryAfterS);
  if (!result.ok) return showLogin(ctx, result.error, result.username);
  const res = seeOther(ctx);
  clearCookie(res.headers, loginCsrfCookie(ctx.settings), ctx.settings.secureCookies);
  await startSession(ctx, res.headers, result.user);
  return res;
}

/** Revokes one grant, and only one of the signed-in user's own (anything else: 404, nothing changed). */
async function revoke(ctx: AsContext, session: SignedIn, form: Params): Promise<Response> {
  let id: string;
  try {
    id = form.required('grant', { max: 128 });
  } catch {
    return errorPage(ctx.settings, 400, 'Invalid request', 'Choose the application to revoke from the list.');
  }
  const grant = await ctx.store.getGrant(id);
  if (!grant || grant.user_id !== session.user.id) {
    return errorPage(ctx.settings, 404, 'No such connected app', 'It may have been revoked already. Reload the list.');
  }
  if (grant.revoked_at === null) {
    await ctx.store.revokeGrant(grant.id, ctx.clock(), USER_REVOCATION_REASON);
    ctx.onGrantRevoked(grant.id);
    ctx.log.info({ event: 'grant_revoked', user_id: session.user.id, client_id: grant.client_id, grant_id: grant.id, via: 'account' }, 'grant revoked by its user');
    await ctx.audit.record('token.revoked', { grant_id: grant.id, reason: USER_REVOCATION_REASON }, { user_id: session.user.id, client_id: grant.client_id });
  }
  return seeOther(ctx, '?revoked=1');
}

function showLogin(ctx: AsContext, error?: string, username?: string): Response {
  const csrf = randomToken();
  const html = loginPage({
    action: `${ctx.settings.endpoints.account}/login`,
    csrf,
    clientName: null,
    ...(error ? { error } : {}),
    ...(username ? { username } : {}),
    // "Sign in with <IdP>", back to this page; the password form unless login.password is off
    upstream: pageUpstreamButtons(ctx, `${ctx.settings.issuerPath}/account`, csrf),
    password: federationOf(ctx).passwordLogin,
  });
  const res = new Response(html, { status: error ? 401 : 200, headers: pageHeaders() });
  setCookie(res.headers, loginCsrfCookie(ctx.settings), csrf, { maxAge: 3600, secure: ctx.settings.secureCookies });
  return res;
}

async function showAccount(ctx: AsContext, session: SignedIn, revoked: boolean): Promise<Response> {
  const grants = await ctx.store.listGrants({ user_id: session.user.id });
  const names = await clientNames(ctx, grants);
  const apps = grants.map((g): ConnectedApp => {
    const cimd = g.client_id.startsWith('https://');
    return {
      grant_id: g.id,
      clientName: names.get(g.client_id) ?? null,
      clientHost: cimd ? hostOf(g.client_id) : g.client_id,
      clientKind: cimd ? 'cimd' : 'static',
      resource: g.resource,
      resourceName: ctx.settings.resources.find((r) => r.id === g.resource)?.name ?? g.resource,
      scopes: g.scope,
      created_at: g.created_at,
      last_used_at: g.last_used_at,
    };
  });
  const html = accountPage({
    username: session.user.username,
    apps,
    csrf: sessionCsrf(session, CSRF_PURPOSE),
    revokeAction: `${ctx.settings.endpoints.account}/revoke`,
    logoutAction: `${ctx.settings.endpoints.account}/logout`,
    ...(revoked ? { notice: 'Access revoked.' } : {}),
  });
  return new Response(html, { status: 200, headers: pageHeaders() });
}

/** client_id → client_name; CIMD documents come from the resolver's cache or a bounded fetch, else no name */
async function clientNames(ctx: AsContext, grants: GrantSummary[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const ids = [...new Set(grants.map((g) => g.client_id))];
  const lookups = ids.map(async (id) => {
    const name = (await ctx.clients.resolve(id).catch(() => null))?.client_name;
    if (name) names.set(id, name);
  });
  await Promise.race([Promise.all(lookups), new Promise((resolve) => setTimeout(resolve, NAME_BUDGET_MS).unref())]);
  return new Map(names);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function seeOther(ctx: AsContext, query = ''): Response {
  return new Response(null, { status: 303, headers: { location: `${ctx.settings.endpoints.account}${query}`, 'cache-control': 'no-store' } });
}
