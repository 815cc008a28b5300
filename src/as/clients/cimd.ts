import { controlDisabled } from '../../core/controls.js';
import { configSchema, type Config } from '../../config/schema.js';
import { systemClock, type Clock } from '../../core/time.js';
import { safeFetch } from '../../net/safe-fetch.js';
import { SafeFetchError, type Resolver, type SafeFetchFailureReason, type SafeFetchOptions, type SafeFetchResult } from '../../net/types.js';
import { validateCimdDocument, validateCimdUrl } from './cimd-validate.js';
import { ClientResolutionError, type ClientResolver, type OAuthClient } from './types.js';

export { validateCimdDocument, validateCimdUrl, type CimdDocumentOptions } from './cimd-validate.js';

export type FetchFunction = (url: string, opts: SafeFetchOptions) => Promise<SafeFetchResult>;

export type CimdFetchOutcome =
  | 'ok'
  | SafeFetchFailureReason
  | 'http_status'
  | 'content_type'
  | 'json_invalid'
  | 'document_invalid';

/** One line per document fetch: what, how it went, how long it took. Never the body, never a secret. */
export type CimdFetchEvent = {
  url: string;
  status: number | null;
  bytes: number;
  ms: number;
  outcome: CimdFetchOutcome;
  /** the pinned address connected to, when the connection was made */
  address: string | null;
  /** seconds the document is cached for (0 = not cached); only when outcome is ok */
  cache_seconds?: number;
  detail?: string;
};

export interface CimdResolverOptions {
  cimd: Config['cimd'];
  /** --dev: loopback CIMD hosts allowed (private ranges stay refused) */
  dev: boolean;
  supportedGrantTypes: readonly string[];
  fetch?: FetchFunction;
  clock?: Clock;
  log?: (event: CimdFetchEvent) => void;
  /** LRU bound on cached documents (default 1000) */
  maxEntries?: number;
  resolver?: Resolver;
  ca?: string[];
}

interface CacheEntry {
  client: OAuthClient;
  expiresAt: number;
}

/**
 * The cimd section with every default applied. Parsing again is idempotent; it guards against a section that
 * came through as `{}` (zod 4's `.default({})` on an object does not apply the inner defaults).
 */
export function cimdSettings(config: Pick<Config, 'cimd'>): Config['cimd'] {
  return configSchema.shape.cimd.unwrap().parse(config.cimd ?? {});
}

/**
 * Cache lifetime in seconds for a valid document (CIMD §4.4: SHOULD honour HTTP caching, MAY bound it).
 * max-age (minus Age) clamped to [min, max]; absent → min. `no-store` and `no-cache` → 0 (not cached):
 * no-cache means "revalidate before every use", and without conditional requests that is a fresh fetch.
 */
export function cacheSeconds(headers: Headers, min: number, max: number): number {
  const directives = new Map<string, string>();
  for (const part of (headers.get('cache-control') ?? '').split(',')) {
    const [name = '', value = ''] = part.trim().split('=', 2);
    if (name) directives.set(name.toLowerCase(), value.replace(/^"|"$/g, ''));
  }
  if (directives.has('no-store') || directives.has('no-cache')) return 0;
  const maxAge = directives.get('max-age');
  const age = Number(headers.get('age') ?? 0);
  const fresh = maxAge !== undefined && /^\d+$/.test(maxAge) ? Number(maxAge) - (Number.isFinite(age) ? age : 0) : 0;
  return Math.min(max, Math.max(min, fresh));
}

/** RFC 8259 §11 / CIMD §4.1: application/json, or an application/…+json type. */
function isJsonType(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(type);
}

class FetchFailure extends Error {
  constructor(readonly outcome: CimdFetchOutcome, readonly error: ClientResolutionError) {
    super(error.message);
  }
}

/** Resolves https:// client_ids by fetching, validating and caching their Client ID Metadata Document. */
export class CimdResolver implements ClientResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<OAuthClient>>();
  private readonly fetch: FetchFunction;
  private readonly clock: Clock;
  private readonly maxEntries: number;

  constructor(private readonly opts: CimdResolverOptions) {
    this.opts = { ...opts, cimd: cimdSettings(opts) };
    this.fetch = opts.fetch ?? safeFetch;
    this.clock = opts.clock ?? systemClock;
    this.maxEntries = opts.maxEntries ?? 1000;
  }

  async resolve(client_id: string): Promise<OAuthClient> {
    validateCimdUrl(client_id, { dev: this.opts.dev });
    const hit = this.cache.get(client_id);
    if (hit && hit.expiresAt > this.clock()) {
      this.cache.delete(client_id); // LRU: move to the newest end
      this.cache.set(client_id, hit);
      return hit.client;
    }
    if (hit) this.cache.delete(client_id);
    // Concurrent resolutions of one URL share a single fetch.
    let pending = this.inflight.get(client_id);
    if (!pending) {
      pending = this.fetchAndValidate(client_id).finally(() => this.inflight.delete(client_id));
      this.inflight.set(client_id, pending);
    }
    return pending;
  }

  /** Drop a cached document (admin action, or after a trust decision changes). */
  evict(client_id: string): void {
    this.cache.delete(client_id);
  }

  private async fetchAndValidate(url: string): Promise<OAuthClient> {
    const started = this.clock();
    const { cimd, dev } = this.opts;
    let res: SafeFetchResult | undefined;
    const event = (outcome: CimdFetchOutcome, extra: Partial<CimdFetchEvent> = {}): CimdFetchEvent => ({
      url,
      status: res?.status ?? null,
      bytes: res?.body.byteLength ?? 0,
      ms: this.clock() - started,
      outcome,
      address: res?.address ?? null,
      ...extra,
    });
    try {
      try {
        res = await this.fetch(url, {
          allowLoopback: dev,
          allowHttp: false,
          maxBytes: controlDisabled('cimd.size-cap') ? Number.MAX_SAFE_INTEGER : cimd.max_bytes,
          timeoutMs: cimd.timeout_ms,
          ...(this.opts.resolver ? { resolver: this.opts.resolver } : {}),
          ...(this.opts.ca ? { ca: this.opts.ca } : {}),
        });
      } catch (e) {
        const reason = e instanceof SafeFetchError ? e.reason : 'network_error';
        throw new FetchFailure(reason, fetchFailed(e instanceof Error ? e.message : String(e)));
      }
      // CIMD §4 (-01): only 200 is success. CIMD §4.4: error responses are never cached.
      if (res.status !== 200) throw new FetchFailure('http_status', fetchFailed(`HTTP ${res.status}`));
      const contentType = res.headers.get('content-type');
      if (!isJsonType(contentType)) throw new FetchFailure('content_type', documentInvalid(`content-type ${contentType ?? '(none)'} is not JSON`));
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body));
      } catch {
        throw new FetchFailure('json_invalid', documentInvalid('body is not valid JSON'));
      }
      let client: OAuthClient;
      try {
        client = validateCimdDocument(url, json, { supportedGrantTypes: this.opts.supportedGrantTypes, dev });
      } catch (e) {
        if (e instanceof ClientResolutionError) throw new FetchFailure('document_invalid', e);
        // ARCHITECTURE "Two error channels": a hostile document (e.g. nesting deep enough to exhaust the stack
        // while fingerprinting) is the client's error, never a 500
        throw new FetchFailure('document_invalid', documentInvalid(`could not be processed (${e instanceof Error ? e.name : 'error'})`));
      }
      // CIMD §4.4: only a valid document is cached; never an error or an invalid document.
      const seconds = cacheSeconds(res.headers, cimd.cache_min_seconds, cimd.cache_max_seconds);
      if (seconds > 0) this.store(url, { client, expiresAt: this.clock() + seconds * 1000 });
      this.opts.log?.(event('ok', { cache_seconds: seconds }));
      return client;
    } catch (e) {
      if (!(e instanceof FetchFailure)) throw e;
      this.opts.log?.(event(e.outcome, { detail: e.error.message }));
      throw e.error;
    }
  }

  private store(url: string, entry: CacheEntry): void {
    this.cache.delete(url);
    this.cache.set(url, entry);
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}

const fetchFailed = (detail: string): ClientResolutionError => new ClientResolutionError({ reason: 'cimd_fetch_failed', detail });
const documentInvalid = (detail: string): ClientResolutionError => new ClientResolutionError({ reason: 'cimd_document_invalid', detail });
