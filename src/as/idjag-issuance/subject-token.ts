import { OAuthError } from '../../core/errors.js';
import { sha256 } from '../../core/random.js';
import type { GrantRecord, UserRecord } from '../../store/types.js';
import type { AsContext } from '../context.js';
import { IdTokenRejected, verifyOwnIdToken } from '../oidc/id-token.js';
import { grantAuthTime } from '../auth-time.js';

export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const REFRESH_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:refresh_token';
export const SUBJECT_TOKEN_TYPES: readonly string[] = [ID_TOKEN_TYPE, REFRESH_TOKEN_TYPE];

export interface Subject {
  user: UserRecord;
  grant: GrantRecord;
  /** seconds since the epoch */
  auth_time: number | undefined;
}

/** the wire stays generic (a credential check); the reason goes to log and audit */
const invalid = (reason: string): OAuthError => new OAuthError('invalid_grant', 'subject_token is invalid or expired', reason);

/**
 * ID-JAG §4.3.3: the subject token MUST be validated. Either an ID token we issued whose aud is the authenticated
 * client, or a refresh token we issued to this client, validated as in a refresh_token grant (bound to the
 * client, unexpired, current, grant live, scope openid: a sign-in) but NOT rotated or consumed. In both cases the
 * grant behind it must be live and the user must still exist and be enabled.
 */
export async function validateSubjectToken(ctx: AsContext, type: string, token: string, client_id: string): Promise<Subject> {
  let user_id: string;
  let grant_id: string;
  let auth_time: number | undefined;
  if (type === ID_TOKEN_TYPE) {
    try {
      ({ sub: user_id, grant_id, auth_time } = await verifyOwnIdToken(ctx, token, client_id));
    } catch (e) {
      if (e instanceof IdTokenRejected) throw invalid(`id_token: ${e.message}`);
      throw e;
    }
  } else {
    if (token.length > 512) throw invalid('refresh_token: too long');
    const now = ctx.clock();
    const rt = await ctx.store.getRefreshToken(sha256(token));
    if (!rt) throw invalid('refresh_token: unknown');
    // OAuth 2.1 §4.3.1: bound to the client it was issued to
    if (rt.client_id !== client_id) throw invalid('refresh_token: issued to another client');
    if (rt.rotated_at !== null) throw invalid('refresh_token: already rotated (not the current token of its grant)');
    if (rt.expires_at <= now || rt.absolute_expires_at <= now) throw invalid('refresh_token: expired');
    if (!rt.scope.includes('openid')) throw invalid('refresh_token: not from a sign-in (no openid scope)');
    ({ user_id, grant_id } = rt);
  }
  const grant = await ctx.store.getGrant(grant_id);
  if (!grant || grant.revoked_at !== null) throw invalid('grant revoked or gone');
  if (grant.client_id !== client_id || grant.user_id !== user_id) throw invalid('grant does not match the subject token');
  // OpenID Connect Core §2: the sign-in's time, which a refresh token (or an ID token without the claim) leaves to the grant
  auth_time ??= grantAuthTime(grant);
  const user = await ctx.store.getUser(user_id);
  if (!user) throw invalid('user gone');
  if (user.disabled) throw invalid('user disabled');
  return { user, grant, auth_time };
}
