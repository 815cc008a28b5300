import type { ProtectedResource } from '../../../config/resolve.js';
import { OAuthError } from '../../../core/errors.js';
import type { OAuthClient } from '../../clients/types.js';
import { OIDC_IDENTITY_SCOPES } from '../../oidc/scopes.js';

/**
 * Scopes are limited to what the resource offers (plus offline_access, which the AS advertises).
 * No scope requested → the resource's scopes (what its 401 challenge names). Then narrowed to what the
 * client may hold. An unknown scope is refused (RFC 6749 §5.2 invalid_scope).
 */
export function checkScope(resource: ProtectedResource, client: OAuthClient, requested: string[] | undefined): string[] {
  const offered = new Set([...resource.scopes, 'offline_access']);
  const wanted = requested ?? resource.scopes;
  const unknown = wanted.filter((s) => !offered.has(s));
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `unknown scope: ${unknown.join(' ')}`);
  const allowed = client.allowed_scopes;
  // OIDC identity scopes are offered only by the UserInfo target (check-resource), where a client's scope limit does not apply
  return allowed ? wanted.filter((s) => allowed.includes(s) || s === 'offline_access' || OIDC_IDENTITY_SCOPES.includes(s)) : [...wanted];
}
