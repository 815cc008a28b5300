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
});
after(() => h.close());

describe('issue 3 admin API users and roles (admin.api.users)', () => {
  it('POST users creates a user with a password; GET users lists without password hashes; audited', async () => {
    const { res, body } = await api(h, 'POST', 'users', { token, body: { username: 'eve', password: 'eve-password-1', roles: ['editor'] } });
    assert.equal(res.status, 201, JSON.stringify(body));
    assert.deepEqual(body.roles, ['editor']);
    const list = await api(h, 'GET', 'users', { token });
    const users = list.body.users as Record<string, unknown>[];
    assert.ok(users.some((u) => u.username === 'eve'));
    assert.ok(users.every((u) => !('password_hash' in u)));
    const entry = (await h.store.listAudit({ types: ['admin.action'], order: 'desc', limit: 1 }))[0]!;
    assert.equal(entry.client_id, 'test-admin');
    assert.equal(entry.subject, 'eve');
    assert.equal(JSON.parse(entry.data).action, 'user.create');
  });

  it('PATCH roles revokes grants beyond the new roles at once; disabled revokes every grant (as portcullis users)', async () => {
    const eve = (await h.store.getUserByName('eve'))!;
    await seedGrant(h, 'g-write', eve.id, 'test-public', ['notes:write']);
    await seedGrant(h, 'g-read', eve.id, 'test-public', ['notes:read']);
    const roles = await api(h, 'PATCH', 'users/eve', { token, body: { roles: ['reader'] } });
    assert.equal(roles.res.status, 200, JSON.stringify(roles.body));
    assert.deepEqual(roles.body.revoked_grants, ['g-write']);
    assert.ok(h.revoked.includes('g-write'), 'the gateway is told at once');
    assert.equal((await h.store.getGrant('g-read'))!.revoked_at, null);
    const off = await api(h, 'PATCH', 'users/eve', { token, body: { disabled: true } });
    assert.deepEqual(off.body.revoked_grants, ['g-read']);
    assert.equal((off.body.user as { disabled: boolean }).disabled, true);
    const on = await api(h, 'PATCH', 'users/eve', { token, body: { disabled: false } });
    assert.deepEqual(on.body.revoked_grants, []);
    assert.equal((await api(h, 'GET', 'users/eve', { token })).body.disabled, false);
  });

  it('bad input → 4xx JSON error, store unchanged, never 500', async () => {
    const before = storeFingerprint(h.store);
    const cases: [string, string, unknown, number, Record<string, string>?][] = [
      ['POST', 'users', { username: 'eve', password: 'another-password' }, 409],
      ['POST', 'users', { username: 'x y', password: 'password-123' }, 400],
      ['POST', 'users', { username: 'frank', password: 'short' }, 400],
      ['POST', 'users', { username: 'frank', password: 'password-123', roles: ['wizard'] }, 400],
      ['POST', 'users', { username: 'frank', password: 'password-123', admin: true }, 400],
      ['POST', 'users', { username: 'frank', password: 'password-123', roles: 'reader' }, 400],
      ['POST', 'users', '{"username": "frank",', 400],
      ['POST', 'users', '[]', 400],
      ['POST', 'users', 'null', 400],
      ['POST', 'users', { username: 'frank', password: 'p'.repeat(70_000) }, 413],
      ['POST', 'users', 'username=frank', 415, { 'content-type': 'text/plain' }],
      ['PATCH', 'users/eve', {}, 400],
      ['PATCH', 'users/eve', { disabled: 'yes' }, 400],
      ['PATCH', 'users/eve', { roles: ['wizard'] }, 400],
      ['PATCH', 'users/nobody', { disabled: true }, 404],
      ['PATCH', 'users/%E0%A4%A', { disabled: true }, 400],
      ['GET', 'users?x=1', undefined, 400],
    ];
    for (const [method, path, body, status, headers] of cases) {
      const r = await api(h, method, path, { token, body, ...(headers ? { headers } : {}) });
      assert.equal(r.res.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)} → ${r.res.status} ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error, 'string');
      assert.equal(typeof r.body.error_description, 'string');
    }
    assert.equal(storeFingerprint(h.store), before);
  });
});
