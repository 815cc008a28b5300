import { randomUUID } from 'node:crypto';
import { StoreConflictError, type UserIdentityRecord, type UserRecord } from '../../store/types.js';
import type { AsContext } from '../context.js';
import { identityNamespace } from './constants.js';
import { IdJagRejected, type VerifiedIdJag } from './verify.js';

/**
 * Who the ID-JAG's subject is here ([IDJAG] §4.4.1, §6: iss + sub (+ tenant) is the key; email only for linking
 * where the administrator said so). Planned without writing, so that every refusal leaves the store unchanged;
 * `commitSubject` writes the plan once the jti has been consumed.
 */
export type SubjectPlan =
  /** linked before (by an earlier ID-JAG): the user it points at */
  | { kind: 'linked'; user: UserRecord }
  /** `match: email`: an existing local user whose username is the asserted email; linked on commit */
  | { kind: 'link'; user: UserRecord }
  /** `provision: true`: a user created on commit, with no password (sign-in only through the IdP) */
  | { kind: 'provision'; user: UserRecord };

export async function planSubject(ctx: AsContext, v: VerifiedIdJag): Promise<SubjectPlan> {
  const t = v.issuer.config;
  const reject = (reason: 'user_unknown' | 'user_disabled', detail: string) => new IdJagRejected(reason, detail, { iss: v.iss, jti: v.jti, sub: v.sub });
  const namespace = identityNamespace(v.iss, v.tenant);
  const identity = await ctx.store.getUserIdentity(namespace, v.sub);
  let plan: SubjectPlan;
  if (identity) {
    const user = await ctx.store.getUser(identity.user_id);
    if (!user) throw reject('user_unknown', `the user linked to ${v.sub} no longer exists`);
    plan = { kind: 'linked', user };
  } else {
    const email = linkableEmail(v);
    const byEmail = email !== undefined ? await ctx.store.getUserByName(email) : null;
    if (byEmail) plan = { kind: 'link', user: byEmail };
    else if (t.provision) {
      // match: sub never claims an existing account, so the new username is namespaced by the IdP's host
      const username = email ?? `${v.sub}@${new URL(v.iss).host}`;
      plan = { kind: 'provision', user: { id: randomUUID(), username, password_hash: '', roles: [...t.default_roles], disabled: false, created_at: ctx.clock() } };
    } else {
      throw reject('user_unknown', t.match === 'email' ? `no local user for ${email !== undefined ? 'the asserted email' : v.email === undefined ? 'an ID-JAG without email' : 'an email outside email_domains or not verified'} and provision is off` : 'subject not linked and provision is off');
    }
  }
  if (plan.user.disabled) throw reject('user_disabled', `user ${plan.user.id} is disabled`);
  return plan;
}

/**
 * `match: email`: the asserted email when it may name a local account — in a domain the administrator listed for
 * this IdP (`email_domains`, compared case-insensitively) and not marked `email_verified: false`; else undefined.
 */
function linkableEmail(v: VerifiedIdJag): string | undefined {
  const t = v.issuer.config;
  if (t.match !== 'email' || v.email === undefined || v.email_verified === false) return undefined;
  const at = v.email.lastIndexOf('@');
  const domain = at > 0 ? v.email.slice(at + 1).toLowerCase() : '';
  return t.email_domains.includes(domain) ? v.email : undefined;
}

/**
 * The email kept on the identity, which Portcullis re-asserts as an OpenID Provider and ID-JAG issuer (oidc/claims.ts
 * userEmail): never one the IdP itself marks unverified. Unlike an upstream sign-in (federation/provision.ts, which
 * keeps only `email_verified: true`), an ID-JAG's email without the claim is kept: the enterprise IdP asserts it.
 */
const storedEmail = (v: VerifiedIdJag): string | null => (v.email_verified === false ? null : (v.email ?? null));

/** Writes the link (and the new user) of a plan; a concurrent first sight of the same subject wins and is reused. */
export async function commitSubject(ctx: AsContext, v: VerifiedIdJag, plan: SubjectPlan): Promise<UserRecord> {
  const namespace = identityNamespace(v.iss, v.tenant);
  const now = ctx.clock();
  if (plan.kind === 'linked') {
    await ctx.store.touchUserIdentity(namespace, v.sub, storedEmail(v), now);
    return plan.user;
  }
  const identity: UserIdentityRecord = { issuer: namespace, subject: v.sub, user_id: plan.user.id, email: storedEmail(v), created_at: now, last_seen_at: now };
  try {
    await ctx.store.linkUserIdentity(identity, plan.kind === 'provision' ? plan.user : undefined);
    return plan.user;
  } catch (e) {
    if (!(e instanceof StoreConflictError)) throw e;
    const winner = await ctx.store.getUserIdentity(namespace, v.sub);
    const user = winner ? await ctx.store.getUser(winner.user_id) : null;
    if (!user || user.disabled) throw new IdJagRejected('user_unknown', `cannot link ${v.sub}: ${e.message}`, { iss: v.iss, jti: v.jti, sub: v.sub });
    return user;
  }
}
