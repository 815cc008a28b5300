import type { UpstreamIdpConfig } from '../../config/federation-schema.js';

/** What Portcullis keeps from a validated ID token: who, and what the groups say — pure, no I/O. */
export interface MappedIdentity {
  subject: string;
  email: string | null;
  email_verified: boolean;
  /** username for a user created now (the caller falls back to `<idp>:<subject>` when it is taken) */
  username: string;
  /** default_roles ∪ roles of the user's groups, sorted */
  roles: string[];
  /** Entra: more groups than fit the token (`_claim_names.groups`): none of them are known */
  groups_overage: boolean;
}

export type MapResult = { ok: true; identity: MappedIdentity } | { ok: false; reason: 'subject_missing' | 'email_unverified' };

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= 512 ? v : null);

export function fallbackUsername(idpId: string, subject: string): string {
  return `${idpId}:${subject}`;
}

export function mapClaims(idpId: string, c: UpstreamIdpConfig, claims: Record<string, unknown>): MapResult {
  const subject = str(claims[c.claims.subject]);
  if (!subject) return { ok: false, reason: 'subject_missing' };
  const email = str(claims[c.claims.email]);
  const email_verified = claims.email_verified === true;
  if (c.require_email_verified && !(email && email_verified)) return { ok: false, reason: 'email_unverified' };
  // the username is a label, never a key (identities are linked by issuer + subject); an unverified email is not
  // used as one, so no one can name themselves after somebody else's address (Entra's email claim is unverified)
  const chosen = c.claims.username ? str(claims[c.claims.username]) : email && email_verified ? email : null;
  const username = chosen ?? fallbackUsername(idpId, subject);

  let groups: string[] = [];
  let groups_overage = false;
  if (c.claims.groups) {
    const raw = claims[c.claims.groups];
    if (Array.isArray(raw)) groups = raw.filter((g): g is string => typeof g === 'string');
    else if (typeof raw === 'string') groups = [raw];
    const names = claims._claim_names;
    if (raw === undefined && names && typeof names === 'object' && c.claims.groups in names) groups_overage = true;
  }
  const roles = new Set(c.default_roles);
  // own entries only: a group named "constructor" or "__proto__" must not find Object.prototype's members
  for (const g of groups) for (const r of Object.hasOwn(c.group_roles, g) ? c.group_roles[g]! : []) roles.add(r);
  return { ok: true, identity: { subject, email, email_verified, username, roles: [...roles].sort(), groups_overage } };
}
