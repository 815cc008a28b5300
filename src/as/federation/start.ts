import * as oauth from 'oauth4webapi';
import { constantTimeEqual, randomToken, sha256 } from '../../core/random.js';
import type { InteractionRecord } from '../../store/types.js';
import type { AsContext } from '../context.js';
import { interactionCookie, loginCsrfCookie, readCookie, setCookie, upstreamLoginCookie } from '../endpoints/cookies.js';
import { errorPage } from '../pages/error.js';
import { safeReturnTo, type Continuation } from './continuation.js';
import { federationOf } from './federation.js';
import { LOGIN_STATE_TTL_MS, putLoginState } from './login-state.js';
import { upstreamFailure } from './failure.js';

const LINK_INVALID = ['This sign-in link is no longer valid', 'It has expired, was already used, or was opened in another browser. Start again from the application.'] as const;
const CSRF_REFUSED = ['Request refused', 'The sign-in link could not be verified (CSRF protection). Reload the page and try again.'] as const;

/**
 * "Sign in with <IdP>" (a plain link: works without JavaScript, and no form-action CSP for the IdP is needed):
 * a fresh state, nonce and PKCE verifier (RFC 7636 S256), kept server-side bound to this interaction, then a 303 to
 * the IdP's authorization endpoint. The MCP client's `resource` is never forwarded ([SEC] "Token Passthrough");
 * an RFC 8707 `resource` goes upstream only when configured (Entra refuses it: AADSTS9010010).
 */
export async function startUpstreamLogin(ctx: AsContext, req: Request, interactionId: string, idpId: string): Promise<Response> {
  const now = ctx.clock();
  const interaction = await ctx.store.getInteraction(interactionId, now);
  const bound = readCookie(req, interactionCookie(ctx.settings));
  if (!interaction || !bound || !constantTimeEqual(bound, interactionId)) return errorPage(ctx.settings, 400, ...LINK_INVALID);
  const csrf = new URL(req.url).searchParams.get('csrf') ?? '';
  if (!constantTimeEqual(csrf, interaction.csrf)) return errorPage(ctx.settings, 403, ...CSRF_REFUSED);
  return redirectToIdp(ctx, idpId, { kind: 'interaction', interaction_id: interaction.id }, interaction, null);
}

/**
 * `GET <issuer>/login/upstream/<idp>?return_to=<path>&csrf=<token>`: the same sign-in started from one of this
 * server's pages ("Connected apps", the admin console, device approval). `return_to` must be a path of the
 * allow-list (continuation.ts; absent: the Connected apps page); `csrf` must equal the browser's login CSRF cookie
 * that the page set (double submit). The state is bound to this browser by the upstream-login cookie (its hash is
 * kept with the state, compared at the callback), as the interaction cookie binds it in an authorization.
 */
export async function startUpstreamPageLogin(ctx: AsContext, req: Request, idpId: string): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const raw = q.get('return_to');
  const return_to = raw === null ? `${ctx.settings.issuerPath}/account` : safeReturnTo(ctx.settings, raw);
  if (return_to === null || q.getAll('return_to').length > 1) {
    ctx.log.warn({ event: 'upstream_login_bad_return_to', idp: idpId, return_to: (raw ?? '').slice(0, 200) }, 'sign-in link refused: return path not allowed');
    return errorPage(ctx.settings, 400, 'This sign-in link is not valid', 'It does not lead back to a page of this server. Go to the page you want and sign in there.');
  }
  const expected = readCookie(req, loginCsrfCookie(ctx.settings));
  const csrf = q.get('csrf') ?? '';
  if (!expected || expected.length > 128 || !constantTimeEqual(csrf, expected)) return errorPage(ctx.settings, 403, ...CSRF_REFUSED);
  // one binding per browser: kept if present, so two tabs signing in at once both come back
  const existing = readCookie(req, upstreamLoginCookie(ctx.settings));
  const binding = existing && /^[A-Za-z0-9_-]{32,128}$/.test(existing) ? existing : randomToken();
  const res = await redirectToIdp(ctx, idpId, { kind: 'page', return_to }, null, sha256(binding));
  if (res.status === 303) setCookie(res.headers, upstreamLoginCookie(ctx.settings), binding, { maxAge: LOGIN_STATE_TTL_MS / 1000, secure: ctx.settings.secureCookies });
  return res;
}

async function redirectToIdp(ctx: AsContext, idpId: string, continuation: Continuation, parent: InteractionRecord | null, browser: string | null): Promise<Response> {
  const now = ctx.clock();
  const found = federationOf(ctx).find(idpId);
  if (!found) return errorPage(ctx.settings, 404, 'Unknown identity provider', 'This sign-in option does not exist. Go back and choose another.');
  const { idp, metadata } = found;

  let as: oauth.AuthorizationServer;
  try {
    as = await metadata.get();
  } catch (err) {
    return upstreamFailure(ctx, idp, { reason: 'discovery_failed', detail: (err as Error).message, status: 502 });
  }
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const code_verifier = oauth.generateRandomCodeVerifier();
  const max_age = upstreamMaxAge(parent);
  await putLoginState(ctx.keys, ctx.store, state, parent, { idp: idp.id, continuation, ...(browser ? { browser } : {}), nonce, code_verifier, created_at: now, ...(max_age !== undefined ? { max_age } : {}) });

  const url = new URL(as.authorization_endpoint!);
  const q = url.searchParams;
  q.set('client_id', idp.config.client_id);
  q.set('redirect_uri', idp.redirectUri);
  q.set('response_type', 'code');
  q.set('response_mode', 'query');
  q.set('scope', idp.config.scopes.join(' '));
  q.set('state', state);
  q.set('nonce', nonce);
  q.set('code_challenge', await oauth.calculatePKCECodeChallenge(code_verifier));
  q.set('code_challenge_method', 'S256');
  if (idp.config.send_resource_parameter && idp.config.resource) q.set('resource', idp.config.resource);
  if (max_age !== undefined) q.set('max_age', String(max_age));
  // OIDC Core §3.1.2.1: the client's hint goes on (Entra, Google and Okta preselect the account with it)
  if (parent?.params.login_hint) q.set('login_hint', parent.params.login_hint);
  const where = continuation.kind === 'interaction' ? { client_id: parent?.params.client_id } : { return_to: continuation.return_to };
  ctx.log.info({ event: 'upstream_login_start', idp: idp.id, ...where }, 'redirecting to the identity provider');
  return new Response(null, { status: 303, headers: { location: url.href, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } });
}

/**
 * OIDC Core §3.1.2.1: a request that asks for a fresh sign-in (prompt=login or select_account) or a recent one (max_age)
 * is passed on as `max_age` (0 for a fresh one: the value every OP supports, where `prompt=login` is not universal —
 * Google refuses it), so the IdP cannot answer with an older single sign-on session; the callback holds the ID
 * token's auth_time to it.
 */
function upstreamMaxAge(parent: InteractionRecord | null): number | undefined {
  const p = parent?.params;
  if (p?.prompt?.some((v) => v === 'login' || v === 'select_account')) return 0;
  return p?.max_age;
}
