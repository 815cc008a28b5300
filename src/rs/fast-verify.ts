/**
 * The one measured exception to "jose for all JOSE" (ARCHITECTURE "Dependencies"): a synchronous `node:crypto`
 * ES256 check for the gateway's hot path. jose 6 verifies through WebCrypto, whose promise round trip costs about
 * half of a verification here. Everything around the signature is written to decide exactly as jose's
 * `jwtVerify` does, in jose's order (jws_verify.js, then jwt_claims_set.js); test/rs/verify-differential.test.ts
 * runs a corpus of attack and random tokens through both and asserts identical verdicts. Anything outside the
 * narrow shape handled here (a `crit` header, another allowed alg, a key that is not an ES256 public key) is
 * handed back to jose.
 */
import { controlDisabled } from '../core/controls.js';
import { KeyObject, verify as cryptoVerify } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** Why the fast path refused; mapped to TokenRejected by the caller. `claim` names the missing claim. */
export type FastRefusal =
  | { refused: 'malformed'; detail: string }
  | { refused: 'alg_not_allowed' }
  | { refused: 'bad_signature' }
  | { refused: 'wrong_typ' }
  | { refused: 'missing_claim'; claim: string }
  | { refused: 'wrong_issuer' }
  | { refused: 'wrong_audience' }
  | { refused: 'not_yet_valid' }
  | { refused: 'expired' };

/** JWS segments checked for shape: canonical unpadded base64url (RFC 7515 §2, RFC 4648 §3.5), three of them. */
export interface CompactParts {
  header: string;
  payload: string;
  signature: string;
  /** index of the second dot: the signing input is token[0, dot2) */
  dot2: number;
}

// '-' 45, '0'-'9' 48-57, 'A'-'Z' 65-90, '_' 95, 'a'-'z' 97-122 → the 6-bit value, or -1
const B64URL = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64URL['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;

function canonicalSegment(token: string, from: number, to: number): boolean {
  const len = to - from;
  // RFC 7515 §2: no padding; a length of 4n+1 cannot be base64 at all. Empty is the encoding of nothing (an
  // unsecured JWS's signature), left for the header checks to refuse as jose does (alg "none": not allowed)
  if (len === 0) return true;
  if (len % 4 === 1) return false;
  for (let i = from; i < to; i++) {
    const c = token.charCodeAt(i);
    if (c >= 128 || B64URL[c]! < 0) return false;
  }
  // RFC 4648 §3.5: the unused low bits of the last character must be zero (one encoding per byte string)
  const last = B64URL[token.charCodeAt(to - 1)]!;
  return len % 4 === 2 ? (last & 0x0f) === 0 : len % 4 === 3 ? (last & 0x03) === 0 : true;
}

/**
 * The compact JWS shape both verification engines require before any decoding: exactly three canonical
 * base64url segments. Stricter than jose on Node 20 (whose `atob` fallback skips whitespace and
 * accepts `=` padding and non-zero trailing bits): a token has one spelling, so it is also one cache key.
 */
export function splitCompact(token: string): CompactParts | undefined {
  const dot1 = token.indexOf('.');
  if (dot1 < 0) return undefined;
  const dot2 = token.indexOf('.', dot1 + 1);
  if (dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) return undefined;
  if (!canonicalSegment(token, 0, dot1) || !canonicalSegment(token, dot1 + 1, dot2) || !canonicalSegment(token, dot2 + 1, token.length)) return undefined;
  return { header: token.slice(0, dot1), payload: token.slice(dot1 + 1, dot2), signature: token.slice(dot2 + 1), dot2 };
}

// jose: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)); a leading BOM is dropped, as there
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** base64url → strict UTF-8 → JSON, as jose's parseJoseHeader / validateClaimsSet; undefined when any step fails */
export function decodeJsonSegment(segment: string): unknown {
  try {
    return JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url'))) as unknown;
  } catch {
    return undefined;
  }
}

/** jose's isObject: a plain object (not an array, null, or an instance of a class) */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Object.prototype.toString.call(v) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

const keyObjects = new WeakMap<object, KeyObject | null>();

/**
 * The KeyObject for a resolved key when it is an ES256 public key jose would use as is (a CryptoKey ECDSA P-256
 * with `verify` usage, or an EC P-256 public KeyObject); imported once per key. null: let jose judge the key.
 */
export function es256KeyObject(key: unknown): KeyObject | null {
  if (typeof key !== 'object' || key === null) return null;
  const cached = keyObjects.get(key);
  if (cached !== undefined) return cached;
  let ko: KeyObject | null = null;
  if (key instanceof KeyObject) {
    if (key.type === 'public' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') ko = key;
  } else if ((key as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'CryptoKey') {
    const ck = key as CryptoKey;
    const alg = ck.algorithm as EcKeyAlgorithm;
    if (ck.type === 'public' && alg.name === 'ECDSA' && alg.namedCurve === 'P-256' && ck.usages.includes('verify')) ko = KeyObject.from(ck);
  }
  keyObjects.set(key, ko);
  return ko;
}

/** RFC 7518 §3.4: R ‖ S, 32 octets each for P-256 (a DER signature is refused, as WebCrypto does) */
export function es256SignatureValid(key: KeyObject, token: string, parts: CompactParts): boolean {
  const sig = Buffer.from(parts.signature, 'base64url');
  if (sig.length !== 64) return false;
  return cryptoVerify('sha256', Buffer.from(token.slice(0, parts.dot2), 'latin1'), { key, dsaEncoding: 'ieee-p1363' }, sig);
}

export interface ClaimChecks {
  issuer: string;
  audience: string;
  /** claims whose presence is required, in jose's presence-check order */
  presence: readonly string[];
  /** seconds since the epoch, floored (jose: epoch(currentDate)) */
  now: number;
  tolerance: number;
}

/** jose's presence-check order for requiredClaims R plus `audience` and `issuer`: reverse, then first occurrence */
export function presenceOrder(required: readonly string[]): string[] {
  return [...new Set([...required, 'aud', 'iss'].reverse())];
}

/** jose's checkAudiencePresence for one expected audience */
export function audienceMatches(aud: unknown, audience: string): boolean {
  return typeof aud === 'string' ? aud === audience : Array.isArray(aud) ? aud.includes(audience) : false;
}

/** nbf then exp, as jose: a present non-number is malformed */
export function checkTimes(p: JWTPayload, now: number, tolerance: number): FastRefusal | undefined {
  if (p.iat !== undefined && typeof p.iat !== 'number') return { refused: 'malformed', detail: '"iat" claim must be a number' };
  if (controlDisabled('rs.time')) return undefined;
  if (p.nbf !== undefined) {
    if (typeof p.nbf !== 'number') return { refused: 'malformed', detail: '"nbf" claim must be a number' };
    if (p.nbf > now + tolerance) return { refused: 'not_yet_valid' };
  }
  if (p.exp !== undefined) {
    if (typeof p.exp !== 'number') return { refused: 'malformed', detail: '"exp" claim must be a number' };
    if (p.exp <= now - tolerance) return { refused: 'expired' };
  }
  return undefined;
}

/** jose's validateClaimsSet (typ, presence, iss, aud, iat/nbf/exp) on a decoded payload, same order */
export function checkClaims(header: Record<string, unknown>, payload: unknown, c: ClaimChecks): FastRefusal | JWTPayload {
  if (!isPlainObject(payload)) return { refused: 'malformed', detail: 'JWT Claims Set must be a top-level JSON object' };
  // RFC 9068 §4: typ "at+jwt" or "application/at+jwt", media types compared case-insensitively (jose normalizeTyp)
  const typ = header.typ;
  if (!controlDisabled('rs.typ') && (typeof typ !== 'string' || (typ.includes('/') ? typ.toLowerCase() : `application/${typ.toLowerCase()}`) !== 'application/at+jwt')) return { refused: 'wrong_typ' };
  for (const claim of c.presence) if (!Object.hasOwn(payload, claim)) return { refused: 'missing_claim', claim };
  // RFC 9068 §4: iss exactly the issuer; aud contains this resource
  if (!controlDisabled('rs.iss') && payload.iss !== c.issuer) return { refused: 'wrong_issuer' };
  if (!controlDisabled('rs.aud') && !audienceMatches(payload.aud, c.audience)) return { refused: 'wrong_audience' };
  return checkTimes(payload, c.now, c.tolerance) ?? payload;
}
