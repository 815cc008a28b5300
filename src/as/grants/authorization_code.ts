import { controlDisabled } from '../../core/controls.js';
import { createHash } from 'node:crypto';
import { OAuthError } from '../../core/errors.js';
import { sha256 } from '../../core/random.js';
import { normalizeSchemeAndHost } from '../../core/urls.js';
import type { AuthenticatedClient } from '../client-auth.js';
import type { AsContext } from '../context.js';
import type { Params } from '../params.js';
import { newRefreshToken, signAccessToken, type TokenResponseBody } from '../tokens.js';
import { signIdToken } from '../oidc/id-token.js';

/** OAuth 2.1 §4.1.3 / RFC 7636 §4.1: 43–128 unreserved characters */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export async function authorizationCodeGrant(ctx: AsContext, params: Params, auth: AuthenticatedClient): Promise<TokenResponseBody> {
  const code = params.required('code', { max: 512 });
  const verifier = params.one('code_verifier', { max: 256 });
  const redirect_uri = params.one('redirect_uri');
  const resources = params.many('resource');
  // OAuth 2.1 §4.1.3: a token request without code_verifier is refused (every code here carries a challenge).
  if (verifier === undefined) throw new OAuthError('invalid_request', 'code_verifier is required');
  if (!VERIFIER.test(verifier)) throw new OAuthError('invalid_grant', 'code_verifier is malformed');
  if (resources.length > 1) throw new OAuthError('invalid_target', 'request one resource per token');

  // Validate against the code before consuming it, so a malformed redemption leaves the code intact;
  // a code that was already redeemed goes straight to reuse handling.
  const hash = sha256(code);
  const peek = await ctx.store.getAuthorizationCode(hash, ctx.clock());
  if (!peek) throw new OAuthError('invalid_grant', 'authorization code is invalid or expired');
  if (peek.consumed_at === null) {
    // OAuth 2.1 §4.1.3: the code is bound to the client it was issued to.
    if (!controlDisabled('token.code-client-binding') && peek.client_id !== auth.client.client_id) throw new OAuthError('invalid_grant', 'authorization code is invalid or expired', 'code issued to another client');
    // OAuth 2.1 §4.1.3: redirect_uri identical to the authorization request's; it may be left out only when the
    // code went to the client's one registered URI (authorize allows omitting it only then, never for loopback).
    const omittedOk = auth.client.redirect_uris.length === 1 && peek.redirect_uri === auth.client.redirect_uris[0];
    if (!controlDisabled('token.redirect-uri-binding') && (redirect_uri !== undefined ? redirect_uri !== peek.redirect_uri : !omittedOk)) {
      throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
    }
    // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge; the reason stays off the wire (a credential check)
    const computed = createHash('sha256').update(verifier).digest('base64url');
    if (!controlDisabled('token.pkce-verifier') && computed !== peek.code_challenge) throw new OAuthError('invalid_grant', 'authorization code is invalid or expired', 'code_verifier does not match the code_challenge');
    // RFC 8707 §2.2: the token request may name only what was authorized (MCP "Canonical Server URI": any case of scheme and host).
    if (!controlDisabled('token.resource-binding') && resources[0] !== undefined && normalizeSchemeAndHost(resources[0]) !== peek.resource) throw new OAuthError('invalid_target', 'resource was not part of the authorization');
  }
  const result = await ctx.store.consumeAuthorizationCode(hash, ctx.clock());
  if (result.kind === 'not_found') throw new OAuthError('invalid_grant', 'authorization code is invalid or expired');
  if (result.kind === 'reused' && !controlDisabled('token.code-single-use')) {
    // OAuth 2.1 §4.1.3 / §7.5.3: a second use MUST be denied and SHOULD revoke tokens issued from the code.
    await ctx.store.revokeGrant(result.code.grant_id, ctx.clock(), 'authorization code reused');
    ctx.onGrantRevoked(result.code.grant_id);
    ctx.log.warn({ event: 'code_reuse', client_id: result.code.client_id, grant_id: result.code.grant_id }, 'authorization code reused: grant revoked');
    await ctx.audit.record('code.reuse_detected', { grant_id: result.code.grant_id, revoked: true }, { user_id: result.code.user_id, client_id: result.code.client_id });
    throw new OAuthError('invalid_grant', 'authorization code is invalid or expired');
  }
  const c = result.code;
  const input = { grant_id: c.grant_id, user_id: c.user_id, client_id: c.client_id, resource: c.resource, scope: c.scope, auth_time: Math.floor(c.auth_time / 1000) };
  // OpenID Connect Core §3.1.3.3: scope openid → an ID token too (nonce from the authorization request, §3.1.2.1)
  let id_token: string | undefined;
  if (c.scope.includes('openid')) {
    const user = await ctx.store.getUser(c.user_id);
    if (!user || user.disabled) throw new OAuthError('invalid_grant', 'authorization code is invalid or expired', 'user gone or disabled');
    id_token = await signIdToken(ctx, { user, client_id: c.client_id, grant_id: c.grant_id, scope: c.scope, auth_time: input.auth_time, nonce: c.nonce });
  }
  const at = await signAccessToken(ctx, input);
  const body: TokenResponseBody = { access_token: at.token, token_type: 'Bearer', expires_in: at.expires_in, scope: c.scope.join(' '), ...(id_token ? { id_token } : {}) };
  if (mayRefresh(auth, c.scope)) {
    const rt = newRefreshToken(ctx, input);
    await ctx.store.putRefreshToken(rt.record);
    body.refresh_token = rt.token;
  }
  ctx.log.info({ event: 'token_issued', grant: 'authorization_code', client_id: c.client_id, grant_id: c.grant_id, resource: c.resource }, 'tokens issued');
  await ctx.audit.record(
    'token.issued',
    { grant_type: 'authorization_code', grant_id: c.grant_id, jti: at.jti, scope: c.scope, audience: c.resource, expires_at: at.exp, refresh_token_issued: body.refresh_token !== undefined },
    { user_id: c.user_id, client_id: c.client_id },
  );
  return body;
}

/** Refresh tokens go to clients that declare the refresh_token grant (MCP "Refresh Tokens"). */
export function mayRefresh(auth: AuthenticatedClient, scope: string[]): boolean {
  return auth.client.grant_types.includes('refresh_token') || scope.includes('offline_access');
}
