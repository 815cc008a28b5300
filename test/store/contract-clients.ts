import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REGISTRATION_TOMBSTONE_MS, StoreConflictError, type RegisteredClientRecord, type Store } from '../../src/store/types.js';
import { DAY, freshStore, T0, uid } from './fixtures.js';

const doc = (v: string): string => JSON.stringify({ client_id: 'https://app.example/c.json', client_name: 'App', v });
const seen = (client_id: string, version: string, now = T0) => ({ client_id, document: doc(version), version, now });
const registered = (o: Partial<RegisteredClientRecord> = {}): RegisteredClientRecord => ({
  client_id: uid('dcr'),
  client_secret_hash: null,
  metadata: { application_type: 'native', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' },
  client_id_issued_at: T0,
  expires_at: T0 + 90 * DAY,
  ...o,
});

/** Client trust decisions and registered clients (issue 3 items 2 and 3). */
export function clientsContract(open: () => Promise<Store>): void {
  describe('client trust decisions (as.trust.review-pending)', () => {
    const store = freshStore(open);

    test('first sight writes a pending record with the snapshot; a second sight of the same version changes nothing', async () => {
      const s = store();
      const first = await s.observeClientTrust(seen('c1', 'v1'));
      assert.deepEqual(first, { client_id: 'c1', status: 'pending', document: doc('v1'), version: 'v1', first_seen_at: T0, updated_at: T0, decided_by: null, decided_at: null, decided_version: null });
      assert.deepEqual(await s.observeClientTrust(seen('c1', 'v1', T0 + 5)), first);
      assert.deepEqual(await s.getClientTrust('c1'), first);
      assert.equal(await s.getClientTrust('other'), null);
    });

    test('approval records who, when and the exact version; a changed document goes back to pending (as.trust.document-change)', async () => {
      const s = store();
      await s.observeClientTrust(seen('c1', 'v1'));
      const approved = await s.decideClientTrust({ client_id: 'c1', status: 'approved', by: 'ops', now: T0 + 1, expected_version: 'v1' });
      assert.equal(approved?.status, 'approved');
      assert.deepEqual([approved?.decided_by, approved?.decided_at, approved?.decided_version], ['ops', T0 + 1, 'v1']);
      const changed = await s.observeClientTrust(seen('c1', 'v2', T0 + 2));
      assert.deepEqual(changed, { ...approved!, status: 'pending', document: doc('v2'), version: 'v2', updated_at: T0 + 2 });
    });

    test('a decision for a version that is no longer current is refused and writes nothing', async () => {
      const s = store();
      await s.observeClientTrust(seen('c1', 'v1'));
      await s.observeClientTrust(seen('c1', 'v2', T0 + 1));
      const before = await s.getClientTrust('c1');
      assert.equal(await s.decideClientTrust({ client_id: 'c1', status: 'approved', by: 'ops', now: T0 + 2, expected_version: 'v1' }), null);
      assert.deepEqual(await s.getClientTrust('c1'), before);
      assert.equal(await s.decideClientTrust({ client_id: 'never-seen', status: 'approved', by: 'ops', now: T0, expected_version: null }), null);
      assert.equal(await s.getClientTrust('never-seen'), null);
    });

    test('a denial sticks through document changes; a never-seen client can be denied ahead of time', async () => {
      const s = store();
      await s.observeClientTrust(seen('c1', 'v1'));
      const denied = await s.decideClientTrust({ client_id: 'c1', status: 'denied', by: 'ops', now: T0 + 1, expected_version: null });
      assert.deepEqual(await s.observeClientTrust(seen('c1', 'v2', T0 + 2)), denied);
      const ahead = await s.decideClientTrust({ client_id: 'c9', status: 'denied', by: 'ops', now: T0, expected_version: null });
      assert.equal(ahead?.status, 'denied');
      assert.equal(ahead?.decided_by, 'ops');
    });

    test('listClientTrust lists by first sight, optionally one status', async () => {
      const s = store();
      await s.observeClientTrust(seen('b', 'v', T0 + 1));
      await s.observeClientTrust(seen('a', 'v', T0 + 2));
      await s.decideClientTrust({ client_id: 'a', status: 'approved', by: 'ops', now: T0 + 3, expected_version: 'v' });
      assert.deepEqual((await s.listClientTrust()).map((r) => r.client_id), ['b', 'a']);
      assert.deepEqual((await s.listClientTrust('pending')).map((r) => r.client_id), ['b']);
      assert.deepEqual((await s.listClientTrust('approved')).map((r) => r.client_id), ['a']);
    });
  });

  describe('registered clients (as.dcr.register)', () => {
    const store = freshStore(open);

    test('create, get and list round-trip; a duplicate client_id is a StoreConflictError', async () => {
      const s = store();
      const c = registered({ client_secret_hash: 'hash' });
      await s.createRegisteredClient(c);
      assert.deepEqual(await s.getRegisteredClient(c.client_id), c);
      assert.equal(await s.getRegisteredClient('unknown'), null);
      await assert.rejects(s.createRegisteredClient({ ...c, client_secret_hash: null }), StoreConflictError);
      assert.deepEqual(await s.listRegisteredClients(), [c]);
    });

    test('purgeExpired keeps an expired registration for the tombstone period, then deletes it (as.dcr.expiry)', async () => {
      const s = store();
      const c = registered({ expires_at: T0 + DAY });
      await s.createRegisteredClient(c);
      await s.purgeExpired(T0 + DAY + REGISTRATION_TOMBSTONE_MS - 1);
      assert.deepEqual(await s.getRegisteredClient(c.client_id), c);
      assert.equal(await s.purgeExpired(T0 + DAY + REGISTRATION_TOMBSTONE_MS), 1);
      assert.equal(await s.getRegisteredClient(c.client_id), null);
    });
  });
}
