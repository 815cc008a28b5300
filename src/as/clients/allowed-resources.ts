import type { Config } from '../../config/schema.js';
import type { Settings } from '../../config/resolve.js';
import { ConfigError } from '../../core/errors.js';
import { normalizeSchemeAndHost } from '../../core/urls.js';

/**
 * Issue 4 item 5: a static client's `resources` — the resources it may get tokens for without a user's consent
 * (client_credentials, and jwt-bearer where the IdP decided). Null: no client-level limit.
 */
export function allowedResources(settings: Settings, client_id: string): string[] | null {
  const c = settings.config.clients.find((x) => x.client_id === client_id);
  return c?.resources ? c.resources.map(normalizeSchemeAndHost) : null;
}

/** Start-up check: every listed resource is one this server serves (or the admin API). */
export function checkClientResources(config: Config, resourceIds: readonly string[], issuer: string): void {
  const known = new Set([...resourceIds, `${issuer}/admin`]);
  config.clients.forEach((c, i) => {
    c.resources?.forEach((r, j) => {
      if (!known.has(normalizeSchemeAndHost(r))) throw new ConfigError(`clients[${i}].resources[${j}]`, `${r} is not a resource of this server (${[...known].join(', ')})`);
    });
  });
}
