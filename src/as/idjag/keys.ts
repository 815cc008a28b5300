import { createLocalJWKSet, createRemoteJWKSet, customFetch, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { fetch as UndiciFetch } from 'undici';
import { loadUndici } from '../../net/undici-lazy.js';
import type { TrustedIssuerConfig } from '../../config/enterprise-schema.js';
import type { Settings } from '../../config/resolve.js';

/** fetching an IdP's keys gives up after this long */
const JWKS_TIMEOUT_MS = 5000;

/** A trusted ID-JAG issuer with its key source, built once per configuration. */
export interface TrustedIssuer {
  config: TrustedIssuerConfig;
  /** keys of this IdP only: the configured JWKS, or its jwks_uri (cached; an unknown kid refetches after the cooldown) */
  getKey: JWTVerifyGetKey;
}

/**
 * [EMA] §7.4.1: keys come only from the administrator-configured source of that one IdP (ARCHITECTURE "Two fetch
 * policies": trusted as configured, fetched with undici). Key rotation: an unknown `kid` refetches the set, at most
 * once per `jwks_cooldown_s`; a fetched set replaces the previous one entirely, so a key the IdP removed is never
 * used again (no rollback), and keys named in the JWT header (`jwk`, `jku`, `x5u`) are never consulted.
 */
function keySource(t: TrustedIssuerConfig): JWTVerifyGetKey {
  if (t.jwks) return createLocalJWKSet(t.jwks as unknown as JSONWebKeySet);
  return createRemoteJWKSet(new URL(t.jwks_uri!), {
    timeoutDuration: JWKS_TIMEOUT_MS,
    cooldownDuration: t.jwks_cooldown_s * 1000,
    cacheMaxAge: t.jwks_cache_s * 1000,
    headers: { accept: 'application/jwk-set+json, application/json' },
    // undici, as for every administrator-configured URL (ARCHITECTURE "Dependencies"); jose refuses redirects itself
    // (loaded at the first fetch: issue 9, start-up)
    [customFetch]: async (url, options) => (await loadUndici()).fetch(url, options as Parameters<typeof UndiciFetch>[1]) as unknown as Promise<Response>,
  });
}

const registries = new WeakMap<Settings, Map<string, TrustedIssuer>>();

/** The trusted issuers of this configuration by exact `iss`; one key cache per process and configuration. */
export function trustedIssuers(settings: Settings): Map<string, TrustedIssuer> {
  let map = registries.get(settings);
  if (!map) {
    map = new Map(settings.config.enterprise.trusted_issuers.map((t) => [t.issuer, { config: t, getKey: keySource(t) }]));
    registries.set(settings, map);
  }
  return map;
}
