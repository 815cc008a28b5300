import type { Settings } from '../config/resolve.js';
import { ScopeModel } from '../rs/scopes.js';
import type { UserRecord } from '../store/types.js';
import { OIDC_IDENTITY_SCOPES } from './oidc/scopes.js';

/**
 * What a user may be granted on a resource: the scopes of their roles, expanded through the resource's scope
 * hierarchy (a role holding notes:admin may be granted notes:read). No `roles` in the config: every scope.
 * offline_access is about the client, not the resource, so it is never withheld here.
 */
export function permittedScopes(settings: Settings, resourceId: string, user: UserRecord): Set<string> | 'all' {
  const roles = settings.config.roles;
  if (!roles) return 'all';
  const resource = settings.resources.find((r) => r.id === resourceId);
  const model = new ScopeModel(resource?.scopeImplies ?? {});
  const direct = user.roles.flatMap((r) => (Object.hasOwn(roles, r) ? roles[r]! : []));
  return model.expand(direct);
}

/** requested ∩ permitted-for-the-user (the client's limit was applied at /authorize) */
export function narrowToUser(settings: Settings, resourceId: string, user: UserRecord, requested: readonly string[]): string[] {
  const permitted = permittedScopes(settings, resourceId, user);
  if (permitted === 'all') return [...requested];
  return requested.filter((s) => s === 'offline_access' || OIDC_IDENTITY_SCOPES.includes(s) || permitted.has(s));
}
