import type { Store, UserRecord } from '../../store/types.js';

/** The email a user is known by: the one an identity provider asserted most recently (issue 4 federation), if any. */
export async function userEmail(store: Store, user_id: string): Promise<string | undefined> {
  const identities = await store.listUserIdentities(user_id);
  const latest = identities.filter((i) => i.email).sort((a, b) => b.last_seen_at - a.last_seen_at)[0];
  return latest?.email ?? undefined;
}

/**
 * OpenID Connect Core §5.4: the claims a scope asks for, those we hold. `sub` is the user's stable id (a public
 * subject identifier, §8); profile gives the username, email the asserted email when one is known.
 */
export async function userClaims(store: Store, user: UserRecord, scope: readonly string[]): Promise<Record<string, string>> {
  const claims: Record<string, string> = {};
  if (scope.includes('profile')) {
    claims.name = user.username;
    claims.preferred_username = user.username;
  }
  if (scope.includes('email')) {
    const email = await userEmail(store, user.id);
    if (email) claims.email = email;
  }
  return claims;
}
