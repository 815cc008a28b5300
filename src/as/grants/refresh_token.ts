import { controlDisabled } from '../../core/controls.js';
import { OAuthError } from '../../core/errors.js';
import { sha256 } from '../../core/random.js';
import { open, seal } from '../../core/secret.js';
import { normalizeSchemeAndHost } from '../../core/urls.js';
import type { AuthenticatedClient } from '../client-auth.js';
import type { AsContext } from '../context.js';
import { parseScope, type Params } from '../params.js';
import { narrowToUser } from '../user-scopes.js';
import { newRefreshToken, signAccessToken, type TokenResponseBody } from '../tokens.js';
import { signIdToken } from '../oidc/id-token.js';
import { grantAuthTime } from '../auth-time.js';

const GRACE_PURPOSE = 'refresh-grace-response';

/**
 * OAuth 2.1 §4.3 refresh with rotation (ARCHITECTURE.md "Tokens"): every use rotates; reuse of a rotated token
 * revokes the grant, except within the grace window, when the same new pair is replayed (sealed under a key
 * derived from the old token, so only its holder can read it). All checks run before any state changes.
 */
export async function refreshTokenGrant(ctx: AsContext, params: Params, auth: AuthenticatedClient): Promise<TokenResponseBody> {
  const token = params.required('refresh_token', { max: 512 });
  const resources = params.many('resource');
  const requestedScope = parseScope(params.one('scope', { max: 1024 }));
  if (resources.length > 1) throw new OAuthError('invalid_target', 'request one resource per token');

  const hash = sha256(token);
  const now = ctx.clock();
  const current = await ctx.store.getRefreshToken(hash);
  if (!current) throw new OAuthError('invalid_grant', 'refresh token is invalid or expired');
  // OAuth 2.1 §4.3.1: the refresh token is bound to the client it was issued to.
  if (!controlDisabled('token.refresh-client-binding') && current.client_id !== auth.client.client_id) throw new OAuthError('invalid_grant', 'refresh token is invalid or expired', 'refresh token of another client');
  // RFC 8707 §2.2: may narrow, never widen (one resource per grant here); MCP "Canonical Server URI": any case of scheme and host.
  if (resources[0] !== undefined && normalizeSchemeAndHost(resources[0]) !== current.resource) throw new OAuthError('invalid_target', 'resource was not part of the grant');
  // OAuth 2.1 §4.3.1: a refresh MUST NOT widen scope.
  let scope = current.scope;
  if (requestedScope !== undefined) {
    const extra = requestedScope.filter((s) => !current.scope.includes(s));
    if (extra.length > 0 && !controlDisabled('token.refresh-scope')) throw new OAuthError('invalid_scope', 'scope exceeds the original grant');
    scope = requestedScope;
  }
  const grant = await ctx.store.getGrant(current.grant_id);
  const user = grant ? await ctx.store.getUser(grant.user_id) : null;
  if (!grant || grant.revoked_at !== null || !user || user.disabled) throw new OAuthError('invalid_grant', 'refresh token is invalid or expired');

  // a role taken away since the grant narrows what a refresh can carry (issue 3: roles per user)
  scope = narrowToUser(ctx.settings, current.resource, user, scope);
  // RFC 9068 §2.2.1, OpenID Connect Core §12.2: auth_time stays that of the original sign-in, in every token of the grant
  const auth_time = grantAuthTime(grant);
  const input = { grant_id: current.grant_id, user_id: current.user_id, client_id: current.client_id, resource: current.resource, scope, auth_time };
  const at = await signAccessToken(ctx, input);
  // the grant keeps its full scope on the refresh token even when this access token is narrowed
  const next = newRefreshToken(ctx, { ...input, scope: current.scope }, current.absolute_expires_at);
  const body: TokenResponseBody = { access_token: at.token, token_type: 'Bearer', expires_in: at.expires_in, scope: scope.join(' '), refresh_token: next.token };
  // OpenID Connect Core §12.2: a refresh of a sign-in returns a new ID token, no nonce, auth_time of the sign-in
  if (scope.includes('openid')) body.id_token = await signIdToken(ctx, { user, client_id: current.client_id, grant_id: current.grant_id, scope, auth_time });
  const sealed = seal(token, GRACE_PURPOSE, JSON.stringify(body));

  const result = await ctx.store.rotateRefreshToken(hash, next.record, sealed, now, ctx.settings.config.tokens.refresh_grace * 1000);
  switch (result.kind) {
    case 'rotated':
      ctx.log.info({ event: 'token_refreshed', client_id: current.client_id, grant_id: current.grant_id }, 'refresh token rotated');
      await ctx.audit.record(
        'token.refreshed',
        { grant_type: 'refresh_token', grant_id: current.grant_id, jti: at.jti, scope, audience: current.resource, expires_at: at.exp, refresh_token_issued: true },
        { user_id: current.user_id, client_id: current.client_id },
      );
      return body;
    case 'grace': {
      // a lost reply: the retry gets the very same pair
      if (!result.old.grace_response) throw new OAuthError('invalid_grant', 'refresh token is invalid or expired');
      return JSON.parse(open(token, GRACE_PURPOSE, result.old.grace_response)) as TokenResponseBody;
    }
    case 'reused':
      if (controlDisabled('token.refresh-reuse')) return body;
      ctx.onGrantRevoked(current.grant_id);
      ctx.log.warn({ event: 'refresh_reuse', client_id: current.client_id, grant_id: current.grant_id }, 'rotated refresh token reused: grant revoked');
      await ctx.audit.record('token.reuse_detected', { grant_id: current.grant_id, revoked: true, reason: 'rotated refresh token reused after the grace window' }, { user_id: current.user_id, client_id: current.client_id });
      throw new OAuthError('invalid_grant', 'refresh token is invalid or expired');
    case 'not_found':
      throw new OAuthError('invalid_grant', 'refresh token is invalid or expired');
  }
}
