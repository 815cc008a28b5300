import * as oauth from 'oauth4webapi';
import type { Clock } from '../../core/time.js';
import { isTemplated } from './issuer.js';
import type { UpstreamIdp } from './settings.js';

/** how long discovered metadata is reused; a failed discovery is never cached */
const METADATA_TTL_MS = 3600_000;
const UPSTREAM_TIMEOUT_MS = 10_000;

/** the options every oauth4webapi request to this IdP gets: a timeout, and http allowed only for a loopback --dev IdP */
export function requestOptions(idp: UpstreamIdp): { signal: () => AbortSignal; [oauth.allowInsecureRequests]?: boolean } {
  return { signal: () => AbortSignal.timeout(UPSTREAM_TIMEOUT_MS), ...(idp.insecure ? { [oauth.allowInsecureRequests]: true } : {}) };
}

/**
 * OpenID Connect Discovery 1.0 §4 (RFC 8414 form as fallback) of a configured IdP. Admin-configured URLs are
 * trusted as configured (ARCHITECTURE "Two fetch policies"): plain fetch through oauth4webapi, no SSRF guard.
 * The document's `issuer` must be the configured one exactly (OIDC Discovery §4.3), except Entra's tenant template
 * (`…/{tenantid}/v2.0`) served by a multi-tenant endpoint of the same origin.
 */
export class IdpMetadata {
  private cached: { as: oauth.AuthorizationServer; at: number } | null = null;
  /** oauth4webapi's JWKS cache for ID token signatures (refetched on an unknown kid) */
  readonly jwks: oauth.JWKSCacheInput = {};

  constructor(
    private readonly idp: UpstreamIdp,
    private readonly clock: Clock,
  ) {}

  async get(): Promise<oauth.AuthorizationServer> {
    const now = this.clock();
    if (this.cached && now - this.cached.at < METADATA_TTL_MS) return this.cached.as;
    const as = await this.discover();
    this.cached = { as, at: now };
    return as;
  }

  private async discover(): Promise<oauth.AuthorizationServer> {
    const configured = new URL(this.idp.issuer);
    let response = await oauth.discoveryRequest(configured, { ...requestOptions(this.idp), algorithm: 'oidc' });
    if (response.status === 404) response = await oauth.discoveryRequest(configured, { ...requestOptions(this.idp), algorithm: 'oauth2' });
    let published: unknown;
    try {
      published = ((await response.clone().json()) as { issuer?: unknown }).issuer;
    } catch {
      published = undefined;
    }
    let expected = configured;
    if (typeof published === 'string' && isTemplated(published)) {
      // Entra multi-tenant: the template is accepted from the configured origin only; tenants are checked per token
      const template = new URL(published.replace('{tenantid}', 'x'));
      if (template.origin !== configured.origin) throw new Error(`discovery issuer template ${published} is not on ${configured.origin}`);
      expected = new URL(published);
    }
    const as = await oauth.processDiscoveryResponse(expected, response);
    if (typeof as.authorization_endpoint !== 'string' || typeof as.token_endpoint !== 'string' || typeof as.jwks_uri !== 'string') {
      throw new Error('discovery document lacks authorization_endpoint, token_endpoint or jwks_uri');
    }
    return as;
  }
}
