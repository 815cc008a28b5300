import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../../config/schema.js';
import { epochSeconds } from '../../core/time.js';
import type { UserRecord } from '../../store/types.js';
import type { AsContext } from '../context.js';
import { userClaims } from './claims.js';

export interface IdTokenInput {
  user: UserRecord;
  client_id: string;
  grant_id: string;
  scope: readonly string[];
  /** seconds since the epoch: when the user authenticated (kept on refresh, OpenID Connect Core §12.2) */
  auth_time: number;
  /** only in the ID token answering the authorization request that carried it (never on refresh) */
  nonce?: string | null;
}

/** the longest string we treat as a possible ID token (ours are well under 2 KB) */
const MAX_ID_TOKEN_LENGTH = 8192;

/**
 * OpenID Connect Core §2 / §3.1.3.6: an ID token signed with our ES256 keys (published at jwks_uri), typ JWT,
 * iss, sub = the user id, aud = the client, exp, iat, auth_time, nonce when requested; name/email only with the
 * matching scopes. `grant_id` ties it to the grant, so revoking the grant also ends its use as a subject token.
 * Lifetime: tokens.id_token_ttl (default: the access token lifetime).
 */
export async function signIdToken(ctx: AsContext, input: IdTokenInput): Promise<string> {
  const key = ctx.keys.signingKey();
  const now = epochSeconds(ctx.clock);
  const claims: Record<string, unknown> = {
    auth_time: input.auth_time,
    grant_id: input.grant_id,
    ...(await userClaims(ctx.store, input.user, input.scope)),
  };
  if (input.nonce) claims.nonce = input.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid })
    .setIssuer(ctx.settings.issuer)
    .setSubject(input.user.id)
    .setAudience(input.client_id)
    .setIssuedAt(now)
    .setExpirationTime(now + idTokenTtl(ctx.settings.config))
    .sign(key.privateKey);
}

export interface VerifiedIdToken {
  sub: string;
  grant_id: string;
  auth_time: number | undefined;
}

/** why an ID token was refused (logs and audit; the wire says invalid_grant) */
export class IdTokenRejected extends Error {}

/**
 * ID-JAG §4.3.3: an ID token used as a subject token must be one WE issued (signature with our keys, iss exactly
 * ours, typ JWT so that no access token or ID-JAG passes for one), unexpired, and its aud MUST be the
 * authenticated client.
 */
export async function verifyOwnIdToken(ctx: AsContext, token: string, client_id: string): Promise<VerifiedIdToken> {
  if (token.length > MAX_ID_TOKEN_LENGTH) throw new IdTokenRejected('too long');
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new IdTokenRejected('not a JWS');
  }
  const key = await ctx.keys.resolvePublicKey(kid);
  if (!key) throw new IdTokenRejected('not signed by one of our keys (unknown kid)');
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['ES256'],
      typ: 'JWT',
      issuer: ctx.settings.issuer,
      audience: client_id,
      currentDate: new Date(ctx.clock()),
      clockTolerance: ctx.settings.config.tokens.clock_skew,
      requiredClaims: ['sub', 'aud', 'exp', 'iat', 'grant_id'],
    });
    // OpenID Connect Core §2: with several audiences azp names the client; ours have one, so anything else is foreign
    if (Array.isArray(payload.aud) && payload.aud.length !== 1) throw new IdTokenRejected('several audiences');
    if (typeof payload.sub !== 'string' || typeof payload.grant_id !== 'string') throw new IdTokenRejected('sub or grant_id not a string');
    return { sub: payload.sub, grant_id: payload.grant_id, auth_time: typeof payload.auth_time === 'number' ? payload.auth_time : undefined };
  } catch (e) {
    if (e instanceof IdTokenRejected) throw e;
    if (e instanceof errors.JWTExpired) throw new IdTokenRejected('expired');
    if (e instanceof errors.JWTClaimValidationFailed) throw new IdTokenRejected(`claim ${e.claim}: ${e.reason}`);
    if (e instanceof errors.JOSEError) throw new IdTokenRejected(e.code);
    throw e;
  }
}

/** tokens.id_token_ttl, else the access token lifetime (seconds) */
export const idTokenTtl = (config: Pick<Config, 'tokens'>): number => config.tokens.id_token_ttl ?? config.tokens.access_token_ttl;
