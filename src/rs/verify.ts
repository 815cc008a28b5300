import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { controlDisabled } from '../core/controls.js';
import type { Clock } from '../core/time.js';
import {
  audienceMatches,
  checkClaims,
  checkTimes,
  decodeJsonSegment,
  es256KeyObject,
  es256SignatureValid,
  isPlainObject,
  presenceOrder,
  splitCompact,
  type CompactParts,
  type FastRefusal,
} from './fast-verify.js';

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
  /**
   * `fast` (default): ES256 checked synchronously with node:crypto (src/rs/fast-verify.ts), proven equal to jose
   * by test/rs/verify-differential.test.ts; `jose`: jose's jwtVerify for every token (the reference).
   */
  engine?: 'fast' | 'jose';
  /**
   * Verified tokens remembered until their `exp`, at most this many (least recently used dropped first); 0 turns
   * the cache off. A hit still re-resolves the key, re-checks aud, nbf and exp and asks isGrantRevoked. Default 10000.
   */
  cacheSize?: number;
}

export interface AccessTokenVerifier {
  /** resolves the claims, or rejects with `TokenRejected`; other errors mean the key source failed */
  verify(token: string, audience: string): Promise<AccessTokenClaims>;
}

/** Far above any token we issue (~1 KB); refused before any parsing work. */
const MAX_TOKEN_LENGTH = 8192;

// RFC 9068 §2.2: required claims (aud is checked, and so required, by jose's `audience` option).
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];
const PRESENCE = presenceOrder(REQUIRED_CLAIMS);
const DEFAULT_CACHE_SIZE = 10_000;
/** parsed protected headers by their encoded segment: every token one key signs shares one header */
const HEADER_CACHE_SIZE = 64;

interface Verified {
  claims: AccessTokenClaims;
  header: JWTHeaderParameters;
  /** the key that verified it: a hit counts only while getKey still resolves the header to this key */
  key: unknown;
  jws: { payload: string; protected: string; signature: string };
}

type Outcome = { payload: JWTPayload; header: JWTHeaderParameters; key: unknown };

export function createAccessTokenVerifier(opts: AccessTokenVerifierOptions): AccessTokenVerifier {
  if (opts.algorithms.length === 0 || opts.algorithms.some((a) => a.toLowerCase() === 'none')) {
    throw new TypeError('algorithms must be a non-empty allow-list without "none" (RFC 9068 §4)');
  }
  if (!Number.isFinite(opts.skewSeconds) || opts.skewSeconds < 0) throw new TypeError('skewSeconds must be a finite number >= 0');
  const { issuer, clock, skewSeconds, isGrantRevoked } = opts;
  const algorithms = [...opts.algorithms];
  const allowed = new Set(algorithms);
  const fast = (opts.engine ?? 'fast') === 'fast';
  const cacheSize = opts.cacheSize ?? DEFAULT_CACHE_SIZE;
  const cache = new Map<string, Verified>();
  const headers = new Map<string, Record<string, unknown> | null>();

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

  const joseVerify = async (token: string, audience: string): Promise<Outcome> => {
    let key: unknown;
    const resolve: JWTVerifyGetKey = async (header, jws) => (key = await getKey(header, jws));
    try {
      const r = await jwtVerify(token, resolve, {
        algorithms: controlDisabled('rs.alg') ? undefined : algorithms,
        // RFC 9068 §4: typ MUST be "at+jwt" or "application/at+jwt" (jose compares media types, case-insensitively)
        typ: controlDisabled('rs.typ') ? undefined : 'at+jwt',
        // RFC 9068 §4: iss MUST exactly match the issuer; aud MUST contain this resource's identifier
        issuer: controlDisabled('rs.iss') ? undefined : issuer,
        audience: controlDisabled('rs.aud') ? undefined : audience,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: controlDisabled('rs.time') ? 1e10 : skewSeconds,
        currentDate: new Date(clock()),
      });
      return { payload: r.payload, header: r.protectedHeader, key };
    } catch (e) {
      throw toRejection(e);
    }
  };

  const parseHeader = (segment: string): Record<string, unknown> | null => {
    let h = headers.get(segment);
    if (h !== undefined) return h;
    const parsed = decodeJsonSegment(segment);
    h = isPlainObject(parsed) ? parsed : null;
    if (headers.size >= HEADER_CACHE_SIZE) headers.delete(headers.keys().next().value!);
    headers.set(segment, h);
    return h;
  };

  /** jose's jwtVerify decision, synchronously for ES256; undefined: this token is jose's to judge */
  const fastVerify = async (token: string, audience: string, parts: CompactParts): Promise<Outcome | undefined> => {
    const header = parseHeader(parts.header);
    if (header === null) throw new TokenRejected('malformed', 'JWS Protected Header is invalid');
    if (header.crit !== undefined) return undefined; // RFC 7515 §4.1.11: jose decides which extensions it understands
    const alg = header.alg;
    if (typeof alg !== 'string' || alg === '') throw new TokenRejected('malformed', 'JWS "alg" (Algorithm) Header Parameter missing or invalid');
    let key: unknown = null;
    // RFC 8725 §3.1, RFC 7515 §5.2 (the mutation run may switch this block off: src/core/controls.ts)
    if (!controlDisabled('rs.signature')) {
      if (!controlDisabled('rs.alg') && !allowed.has(alg)) throw new TokenRejected('alg_not_allowed', '"alg" (Algorithm) Header Parameter value not allowed');
      if (alg !== 'ES256') return undefined;
      // a fresh copy for the resolver, as each jose call parses its own
      key = await getKey({ ...header } as JWTHeaderParameters, { payload: parts.payload, protected: parts.header, signature: parts.signature });
      const keyObject = es256KeyObject(key);
      if (keyObject === null) return undefined;
      if (!es256SignatureValid(keyObject, token, parts)) throw new TokenRejected('bad_signature', 'signature verification failed');
    }
    const checked = checkClaims(header, decodeJsonSegment(parts.payload), { issuer, audience, presence: PRESENCE, now: Math.floor(clock() / 1000), tolerance: skewSeconds });
    if ('refused' in checked) throw fromRefusal(checked as FastRefusal);
    return { payload: checked, header: { ...header } as JWTHeaderParameters, key };
  };

  /** a remembered token: the same checks jose would still make on it (key, aud, nbf, exp), nothing more is needed */
  const cachedVerify = async (token: string, audience: string, hit: Verified): Promise<AccessTokenClaims | undefined> => {
    let key: unknown;
    try {
      key = await opts.getKey({ ...hit.header }, { ...hit.jws });
    } catch {
      key = undefined;
    }
    if (key !== hit.key) {
      cache.delete(token);
      return undefined;
    }
    if (!controlDisabled('rs.aud') && !audienceMatches(hit.claims.aud, audience)) throw new TokenRejected('wrong_audience', 'unexpected "aud" claim value');
    const refusal = checkTimes(hit.claims.payload, Math.floor(clock() / 1000), skewSeconds);
    if (refusal) {
      if (refusal.refused === 'expired') cache.delete(token);
      throw fromRefusal(refusal);
    }
    // least recently used goes first
    cache.delete(token);
    cache.set(token, hit);
    return hit.claims;
  };

  return {
    async verify(token, audience) {
      if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected('malformed', 'token too long');
      const hit = cacheSize > 0 ? cache.get(token) : undefined;
      let claims = hit ? await cachedVerify(token, audience, hit) : undefined;
      if (!claims) {
        const parts = splitCompact(token);
        if (!parts) throw new TokenRejected('malformed', 'not a compact JWS of three canonical base64url segments');
        const verified = (fast ? await fastVerify(token, audience, parts) : undefined) ?? (await joseVerify(token, audience));
        claims = toClaims(verified.payload);
        if (cacheSize > 0) {
          if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
          cache.set(token, { claims, header: verified.header, key: verified.key, jws: { payload: parts.payload, protected: parts.header, signature: parts.signature } });
        }
      }
      // RFC 7519 §4.1.6: a token issued later than now (beyond the skew) was not issued by this AS's clock — a
      // far-future iat would otherwise outlive every revocation-list and key-retirement window (issue 10 finding)
      if (!controlDisabled('rs.time') && claims.iat > Math.floor(clock() / 1000) + skewSeconds) throw new TokenRejected('not_yet_valid', 'iat is in the future');
      if (isGrantRevoked) {
        if (claims.grant_id === undefined) throw new TokenRejected('missing_claim', 'grant_id');
        // ARCHITECTURE "Revocation": refused as soon as the grant is revoked, whatever exp says.
        if (await isGrantRevoked(claims.grant_id)) throw new TokenRejected('revoked', `grant ${claims.grant_id}`);
      }
      return claims;
    },
  };
}

function fromRefusal(r: FastRefusal): TokenRejected {
  switch (r.refused) {
    case 'malformed':
      return new TokenRejected('malformed', r.detail);
    case 'missing_claim':
      return new TokenRejected('missing_claim', r.claim);
    case 'alg_not_allowed':
    case 'bad_signature':
    case 'wrong_typ':
    case 'wrong_issuer':
    case 'wrong_audience':
    case 'not_yet_valid':
    case 'expired':
      return new TokenRejected(r.refused, `${r.refused.replace(/_/g, ' ')} (fast path)`);
  }
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
