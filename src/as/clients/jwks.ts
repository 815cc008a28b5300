import type { JSONWebKeySet } from 'jose';
import type { Config } from '../../config/schema.js';
import { systemClock, type Clock } from '../../core/time.js';
import { safeFetch } from '../../net/safe-fetch.js';
import type { Resolver } from '../../net/types.js';
import { PRIVATE_JWK_MEMBERS } from './canonical.js';
import { cacheSeconds, cimdSettings, type CimdFetchEvent, type FetchFunction } from './cimd.js';
import type { OAuthClient } from './types.js';

/** JWK sets are larger than client documents (several RSA keys); still capped. */
const JWKS_MAX_BYTES = 65536;
/** Short cache, so that a client's key rotation is picked up within minutes. */
const JWKS_CACHE_MIN = 30;
const JWKS_CACHE_MAX = 300;
const JWKS_CACHE_ENTRIES = 1000;

export interface JwksFetcherOptions {
  dev: boolean;
  log?: (event: CimdFetchEvent) => void;
  clock?: Clock;
  /** used for CIMD clients' jwks_uri (client-supplied: the strict safe fetch) */
  fetch?: FetchFunction;
  /** used for static clients' jwks_uri (administrator-configured: trusted as configured) */
  trustedFetch?: typeof fetch;
  resolver?: Resolver;
  ca?: string[];
}

export type JwksFetcher = (client: OAuthClient) => Promise<JSONWebKeySet>;

/**
 * Fetches a client's jwks_uri for private_key_jwt (RFC 7523 §2.2; CIMD §6.2). CIMD clients' URLs go through the
 * safe fetch (CIMD §6.5: URLs inside the document SHOULD NOT reach special-use addresses); static clients'
 * URLs are trusted as configured (ARCHITECTURE "Two fetch policies"). Valid sets are cached briefly.
 */
export function createJwksFetcher(config: Config, opts: JwksFetcherOptions): JwksFetcher {
  const clock = opts.clock ?? systemClock;
  const { timeout_ms } = cimdSettings(config);
  const cache = new Map<string, { jwks: JSONWebKeySet; expiresAt: number }>();
  const strictFetch = opts.fetch ?? safeFetch;
  const plainFetch = opts.trustedFetch ?? fetch;

  async function load(client: OAuthClient, uri: string): Promise<{ jwks: JSONWebKeySet; headers: Headers }> {
    const started = clock();
    let status: number | null = null;
    let bytes = 0;
    let address: string | null = null;
    const log = (outcome: CimdFetchEvent['outcome'], detail?: string): void =>
      opts.log?.({ url: uri, status, bytes, ms: clock() - started, outcome, address, ...(detail ? { detail } : {}) });
    try {
      let body: Uint8Array;
      let headers: Headers;
      // client-supplied URLs (CIMD and registered clients) go through the strict safe fetch
      if (client.kind !== 'static') {
        const res = await strictFetch(uri, {
          allowLoopback: opts.dev,
          maxBytes: JWKS_MAX_BYTES,
          timeoutMs: timeout_ms,
          ...(opts.resolver ? { resolver: opts.resolver } : {}),
          ...(opts.ca ? { ca: opts.ca } : {}),
        });
        ({ status, body, headers, address } = res);
      } else {
        const res = await plainFetch(uri, { signal: AbortSignal.timeout(timeout_ms), headers: { accept: 'application/json' } });
        status = res.status;
        headers = res.headers;
        body = new Uint8Array(await res.arrayBuffer());
      }
      bytes = body.byteLength;
      if (status !== 200) throw new Error(`jwks_uri answered HTTP ${status}`);
      const jwks = parseJwks(new TextDecoder().decode(body));
      log('ok');
      return { jwks, headers };
    } catch (e) {
      const reason = (e as { reason?: unknown }).reason;
      log(typeof reason === 'string' ? (reason as CimdFetchEvent['outcome']) : status === 200 ? 'document_invalid' : 'http_status', (e as Error).message);
      throw e;
    }
  }

  return async (client) => {
    if (client.jwks) return client.jwks;
    const uri = client.jwks_uri;
    if (!uri) throw new Error('client has neither jwks nor jwks_uri');
    const hit = cache.get(uri);
    if (hit && hit.expiresAt > clock()) return hit.jwks;
    cache.delete(uri);
    const { jwks, headers } = await load(client, uri);
    const seconds = cacheSeconds(headers, JWKS_CACHE_MIN, JWKS_CACHE_MAX);
    if (seconds > 0) {
      cache.set(uri, { jwks, expiresAt: clock() + seconds * 1000 });
      if (cache.size > JWKS_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    }
    return jwks;
  };
}

/** RFC 7517 §5: a JSON object with a "keys" array; public keys only. */
function parseJwks(text: string): JSONWebKeySet {
  const v = JSON.parse(text) as unknown;
  if (typeof v !== 'object' || v === null || !Array.isArray((v as { keys?: unknown }).keys)) throw new Error('jwks_uri did not return a JWK set');
  for (const k of (v as { keys: unknown[] }).keys) {
    if (typeof k !== 'object' || k === null) throw new Error('jwks_uri returned a key that is not an object');
    if (PRIVATE_JWK_MEMBERS.some((m) => m in k)) throw new Error('jwks_uri returned private key material');
  }
  return v as JSONWebKeySet;
}
