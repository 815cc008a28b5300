import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GrantRecord, Store } from '../../src/store/types.js';
import { code, DAY, freshStore, grant, HOUR, MIN, refresh, T0 } from './fixtures.js';

/** Store contract, part 3: bulk revocation and grant listings (issue 3 items 5–6: `portcullis revoke`, "Connected apps"). */
export function grantsContract(open: () => Promise<Store>): void {
  describe('grants: bulk revocation and listing', () => {
    const store = freshStore(open);

    test('ARCHITECTURE Revocation: revokeGrantsForUser revokes only that user\'s live grants and their refresh tokens (as.revocation.bulk)', async () => {
      const [a1, a2, done, other] = [grant({ user_id: 'u-a' }), grant({ user_id: 'u-a' }), grant({ user_id: 'u-a' }), grant({ user_id: 'u-b' })];
      for (const g of [a1, a2, done, other]) await store().createGrantWithCode(g, code(g));
      const [t1, t2, tOther] = [refresh(a1), refresh(a2), refresh(other)];
      for (const t of [t1, t2, tOther]) await store().putRefreshToken(t);
      await store().revokeGrant(done.id, T0 + 1, 'user');

      const ids = await store().revokeGrantsForUser('u-a', T0 + 10, 'cli');
      assert.deepEqual(ids.sort(), [a1.id, a2.id].sort(), 'already-revoked grants are not listed again');
      for (const g of [a1, a2]) assert.deepEqual(await store().getGrant(g.id), { ...g, revoked_at: T0 + 10, revoked_reason: 'cli' });
      assert.equal((await store().getGrant(done.id))?.revoked_reason, 'user', 'first revocation kept');
      assert.equal(await store().getRefreshToken(t1.token_hash), null);
      assert.equal(await store().getRefreshToken(t2.token_hash), null);
      assert.notEqual(await store().getRefreshToken(tOther.token_hash), null, "another user's tokens untouched");
      assert.equal((await store().getGrant(other.id))?.revoked_at, null);
      assert.deepEqual((await store().listRevokedGrantIds(T0 + 10)).sort(), [a1.id, a2.id].sort(), 'seen by the revoked-grant poller');
      assert.deepEqual(await store().revokeGrantsForUser('u-a', T0 + 20, 'cli'), [], 'idempotent');
      assert.deepEqual(await store().revokeGrantsForUser('nobody', T0, 'cli'), []);
    });

    test('ARCHITECTURE Revocation: revokeGrantsForClient revokes only that client\'s live grants (as.revocation.bulk)', async () => {
      const [c1, c2, other] = [grant({ client_id: 'cl-1', user_id: 'u-a' }), grant({ client_id: 'cl-1', user_id: 'u-b' }), grant({ client_id: 'cl-2' })];
      for (const g of [c1, c2, other]) await store().createGrantWithCode(g, code(g));
      const t = refresh(c2);
      await store().putRefreshToken(t);
      assert.deepEqual((await store().revokeGrantsForClient('cl-1', T0 + 5, 'admin')).sort(), [c1.id, c2.id].sort());
      assert.equal(await store().getRefreshToken(t.token_hash), null);
      assert.equal((await store().getGrant(other.id))?.revoked_at, null);
      assert.deepEqual(await store().revokeGrantsForClient('cl-1', T0 + 6, 'admin'), []);
    });

    test('listGrants filters by user and client, hides revoked grants unless asked, newest first (as.account.list)', async () => {
      const older = grant({ user_id: 'u-a', client_id: 'cl-1', created_at: T0 });
      const newer = grant({ user_id: 'u-a', client_id: 'cl-2', created_at: T0 + MIN });
      const revoked = grant({ user_id: 'u-a', client_id: 'cl-1', created_at: T0 + 2 * MIN });
      const bob = grant({ user_id: 'u-b', client_id: 'cl-1', created_at: T0 });
      for (const g of [older, newer, revoked, bob]) await store().createGrantWithCode(g, code(g));
      await store().revokeGrant(revoked.id, T0 + 3 * MIN, 'user');

      assert.deepEqual((await store().listGrants({ user_id: 'u-a' })).map((g) => g.id), [newer.id, older.id]);
      assert.deepEqual((await store().listGrants({ user_id: 'u-a', include_revoked: true })).map((g) => g.id), [revoked.id, newer.id, older.id]);
      assert.deepEqual((await store().listGrants({ client_id: 'cl-1' })).map((g) => g.id).sort(), [older.id, bob.id].sort());
      assert.deepEqual((await store().listGrants({ user_id: 'u-a', client_id: 'cl-2' })).map((g) => g.id), [newer.id]);
      assert.equal((await store().listGrants({})).length, 3);
      const [first] = await store().listGrants({ user_id: 'u-b' });
      assert.deepEqual(first, { ...bob, last_used_at: bob.created_at }, 'full record; never used → its creation');
    });

    test('listGrants: last_used_at is the newest refresh-token activity of the grant (as.account.list)', async () => {
      const g = grant({ user_id: 'u-c', created_at: T0 });
      await store().createGrantWithCode(g, code(g));
      await store().putRefreshToken(refresh(g, { created_at: T0 + MIN, rotated_at: T0 + 5 * MIN }));
      await store().putRefreshToken(refresh(g, { created_at: T0 + 5 * MIN, expires_at: T0 + DAY }));
      assert.equal((await store().listGrants({ user_id: 'u-c' }))[0]?.last_used_at, T0 + 5 * MIN);
    });

    test('OIDC Core §12.2: auth_time (ms) is kept as written by createGrant and createGrantWithCode; null, or not given, reads null (store.grant.auth-time)', async () => {
      const signedIn = grant({ user_id: 'u-t', auth_time: T0 - 11 * HOUR });
      const coded = grant({ user_id: 'u-t', auth_time: T0 - 2 * HOUR });
      const machine = grant({ user_id: 'u-t', auth_time: null });
      const { auth_time: _none, ...unsaid } = grant({ user_id: 'u-t' });
      await store().createGrant(signedIn);
      await store().createGrantWithCode(coded, code(coded));
      await store().createGrant(machine);
      await store().createGrant(unsaid as GrantRecord); // a JavaScript caller (or one written before migration 5) leaving it out
      assert.equal((await store().getGrant(signedIn.id))?.auth_time, T0 - 11 * HOUR, 'not created_at');
      assert.deepEqual(await store().getGrant(coded.id), coded);
      assert.equal((await store().getGrant(machine.id))?.auth_time, null);
      assert.equal((await store().getGrant(unsaid.id))?.auth_time, null, 'not given: null, as for rows from before migration 5');
      const listed = new Map((await store().listGrants({ user_id: 'u-t' })).map((g) => [g.id, g.auth_time]));
      assert.deepEqual([listed.get(signedIn.id), listed.get(coded.id), listed.get(machine.id), listed.get(unsaid.id)], [T0 - 11 * HOUR, T0 - 2 * HOUR, null, null]);
    });
  });
}
