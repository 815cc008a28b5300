import type { ProtectedResource, Settings } from '../../../config/resolve.js';
import { OAuthError } from '../../../core/errors.js';
import { isAbsoluteUriWithoutFragment, normalizeSchemeAndHost } from '../../../core/urls.js';
import { isOidcOnlyScope, userinfoTarget } from '../../oidc/scopes.js';

/**
 * RFC 8707 §2 and ARCHITECTURE.md "resource": one value per request (several → invalid_target); unknown →
 * invalid_target; absent with exactly one resource configured → that one (older clients).
 * Comparison is exact after lower-casing scheme and host (MCP "Canonical Server URI").
 * A request for OIDC scopes only (raw `scope` given) targets the UserInfo endpoint, never an MCP resource.
 */
export function checkResource(settings: Settings, values: string[], scope?: string): ProtectedResource {
  if (values.length > 1) throw new OAuthError('invalid_target', 'request exactly one resource');
  const value = values[0];
  // ARCHITECTURE "resource": an app signing in (openid profile email offline_access only) gets tokens for /userinfo
  if (isOidcOnlyScope(scope)) {
    const userinfo = userinfoTarget(settings);
    if (value === undefined || normalizeSchemeAndHost(value) === userinfo.id) return userinfo;
  }
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
