import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { hashPassword } from '../as/passwords.js';
import { ScopeModel } from '../rs/scopes.js';
import { StoreConflictError, type Store, type UserRecord } from '../store/types.js';

/**
 * User administration shared by `portcullis users` and the admin API (issue 3 items 4 and 7): one place for the
 * rule that taking rights away revokes, at once, the grants that go beyond them.
 */
export const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 1024;

/** roles not defined in `roles:` of the config (none when roles are not configured) */
export function unknownRoles(config: Config, roles: readonly string[]): string[] {
  return config.roles ? roles.filter((r) => !Object.hasOwn(config.roles!, r)) : [];
}

/** a new enabled user; 'exists' when the name is taken */
export async function createUser(store: Store, u: { username: string; password: string; roles: string[] }, now: number): Promise<UserRecord | 'exists'> {
  const record: UserRecord = { id: randomUUID(), username: u.username, password_hash: await hashPassword(u.password), roles: [...new Set(u.roles)], disabled: false, created_at: now };
  try {
    await store.createUser(record);
  } catch (e) {
    if (e instanceof StoreConflictError) return 'exists';
    throw e;
  }
  return record;
}

/**
 * Issue 3: taking a role away narrows the grants already issued at once — every live grant of the user holding
 * a scope the new roles no longer permit is revoked (the gateway refuses its tokens within ~1 s); the client
 * re-authorizes for what is still allowed. Returns the ids revoked.
 */
export async function setUserRoles(store: Store, config: Config, user: UserRecord, roles: string[], now: number): Promise<string[]> {
  await store.updateUserRoles(user.id, roles);
  const revoked: string[] = [];
  if (!config.roles) return revoked;
  const implies: Record<string, string[]> = {};
  for (const r of config.resources) for (const [k, v] of Object.entries(r.scope_implies)) implies[k] = [...(implies[k] ?? []), ...v];
  const permitted = new ScopeModel(implies).expand(roles.flatMap((r) => config.roles![r] ?? []));
  for (const g of await store.listGrants({ user_id: user.id })) {
    if (g.revoked_at !== null || g.scope.every((s) => s === 'offline_access' || permitted.has(s))) continue;
    await store.revokeGrant(g.id, now, 'role removed');
    revoked.push(g.id);
  }
  return revoked;
}

/** Disabling a user revokes every grant they hold at once; enabling does not bring grants back. */
export async function setUserDisabled(store: Store, user: UserRecord, disabled: boolean, now: number): Promise<string[]> {
  await store.setUserDisabled(user.id, disabled);
  return disabled ? store.revokeGrantsForUser(user.id, now, 'user disabled') : [];
}

/** a user as the admin API and `users list --json` show it: never the password hash */
export const publicUser = (u: UserRecord) => ({ id: u.id, username: u.username, roles: u.roles, disabled: u.disabled, created_at: u.created_at });
