/**
 * The machinery of test/rs/verify-differential.test.ts: fixed issuer, audiences and clock, the keys (set by
 * makeKeys), raw ES256 signing over exact header and payload text, signature surgery, and the three verifiers whose
 * verdicts must agree (engine fast, fast with the cache, jose), checked against jose's own jwtVerify.
 */
import assert from 'node:assert/strict';
import { KeyObject, sign as cryptoSign } from 'node:crypto';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, jwtVerify, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import { createAccessTokenVerifier, TokenRejected, type AccessTokenVerifier, type AccessTokenVerifierOptions } from '../../../src/rs/verify.js';
import { splitCompact } from '../../../src/rs/fast-verify.js';

export const ISSUER = 'https://auth.example.com';
export const AUD = 'https://mcp.example.com/mcp';
export const OTHER_AUD = 'https://mcp.example.com/other';
export const NOW = 1_900_000_000;
export const SKEW = 30;
// P-256 group order (SEC 2 §2.4.2)
export const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export let priv: CryptoKey;
export let privObject: KeyObject;
export let pubJwk: JWK;
export let otherPriv: CryptoKey;
export let otherPubJwk: JWK;
export let jwks: JWTVerifyGetKey;
export let pubPem: string;

/** the keys every case signs with; call once before the cases (`before(makeKeys)`) */
export async function makeKeys(): Promise<void> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  priv = pair.privateKey;
  privObject = KeyObject.from(pair.privateKey);
  pubJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  pubPem = await exportSPKI(pair.publicKey);
  const other = await generateKeyPair('ES256', { extractable: true });
  otherPriv = other.privateKey;
  otherPubJwk = { ...(await exportJWK(other.publicKey)), kid: 'k2', alg: 'ES256' };
  jwks = createLocalJWKSet({ keys: [pubJwk, otherPubJwk] });
}

export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

export const claims = (over: Record<string, unknown> = {}): Record<string, unknown> => {
  const c: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUD,
    sub: 'user-1',
    client_id: 'https://client.example/cimd.json',
    iat: NOW - 10,
    exp: NOW + 600,
    jti: 'jti-1',
    scope: 'notes:read',
    grant_id: 'g-1',
    ...over,
  };
  for (const [k, v] of Object.entries(c)) if (v === undefined) delete c[k];
  return c;
};
export const HEADER = { alg: 'ES256', typ: 'at+jwt', kid: 'k1' };

/** a compact JWS over the exact header and payload text given (duplicate keys, BOMs, odd JSON included) */
export function signRaw(headerText: string | Buffer, payloadText: string | Buffer, key: KeyObject = privObject): string {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
export const sign = (over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string => signRaw(JSON.stringify(stripUndefined({ ...HEADER, ...header })), JSON.stringify(claims(over)));
export const stripUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function withSignature(token: string, sig: Buffer | string): string {
  return `${token.slice(0, token.lastIndexOf('.'))}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
}
export function sigOf(token: string): Buffer {
  return Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
}
/** RFC 7518 §3.4 R‖S → ASN.1 DER SEQUENCE { INTEGER r, INTEGER s } */
export function toDer(p1363: Buffer): Buffer {
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(p1363.subarray(0, 32)), int(p1363.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
export const bigOf = (b: Buffer) => BigInt(`0x${b.toString('hex')}`);
export const bufOf = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');

export type Verdict = { ok: string } | { reason: string; claim?: string } | { thrown: string };

export async function verdict(v: AccessTokenVerifier, token: string, aud = AUD): Promise<Verdict> {
  try {
    return { ok: JSON.stringify(await v.verify(token, aud)) };
  } catch (e) {
    if (e instanceof TokenRejected) return e.reason === 'missing_claim' ? { reason: e.reason, claim: e.detail } : { reason: e.reason };
    return { thrown: e instanceof Error ? e.constructor.name : String(e) };
  }
}

interface Trio {
  fast: AccessTokenVerifier;
  cached: AccessTokenVerifier;
  jose: AccessTokenVerifier;
  opts: AccessTokenVerifierOptions;
}
export function trio(over: Partial<AccessTokenVerifierOptions> = {}): Trio {
  const opts: AccessTokenVerifierOptions = { issuer: ISSUER, getKey: jwks, clock: () => NOW * 1000, skewSeconds: SKEW, algorithms: ['ES256'], ...over };
  return {
    fast: createAccessTokenVerifier({ ...opts, engine: 'fast', cacheSize: 0 }),
    cached: createAccessTokenVerifier({ ...opts, engine: 'fast', cacheSize: 100 }),
    jose: createAccessTokenVerifier({ ...opts, engine: 'jose', cacheSize: 0 }),
    opts,
  };
}

/** jose's jwtVerify with the options verify.ts gives it: accepted or not (revocation is not jose's) */
async function rawJoseAccepts(t: Trio, token: string, aud: string): Promise<boolean> {
  try {
    await jwtVerify(token, t.opts.getKey, {
      algorithms: t.opts.algorithms,
      typ: 'at+jwt',
      issuer: ISSUER,
      audience: aud,
      requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
      clockTolerance: SKEW,
      currentDate: new Date(NOW * 1000),
    });
    return true;
  } catch {
    return false;
  }
}

/** the differential assertion; returns the agreed verdict */
export async function agree(t: Trio, token: string, label: string, aud = AUD): Promise<Verdict> {
  const reference = await verdict(t.jose, token, aud);
  assert.deepEqual(await verdict(t.fast, token, aud), reference, `fast ≠ jose for ${label}`);
  assert.deepEqual(await verdict(t.cached, token, aud), reference, `cached (1st) ≠ jose for ${label}`);
  assert.deepEqual(await verdict(t.cached, token, aud), reference, `cached (2nd) ≠ jose for ${label}`);
  if (token.length <= 8192 && splitCompact(token) && !t.opts.isGrantRevoked && !('thrown' in reference)) {
    // jose's own verdict; a token jose accepts may still be refused after it, by the checks verify.ts adds on
    // top: claim types (toClaims: malformed) and an iat beyond the skew (not_yet_valid)
    const accepted = await rawJoseAccepts(t, token, aud);
    if ('ok' in reference) assert.ok(accepted, `jose's jwtVerify refuses ${label}, which the verifier accepted`);
    else if (accepted) assert.ok('reason' in reference && ['malformed', 'not_yet_valid'].includes(reference.reason), `jose's jwtVerify accepts ${label}, refused with ${JSON.stringify(reference)}`);
  }
  return reference;
}

export const expectReason = (v: Verdict, reason: string, label: string) => assert.deepEqual('reason' in v ? v.reason : v, reason, label);
