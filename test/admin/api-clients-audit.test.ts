import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Harness } from '../helpers/as-harness.js';
import { adminToken, api, seedGrant, startAdminHarness } from '../helpers/admin-harness.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';

const CIMD = 'https://client.example/meta.json';
const OTHER = 'https://other.example/meta.json';
let h: Harness;
let token: string;
before(async () => {
  h = await startAdminHarness();
  token = await adminToken(h);
  for (const id of [CIMD, OTHER]) await h.store.observeClientTrust({ client_id: id, document: JSON.stringify({ client_name: id, redirect_uris: ['https://c/cb'] }), version: `v-${id}`, now: h.clock.now });
  await seedGrant(h, 'g-other', 'user-1', OTHER, ['notes:read']);
});
after(() => h.close());

const path = (id: string, verb: string) => `clients/${encodeURIComponent(id)}/${verb}`;

describe('issue 3 admin API trust decisions (admin.api.clients)', () => {
  it('GET clients?status=pending lists documents; approve records the admin and version', async () => {
    const pending = await api(h, 'GET', 'clients?status=pending', { token });
    assert.deepEqual((pending.body.clients as { client_id: string }[]).map((c) => c.client_id).sort(), [CIMD, OTHER]);
    assert.equal((pending.body.clients as { document: { client_name: string } }[])[0]!.document.client_name !== undefined, true);
    const ok = await api(h, 'POST', path(CIMD, 'approve'), { token });
    assert.equal(ok.res.status, 200, JSON.stringify(ok.body));
    const client = ok.body.client as { status: string; decided_by: string; decided_version: string };
    assert.equal(client.status, 'approved');
    assert.equal(client.decided_by, 'client:test-admin');
    assert.equal(client.decided_version, `v-${CIMD}`);
  });

  it("deny revokes the client's grants at once (as portcullis clients deny)", async () => {
    const r = await api(h, 'POST', path(OTHER, 'deny'), { token });
    assert.deepEqual(r.body.revoked_grants, ['g-other']);
    assert.ok(h.revoked.includes('g-other'));
    const entry = (await h.store.listAudit({ types: ['admin.action'], order: 'desc', limit: 1 }))[0]!;
    assert.equal(JSON.parse(entry.data).action, 'client.deny');
    assert.equal(entry.subject, OTHER);
  });

  it('bad input → 4xx, store unchanged', async () => {
    const before = storeFingerprint(h.store);
    const cases: [string, string, unknown, number][] = [
      ['POST', path('https://never.example/x', 'approve'), undefined, 404],
      ['POST', path(CIMD, 'approve'), { by: 'me' }, 400],
      ['POST', path(CIMD, 'maybe'), undefined, 404],
      ['GET', 'clients?status=weird', undefined, 400],
      ['POST', path('x'.repeat(3000), 'deny'), undefined, 404],
    ];
    for (const [method, p, body, status] of cases) {
      const r = await api(h, method, p, { token, body });
      assert.equal(r.res.status, status, `${method} ${p.slice(0, 60)} → ${r.res.status} ${JSON.stringify(r.body)}`);
    }
    assert.equal(storeFingerprint(h.store), before);
  });
});

describe('issue 3 admin API audit query and verify (admin.api.audit)', () => {
  it('GET audit filters by type, client, time and pages with after', async () => {
    const all = await api(h, 'GET', 'audit?type=admin.action&limit=1', { token });
    assert.equal(all.res.status, 200, JSON.stringify(all.body));
    const entries = all.body.entries as { seq: number; type: string }[];
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.type, 'admin.action');
    const next = await api(h, 'GET', `audit?type=admin.action&after=${all.body.next as number}`, { token });
    assert.ok((next.body.entries as { seq: number }[]).every((e) => e.seq > entries[0]!.seq));
    const byClient = await api(h, 'GET', 'audit?client=test-admin&type=token.*&since=1h', { token });
    assert.ok((byClient.body.entries as { type: string }[]).some((e) => e.type === 'token.issued'));
    const future = await api(h, 'GET', `audit?since=${new Date(h.clock.now + 3_600_000).toISOString()}`, { token });
    assert.deepEqual(future.body.entries, []);
  });

  it('GET audit/verify reports an intact chain', async () => {
    const r = await api(h, 'GET', 'audit/verify', { token });
    assert.equal(r.res.status, 200);
    assert.equal(r.body.ok, true);
    assert.ok((r.body.entries as number) > 0);
  });

  it('bad queries → 400, never 500', async () => {
    for (const q of ['limit=0', 'limit=abc', 'limit=5000', 'after=-1', 'since=yesterday', 'type=DROP%20TABLE', 'colour=red', 'user=a&user=b']) {
      const r = await api(h, 'GET', `audit?${q}`, { token });
      assert.equal(r.res.status, 400, `${q} → ${r.res.status} ${JSON.stringify(r.body)}`);
    }
    assert.equal((await api(h, 'GET', 'audit/verify?x=1', { token })).res.status, 400);
  });
});
