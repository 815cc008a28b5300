import * as oauth from 'oauth4webapi';
import { constantTimeEqual } from '../../core/random.js';
import type { AsContext } from '../context.js';
import { interactionCookie, readCookie } from '../endpoints/cookies.js';
import { errorPage } from '../pages/error.js';
import { federationOf } from './federation.js';
import { putLoginState } from './login-state.js';
import { upstreamFailure } from './failure.js';

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
  if (!interaction || !bound || !constantTimeEqual(bound, interactionId)) {
    return errorPage(ctx.settings, 400, 'This sign-in link is no longer valid', 'It has expired, was already used, or was opened in another browser. Start again from the application.');
  }
  const csrf = new URL(req.url).searchParams.get('csrf') ?? '';
  if (!constantTimeEqual(csrf, interaction.csrf)) {
    return errorPage(ctx.settings, 403, 'Request refused', 'The sign-in link could not be verified (CSRF protection). Reload the page and try again.');
  }
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
  await putLoginState(ctx.store, state, interaction, { idp: idp.id, interaction_id: interaction.id, nonce, code_verifier, created_at: now });

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
  ctx.log.info({ event: 'upstream_login_start', idp: idp.id, client_id: interaction.params.client_id }, 'redirecting to the identity provider');
  return new Response(null, { status: 303, headers: { location: url.href, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } });
}
