import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/time.js';
import type { Resolver } from '../../net/types.js';
import { SUPPORTED_GRANT_TYPES } from '../context.js';
import { CimdResolver, cimdSettings, type CimdFetchEvent, type FetchFunction } from './cimd.js';
import { StaticClientResolver } from './static.js';
import { ClientResolutionError, type ClientResolver, type OAuthClient } from './types.js';

export { CimdResolver, cacheSeconds, cimdSettings, validateCimdDocument, validateCimdUrl, type CimdFetchEvent, type CimdResolverOptions } from './cimd.js';
export { createJwksFetcher, type JwksFetcher, type JwksFetcherOptions } from './jwks.js';
export { StaticClientResolver, type StaticClientOptions } from './static.js';

/**
 * One resolver for every client_id: an https:// client_id is a Client ID Metadata Document URL (CIMD §3.3
 * step 1) and goes to the CIMD resolver when CIMD is enabled; anything else is looked up among the static
 * clients. Unknown → ClientResolutionError('unknown_client').
 */
export class CompositeClientResolver implements ClientResolver {
  constructor(
    private readonly staticClients: ClientResolver,
    private readonly cimd: ClientResolver | null,
  ) {}

  async resolve(client_id: string): Promise<OAuthClient> {
    if (client_id.startsWith('https://') && this.cimd) return this.cimd.resolve(client_id);
    return this.staticClients.resolve(client_id);
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
}

/** Builds the composite resolver from config; throws ConfigError for a bad static client. */
export function createClientResolver(config: Config, opts: ClientResolverOptions): CompositeClientResolver {
  const supportedGrantTypes = opts.supportedGrantTypes ?? SUPPORTED_GRANT_TYPES;
  const staticClients = new StaticClientResolver(config.clients, {
    supportedGrantTypes,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  const settings = cimdSettings(config);
  const cimd = settings.enabled
    ? new CimdResolver({
        cimd: settings,
        dev: opts.dev,
        supportedGrantTypes,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.log ? { log: opts.log } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        ...(opts.resolver ? { resolver: opts.resolver } : {}),
        ...(opts.ca ? { ca: opts.ca } : {}),
      })
    : null;
  return new CompositeClientResolver(staticClients, cimd);
}

export { ClientResolutionError };
export type { ClientResolutionFailure, ClientResolver, OAuthClient } from './types.js';
