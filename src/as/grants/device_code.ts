import { OAuthError } from '../../core/errors.js';
import type { AuthenticatedClient } from '../client-auth.js';
import { DEVICE_CODE_GRANT, type AsContext } from '../context.js';
import { deviceSettings } from '../endpoints/device/settings.js';
import { deviceCodeHash } from '../endpoints/device/user-code.js';
import type { Params } from '../params.js';
import { newRefreshToken, signAccessToken, type TokenResponseBody } from '../tokens.js';
import { mayRefresh } from './authorization_code.js';
import { grantAuthTime } from '../auth-time.js';

const INVALID = 'device_code is invalid, expired or already used';

/**
 * RFC 8628 §3.4–3.5 device access token request. One atomic store call per poll decides everything:
 * authorization_pending while the user has not decided, slow_down (and 5 s more, stored) when polled sooner than
 * the interval, access_denied after a denial, expired_token after expires_in; an approved code is consumed by the
 * poll that redeems it, so a second redemption, an unknown code, or another client's code (the stored key
 * includes the client, see deviceCodeHash) is invalid_grant. Tokens as for the authorization code grant: a JWT
 * bound to the one resource, and a refresh token on the same terms.
 */
export async function deviceCodeGrant(ctx: AsContext, params: Params, auth: AuthenticatedClient): Promise<TokenResponseBody> {
  if (!deviceSettings(ctx.settings.config).enabled) throw new OAuthError('unsupported_grant_type', `grant_type ${DEVICE_CODE_GRANT} is not supported`);
  const device_code = params.required('device_code', { max: 512 });
  const result = await ctx.store.pollDeviceCode(deviceCodeHash(auth.client.client_id, device_code), ctx.clock());
  switch (result.kind) {
    case 'not_found':
      throw new OAuthError('invalid_grant', INVALID);
    case 'expired':
      throw new OAuthError('expired_token', 'the device_code has expired; start a new device authorization');
    case 'pending':
      throw new OAuthError('authorization_pending', 'the user has not yet approved this device');
    case 'slow_down':
      throw new OAuthError('slow_down', `polling too fast: wait at least ${result.device.interval} seconds between requests`);
    case 'denied':
      throw new OAuthError('device_access_denied', 'the user denied the authorization request');
    case 'approved':
      break;
  }
  const d = result.device;
  // defence in depth: the hash already binds the code to its client
  if (d.client_id !== auth.client.client_id || d.grant_id === null || d.user_id === null) throw new OAuthError('invalid_grant', INVALID, 'approved device code without its client, grant or user');
  // the grant may have been revoked, or the user disabled, between the approval and this poll
  const grant = await ctx.store.getGrant(d.grant_id);
  const user = await ctx.store.getUser(d.user_id);
  if (!grant || grant.revoked_at !== null || !user || user.disabled) throw new OAuthError('invalid_grant', INVALID, 'grant revoked or user disabled since the approval');

  // RFC 9068 §2.2.1: auth_time of the session that approved the device, as a code's tokens carry theirs
  const input = { grant_id: d.grant_id, user_id: d.user_id, client_id: d.client_id, resource: d.resource, scope: d.scope, auth_time: grantAuthTime(grant) };
  const at = await signAccessToken(ctx, input);
  const body: TokenResponseBody = { access_token: at.token, token_type: 'Bearer', expires_in: at.expires_in, scope: d.scope.join(' ') };
  if (mayRefresh(auth, d.scope)) {
    const rt = newRefreshToken(ctx, input);
    await ctx.store.putRefreshToken(rt.record);
    body.refresh_token = rt.token;
  }
  ctx.log.info({ event: 'token_issued', grant: 'device_code', client_id: d.client_id, grant_id: d.grant_id, resource: d.resource }, 'tokens issued');
  await ctx.audit.record(
    'token.issued',
    { grant_type: DEVICE_CODE_GRANT, grant_id: d.grant_id, jti: at.jti, scope: d.scope, audience: d.resource, expires_at: at.exp, refresh_token_issued: body.refresh_token !== undefined },
    { user_id: d.user_id, client_id: d.client_id },
  );
  return body;
}
