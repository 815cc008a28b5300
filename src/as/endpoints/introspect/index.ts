import { noStoreJson, OAuthError, oauthErrorResponse } from '../../../core/errors.js';
import { epochSeconds } from '../../../core/time.js';
import { authenticateResourceServer } from '../resource-server-auth.js';
import type { AsContext } from '../../context.js';
import { Params } from '../../params.js';
import { findToken, MAX_TOKEN_LENGTH, type FoundToken } from '../../token-lookup.js';
import { readFormBody } from '../form.js';

/**
 * RFC 7662 token introspection, for resource servers only: a static client marked `introspection: true` that
 * authenticates with a secret or private_key_jwt (§2.1: the endpoint MUST require authorization). Anything not
 * active (unknown, expired, revoked, rotated, of a disabled user) is exactly `{"active": false}` (§2.2).
 */
export async function introspectEndpoint(ctx: AsContext, req: Request): Promise<Response> {
  let usedBasic = false;
  try {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'the introspection endpoint accepts POST only');
    const params = Params.fromForm(await readFormBody(req));
    // RFC 7662 §2.1: an unauthenticated caller learns nothing, not even whether its parameters were well formed.
    const auth = await authenticateResourceServer(ctx, req, params, 'introspect');
    usedBasic = auth.usedBasic;
    const client = auth.client;

    const token = params.required('token', { max: MAX_TOKEN_LENGTH });
    params.one('token_type_hint', { max: 64 }); // §2.1: a hint only; the search covers every type anyway
    const found = await findToken({ store: ctx.store, publicKey: (kid) => ctx.keys.publicKey(kid), issuer: ctx.settings.issuer }, token);
    const body = found ? await describe(ctx, found) : null;
    ctx.log.info({ event: 'introspection', client_id: client.client_id, active: body !== null }, 'token introspected');
    return noStoreJson(body ?? { active: false });
  } catch (e) {
    if (e instanceof OAuthError) {
      if (e.internal) ctx.log.info({ event: 'introspection_error', error: e.code, reason: e.internal }, 'introspection request refused');
      return oauthErrorResponse(e, { basicChallenge: usedBasic || /^Basic/i.test(req.headers.get('authorization') ?? '') });
    }
    ctx.log.error({ err: e }, 'introspection endpoint failed');
    return oauthErrorResponse(new OAuthError('server_error', 'internal error'));
  }
}

/** the RFC 7662 §2.2 answer for a live token, or null when it is not active */
async function describe(ctx: AsContext, found: FoundToken): Promise<Record<string, unknown> | null> {
  const now = ctx.clock();
  const grantId = found.kind === 'access_token' ? found.claims.grant_id : found.record.grant_id;
  const grant = grantId ? await ctx.store.getGrant(grantId) : null;
  const user = grant ? await ctx.store.getUser(grant.user_id) : null;
  if (!grant || grant.revoked_at !== null || !user || user.disabled) return null;

  if (found.kind === 'access_token') {
    const c = found.claims;
    // the same exp rule as the gateway (RFC 9068 §4), with the configured skew
    if (c.exp + ctx.settings.config.tokens.clock_skew <= epochSeconds(ctx.clock)) return null;
    return { active: true, scope: c.scope ?? '', client_id: c.client_id, sub: c.sub, aud: c.aud, iss: c.iss, exp: c.exp, iat: c.iat, token_type: 'Bearer', jti: c.jti };
  }
  const r = found.record;
  // a rotated refresh token is spent (its grace replay is not a live token); idle and absolute lifetimes
  if (r.rotated_at !== null || r.expires_at <= now || r.absolute_expires_at <= now) return null;
  return { active: true, scope: r.scope.join(' '), client_id: r.client_id, sub: r.user_id, exp: Math.floor(r.expires_at / 1000), iat: Math.floor(r.created_at / 1000), iss: ctx.settings.issuer };
}
