import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLIC_CLIENT, RESOURCE, startHarness, type Harness } from '../helpers/as-harness.js';
import { exchange, tokenRequest } from './flow.js';
import { verifyAudit, deriveAuditKeys } from '../../src/audit/index.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

describe('Issue 3 "Audit log": login, consent, token issue/refresh and reuse are recorded in a verifiable chain (audit.as-events)', () => {
  it('a full flow writes login.success, consent.granted, token.issued, token.refreshed; reuse writes token.reuse_detected', async () => {
    const { body } = await exchange(h, { redirect_uri: 'https://app.example/cb', scope: 'notes:read' });
    const rt = body.refresh_token as string;
    assert.equal((await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: rt, client_id: PUBLIC_CLIENT })).status, 200);
    h.clock.advance(20_000);
    assert.equal((await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: rt, client_id: PUBLIC_CLIENT })).status, 400);
    const entries = await h.store.listAudit({ limit: 100 });
    const types = entries.map((e) => e.type);
    for (const t of ['login.success', 'consent.granted', 'token.issued', 'token.refreshed', 'token.reuse_detected']) assert.ok(types.includes(t), `${t} in ${types.join(',')}`);
    const issued = entries.find((e) => e.type === 'token.issued')!;
    const data = JSON.parse(issued.data) as Record<string, unknown>;
    assert.equal(data.audience, RESOURCE);
    assert.equal(issued.client_id, PUBLIC_CLIENT);
    assert.equal(issued.user_id, 'user-1');
    assert.ok(!JSON.stringify(entries).includes(rt), 'no token in the audit log');
    assert.ok(!JSON.stringify(entries).includes(body.access_token as string));
    const report = await verifyAudit({ store: h.store, keys: deriveAuditKeys('x'.repeat(32)), file: null });
    assert.equal(report.ok, true, JSON.stringify(report));
  });
});
