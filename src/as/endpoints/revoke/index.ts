import { OAuthError, oauthErrorResponse } from '../../../core/errors.js';
import { authenticateClient } from '../../client-auth.js';
import type { AsContext } from '../../context.js';
import { Params } from '../../params.js';
import { findToken, MAX_TOKEN_LENGTH } from '../../token-lookup.js';
import { readFormBody } from '../form.js';

export const CLIENT_REVOCATION_REASON = 'client_revocation';

/** RFC 7009 §2.2: the response carries no content the client needs; it must not be cached. */
const ok = (): Response => new Response(null, { status: 200, headers: { 'cache-control': 'no-store', pragma: 'no-cache' } });

/**
 * RFC 7009 token revocation. Client authentication exactly as at /token; a refresh or access token of the
 * authenticated client revokes its whole grant (every token of it, ARCHITECTURE "Revocation"). Unknown tokens,
 * tokens of other clients and already-revoked grants all get the same 200, so the answer reveals nothing.
 */
export async function revokeEndpoint(ctx: AsContext, req: Request): Promise<Response> {
  let usedBasic = false;
  try {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'the revocation endpoint accepts POST only');
    const params = Params.fromForm(await readFormBody(req));
    // RFC 7009 §2.1: token REQUIRED; token_type_hint OPTIONAL, and a hint we do not know is ignored (we search
    // every type we support, and we support every type we issue: unsupported_token_type is never needed).
    const token = params.required('token', { max: MAX_TOKEN_LENGTH });
    params.one('token_type_hint', { max: 64 });
    // RFC 7009 §2.1: the AS first validates the client credentials, then that the token was issued to that client.
    const auth = await authenticateClient(ctx, req, params);
    usedBasic = auth.usedBasic;
    const clientId = auth.client.client_id;

    const found = await findToken({ store: ctx.store, publicKey: (kid) => ctx.keys.publicKey(kid), issuer: ctx.settings.issuer }, token);
    let grantId: string | undefined;
    if (found?.kind === 'refresh_token' && found.record.client_id === clientId) grantId = found.record.grant_id;
    if (found?.kind === 'access_token' && found.claims.client_id === clientId) grantId = found.claims.grant_id;
    if (found && grantId === undefined) {
      ctx.log.info({ event: 'revocation_ignored', client_id: clientId, reason: 'token of another client' }, 'revocation refused silently');
    }
    if (grantId !== undefined) {
      const grant = await ctx.store.getGrant(grantId);
      if (grant && grant.client_id === clientId && grant.revoked_at === null) {
        await ctx.store.revokeGrant(grant.id, ctx.clock(), CLIENT_REVOCATION_REASON);
        ctx.onGrantRevoked(grant.id);
        ctx.log.info({ event: 'grant_revoked', client_id: clientId, grant_id: grant.id, via: found!.kind }, 'grant revoked by its client');
        await ctx.audit.record('token.revoked', { grant_id: grant.id, reason: CLIENT_REVOCATION_REASON, token_type_hint: found!.kind }, { user_id: grant.user_id, client_id: clientId });
      }
    }
    return ok();
  } catch (e) {
    if (e instanceof OAuthError) {
      if (e.internal) ctx.log.info({ event: 'revocation_error', error: e.code, reason: e.internal }, 'revocation request refused');
      return oauthErrorResponse(e, { basicChallenge: usedBasic || /^Basic/i.test(req.headers.get('authorization') ?? '') });
    }
    ctx.log.error({ err: e }, 'revocation endpoint failed');
    return oauthErrorResponse(new OAuthError('server_error', 'internal error'));
  }
}
