import type { GrantRecord } from '../store/types.js';

/**
 * OpenID Connect Core §2 `auth_time` of a grant, in seconds: when the user authenticated, which every token derived
 * from the grant carries unchanged (OIDC Core §12.2 for refreshed ID tokens; RFC 9068 §2.2.1 for access tokens).
 * A grant written before store migration 5 has no recorded time: its creation is the closest known value.
 */
export const grantAuthTime = (grant: Pick<GrantRecord, 'auth_time' | 'created_at'>): number => Math.floor((grant.auth_time ?? grant.created_at) / 1000);

/**
 * An `auth_time` claim from elsewhere (an ID-JAG: NumericDate seconds, which RFC 7519 §2 lets be fractional) as a grant
 * stores it, in ms; null when absent or beyond what the store's integer column can hold, never a made-up time.
 */
export function authTimeFromClaim(seconds: number | undefined): number | null {
  if (seconds === undefined) return null;
  const ms = Math.floor(seconds) * 1000;
  return Number.isSafeInteger(ms) ? ms : null;
}
