import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../core/time.js';

export { extractBearer, type BearerExtraction, type BearerRejection } from './bearer.js';

/** Why an access token was refused. Goes to logs and audit; the wire only ever sees `invalid_token`. */
export type TokenRejectionReason =
  | 'malformed'
  | 'bad_signature'
  | 'wrong_typ'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim'
  | 'revoked'
  | 'alg_not_allowed';

export class TokenRejected extends Error {
  constructor(
    readonly reason: TokenRejectionReason,
    /** more detail for logs (a claim name, jose's message); never contains the token */
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'TokenRejected';
  }
}

/** A verified RFC 9068 access token. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  exp: number;
  iat: number;
  jti: string;
  nbf: number | undefined;
  /** RFC 9068 §2.2.3: the space-delimited `scope` claim, split; [] when absent */
  scope: string[];
  /** our grant identifier (revocation is per grant) */
  grant_id: string | undefined;
  /** the whole verified payload, for claims not named above (auth_time, act, …) */
  payload: JWTPayload;
}

export interface AccessTokenVerifierOptions {
  /** the AS issuer identifier, compared exactly (RFC 9068 §4) */
  issuer: string;
  /** jose key resolver: createLocalJWKSet / createRemoteJWKSet or the AS's own key store */
  getKey: JWTVerifyGetKey;
  clock: Clock;
  /** tolerance for exp/nbf, seconds */
  skewSeconds: number;
  /** when given, tokens must carry `grant_id` and a revoked grant's tokens are refused */
  isGrantRevoked?: (grantId: string) => boolean | Promise<boolean>;
  /** RFC 9068 §4: an allow-list; `none` is never accepted */
  algorithms: string[];
}

export interface AccessTokenVerifier {
  /** resolves the claims, or rejects with `TokenRejected`; other errors mean the key source failed */
  verify(token: string, audience: string): Promise<AccessTokenClaims>;
}

/** Far above any token we issue (~1 KB); refused before any parsing work. */
const MAX_TOKEN_LENGTH = 8192;

// RFC 9068 §2.2: required claims (aud is checked, and so required, by jose's `audience` option).
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

export function createAccessTokenVerifier(opts: AccessTokenVerifierOptions): AccessTokenVerifier {
  if (opts.algorithms.length === 0 || opts.algorithms.some((a) => a.toLowerCase() === 'none')) {
    throw new TypeError('algorithms must be a non-empty allow-list without "none" (RFC 9068 §4)');
  }
  const { issuer, clock, skewSeconds, isGrantRevoked } = opts;
  const algorithms = [...opts.algorithms];
  // A key source that cannot find a key for the token's header (unknown kid, wrong kty) means we cannot vouch
  // for the token: bad_signature. Only a key source that is unavailable (JWKS timeout) is not the token's fault.
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await opts.getKey(header, token);
    } catch (e) {
      if (e instanceof errors.JWKSTimeout) throw e;
      throw new TokenRejected('bad_signature', `no verification key: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  return {
    async verify(token, audience) {
      if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected('malformed', 'token too long');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          algorithms,
          // RFC 9068 §4: typ MUST be "at+jwt" or "application/at+jwt" (jose compares media types, case-insensitively)
          typ: 'at+jwt',
          // RFC 9068 §4: iss MUST exactly match the issuer; aud MUST contain this resource's identifier
          issuer,
          audience,
          requiredClaims: REQUIRED_CLAIMS,
          clockTolerance: skewSeconds,
          currentDate: new Date(clock()),
        }));
      } catch (e) {
        throw toRejection(e);
      }
      const claims = toClaims(payload);
      if (isGrantRevoked) {
        if (claims.grant_id === undefined) throw new TokenRejected('missing_claim', 'grant_id');
        // ARCHITECTURE "Revocation": refused as soon as the grant is revoked, whatever exp says.
        if (await isGrantRevoked(claims.grant_id)) throw new TokenRejected('revoked', `grant ${claims.grant_id}`);
      }
      return claims;
    },
  };
}

function toClaims(p: JWTPayload): AccessTokenClaims {
  const str = (name: string): string => {
    const v = p[name];
    if (typeof v !== 'string' || v === '') throw new TokenRejected('malformed', `${name} must be a non-empty string`);
    return v;
  };
  if (p.scope !== undefined && typeof p.scope !== 'string') throw new TokenRejected('malformed', 'scope must be a string');
  if (p.grant_id !== undefined && (typeof p.grant_id !== 'string' || p.grant_id === '')) {
    throw new TokenRejected('malformed', 'grant_id must be a non-empty string');
  }
  return {
    iss: str('iss'),
    sub: str('sub'),
    aud: p.aud!, // presence and type checked by jose's audience option
    client_id: str('client_id'),
    exp: p.exp!, // numeric, checked by jose
    iat: p.iat!,
    jti: str('jti'),
    nbf: p.nbf,
    // RFC 9068 §2.2.3 / RFC 8693 §4.2: space-delimited
    scope: typeof p.scope === 'string' ? p.scope.split(' ').filter(Boolean) : [],
    grant_id: p.grant_id as string | undefined,
    payload: p,
  };
}

/** jose errors → rejection reasons. Anything else (a key source timing out, a bug) passes through. */
function toRejection(e: unknown): unknown {
  if (e instanceof TokenRejected) return e;
  if (e instanceof errors.JWTExpired) return new TokenRejected('expired', e.message);
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === 'missing') return new TokenRejected('missing_claim', e.claim);
    if (e.reason === 'invalid') return new TokenRejected('malformed', e.message);
    switch (e.claim) {
      case 'typ':
        return new TokenRejected('wrong_typ', e.message);
      case 'iss':
        return new TokenRejected('wrong_issuer', e.message);
      case 'aud':
        return new TokenRejected('wrong_audience', e.message);
      case 'nbf':
        return new TokenRejected('not_yet_valid', e.message);
      default:
        return new TokenRejected('malformed', e.message);
    }
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return new TokenRejected('alg_not_allowed', e.message);
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRejected('bad_signature', e.message);
  }
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid || e instanceof errors.JOSENotSupported) {
    return new TokenRejected('malformed', e.message);
  }
  return e;
}
