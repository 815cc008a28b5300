import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { epochSeconds } from '../../core/time.js';
import type { AsContext } from '../context.js';
import { IDJAG_TYP } from '../idjag/constants.js';

export interface IdJagClaims {
  sub: string;
  /** the target authorization server's issuer */
  aud: string;
  /** our client's client_id at that authorization server */
  client_id: string;
  resource: string;
  scope: string[];
  auth_time?: number | undefined;
  email?: string | undefined;
}

/**
 * Mints an ID-JAG (ID-JAG §3.1; EMA §4.3): typ oauth-id-jag+jwt, signed ES256 with our published keys (EMA §7.4.1),
 * iss, sub (the same public subject our ID tokens carry, §3.1), aud, client_id, jti, iat, exp (≤ 300 s),
 * resource, scope (the granted ones, §4.3.3), auth_time; email only when the policy asks for it (EMA §7.4.3).
 */
export async function mintIdJag(ctx: AsContext, c: IdJagClaims, ttl_s: number): Promise<{ token: string; jti: string; exp: number; expires_in: number }> {
  const key = ctx.keys.signingKey();
  const now = epochSeconds(ctx.clock);
  const jti = randomUUID();
  const claims: Record<string, unknown> = { client_id: c.client_id, resource: c.resource, scope: c.scope.join(' ') };
  if (c.auth_time !== undefined) claims.auth_time = c.auth_time;
  if (c.email !== undefined) claims.email = c.email;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: IDJAG_TYP, kid: key.kid })
    .setIssuer(ctx.settings.issuer)
    .setSubject(c.sub)
    .setAudience(c.aud)
    .setJti(jti)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl_s)
    .sign(key.privateKey);
  return { token, jti, exp: now + ttl_s, expires_in: ttl_s };
}
