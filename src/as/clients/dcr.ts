import type { JSONWebKeySet } from 'jose';
import { systemClock, type Clock } from '../../core/time.js';
import { isLoopbackUrl } from '../../core/urls.js';
import type { RegisteredClientRecord, Store } from '../../store/types.js';
import { metadataVersion } from './canonical.js';
import { ClientResolutionError, type ClientResolver, type OAuthClient, type TokenEndpointAuthMethod } from './types.js';

/** client_id prefix of registered clients: never https:// (CIMD §6.9), never a static client's id by accident */
export const DCR_CLIENT_ID_PREFIX = 'dcr_';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The client a registration describes (its metadata was validated at registration). */
export function clientFromRegistration(r: RegisteredClientRecord, supportedGrantTypes: readonly string[]): OAuthClient {
  const m = r.metadata;
  const redirect_uris = strings(m.redirect_uris);
  const token_endpoint_auth_method = (str(m.token_endpoint_auth_method) ?? 'client_secret_basic') as TokenEndpointAuthMethod;
  const declaredGrants = strings(m.grant_types);
  const scope = str(m.scope);
  const jwks = (m.jwks ?? null) as JSONWebKeySet | null;
  const jwks_uri = str(m.jwks_uri);
  const client_name = str(m.client_name);
  const logo_uri = str(m.logo_uri);
  return {
    client_id: r.client_id,
    kind: 'dcr',
    client_name,
    client_uri: str(m.client_uri),
    logo_uri,
    redirect_uris,
    token_endpoint_auth_method,
    grant_types: supportedGrantTypes.filter((g) => declaredGrants.includes(g)),
    jwks,
    jwks_uri,
    client_secret_hash: r.client_secret_hash,
    allowed_scopes: scope === null ? null : scope.split(' '),
    version: metadataVersion({ redirect_uris, token_endpoint_auth_method, grant_types: declaredGrants, jwks, jwks_uri, client_name, logo_uri, scope }),
    loopback_only: redirect_uris.every(isLoopbackUrl),
    document: m,
  };
}

/** Resolves client_ids issued by the registration endpoint (RFC 7591); an expired registration is unusable. */
export class DcrClientResolver implements ClientResolver {
  constructor(
    private readonly store: Pick<Store, 'getRegisteredClient'>,
    private readonly supportedGrantTypes: readonly string[],
    private readonly clock: Clock = systemClock,
  ) {}

  async resolve(client_id: string): Promise<OAuthClient> {
    if (!client_id.startsWith(DCR_CLIENT_ID_PREFIX)) throw new ClientResolutionError({ reason: 'unknown_client' });
    const record = await this.store.getRegisteredClient(client_id);
    if (!record) throw new ClientResolutionError({ reason: 'unknown_client' });
    // issue 3: registrations expire (client_ttl_days); the client must register again
    if (record.expires_at <= this.clock()) throw new ClientResolutionError({ reason: 'registration_expired' });
    return clientFromRegistration(record, this.supportedGrantTypes);
  }
}
