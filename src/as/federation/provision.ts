import { randomUUID } from 'node:crypto';
import { randomToken } from '../../core/random.js';
import { StoreConflictError, type Store, type UserRecord } from '../../store/types.js';
import { fallbackUsername, type MappedIdentity } from './claims.js';
import type { UpstreamIdp } from './settings.js';

export type ProvisionResult =
  | { ok: true; user: UserRecord; provisioned: boolean; roles_changed: boolean }
  | { ok: false; reason: 'not_provisioned' | 'user_disabled' | 'provisioning_failed' };

const sameRoles = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().every((r, i) => r === [...b].sort()[i]);

/**
 * The local user of an upstream identity: the one linked to (issuer, subject), or — first sign-in, JIT provisioning
 * on — a new user with no password (password_hash '': such a user can never sign in with a password). An existing
 * local account is never taken over by matching its name or email: identities are linked by (issuer, subject) only.
 */
export async function userForIdentity(store: Store, idp: UpstreamIdp, issuer: string, m: MappedIdentity, now: number): Promise<ProvisionResult> {
  // security review 2026-11-24: the stored email is what Portcullis, as an OpenID Provider and ID-JAG issuer, asserts
  // about this user (src/as/oidc/claims.ts userEmail): only an email the IdP verified, so that nobody's self-chosen
  // address (Entra's `email` is editable, with no email_verified) lets a relying party link them to another account
  const email = m.email_verified ? m.email : null;
  for (let attempt = 0; attempt < 2; attempt++) {
    const link = await store.getUserIdentity(issuer, m.subject);
    if (link) {
      const user = await store.getUser(link.user_id);
      if (!user) return { ok: false, reason: 'not_provisioned' };
      if (user.disabled) return { ok: false, reason: 'user_disabled' };
      let roles_changed = false;
      // roles follow the IdP's groups at every sign-in (login.upstream_idps[].sync_roles)
      if (idp.config.sync_roles && !sameRoles(user.roles, m.roles)) {
        await store.updateUserRoles(user.id, m.roles);
        user.roles = m.roles;
        roles_changed = true;
      }
      await store.touchUserIdentity(issuer, m.subject, email, now);
      return { ok: true, user, provisioned: false, roles_changed };
    }
    if (!idp.config.jit_provisioning) return { ok: false, reason: 'not_provisioned' };
    const candidates = [...new Set([m.username, fallbackUsername(idp.id, m.subject), `${fallbackUsername(idp.id, m.subject)}:${randomToken().slice(0, 8)}`])];
    for (const username of candidates) {
      const user: UserRecord = { id: randomUUID(), username, password_hash: '', roles: m.roles, disabled: false, created_at: now };
      try {
        await store.linkUserIdentity({ issuer, subject: m.subject, user_id: user.id, email, created_at: now, last_seen_at: now }, user);
        return { ok: true, user, provisioned: true, roles_changed: false };
      } catch (e) {
        if (!(e instanceof StoreConflictError)) throw e;
        // a concurrent first sign-in linked it meanwhile: read the link again (outer loop)
        if (await store.getUserIdentity(issuer, m.subject)) break;
        // else the username is taken: the next candidate
      }
    }
  }
  return { ok: false, reason: 'provisioning_failed' };
}
