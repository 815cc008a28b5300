import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { SignJWT } from 'jose';
import { NO_IDENTITY, type ProtectedResource } from '../config/resolve.js';
import { ConfigError } from '../core/errors.js';
import type { Clock } from '../core/time.js';
import type { ActiveKey } from '../as/keys.js';
import type { AccessTokenClaims } from '../rs/verify.js';

/**
 * Issue 7 item 3: identity to the upstream without token passthrough. Per resource: none; a short-lived signed
 * identity assertion (its own `typ`, `aud` = the upstream, verifiable against `<issuer>/jwks.json`); or static
 * credentials read from secrets at start-up. The client's access token is never among these headers.
 */
export const ASSERTION_TYP = 'portcullis-identity+jwt';
/** lifetime of an assertion (≤ 60 s) and how long one is reused for the same grant and scopes */
export const ASSERTION_TTL_S = 60;
const CACHE_S = 30;
const CACHE_MAX = 10_000;

export interface UpstreamIdentity {
  /** lowercased client header names never forwarded (the assertion header whatever the mode; static ones) */
  strip: ReadonlySet<string>;
  /** headers to add to the upstream request for this caller */
  headers(claims: AccessTokenClaims): Promise<Record<string, string>>;
}

export interface IdentityOptions {
  issuer: string;
  clock: Clock;
  /** the AS signing key now (assertion mode only; called per new assertion) */
  signingKey?: () => ActiveKey;
  env?: NodeJS.ProcessEnv;
  /** base of relative static_headers_file paths (default the working directory) */
  cwd?: string;
}

/** Built at start-up: a missing secret or signer throws ConfigError naming the option. */
export function createUpstreamIdentity(resource: ProtectedResource, i: number, o: IdentityOptions): UpstreamIdentity {
  const id = resource.identity ?? NO_IDENTITY;
  const at = `resources[${i}].identity`;
  const strip = new Set([id.header.toLowerCase()]);
  if (id.mode === 'static') {
    const fixed: Record<string, string> = {};
    for (const [name, envName] of Object.entries(id.static_headers_env)) {
      const v = (o.env ?? process.env)[envName];
      if (!v) throw new ConfigError(`${at}.static_headers_env.${name}`, `environment variable ${envName} is not set or empty`);
      fixed[name.toLowerCase()] = v;
    }
    for (const [name, file] of Object.entries(id.static_headers_file)) {
      const path = resolvePath(o.cwd ?? process.cwd(), file);
      let v: string;
      try {
        v = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      } catch (e) {
        throw new ConfigError(`${at}.static_headers_file.${name}`, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (v === '') throw new ConfigError(`${at}.static_headers_file.${name}`, `${path} is empty`);
      fixed[name.toLowerCase()] = v;
    }
    for (const name of Object.keys(fixed)) strip.add(name);
    return { strip, headers: async () => fixed };
  }
  if (id.mode === 'none') return { strip, headers: async () => ({}) };

  const sign = o.signingKey;
  if (!sign) throw new ConfigError(`${at}.mode`, 'assertion needs the AS signing key');
  const audience = resource.upstream!;
  const header = id.header.toLowerCase();
  const cache = new Map<string, { jwt: string; until: number }>();
  return {
    strip,
    async headers(claims) {
      const now = Math.floor(o.clock() / 1000);
      const scope = claims.scope.join(' ');
      const key = JSON.stringify([claims.grant_id ?? claims.jti, claims.sub, claims.client_id, scope]);
      const hit = cache.get(key);
      if (hit && hit.until > now) return { [header]: hit.jwt };
      const exp = Math.max(now + 1, Math.min(now + ASSERTION_TTL_S, claims.exp));
      const k = sign();
      const jwt = await new SignJWT({ sub: claims.sub, client_id: claims.client_id, scope })
        .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: ASSERTION_TYP })
        .setIssuer(o.issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(k.privateKey);
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      // reused while at least half its lifetime remains, never past CACHE_S
      cache.set(key, { jwt, until: Math.min(now + CACHE_S, exp - Math.floor((exp - now) / 2)) });
      return { [header]: jwt };
    },
  };
}
