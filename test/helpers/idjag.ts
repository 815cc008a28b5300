import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';

/** the real ID-JAG examples (spec drafts) in /work/shared/fixtures/idjag, by name without `.payload.json` */
export function fixturePayload(name: 'draft-ai-agent.id-jag' | 'draft-issued-id-jag' | 'draft-issued-id-jag.rar' | 'draft-sec3-id-jag'): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../shared/fixtures/idjag/${name}.payload.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

export interface IdpKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  /** the public JWK (with kid and alg) */
  jwk: JWK;
}

export async function idpKey(kid = `k-${randomUUID().slice(0, 8)}`, alg = 'ES256'): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface MintOptions {
  key: IdpKey;
  /** epoch seconds for iat (exp = iat + 120 unless the claims say otherwise) */
  now: number;
  /** claims over the defaults; a claim set to undefined is removed */
  claims?: Record<string, unknown>;
  /** header over { alg, typ: oauth-id-jag+jwt, kid }; a member set to undefined is removed */
  header?: Record<string, unknown>;
}

/** An ID-JAG ([IDJAG] §3.1) signed by `key`; every claim overridable. */
export async function mintIdJag(base: Record<string, unknown>, o: MintOptions): Promise<string> {
  // a fresh jti and times around `now` replace the fixture's (its jti is one fixed string, its times long past or far ahead)
  const claims: Record<string, unknown> = { ...base, jti: randomUUID(), iat: o.now, exp: o.now + 120, ...o.claims };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  const header: Record<string, unknown> = { alg: o.key.alg, typ: 'oauth-id-jag+jwt', kid: o.key.kid, ...o.header };
  for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
  return new SignJWT(claims as JWTPayload).setProtectedHeader(header as { alg: string }).sign(o.key.privateKey);
}

/** an unsecured JWT (alg none): header and payload, empty signature */
export function unsecuredJwt(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc(header)}.${enc(payload)}.`;
}

export const basicAuth = (id: string, secret: string): string => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** the form of a jwt-bearer token request */
export const jwtBearerForm = (assertion: string, extra: Record<string, string> = {}): URLSearchParams => new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion, ...extra });
