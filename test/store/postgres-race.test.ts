import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chainRows, deriveAuditKeys } from '../../src/audit/chain.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { code, grant, interaction, refresh, T0 } from './fixtures.js';
import { withPostgres } from './pg-harness.js';

/**
 * ARCHITECTURE "Deployment": every single-use operation is atomic in the database, so it holds across instances.
 * Two stores with separate pools on one schema stand for two instances; each round releases 20 concurrent calls,
 * alternating between them, so the calls meet in PostgreSQL on different connections.
 */
const RACERS = 20;
/** one round must settle well within this, however many racers queue on a lock */
const ROUND_MS = 3000;

await withPostgres((pg) => {
  describe('PostgreSQL across instances (two pools on one schema)', () => {
    let a: PostgresStore;
    let b: PostgresStore;
    const instance = (i: number): PostgresStore => (i % 2 === 0 ? a : b);

    before(async () => {
      const { url } = await pg.schema();
      a = await openPostgresStore(url);
      b = await openPostgresStore(url);
    });
    after(async () => {
      await a?.close();
      await b?.close();
    });

    /** runs `round` `times` times, each within ROUND_MS */
    async function rounds(times: number, round: (i: number) => Promise<void>): Promise<void> {
      for (let i = 0; i < times; i++) {
        const started = performance.now();
        await round(i);
        const took = performance.now() - started;
        assert.ok(took < ROUND_MS, `round ${i} took ${Math.round(took)} ms`);
      }
    }

    test('OAuth 2.1 §4.1.3: 20 concurrent redemptions of one code, 50 times: exactly one ok (as.token.code-single-use)', async () => {
      await rounds(50, async (i) => {
        const g = grant({ id: `race-code-grant-${i}` });
        const c = code(g);
        await a.createGrantWithCode(g, c);
        const results = await Promise.all(Array.from({ length: RACERS }, (_, r) => instance(r).consumeAuthorizationCode(c.code_hash, T0 + 1)));
        assert.equal(results.filter((x) => x.kind === 'ok').length, 1, `round ${i}: ${results.map((x) => x.kind).join()}`);
        assert.equal(results.filter((x) => x.kind === 'reused').length, RACERS - 1);
      });
    });

    test('ARCHITECTURE Tokens: 20 concurrent rotations of one refresh token: one rotated, the rest grace (as.token.refresh-grace)', async () => {
      await rounds(20, async (i) => {
        const g = grant({ id: `race-rt-grant-${i}` });
        await a.createGrantWithCode(g, code(g));
        const rt = refresh(g);
        await b.putRefreshToken(rt);
        const nexts = Array.from({ length: RACERS }, () => refresh(g));
        const results = await Promise.all(
          nexts.map((next, r) => instance(r).rotateRefreshToken(rt.token_hash, next, `sealed-${r}`, T0 + 1, 10_000)),
        );
        const winner = results.findIndex((x) => x.kind === 'rotated');
        assert.equal(results.filter((x) => x.kind === 'rotated').length, 1, `round ${i}: ${results.map((x) => x.kind).join()}`);
        assert.equal(results.filter((x) => x.kind === 'grace').length, RACERS - 1);
        for (const x of results) if (x.kind === 'grace') assert.equal(x.old.grace_response, `sealed-${winner}`);
        const stored = await Promise.all(nexts.map((n) => a.getRefreshToken(n.token_hash)));
        assert.deepEqual(stored.map((s) => s !== null), nexts.map((_, r) => r === winner), 'only the winner\'s next token is stored');
      });
    });

    test('RFC 7523 §3: 20 concurrent uses of one jti and takes of one interaction: exactly one each (as.client.assertion-jti-replay)', async () => {
      await rounds(20, async (i) => {
        const used = await Promise.all(Array.from({ length: RACERS }, (_, r) => instance(r).useJti('https://idp.example', `race-jti-${i}`, T0 + 60_000, T0)));
        assert.equal(used.filter(Boolean).length, 1);
        const ia = interaction();
        await a.putInteraction(ia);
        const taken = await Promise.all(Array.from({ length: RACERS }, (_, r) => instance(r).takeInteraction(ia.id, T0)));
        assert.equal(taken.filter((t) => t !== null).length, 1);
      });
    });

    test('ARCHITECTURE Revocation: reuse after the grace revokes once, and concurrent revocations keep the first (as.revocation.grant)', async () => {
      await rounds(10, async (i) => {
        const g = grant({ id: `race-revoke-grant-${i}`, user_id: `race-user-${i}` });
        await a.createGrantWithCode(g, code(g));
        const rt = refresh(g);
        await a.putRefreshToken(rt);
        await a.rotateRefreshToken(rt.token_hash, refresh(g), 'sealed', T0, 10_000);
        const late = T0 + 10_001;
        const [reuses, bulk] = await Promise.all([
          Promise.all(Array.from({ length: RACERS / 2 }, (_, r) => instance(r).rotateRefreshToken(rt.token_hash, refresh(g), 's', late, 10_000))),
          Promise.all(Array.from({ length: RACERS / 2 }, (_, r) => instance(r + 1).revokeGrantsForUser(g.user_id, late, 'admin'))),
        ]);
        const revoked = await a.getGrant(g.id);
        assert.equal(revoked?.revoked_at, late);
        const byReuse = reuses.filter((x) => x.kind === 'reused').length;
        const byAdmin = bulk.filter((ids) => ids.length === 1).length;
        assert.equal(byReuse + byAdmin, 1, `exactly one revocation wins: reused ×${byReuse}, admin ×${byAdmin}`);
        assert.equal(revoked?.revoked_reason, byReuse === 1 ? 'refresh_token_reuse' : 'admin');
      });
    });

    test('ARCHITECTURE Audit: 20 concurrent appends from two instances form one gap-free, verified chain (store.audit.serialized)', async () => {
      const keys = deriveAuditKeys('race-test-master-secret');
      const event = (r: number) => ({ time: T0 + r, type: 'token.issued', user_id: `u${r}`, client_id: null, subject: null, data: { racer: r } });
      await rounds(5, async () => {
        await Promise.all(Array.from({ length: RACERS }, (_, r) => instance(r).appendAudit((head) => chainRows(keys.chain, head, [event(r), event(r)]))));
      });
      const rows = await b.listAudit({ limit: 1000 });
      assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 5 * RACERS * 2 }, (_, i) => i + 1));
      const report = await verifyAudit({ store: a, keys, file: null });
      assert.deepEqual(report.problems, []);
      assert.equal(report.ok, true);
      assert.equal(report.entries, 5 * RACERS * 2);
    });
  });
});
