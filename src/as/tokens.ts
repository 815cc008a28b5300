import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { randomToken, sha256 } from '../core/random.js';
import { epochSeconds } from '../core/time.js';
import type { RefreshTokenRecord } from '../store/types.js';
import type { AsContext } from './context.js';

export interface TokenResponseBody {
  access_token: string;
  /** N_A: an RFC 8693 exchange result that is not an access token (an ID-JAG, ID-JAG §4.3.4) */
  token_type: 'Bearer' | 'N_A';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** OpenID Connect Core §3.1.3.3: with scope openid */
  id_token?: string;
  /** RFC 8693 §2.2.1: in a token exchange response */
  issued_token_type?: string;
}

export interface IssueInput {
  grant_id: string;
  user_id: string;
  client_id: string;
  resource: string;
  scope: string[];
  auth_time?: number;
}

/** RFC 9068 §2: a JWT access token bound to exactly one resource (aud). */
export async function signAccessToken(ctx: AsContext, input: IssueInput): Promise<{ token: string; expires_in: number; jti: string; exp: number }> {
  const key = ctx.keys.signingKey();
  const now = epochSeconds(ctx.clock);
  const ttl = ctx.settings.config.tokens.access_token_ttl;
  const jti = randomUUID();
  const claims: Record<string, unknown> = {
    client_id: input.client_id,
    scope: input.scope.join(' '),
    grant_id: input.grant_id,
  };
  if (input.auth_time !== undefined) claims.auth_time = input.auth_time;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
    .setIssuer(ctx.settings.issuer)
    .setSubject(input.user_id)
    .setAudience(input.resource)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(jti)
    .sign(key.privateKey);
  return { token, expires_in: ttl, jti, exp: now + ttl };
}

/** A new opaque refresh token and its stored record (only the hash is stored). */
export function newRefreshToken(ctx: AsContext, input: IssueInput, absolute_expires_at?: number): { token: string; record: RefreshTokenRecord } {
  const now = ctx.clock();
  const t = ctx.settings.config.tokens;
  const token = randomToken();
  const absolute = absolute_expires_at ?? now + t.refresh_absolute_ttl * 1000;
  return {
    token,
    record: {
      token_hash: sha256(token),
      grant_id: input.grant_id,
      client_id: input.client_id,
      user_id: input.user_id,
      scope: input.scope,
      resource: input.resource,
      created_at: now,
      expires_at: Math.min(now + t.refresh_idle_ttl * 1000, absolute),
      absolute_expires_at: absolute,
      rotated_at: null,
      grace_response: null,
    },
  };
}
