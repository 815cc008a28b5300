import { controlDisabled } from '../../../core/controls.js';
import { OAuthError } from '../../../core/errors.js';
import { isLoopbackUrl } from '../../../core/urls.js';
import { constantTimeEqual } from '../../../core/random.js';
import type { InteractionRecord, UserRecord } from '../../../store/types.js';
import type { AsContext } from '../../context.js';
import { consentPage } from '../../pages/consent.js';
import { errorPage, tooManyRequestsPage } from '../../pages/error.js';
import { formTargetFor, pageHeaders } from '../../pages/layout.js';
import { loginPage } from '../../pages/login.js';
import { narrowToUser } from '../../user-scopes.js';
import { redirectWithError } from '../authorize/response.js';
import { reauthenticationNeeded } from '../authorize/check-prompt.js';
import { clearCookie, interactionCookie, readCookie, reauthCookie } from '../cookies.js';
import { readFormBody } from '../form.js';
import { checkLogin, currentSession, markSignedInFor, signedInFor, startSession, type SignedIn } from '../session.js';
import { consentRemembered, issueCode } from './grant.js';
import { Params } from '../../params.js';
import { federationOf, upstreamButtons } from '../../federation/index.js';

/**
 * The login → consent → code steps of one authorization request. The interaction is bound to the browser that
 * started it (cookie) and every form carries its CSRF token.
 */
export async function interactionEndpoint(ctx: AsContext, req: Request, id: string, step: 'show' | 'login' | 'consent'): Promise<Response> {
  const now = ctx.clock();
  const interaction = await ctx.store.getInteraction(id, now);
  const bound = readCookie(req, interactionCookie(ctx.settings));
  if (!interaction || (!controlDisabled('authz.interaction-binding') && (!bound || !constantTimeEqual(bound, id)))) {
    return errorPage(ctx.settings, 400, 'This sign-in link is no longer valid', 'It has expired, was already used, or was opened in another browser. Start again from the application.');
  }
  const formTargets = [formTargetFor(interaction.params.redirect_uri)];
  let form: Params | null = null;
  if (step !== 'show') {
    if (req.method !== 'POST') return errorPage(ctx.settings, 405, 'Method not allowed', 'Use the form.');
    try {
      form = Params.fromForm(await readFormBody(req));
      const csrf = controlDisabled('authz.csrf') ? interaction.csrf : form.required('csrf', { max: 128 });
      if (!constantTimeEqual(csrf, interaction.csrf)) throw new OAuthError('invalid_request', 'csrf');
    } catch {
      return errorPage(ctx.settings, 403, 'Request refused', 'The form could not be verified (CSRF protection). Reload the page and try again.');
    }
  }

  if (step === 'login') return login(ctx, interaction, form!, formTargets);
  // OIDC Core §3.1.2.1: prompt=none never gets here — /authorize answers it without a page or a row (silent.ts)

  const session = await currentSession(ctx, req);
  let user: UserRecord | null = interaction.user_id ? await ctx.store.getUser(interaction.user_id) : null;
  if (!user && session) {
    user = session.user;
    await ctx.store.setInteractionUser(id, user.id);
  }
  // OpenID Connect Core §2: the code's auth_time is when its user signed in, the start of this browser's session; when
  // that session is gone (signed out, expired, another user signed in since) the user signs in again, no time is made up.
  // OIDC Core §3.1.2.1: prompt=login / select_account / max_age ask for a sign-in made on this request's login page
  if (!user || user.disabled || !session || session.user.id !== user.id || reauthenticationNeeded(interaction.params, session.auth_time, now, signedInFor(ctx, req, session, id))) {
    return showLogin(ctx, interaction, formTargets);
  }

  if (step === 'consent') {
    let decision: string | undefined;
    try {
      decision = form!.one('decision', { max: 16 });
    } catch {
      decision = undefined;
    }
    if (decision === 'approve') return approve(ctx, interaction, session, true);
    if (decision === 'deny') {
      const taken = await ctx.store.takeInteraction(id, ctx.clock());
      if (!taken) return errorPage(ctx.settings, 400, 'This sign-in link is no longer valid', 'It was already used.');
      ctx.log.info({ event: 'consent_denied', client_id: taken.params.client_id, user_id: user.id }, 'consent denied');
      await ctx.audit.record('consent.denied', { resource: taken.params.resource, scope: taken.params.scope }, { user_id: user.id, client_id: taken.params.client_id });
      return withClearedInteraction(ctx, redirectWithError(ctx, taken.params.redirect_uri, new OAuthError('access_denied', 'the user denied the request'), taken.params.state));
    }
    return errorPage(ctx.settings, 400, 'Invalid decision', 'Choose Approve or Deny.');
  }

  if (await consentRemembered(ctx, user, interaction.params)) return approve(ctx, interaction, session, false);
  const p = { ...interaction.params, scope: narrowToUser(ctx.settings, interaction.params.resource, user, interaction.params.scope) };
  const loopbackRedirect = p.loopback_only || isLoopbackUrl(p.redirect_uri);
  const resource = ctx.settings.resources.find((r) => r.id === p.resource);
  const html = consentPage({
    action: `${ctx.settings.endpoints.interaction}/${id}/consent`,
    csrf: interaction.csrf,
    clientName: p.client_name,
    clientHost: clientHost(p.client_id),
    clientKind: p.client_id.startsWith('https://') ? 'cimd' : 'static',
    redirectHost: new URL(p.redirect_uri).host,
    scopes: p.scope,
    resource: p.resource,
    resourceName: resource?.name ?? p.resource,
    loopbackOnly: loopbackRedirect,
    username: user.username,
  });
  return new Response(html, { status: 200, headers: pageHeaders(formTargets) });
}

function showLogin(ctx: AsContext, interaction: InteractionRecord, formTargets: string[], error?: string, username?: string): Response {
  const html = loginPage({
    action: `${ctx.settings.endpoints.interaction}/${interaction.id}/login`,
    csrf: interaction.csrf,
    clientName: interaction.params.client_name,
    clientHost: clientHost(interaction.params.client_id),
    ...(error ? { error } : {}),
    // what the user typed last, else the client's OIDC login_hint
    ...(username ?? interaction.params.login_hint ? { username: username ?? interaction.params.login_hint } : {}),
    // issue 4 item 3: "Sign in with <IdP>", and the password form unless login.password is off
    upstream: upstreamButtons(ctx, interaction.id, interaction.csrf),
    password: federationOf(ctx).passwordLogin,
  });
  return new Response(html, { status: error ? 401 : 200, headers: pageHeaders(formTargets) });
}

async function login(ctx: AsContext, interaction: InteractionRecord, form: Params, formTargets: string[]): Promise<Response> {
  const result = await checkLogin(ctx, form);
  if (!result.ok && result.retryAfterS) return tooManyRequestsPage(ctx.settings, result.retryAfterS);
  if (!result.ok) return showLogin(ctx, interaction, formTargets, result.error, result.username);
  await ctx.store.setInteractionUser(interaction.id, result.user.id);
  const headers = new Headers({ location: `${ctx.settings.endpoints.interaction}/${interaction.id}`, 'cache-control': 'no-store' });
  const { sid } = await startSession(ctx, headers, result.user);
  markSignedInFor(ctx, headers, sid, interaction.id);
  return new Response(null, { status: 303, headers });
}

/** The user approved (or had approved before): the interaction is taken (single use) and the code issued. */
async function approve(ctx: AsContext, interaction: InteractionRecord, session: SignedIn, explicit: boolean): Promise<Response> {
  const taken = await ctx.store.takeInteraction(interaction.id, ctx.clock());
  if (!taken) return errorPage(ctx.settings, 400, 'This sign-in link is no longer valid', 'It was already used.');
  return withClearedInteraction(ctx, await issueCode(ctx, taken.params, session, explicit));
}

function withClearedInteraction(ctx: AsContext, res: Response): Response {
  clearCookie(res.headers, interactionCookie(ctx.settings), ctx.settings.secureCookies);
  clearCookie(res.headers, reauthCookie(ctx.settings), ctx.settings.secureCookies);
  return res;
}

/** What the user is trusting: the host of a CIMD URL, or the static client's id. */
function clientHost(client_id: string): string {
  try {
    return client_id.startsWith('https://') ? new URL(client_id).host : client_id;
  } catch {
    return client_id;
  }
}
