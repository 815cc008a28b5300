import { createAccessTokenVerifier, type AccessTokenVerifier } from '../rs/verify.js';
import type { AsContext } from './context.js';

/**
 * The verifier of access tokens this AS issued (RFC 9068 §4, as the gateway verifies: src/rs/verify.ts): our issuer,
 * ES256 with one of our keys (an unknown kid waits for a key reload), the configured clock skew. `isGrantRevoked`
 * is where callers differ: the gateway asks its revoked-grant set, the AS's own endpoints the store.
 */
export function ownAccessTokenVerifier(
  ctx: Pick<AsContext, 'settings' | 'keys' | 'clock'>,
  isGrantRevoked: (grantId: string) => boolean | Promise<boolean>,
): AccessTokenVerifier {
  return createAccessTokenVerifier({
    issuer: ctx.settings.issuer,
    getKey: async (header) => {
      const key = await ctx.keys.resolvePublicKey(header.kid);
      if (!key) throw new Error('unknown kid');
      return key;
    },
    clock: ctx.clock,
    skewSeconds: ctx.settings.config.tokens.clock_skew,
    isGrantRevoked,
    algorithms: ['ES256'],
  });
}

/** revocation read from the store: immediate on every instance (for the AS's own endpoints, e.g. /userinfo) */
export const grantRevokedInStore =
  (ctx: Pick<AsContext, 'store'>) =>
  async (grantId: string): Promise<boolean> =>
    (await ctx.store.getGrant(grantId))?.revoked_at !== null;
