import { decodeProtectedHeader, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { sha256 } from '../core/random.js';
import type { RefreshTokenRecord, Store } from '../store/types.js';

/** What one of our tokens is, found by its own format (a JWT has two dots; our refresh tokens are base64url). */
export type FoundToken =
  | { kind: 'access_token'; claims: OwnAccessClaims }
  | { kind: 'refresh_token'; record: RefreshTokenRecord };

export interface OwnAccessClaims extends JWTPayload {
  sub: string;
  client_id: string;
  exp: number;
  iat: number;
  jti: string;
  scope?: string;
  grant_id?: string;
}

export interface LookupDeps {
  store: Store;
  /** our public key for a kid (KeyRing.publicKey, or keys read from the store by the CLI) */
  publicKey(kid: string | undefined): CryptoKey | undefined;
  /** compared exactly when given (the CLI may not know the public issuer) */
  issuer?: string;
}

/** Only our signing algorithm; a token signed otherwise is not ours. */
const ALGORITHMS = ['ES256'];
/** far above any token we issue; refused before any work */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Finds one of our tokens (RFC 7009 §2.1, RFC 7662 §2.1). `token_type_hint` only orders the search: the two
 * formats cannot be confused, so every supported type is tried ("MUST extend its search"). An access token is
 * ours when its signature verifies with one of our keys and `typ` is at+jwt; expiry is NOT checked here (a client
 * may revoke an expired token's grant), callers that need a live token check `exp` themselves.
 */
export async function findToken(deps: LookupDeps, token: string): Promise<FoundToken | null> {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  if (token.split('.').length === 3) {
    const claims = await verifyOwnJwt(deps, token);
    return claims ? { kind: 'access_token', claims } : null;
  }
  const record = await deps.store.getRefreshToken(sha256(token));
  return record ? { kind: 'refresh_token', record } : null;
}

async function verifyOwnJwt(deps: LookupDeps, token: string): Promise<OwnAccessClaims | null> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return null;
  }
  const key = deps.publicKey(kid);
  if (!key) return null;
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ALGORITHMS,
      typ: 'at+jwt',
      ...(deps.issuer !== undefined ? { issuer: deps.issuer } : {}),
      // expiry is judged by the caller: a far-future "now" would break nbf, so exp is tolerated instead
      clockTolerance: Number.MAX_SAFE_INTEGER,
      requiredClaims: ['sub', 'client_id', 'exp', 'iat', 'jti'],
    });
    if (typeof payload.client_id !== 'string' || typeof payload.sub !== 'string') return null;
    return payload as OwnAccessClaims;
  } catch {
    return null;
  }
}
