import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { isLoopbackHost, wellKnownUrl } from '../core/urls.js';

/**
 * The authorization server as a resource server sees it: its RFC 8414 metadata (found from the issuer alone) and
 * its signing keys, cached. Keys are fetched again when a token names an unknown `kid` (key rotation), at most
 * once per cooldown; a failed or invalid fetch keeps the last good set, and a fetch that started before the set
 * in use was fetched never replaces it (no rollback to older keys).
 */

export interface AsMetadata {
  issuer: string;
  jwks_uri: string;
  introspection_endpoint?: string;
  [member: string]: unknown;
}

/**
 * The key source or the metadata could not be reached: not the token's fault (503, not 401). A JWKSTimeout, the
 * one key-source error the token verifier (verify.ts) passes through instead of blaming the token.
 */
export class IssuerUnavailable extends errors.JWKSTimeout {
  override name = 'IssuerUnavailable';
}

const TIMEOUT_MS = 5000;
const MAX_BYTES = 512 * 1024;

/** The AS's JSON answer to one request: unreachable, non-200 or non-JSON is IssuerUnavailable, never the token's fault. */
async function fetchJson(url: string, what: string, post?: { headers: Record<string, string>; body: URLSearchParams }, maxBytes = Infinity): Promise<unknown> {
  let res: Response;
  try {
    const init = post ? { method: 'POST', body: post.body } : {};
    res = await fetch(url, { ...init, headers: { ...post?.headers, accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new IssuerUnavailable(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.text();
  if (res.status !== 200) throw new IssuerUnavailable(`${what} answered ${res.status}`);
  if (text.length > maxBytes) throw new IssuerUnavailable(`${what}: document too large`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new IssuerUnavailable(`${what}: not JSON`);
  }
}

const getJson = (url: string): Promise<unknown> => fetchJson(url, `GET ${url}`, undefined, MAX_BYTES);

/**
 * A form POST to one of the AS's client-authenticated endpoints (introspection, revoked grants) with
 * client_secret_basic — RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined.
 */
export function postForm(url: string, client: { id: string; secret: string }, form: Record<string, string>, what: string): Promise<unknown> {
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
  return fetchJson(url, what, { headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
}

function fetchableUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
  } catch {
    return false;
  }
}

/** RFC 8414 §3: the metadata at the path-inserted well-known URL, whose `issuer` MUST equal ours exactly (§3.3) */
export async function discoverIssuer(issuer: string): Promise<AsMetadata> {
  const doc = await getJson(wellKnownUrl(issuer, 'oauth-authorization-server'));
  if (typeof doc !== 'object' || doc === null) throw new IssuerUnavailable('authorization server metadata is not a JSON object');
  const m = doc as Record<string, unknown>;
  // RFC 8414 §3.3: a mismatch means we may be talking to the wrong server; use nothing from it
  if (m.issuer !== issuer) throw new IssuerUnavailable(`metadata issuer ${JSON.stringify(m.issuer)} is not ${issuer} (RFC 8414 §3.3)`);
  if (!fetchableUrl(m.jwks_uri)) throw new IssuerUnavailable('metadata has no usable jwks_uri');
  if (m.introspection_endpoint !== undefined && !fetchableUrl(m.introspection_endpoint)) delete m.introspection_endpoint;
  return m as AsMetadata;
}

export interface IssuerKeys {
  metadata(): Promise<AsMetadata>;
  /** fetches the keys unless some are cached */
  load(): Promise<void>;
  getKey: JWTVerifyGetKey;
}

export function createIssuerKeys(issuer: string, opts: { cooldownMs: number; now?: () => number }): IssuerKeys {
  const now = opts.now ?? Date.now;
  let meta: Promise<AsMetadata> | undefined;
  let keys: { set: ReturnType<typeof createLocalJWKSet>; startedAt: number } | undefined;
  let inflight: Promise<void> | undefined;
  let lastAttempt = -Infinity;
  let seq = 0;

  const metadata = (): Promise<AsMetadata> => {
    // a failed discovery is tried again on the next request, not cached
    meta ??= discoverIssuer(issuer).catch((e: unknown) => {
      meta = undefined;
      throw e;
    });
    return meta;
  };

  const refresh = (): Promise<void> => {
    inflight ??= (async () => {
      const startedAt = ++seq;
      lastAttempt = now();
      try {
        const { jwks_uri } = await metadata();
        const doc = await getJson(jwks_uri);
        const ks = (doc as { keys?: unknown } | null)?.keys;
        if (!Array.isArray(ks) || ks.length === 0) throw new IssuerUnavailable('the JWKS has no keys');
        // no rollback: only a fetch newer than the installed one replaces it
        let set: ReturnType<typeof createLocalJWKSet>;
        try {
          set = createLocalJWKSet(doc as JSONWebKeySet);
        } catch (e) {
          throw new IssuerUnavailable(`the JWKS is invalid: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (!keys || keys.startedAt < startedAt) keys = { set, startedAt };
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!keys) {
      // first use: wait for keys; a failure before any key was ever seen is the key source's
      try {
        await refresh();
      } catch (e) {
        if (!keys) throw e;
      }
    }
    try {
      return await keys!.set(header, token);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
      // RFC 7517 §4.5 / key rotation: an unknown kid may be a new key; look again, rate-limited
      if (now() - lastAttempt < opts.cooldownMs) throw e;
      await refresh().catch(() => undefined); // a failed refresh keeps the last good set
      return keys!.set(header, token);
    }
  };
  return { metadata, getKey, load: async () => (keys ? undefined : refresh()) };
}
