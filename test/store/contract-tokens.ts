import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoreConflictError, type GrantRecord, type RefreshTokenRecord, type Store } from '../../src/store/types.js';
import { code, DAY, freshStore, grant, HOUR, MIN, refresh, T0 } from './fixtures.js';

const GRACE = 10_000;

/** The grant, authorization code, refresh token and revocation part of the Store contract. */
export function tokenContract(open: () => Promise<Store>): void {
  describe('grants and authorization codes', () => {
    const store = freshStore(open);

    test('createGrantWithCode writes both; consuming returns the code marked consumed', async () => {
      const g = grant({ scope: ['notes:read', 'notes:write'] });
      const c = code(g);
      await store().createGrantWithCode(g, c);
      assert.deepEqual(await store().getGrant(g.id), g);
      assert.equal(await store().getGrant('unknown'), null);
      assert.deepEqual(await store().consumeAuthorizationCode(c.code_hash, T0 + 1), {
        kind: 'ok',
        code: { ...c, consumed_at: T0 + 1 },
      });
    });

    test('an existing grant is kept as it is; the new code is added to it', async () => {
      const g = grant();
      await store().createGrantWithCode(g, code(g));
      const second = code(g);
      await store().createGrantWithCode({ ...g, scope: ['other'], created_at: T0 + 5 }, second);
      assert.deepEqual(await store().getGrant(g.id), g);
      assert.equal((await store().consumeAuthorizationCode(second.code_hash, T0)).kind, 'ok');
    });

    test('Store: grant + code is all-or-nothing (a duplicate code_hash leaves no grant row)', async () => {
      const g = grant();
      const c = code(g);
      await store().createGrantWithCode(g, c);
      const other = grant();
      await assert.rejects(store().createGrantWithCode(other, code(other, { code_hash: c.code_hash })), StoreConflictError);
      assert.equal(await store().getGrant(other.id), null);
      assert.equal((await store().consumeAuthorizationCode(c.code_hash, T0)).kind, 'ok');
    });

    test('OAuth 2.1 §4.1.3 code is single-use: ok, then reused (as.token.code-single-use)', async () => {
      const g = grant();
      const c = code(g);
      await store().createGrantWithCode(g, c);
      assert.equal((await store().consumeAuthorizationCode(c.code_hash, T0 + 1)).kind, 'ok');
      const reused = { kind: 'reused', code: { ...c, consumed_at: T0 + 1 } };
      assert.deepEqual(await store().consumeAuthorizationCode(c.code_hash, T0 + 2), reused);
      assert.deepEqual(await store().consumeAuthorizationCode(c.code_hash, T0 + 3), reused);
    });

    test('OAuth 2.1 §4.1.3 concurrent redemptions: exactly one ok (as.token.code-single-use)', async () => {
      const g = grant();
      const c = code(g);
      await store().createGrantWithCode(g, c);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store().consumeAuthorizationCode(c.code_hash, T0 + 1)),
      );
      assert.equal(results.filter((r) => r.kind === 'ok').length, 1);
      assert.equal(results.filter((r) => r.kind === 'reused').length, 19);
    });

    test('OAuth 2.1 §4.1.2 unknown and expired codes are not_found (as.token.code-expired)', async () => {
      const g = grant();
      const c = code(g, { expires_at: T0 + MIN });
      const spent = code(g, { expires_at: T0 + MIN });
      await store().createGrantWithCode(g, c);
      await store().createGrantWithCode(g, spent);
      await store().consumeAuthorizationCode(spent.code_hash, T0);
      assert.deepEqual(await store().consumeAuthorizationCode('unknown', T0), { kind: 'not_found' });
      assert.deepEqual(await store().consumeAuthorizationCode(c.code_hash, T0 + MIN), { kind: 'not_found' });
      assert.deepEqual(await store().consumeAuthorizationCode(spent.code_hash, T0 + MIN), { kind: 'not_found' });
    });

    test('ARCHITECTURE Revocation: a code of a revoked grant is not_found (as.revocation.grant)', async () => {
      const g = grant();
      const c = code(g);
      await store().createGrantWithCode(g, c);
      await store().revokeGrant(g.id, T0, 'user');
      assert.deepEqual(await store().consumeAuthorizationCode(c.code_hash, T0 + 1), { kind: 'not_found' });
    });
  });

  describe('refresh tokens', () => {
    const store = freshStore(open);

    /** a live grant with one refresh token */
    async function issued(): Promise<{ g: GrantRecord; rt: RefreshTokenRecord }> {
      const g = grant();
      await store().createGrantWithCode(g, code(g));
      const rt = refresh(g);
      await store().putRefreshToken(rt);
      return { g, rt };
    }

    test('put and get round-trip; a duplicate hash is a StoreConflictError', async () => {
      const { g, rt } = await issued();
      assert.deepEqual(await store().getRefreshToken(rt.token_hash), rt);
      assert.equal(await store().getRefreshToken('unknown'), null);
      await assert.rejects(store().putRefreshToken(refresh(g, { token_hash: rt.token_hash })), StoreConflictError);
    });

    test('OAuth 2.1 §4.3.1 rotation: old marked rotated with its grace response, next stored (as.token.refresh-rotation)', async () => {
      const { g, rt } = await issued();
      const next = refresh(g, { created_at: T0 + HOUR, expires_at: T0 + HOUR + DAY });
      const result = await store().rotateRefreshToken(rt.token_hash, next, 'sealed-1', T0 + HOUR, GRACE);
      const old = { ...rt, rotated_at: T0 + HOUR, grace_response: 'sealed-1' };
      assert.deepEqual(result, { kind: 'rotated', old });
      assert.deepEqual(await store().getRefreshToken(rt.token_hash), old);
      assert.deepEqual(await store().getRefreshToken(next.token_hash), next);
      const third = refresh(g);
      const again = await store().rotateRefreshToken(next.token_hash, third, 'sealed-2', T0 + 2 * HOUR, GRACE);
      assert.equal(again.kind, 'rotated');
    });

    test('ARCHITECTURE Tokens: a retry within the grace gets grace and writes nothing (as.token.refresh-grace)', async () => {
      const { g, rt } = await issued();
      const next = refresh(g);
      await store().rotateRefreshToken(rt.token_hash, next, 'sealed-1', T0, GRACE);
      const before = await store().getRefreshToken(rt.token_hash);
      const retry = refresh(g);
      const result = await store().rotateRefreshToken(rt.token_hash, retry, 'sealed-2', T0 + GRACE, GRACE);
      assert.deepEqual(result, { kind: 'grace', old: before });
      assert.equal(result.kind === 'grace' && result.old.grace_response, 'sealed-1');
      assert.deepEqual(await store().getRefreshToken(rt.token_hash), before);
      assert.equal(await store().getRefreshToken(retry.token_hash), null);
      assert.equal((await store().getGrant(g.id))?.revoked_at, null);
      assert.equal((await store().rotateRefreshToken(next.token_hash, refresh(g), 's', T0 + 1, GRACE)).kind, 'rotated');
    });

    test('ARCHITECTURE Tokens: reuse of a rotated refresh token revokes the grant (as.token.refresh-reuse-revokes)', async () => {
      const { g, rt } = await issued();
      const next = refresh(g);
      await store().rotateRefreshToken(rt.token_hash, next, 'sealed-1', T0, GRACE);
      const late = T0 + GRACE + 1;
      const result = await store().rotateRefreshToken(rt.token_hash, refresh(g), 'sealed-2', late, GRACE);
      assert.equal(result.kind, 'reused');
      assert.equal(result.kind === 'reused' && result.old.token_hash, rt.token_hash);
      const revoked = await store().getGrant(g.id);
      assert.equal(revoked?.revoked_at, late);
      assert.ok(revoked?.revoked_reason);
      assert.deepEqual(await store().listRevokedGrantIds(late), [g.id]);
      // the token the attacker or the victim holds is dead too, and so is the reused one
      assert.deepEqual(await store().rotateRefreshToken(next.token_hash, refresh(g), 's', late, GRACE), { kind: 'not_found' });
      assert.deepEqual(await store().rotateRefreshToken(rt.token_hash, refresh(g), 's', late, GRACE), { kind: 'not_found' });
    });

    test('ARCHITECTURE Tokens: idle and absolute lifetimes end a refresh token (as.token.refresh-lifetimes)', async () => {
      const g = grant();
      await store().createGrantWithCode(g, code(g));
      const idle = refresh(g, { expires_at: T0 + DAY, absolute_expires_at: T0 + 30 * DAY });
      const absolute = refresh(g, { expires_at: T0 + 40 * DAY, absolute_expires_at: T0 + 30 * DAY });
      await store().putRefreshToken(idle);
      await store().putRefreshToken(absolute);
      const next = refresh(g);
      assert.deepEqual(await store().rotateRefreshToken(idle.token_hash, next, 's', T0 + DAY, GRACE), { kind: 'not_found' });
      assert.deepEqual(await store().rotateRefreshToken(absolute.token_hash, next, 's', T0 + 30 * DAY, GRACE), {
        kind: 'not_found',
      });
      assert.deepEqual(await store().rotateRefreshToken('unknown', next, 's', T0, GRACE), { kind: 'not_found' });
      assert.equal(await store().getRefreshToken(next.token_hash), null);
      assert.equal((await store().getRefreshToken(idle.token_hash))?.rotated_at, null);
    });

    test('ARCHITECTURE Revocation: tokens of a revoked grant do not rotate (as.revocation.grant)', async () => {
      const { g, rt } = await issued();
      await store().revokeGrant(g.id, T0, 'user');
      assert.deepEqual(await store().rotateRefreshToken(rt.token_hash, refresh(g), 's', T0 + 1, GRACE), {
        kind: 'not_found',
      });
    });

    test('ARCHITECTURE Tokens: N concurrent refreshes yield one rotation, the rest grace (as.token.refresh-grace)', async () => {
      const { g, rt } = await issued();
      const nexts = Array.from({ length: 20 }, () => refresh(g));
      const results = await Promise.all(
        nexts.map((next, i) => store().rotateRefreshToken(rt.token_hash, next, `sealed-${i}`, T0 + 1, GRACE)),
      );
      assert.equal(results.filter((r) => r.kind === 'rotated').length, 1);
      assert.equal(results.filter((r) => r.kind === 'grace').length, 19);
      const stored = await Promise.all(nexts.map((n) => store().getRefreshToken(n.token_hash)));
      assert.equal(stored.filter((s) => s !== null).length, 1);
      const winner = results.findIndex((r) => r.kind === 'rotated');
      for (const r of results) if (r.kind === 'grace') assert.equal(r.old.grace_response, `sealed-${winner}`);
    });
  });

  describe('revocation', () => {
    const store = freshStore(open);

    test('ARCHITECTURE Revocation: revokeGrant is idempotent and keeps the first time and reason (as.revocation.grant)', async () => {
      const g = grant();
      await store().createGrantWithCode(g, code(g));
      await store().revokeGrant(g.id, T0 + 5, 'user');
      await store().revokeGrant(g.id, T0 + 9, 'admin');
      assert.deepEqual(await store().getGrant(g.id), { ...g, revoked_at: T0 + 5, revoked_reason: 'user' });
      await store().revokeGrant('unknown', T0, 'admin');
      assert.equal(await store().getGrant('unknown'), null);
    });

    test('ARCHITECTURE Revocation: listRevokedGrantIds(since) feeds the revoked-grant set (as.revocation.propagation)', async () => {
      const [early, late, live] = [grant(), grant(), grant()];
      for (const g of [early, late, live]) await store().createGrantWithCode(g, code(g));
      await store().revokeGrant(early.id, T0 + 100, 'user');
      await store().revokeGrant(late.id, T0 + 200, 'user');
      assert.deepEqual((await store().listRevokedGrantIds(T0)).sort(), [early.id, late.id].sort());
      assert.deepEqual(await store().listRevokedGrantIds(T0 + 101), [late.id]);
      assert.deepEqual(await store().listRevokedGrantIds(T0 + 200), [late.id]);
      assert.deepEqual(await store().listRevokedGrantIds(T0 + 201), []);
    });
  });
}
