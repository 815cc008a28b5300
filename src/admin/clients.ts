import type { ClientTrustRecord, Store } from '../store/types.js';

export type TrustDecision =
  | { kind: 'decided'; record: ClientTrustRecord; revoked: string[] }
  /** approval of a client that never tried to connect: there is no document to approve */
  | { kind: 'not_seen' }
  /** the document changed between the look and the decision: it needs a new look */
  | { kind: 'changed' };

/**
 * An administrator's trust decision (issue 3 review mode), shared by `portcullis clients` and the admin API: made
 * for the document version the administrator could have seen; denying a client revokes what it holds, at once.
 */
export async function decideClient(store: Store, client_id: string, status: 'approved' | 'denied', by: string, now: number): Promise<TrustDecision> {
  const current = await store.getClientTrust(client_id);
  if (!current && status === 'approved') return { kind: 'not_seen' };
  const record = await store.decideClientTrust({ client_id, status, by, now, expected_version: current?.version ?? null });
  if (!record) return { kind: 'changed' };
  const revoked = status === 'denied' ? await store.revokeGrantsForClient(client_id, now, `client denied by ${by}`) : [];
  return { kind: 'decided', record, revoked };
}
