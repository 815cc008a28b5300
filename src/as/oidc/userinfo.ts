import { jsonResponse } from '../../core/errors.js';
import { extractBearer } from '../../rs/bearer.js';
import { formatBearerChallenge } from '../../rs/challenge.js';
import { TokenRejected } from '../../rs/verify.js';
import type { AsContext } from '../context.js';
import { grantRevokedInStore, ownAccessTokenVerifier } from '../own-token-verifier.js';
import { userClaims } from './claims.js';
import { userinfoEndpoint } from './scopes.js';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * OpenID Connect Core §5.3 UserInfo endpoint (GET or POST): the access token of a sign-in (aud = this endpoint,
 * scope openid) in the Authorization header; answers `sub` plus the claims its scopes ask for. Errors are RFC 6750
 * §3 challenges: none sent → 401 without `error`; invalid, expired, revoked, user gone or disabled → 401
 * invalid_token; no openid scope → 403 insufficient_scope.
 */
export function createUserinfoEndpoint(ctx: AsContext): (req: Request) => Promise<Response> {
  const { settings } = ctx;
  const audience = userinfoEndpoint(settings);
  const verifier = ownAccessTokenVerifier(ctx, grantRevokedInStore(ctx));
  const realm: [string, string] = ['realm', settings.issuer];
  const challenge = (status: number, error?: string, description?: string): Response => {
    const params: Array<[string, string]> = [realm];
    if (error) params.push(['error', error]);
    if (description) params.push(['error_description', description]);
    const headers = { ...NO_STORE, 'www-authenticate': formatBearerChallenge(params) };
    if (!error) return new Response(null, { status, headers });
    return jsonResponse({ error, ...(description ? { error_description: description } : {}) }, status, headers);
  };

  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'POST') return jsonResponse({ error: 'invalid_request', error_description: 'use GET or POST' }, 405, { allow: 'GET, POST' });
    // a form-encoded POST is fine here as long as the token travels in the Authorization header
    const headers = new Headers(req.headers);
    headers.delete('content-type');
    const bearer = extractBearer(new Request(req.url, { headers }));
    // RFC 6750 §3.1: no credentials → a challenge without an error code
    if (bearer.kind === 'none') return challenge(401);
    if (bearer.kind === 'invalid') return challenge(400, 'invalid_request', bearer.description);
    let claims;
    try {
      claims = await verifier.verify(bearer.token, audience);
    } catch (e) {
      if (!(e instanceof TokenRejected)) throw e;
      ctx.log.info({ event: 'userinfo_refused', reason: e.reason }, 'userinfo: access token refused');
      return challenge(401, 'invalid_token', 'The access token is invalid or expired');
    }
    // OpenID Connect Core §5.3: the UserInfo endpoint serves tokens of an OpenID request
    if (!claims.scope.includes('openid')) return challenge(403, 'insufficient_scope', 'The access token was not issued for openid');
    const user = await ctx.store.getUser(claims.sub);
    if (!user || user.disabled) {
      ctx.log.info({ event: 'userinfo_refused', reason: user ? 'user disabled' : 'user gone' }, 'userinfo: user not available');
      return challenge(401, 'invalid_token', 'The access token is invalid or expired');
    }
    return jsonResponse({ sub: user.id, ...(await userClaims(ctx.store, user, claims.scope)) }, 200, NO_STORE);
  };
}
