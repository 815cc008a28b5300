import { noStoreJson, OAuthError, oauthErrorResponse } from '../../../core/errors.js';
import { authenticateResourceServer } from '../resource-server-auth.js';
import type { AsContext } from '../../context.js';
import { Params } from '../../params.js';
import { readFormBody } from '../form.js';

/**
 * POST `${issuer}/revoked-grants` (issue 11, ARCHITECTURE "Revocation"): the ids of grants revoked since `since`
 * (ms, the `as_of` of the caller's previous answer), so that an embedded resource server (`portcullis/resource-server`)
 * refuses a revoked grant's tokens within its poll interval, as the gateway does. Portcullis access tokens carry
 * the `grant_id` these ids match. Only resource servers may ask: a static client marked `introspection: true`,
 * authenticated as at /introspect (RFC 7662 §2.1 by analogy). Grant ids are opaque and say nothing about users.
 * The window reaches back at most one access-token lifetime plus skew: older revocations no longer matter, as
 * every token they could refuse has expired.
 */
export async function revokedGrantsEndpoint(ctx: AsContext, req: Request): Promise<Response> {
  let usedBasic = false;
  try {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'the revoked-grants endpoint accepts POST only');
    const params = Params.fromForm(await readFormBody(req));
    const auth = await authenticateResourceServer(ctx, req, params, 'read revoked grants');
    usedBasic = auth.usedBasic;

    const { tokens } = ctx.settings.config;
    const retainMs = (tokens.access_token_ttl + tokens.clock_skew) * 1000;
    const now = ctx.clock();
    const sinceRaw = params.one('since', { max: 20 });
    const since = sinceRaw === undefined ? -Infinity : Number(sinceRaw);
    if (sinceRaw !== undefined && (!/^\d+$/.test(sinceRaw) || !Number.isSafeInteger(since))) throw new OAuthError('invalid_request', 'since must be a time in ms, as as_of gave it');
    const ids = await ctx.store.listRevokedGrantIds(Math.max(since, now - retainMs));
    return noStoreJson({ revoked_grants: ids, as_of: now, retain_seconds: retainMs / 1000 });
  } catch (e) {
    if (e instanceof OAuthError) {
      if (e.internal) ctx.log.info({ event: 'revoked_grants_error', error: e.code, reason: e.internal }, 'revoked-grants request refused');
      return oauthErrorResponse(e, { basicChallenge: usedBasic || /^Basic/i.test(req.headers.get('authorization') ?? '') });
    }
    ctx.log.error({ err: e }, 'revoked-grants endpoint failed');
    return oauthErrorResponse(new OAuthError('server_error', 'internal error'));
  }
}
