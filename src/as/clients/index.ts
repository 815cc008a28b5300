import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/time.js';
import type { Resolver } from '../../net/types.js';
import type { Store } from '../../store/types.js';
import { refuseBeforeFetch, trustSettings } from '../trust/policy.js';
import { CLIENT_METADATA_GRANT_TYPES, STATIC_ONLY_GRANT_TYPES, SUPPORTED_GRANT_TYPES } from '../context.js';
import { CimdResolver, cimdSettings, type CimdFetchEvent, type FetchFunction } from './cimd.js';
import { DcrClientResolver } from './dcr.js';
import { StaticClientResolver } from './static.js';
import { ClientResolutionError, type ClientResolver, type OAuthClient } from './types.js';

export { CimdResolver, cacheSeconds, cimdSettings, validateCimdDocument, validateCimdUrl, type CimdFetchEvent, type CimdResolverOptions } from './cimd.js';
export { createJwksFetcher, type JwksFetcher, type JwksFetcherOptions } from './jwks.js';
export { StaticClientResolver, type StaticClientOptions } from './static.js';
export { clientFromRegistration, DcrClientResolver, DCR_CLIENT_ID_PREFIX } from './dcr.js';

export interface CompositeExtras {
  /** registered (RFC 7591) clients, looked up when no static client has the id */
  dcr?: ClientResolver | null;
  /** CIMD §3.3 step 2: the trust policy's verdict on a client_id URL before it is fetched (reason, or null) */
  refuseBeforeFetch?: (client_id: string) => string | null;
}

/**
 * One resolver for every client_id: an https:// client_id is a Client ID Metadata Document URL (CIMD §3.3
 * step 1) and goes to the CIMD resolver when CIMD is enabled — unless the trust policy refuses its host, which
 * is decided before fetching; anything else is looked up among the static clients, then the registered ones.
 * Unknown → ClientResolutionError('unknown_client').
 */
export class CompositeClientResolver implements ClientResolver {
  constructor(
    private readonly staticClients: ClientResolver,
    private readonly cimd: ClientResolver | null,
    private readonly extras: CompositeExtras = {},
  ) {}

  async resolve(client_id: string): Promise<OAuthClient> {
    if (client_id.startsWith('https://') && this.cimd) {
      const refused = this.extras.refuseBeforeFetch?.(client_id) ?? null;
      if (refused !== null) throw new ClientResolutionError({ reason: 'denied_by_policy', detail: refused });
      return this.cimd.resolve(client_id);
    }
    const { dcr } = this.extras;
    if (!dcr) return this.staticClients.resolve(client_id);
    try {
      return await this.staticClients.resolve(client_id);
    } catch (e) {
      if (e instanceof ClientResolutionError && e.failure.reason === 'unknown_client') return dcr.resolve(client_id);
      throw e;
    }
  }
}

export interface ClientResolverOptions {
  dev: boolean;
  clock?: Clock;
  log?: (event: CimdFetchEvent) => void;
  /** grant types the AS implements (default: SUPPORTED_GRANT_TYPES) */
  supportedGrantTypes?: readonly string[];
  fetch?: FetchFunction;
  resolver?: Resolver;
  ca?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** where registered clients live; without it (or with registration off) none resolve */
  store?: Pick<Store, 'getRegisteredClient'>;
}

/** Builds the composite resolver from config; throws ConfigError for a bad static client. */
export function createClientResolver(config: Config, opts: ClientResolverOptions): CompositeClientResolver {
  const supportedGrantTypes = opts.supportedGrantTypes ?? SUPPORTED_GRANT_TYPES;
  const staticClients = new StaticClientResolver(config.clients, {
    supportedGrantTypes,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  // client_credentials is for pre-registered confidential clients only (OAuth 2.1 §4.2; issue 3 admin API)
  const metadataGrantTypes = opts.supportedGrantTypes ? supportedGrantTypes.filter((g) => !STATIC_ONLY_GRANT_TYPES.includes(g)) : CLIENT_METADATA_GRANT_TYPES;
  const settings = cimdSettings(config);
  const cimd = settings.enabled
    ? new CimdResolver({
        cimd: settings,
        dev: opts.dev,
        supportedGrantTypes: metadataGrantTypes,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.log ? { log: opts.log } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        ...(opts.resolver ? { resolver: opts.resolver } : {}),
        ...(opts.ca ? { ca: opts.ca } : {}),
      })
    : null;
  const trust = trustSettings(config);
  // issue 3: registration off means registered clients stop working too
  const dcr = opts.store && config.registration?.enabled ? new DcrClientResolver(opts.store, metadataGrantTypes, opts.clock) : null;
  return new CompositeClientResolver(staticClients, cimd, { dcr, refuseBeforeFetch: (id) => refuseBeforeFetch(trust, id) });
}

export { ClientResolutionError };
export type { ClientResolutionFailure, ClientResolver, OAuthClient } from './types.js';
