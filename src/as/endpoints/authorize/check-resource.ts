import type { ProtectedResource, Settings } from '../../../config/resolve.js';
import { OAuthError } from '../../../core/errors.js';
import { isAbsoluteUriWithoutFragment, normalizeSchemeAndHost } from '../../../core/urls.js';

/**
 * RFC 8707 §2 and ARCHITECTURE.md "resource": one value per request (several → invalid_target); unknown →
 * invalid_target; absent with exactly one resource configured → that one (older clients).
 * Comparison is exact after lower-casing scheme and host (MCP "Canonical Server URI").
 */
export function checkResource(settings: Settings, values: string[]): ProtectedResource {
  if (values.length > 1) throw new OAuthError('invalid_target', 'request exactly one resource');
  const value = values[0];
  if (value === undefined) {
    if (settings.resources.length === 1) return settings.resources[0]!;
    throw new OAuthError('invalid_target', 'resource is required');
  }
  if (!isAbsoluteUriWithoutFragment(value)) throw new OAuthError('invalid_target', 'resource must be an absolute URI without a fragment');
  const wanted = normalizeSchemeAndHost(value);
  const found = settings.resources.find((r) => r.id === wanted);
  if (!found) throw new OAuthError('invalid_target', 'unknown resource');
  return found;
}
