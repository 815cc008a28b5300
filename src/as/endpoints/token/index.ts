import { OAuthError, oauthErrorResponse, noStoreJson } from '../../../core/errors.js';
import { authenticateClient, type AuthenticatedClient } from '../../client-auth.js';
import type { AsContext } from '../../context.js';
import { trustPolicy } from '../../trust/policy.js';
import { authorizationCodeGrant } from '../../grants/authorization_code.js';
import { refreshTokenGrant } from '../../grants/refresh_token.js';
import { clientCredentialsGrant } from '../../grants/client_credentials.js';
import { deviceCodeGrant } from '../../grants/device_code.js';
import { DEVICE_CODE_GRANT } from '../../context.js';
import { auditTokenExchangeRefusal, TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from '../../grants/token_exchange.js';
import { auditJwtBearerRefusal, jwtBearerGrant } from '../../grants/jwt_bearer.js';
import { JWT_BEARER_GRANT_TYPE } from '../../idjag/constants.js';
import { Params } from '../../params.js';
import type { TokenResponseBody } from '../../tokens.js';
import { readFormBody } from '../form.js';
import { rateLimitsOf } from '../../rate-limits/index.js';

type Grant = (ctx: AsContext, params: Params, auth: AuthenticatedClient) => Promise<TokenResponseBody>;

/** One module per grant, named by its wire string. */
const GRANTS: Record<string, Grant> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  [DEVICE_CODE_GRANT]: deviceCodeGrant,
  [TOKEN_EXCHANGE_GRANT]: tokenExchangeGrant,
  [JWT_BEARER_GRANT_TYPE]: jwtBearerGrant,
};

/** OAuth 2.1 §3.2: POST application/x-www-form-urlencoded; answers carry Cache-Control: no-store. */
export async function tokenEndpoint(ctx: AsContext, req: Request): Promise<Response> {
  let usedBasic = false;
  // issue 4: the jwt-bearer (ID-JAG) grant audits every refusal, those before the grant runs included
  let auditRefusal: ((e: OAuthError) => Promise<void>) | undefined;
  try {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'the token endpoint accepts POST only');
    const params = Params.fromForm(await readFormBody(req));
    const grantType = params.required('grant_type', { max: 256 });
    if (grantType === JWT_BEARER_GRANT_TYPE) auditRefusal = (e) => auditJwtBearerRefusal(ctx, params, e);
    if (grantType === TOKEN_EXCHANGE_GRANT) auditRefusal = (e) => auditTokenExchangeRefusal(ctx, params, e);
    // own entries only: "constructor" or "__proto__" must not find Object.prototype's members
    const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
    if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
    const auth = await authenticateClient(ctx, req, params);
    usedBasic = auth.usedBasic;
    // issue 6: per client, counted only once a client proved who it is (a secret or key): a public client_id
    // proves nothing, so counting it would let anyone exhaust every user's bucket of that app (per IP covers it)
    if (auth.method !== 'none') await rateLimitsOf(ctx).client(auth.client.client_id);
    // issue 3: a client the trust policy refuses (or that awaits review) can neither redeem nor refresh
    const verdict = await trustPolicy(ctx).evaluate(auth.client);
    if (verdict.kind !== 'allowed') throw new OAuthError('invalid_client', 'client authentication failed', `trust policy: ${verdict.kind} (${verdict.reason})`);
    // RFC 6749 §5.2 unauthorized_client: the client may not use this grant type.
    if (!auth.client.grant_types.includes(grantType)) throw new OAuthError('unauthorized_client', `client may not use grant_type ${grantType}`);
    const body = await grant(ctx, params, auth);
    ctx.metrics?.tokenIssued(grantType);
    return noStoreJson(body);
  } catch (e) {
    if (e instanceof OAuthError) {
      ctx.metrics?.denied(`token.${e.code}`);
      await auditRefusal?.(e);
      if (e.internal) ctx.log.info({ event: 'token_error', error: e.code, reason: e.internal }, 'token request refused');
      return oauthErrorResponse(e, { basicChallenge: usedBasic || /^Basic/i.test(req.headers.get('authorization') ?? '') });
    }
    ctx.log.error({ err: e }, 'token endpoint failed');
    return oauthErrorResponse(new OAuthError('server_error', 'internal error'));
  }
}
