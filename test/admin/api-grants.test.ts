import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Harness } from '../helpers/as-harness.js';
import { adminToken, api, seedGrant, startAdminHarness } from '../helpers/admin-harness.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';

let h: Harness;
let token: string;
before(async () => {
  h = await startAdminHarness();
  token = await adminToken(h);
  await h.store.createUser({ id: 'user-2', username: 'bob', password_hash: 'x', roles: [], disabled: false, created_at: h.clock.now });
  await seedGrant(h, 'g-a1', 'user-1', 'test-public', ['notes:read']);
  await seedGrant(h, 'g-a2', 'user-1', 'other-client', ['notes:read']);
  await seedGrant(h, 'g-b1', 'user-2', 'test-public', ['notes:read']);
  await seedGrant(h, 'g-b2', 'user-2', 'other-client', ['notes:read']);
  await seedGrant(h, 'g-b3', 'user-2', 'third-client', ['notes:read']);
});
after(() => h.close());

const ids = (body: Record<string, unknown>): string[] => (body.grants as { id: string }[]).map((g) => g.id).sort();

describe('issue 3 admin API grants and revocation (admin.api.grants)', () => {
  it('GET grants filters by user name and client; usernames shown', async () => {
    assert.deepEqual(ids((await api(h, 'GET', 'grants?user=alice', { token })).body), ['g-a1', 'g-a2']);
    assert.deepEqual(ids((await api(h, 'GET', 'grants?client=other-client', { token })).body), ['g-a2', 'g-b2']);
    const both = await api(h, 'GET', 'grants?user=bob&client=test-public', { token });
    assert.deepEqual(ids(both.body), ['g-b1']);
    assert.equal((both.body.grants as { username: string }[])[0]!.username, 'bob');
  });

  it('DELETE grants/:id revokes one grant (idempotent), tells the gateway, audits', async () => {
    const r = await api(h, 'DELETE', 'grants/g-a1', { token });
    assert.equal(r.res.status, 200);
    assert.deepEqual(r.body.revoked_grants, ['g-a1']);
    assert.ok(h.revoked.includes('g-a1'));
    assert.notEqual((await h.store.getGrant('g-a1'))!.revoked_at, null);
    assert.equal((await api(h, 'DELETE', 'grants/g-a1', { token })).body.already_revoked, true);
    assert.deepEqual(ids((await api(h, 'GET', 'grants?user=alice&all=true', { token })).body), ['g-a1', 'g-a2']);
    const entry = (await h.store.listAudit({ types: ['admin.action'], order: 'desc', limit: 1 }))[0]!;
    assert.equal(JSON.parse(entry.data).action, 'grant.revoke');
  });

  it('POST revocations {user} / {client} / {grant} (as portcullis revoke)', async () => {
    const byClient = await api(h, 'POST', 'revocations', { token, body: { client: 'other-client' } });
    assert.deepEqual([...(byClient.body.revoked_grants as string[])].sort(), ['g-a2', 'g-b2']);
    const byUser = await api(h, 'POST', 'revocations', { token, body: { user: 'bob' } });
    assert.deepEqual([...(byUser.body.revoked_grants as string[])].sort(), ['g-b1', 'g-b3']);
    assert.equal((byUser.body.grants as { username: string }[])[0]!.username, 'bob');
    const again = await api(h, 'POST', 'revocations', { token, body: { grant: 'g-b1' } });
    assert.deepEqual(again.body.revoked_grants, []);
    for (const id of ['g-a2', 'g-b1', 'g-b2', 'g-b3']) assert.ok(h.revoked.includes(id), id);
  });

  it('bad input → 4xx JSON error, store unchanged', async () => {
    await seedGrant(h, 'g-live', 'user-1', 'test-public', ['notes:read']);
    const before = storeFingerprint(h.store);
    const cases: [string, string, unknown, number][] = [
      ['GET', 'grants?user=nobody', undefined, 404],
      ['GET', 'grants?all=yes', undefined, 400],
      ['GET', 'grants?user=a&user=b', undefined, 400],
      ['GET', 'grants?sort=id', undefined, 400],
      ['DELETE', 'grants/nope', undefined, 404],
      ['DELETE', `grants/${'x'.repeat(300)}`, undefined, 404],
      ['DELETE', 'grants/g-live', { reason: 'x' }, 400],
      ['POST', 'revocations', {}, 400],
      ['POST', 'revocations', { user: 'alice', client: 'test-public' }, 400],
      ['POST', 'revocations', { user: 'nobody' }, 404],
      ['POST', 'revocations', { grant: 'nope' }, 404],
      ['POST', 'revocations', { grant: 7 }, 400],
      ['POST', 'revocations', { token: 'abc' }, 400],
    ];
    for (const [method, path, body, status] of cases) {
      const r = await api(h, method, path, { token, body });
      assert.equal(r.res.status, status, `${method} ${path} ${JSON.stringify(body)} → ${r.res.status} ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error, 'string');
    }
    assert.equal(storeFingerprint(h.store), before);
  });
});
