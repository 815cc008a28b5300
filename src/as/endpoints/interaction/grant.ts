import { randomUUID } from 'node:crypto';
import { randomToken, sha256 } from '../../../core/random.js';
import { isLoopbackUrl } from '../../../core/urls.js';
import type { AuthorizationRequestSnapshot, UserRecord } from '../../../store/types.js';
import type { AsContext } from '../../context.js';
import { narrowToUser } from '../../user-scopes.js';
import { authorizationResponseUrl } from '../authorize/response.js';
import type { SignedIn } from '../session.js';

/**
 * Remembered consent: same user, client, resource, document version, and scopes already granted (requested ∩
 * allowed-for-the-client at /authorize ∩ permitted-for-the-user by role, issue 3). Clients whose redirect URIs are all
 * loopback are asked every time (ARCHITECTURE.md "Consent"), and so is any request that redirects to loopback: any
 * local program can claim that port ([SEC] "Localhost Redirect URI Risks"); and so is prompt=consent (OIDC Core
 * §3.1.2.1).
 */
export async function consentRemembered(ctx: AsContext, user: UserRecord, params: AuthorizationRequestSnapshot): Promise<boolean> {
  const scope = narrowToUser(ctx.settings, params.resource, user, params.scope);
  if (!ctx.settings.config.consent.remember || params.loopback_only || isLoopbackUrl(params.redirect_uri) || params.prompt?.includes('consent') === true) return false;
  const prior = await ctx.store.getConsent(user.id, params.client_id, params.resource);
  return prior !== null && prior.client_version === params.client_version && scope.every((s) => prior.scope.includes(s));
}

/**
 * Issue the code of an approved request: the grant and code written in one transaction, the consent remembered when
 * it was given now. Their auth_time is the session's sign-in, not this approval: remembered consent approves without
 * any authentication. The redirect to the client carries code, state and iss.
 */
export async function issueCode(ctx: AsContext, params: AuthorizationRequestSnapshot, session: SignedIn, explicit: boolean): Promise<Response> {
  const now = ctx.clock();
  const { user, auth_time } = session;
  const p = { ...params, scope: narrowToUser(ctx.settings, params.resource, user, params.scope) };
  if (explicit && ctx.settings.config.consent.remember && !p.loopback_only) {
    await ctx.store.putConsent({ user_id: user.id, client_id: p.client_id, resource: p.resource, scope: p.scope, client_version: p.client_version, created_at: now });
  }
  const code = randomToken();
  const grant_id = randomUUID();
  await ctx.store.createGrantWithCode(
    { id: grant_id, user_id: user.id, client_id: p.client_id, resource: p.resource, scope: p.scope, created_at: now, auth_time, revoked_at: null, revoked_reason: null },
    {
      code_hash: sha256(code),
      grant_id,
      client_id: p.client_id,
      user_id: user.id,
      redirect_uri: p.redirect_uri,
      code_challenge: p.code_challenge,
      code_challenge_method: 'S256',
      scope: p.scope,
      resource: p.resource,
      nonce: p.nonce,
      auth_time,
      created_at: now,
      expires_at: now + ctx.settings.config.tokens.code_ttl * 1000,
      consumed_at: null,
    },
  );
  ctx.log.info({ event: explicit ? 'consent_granted' : 'consent_remembered', client_id: p.client_id, user_id: user.id, grant_id, scope: p.scope }, 'authorization granted');
  await ctx.audit.record('consent.granted', { resource: p.resource, scope: p.scope, remembered: !explicit, client_version: p.client_version }, { user_id: user.id, client_id: p.client_id });
  const location = authorizationResponseUrl(ctx, p.redirect_uri, { code, state: p.state });
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
}
