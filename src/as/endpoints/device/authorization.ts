import { OAuthError, noStoreJson, oauthErrorResponse } from '../../../core/errors.js';
import { randomToken } from '../../../core/random.js';
import { StoreConflictError, type DeviceCodeRecord } from '../../../store/types.js';
import { authenticateClient } from '../../client-auth.js';
import { DEVICE_CODE_GRANT, type AsContext } from '../../context.js';
import { Params, parseScope } from '../../params.js';
import { trustPolicy } from '../../trust/policy.js';
import { checkResource } from '../authorize/check-resource.js';
import { checkScope } from '../authorize/check-scope.js';
import { readFormBody } from '../form.js';
import { deviceSettings, deviceUrls } from './settings.js';
import { deviceCodeHash, formatUserCode, newUserCode } from './user-code.js';

/** draws of a user code that collide with a live one before giving up (20^8 codes: a collision is rare) */
const USER_CODE_ATTEMPTS = 5;

/**
 * RFC 8628 §3.1–3.2 device authorization endpoint: the client authenticates as at /token (§3.1; public clients
 * by client_id), must hold the device_code grant, and asks for one resource (RFC 8707, as at /authorize) and its
 * scopes. Answers device_code (256 random bits, stored hashed), user_code, verification_uri(_complete),
 * expires_in and interval, with Cache-Control: no-store.
 */
export async function deviceAuthorizationEndpoint(ctx: AsContext, req: Request): Promise<Response> {
  let usedBasic = false;
  try {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'the device authorization endpoint accepts POST only');
    const params = Params.fromForm(await readFormBody(req));
    const auth = await authenticateClient(ctx, req, params);
    usedBasic = auth.usedBasic;
    // issue 3: a client the trust policy refuses (or that awaits review) starts nothing
    const verdict = await trustPolicy(ctx).evaluate(auth.client);
    if (verdict.kind !== 'allowed') throw new OAuthError('invalid_client', 'client authentication failed', `trust policy: ${verdict.kind} (${verdict.reason})`);
    // RFC 8628 §3.1 / RFC 6749 §5.2 unauthorized_client: only clients that declare the grant (static config, CIMD, registration)
    if (!auth.client.grant_types.includes(DEVICE_CODE_GRANT)) throw new OAuthError('unauthorized_client', 'client may not use the device authorization grant');
    // RFC 8707 §2 / ARCHITECTURE "resource": one resource, else invalid_target; absent with one configured → that one
    const resource = checkResource(ctx.settings, params.many('resource'));
    const scope = checkScope(resource, auth.client, parseScope(params.one('scope', { max: 1024 })));

    const { expires_in, interval } = deviceSettings(ctx.settings.config);
    const device_code = randomToken();
    const now = ctx.clock();
    const record: DeviceCodeRecord = {
      device_code_hash: deviceCodeHash(auth.client.client_id, device_code),
      user_code: '',
      client_id: auth.client.client_id,
      scope,
      resource: resource.id,
      status: 'pending',
      user_id: null,
      grant_id: null,
      interval,
      last_polled_at: null,
      created_at: now,
      expires_at: now + expires_in * 1000,
      consumed_at: null,
    };
    for (let attempt = 1; ; attempt++) {
      record.user_code = newUserCode();
      try {
        await ctx.store.putDeviceCode(record);
        break;
      } catch (e) {
        if (!(e instanceof StoreConflictError) || attempt >= USER_CODE_ATTEMPTS) throw e;
      }
    }
    const user_code = formatUserCode(record.user_code);
    const { verification_uri } = deviceUrls(ctx.settings);
    ctx.log.info({ event: 'device_authorization', client_id: auth.client.client_id, resource: resource.id, scope }, 'device authorization started');
    return noStoreJson({
      device_code,
      user_code,
      verification_uri,
      // RFC 8628 §3.3.1: the code in the URI (QR codes, clickable links); the page still shows it to compare
      verification_uri_complete: `${verification_uri}?${new URLSearchParams({ user_code })}`,
      expires_in,
      interval,
    });
  } catch (e) {
    if (e instanceof OAuthError) {
      ctx.metrics?.denied(`device_authorization.${e.code}`);
      if (e.internal) ctx.log.info({ event: 'device_authorization_error', error: e.code, reason: e.internal }, 'device authorization refused');
      return oauthErrorResponse(e, { basicChallenge: usedBasic || /^Basic/i.test(req.headers.get('authorization') ?? '') });
    }
    ctx.log.error({ err: e }, 'device authorization endpoint failed');
    return oauthErrorResponse(new OAuthError('server_error', 'internal error'));
  }
}
