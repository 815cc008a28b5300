import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoreConflictError, type Store } from '../../src/store/types.js';
import { auditContract } from './contract-audit.js';
import { clientsContract } from './contract-clients.js';
import { enterpriseContract } from './contract-enterprise.js';
import { grantsContract } from './contract-grants.js';
import { tokenContract } from './contract-tokens.js';
import { code, DAY, freshStore, grant, interaction, MIN, refresh, signingKey, T0, user } from './fixtures.js';

/**
 * The Store contract: one suite that every backend must pass (SQLite now, PostgreSQL later).
 * `open` must return a new, empty store each time.
 */
export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    describe('users', () => {
      const store = freshStore(open);

      test('create, then get by id and by username', async () => {
        const u = user({ roles: ['admin', 'user'], disabled: true });
        await store().createUser(u);
        assert.deepEqual(await store().getUser(u.id), u);
        assert.deepEqual(await store().getUserByName(u.username), u);
        assert.equal(await store().getUser('nobody'), null);
        assert.equal(await store().getUserByName('nobody'), null);
      });

      test('a duplicate username is a StoreConflictError and writes nothing', async () => {
        const u = user();
        await store().createUser(u);
        const dup = user({ username: u.username });
        await assert.rejects(store().createUser(dup), StoreConflictError);
        assert.equal(await store().getUser(dup.id), null);
      });

      test('updateUserPassword replaces the hash only', async () => {
        const u = user();
        await store().createUser(u);
        await store().updateUserPassword(u.id, '$argon2id$new');
        assert.deepEqual(await store().getUser(u.id), { ...u, password_hash: '$argon2id$new' });
      });

      test('updateUserRoles, setUserDisabled and listUsers (issue 3: roles per user)', async () => {
        const a = user({ username: 'a-user' });
        const b = user({ username: 'b-user' });
        await store().createUser(b);
        await store().createUser(a);
        await store().updateUserRoles(a.id, ['reader', 'editor']);
        await store().setUserDisabled(a.id, true);
        assert.deepEqual(await store().getUser(a.id), { ...a, roles: ['reader', 'editor'], disabled: true });
        assert.deepEqual((await store().listUsers()).map((u) => u.username), ['a-user', 'b-user']);
      });
    });

    describe('interactions', () => {
      const store = freshStore(open);

      test('put and get round-trip the authorization request snapshot', async () => {
        const i = interaction();
        await store().putInteraction(i);
        assert.deepEqual(await store().getInteraction(i.id, T0), i);
        assert.equal(await store().getInteraction('unknown', T0), null);
      });

      test('an expired interaction is not returned', async () => {
        const i = interaction();
        await store().putInteraction(i);
        assert.notEqual(await store().getInteraction(i.id, i.expires_at - 1), null);
        assert.equal(await store().getInteraction(i.id, i.expires_at), null);
      });

      test('setInteractionUser records the user who logged in', async () => {
        const i = interaction();
        await store().putInteraction(i);
        await store().setInteractionUser(i.id, 'user-7');
        assert.equal((await store().getInteraction(i.id, T0))?.user_id, 'user-7');
      });

      test('takeInteraction is single-use', async () => {
        const i = interaction();
        await store().putInteraction(i);
        assert.deepEqual(await store().takeInteraction(i.id, T0), i);
        assert.equal(await store().takeInteraction(i.id, T0), null);
        assert.equal(await store().getInteraction(i.id, T0), null);
      });

      test('takeInteraction after expiry returns null', async () => {
        const i = interaction();
        await store().putInteraction(i);
        assert.equal(await store().takeInteraction(i.id, i.expires_at), null);
      });

      test('concurrent takes of one interaction: exactly one gets it', async () => {
        const i = interaction();
        await store().putInteraction(i);
        const taken = await Promise.all(Array.from({ length: 20 }, () => store().takeInteraction(i.id, T0)));
        assert.equal(taken.filter((t) => t !== null).length, 1);
      });
    });

    describe('sessions', () => {
      const store = freshStore(open);

      test('put, get while live, not after expiry, delete', async () => {
        const s = { id_hash: 'sess-hash', user_id: 'user-1', created_at: T0, expires_at: T0 + DAY };
        await store().putSession(s);
        assert.deepEqual(await store().getSession(s.id_hash, T0), s);
        assert.equal(await store().getSession(s.id_hash, s.expires_at), null);
        await store().deleteSession(s.id_hash);
        assert.equal(await store().getSession(s.id_hash, T0), null);
      });
    });

    describe('consent memory', () => {
      const store = freshStore(open);

      test('ARCHITECTURE Consent: remembered per user + client + resource, upserted (as.consent.remembered)', async () => {
        const c = {
          user_id: 'user-1',
          client_id: 'https://client.example/cimd.json',
          resource: 'https://mcp.example/mcp',
          scope: ['notes:read'],
          client_version: 'v1',
          created_at: T0,
        };
        assert.equal(await store().getConsent(c.user_id, c.client_id, c.resource), null);
        await store().putConsent(c);
        assert.deepEqual(await store().getConsent(c.user_id, c.client_id, c.resource), c);
        const wider = { ...c, scope: ['notes:read', 'notes:write'], client_version: 'v2', created_at: T0 + 1 };
        await store().putConsent(wider);
        assert.deepEqual(await store().getConsent(c.user_id, c.client_id, c.resource), wider);
        assert.equal(await store().getConsent(c.user_id, c.client_id, 'https://other.example/mcp'), null);
      });
    });

    describe('assertion jti', () => {
      const store = freshStore(open);

      test('RFC 7523 §3: a jti is single-use until it expires (as.client.assertion-jti-replay)', async () => {
        assert.equal(await store().useJti('https://idp.example', 'j1', T0 + MIN, T0), true);
        assert.equal(await store().useJti('https://idp.example', 'j1', T0 + MIN, T0 + 1), false);
        // scoped by issuer
        assert.equal(await store().useJti('https://other.example', 'j1', T0 + MIN, T0), true);
      });

      test('a jti may be used again once its previous use has expired', async () => {
        assert.equal(await store().useJti('iss', 'j2', T0 + MIN, T0), true);
        assert.equal(await store().useJti('iss', 'j2', T0 + 2 * MIN, T0 + MIN), true);
        assert.equal(await store().useJti('iss', 'j2', T0 + 3 * MIN, T0 + MIN + 1), false);
      });

      test('concurrent uses of one jti: exactly one succeeds (as.client.assertion-jti-replay)', async () => {
        const used = await Promise.all(Array.from({ length: 20 }, () => store().useJti('iss', 'j3', T0 + MIN, T0)));
        assert.equal(used.filter(Boolean).length, 1);
      });
    });

    describe('signing keys', () => {
      const store = freshStore(open);

      test('put, list in creation order, and put again to retire', async () => {
        assert.deepEqual(await store().listSigningKeys(), []);
        const k1 = signingKey({ created_at: T0 });
        const k2 = signingKey({ created_at: T0 + DAY, activates_at: T0 + 2 * DAY });
        await store().putSigningKey(k2);
        await store().putSigningKey(k1);
        assert.deepEqual(await store().listSigningKeys(), [k1, k2]);
        const retired = { ...k1, retired_at: T0 + 3 * DAY };
        await store().putSigningKey(retired);
        assert.deepEqual(await store().listSigningKeys(), [retired, k2]);
      });
    });

    describe('purgeExpired', () => {
      const store = freshStore(open);

      test('removes expired rows and nothing live; keeps revoked grants', async () => {
        const s = store();
        const now = T0 + 2 * DAY;
        const live = interaction({ expires_at: now + MIN });
        await s.putInteraction(interaction({ expires_at: now }));
        await s.putInteraction(live);
        await s.putSession({ id_hash: 'dead', user_id: 'u', created_at: T0, expires_at: now - 1 });
        await s.putSession({ id_hash: 'live', user_id: 'u', created_at: T0, expires_at: now + 1 });
        const g = grant();
        const liveCode = code(g, { expires_at: now + MIN });
        await s.createGrantWithCode(g, code(g, { expires_at: now - 1 }));
        await s.createGrantWithCode(g, liveCode);
        const liveRt = refresh(g, { expires_at: now + DAY, absolute_expires_at: now + 10 * DAY });
        await s.putRefreshToken(refresh(g, { expires_at: now })); // idle-expired
        await s.putRefreshToken(refresh(g, { expires_at: now + DAY, absolute_expires_at: now })); // absolute
        await s.putRefreshToken(liveRt);
        await s.useJti('iss', 'dead', now, T0);
        await s.useJti('iss', 'live', now + 1, T0);
        const revoked = grant();
        await s.createGrantWithCode(revoked, code(revoked, { expires_at: now + MIN }));
        await s.revokeGrant(revoked.id, T0, 'admin');

        assert.equal(await s.purgeExpired(now), 6);
        assert.equal(await s.purgeExpired(now), 0);
        assert.deepEqual(await s.getInteraction(live.id, now), live);
        assert.notEqual(await s.getSession('live', now), null);
        assert.deepEqual(await s.getRefreshToken(liveRt.token_hash), liveRt);
        assert.equal(await s.useJti('iss', 'live', now + 1, now), false);
        assert.equal((await s.consumeAuthorizationCode(liveCode.code_hash, now)).kind, 'ok');
        assert.equal((await s.getGrant(revoked.id))?.revoked_reason, 'admin');
      });

      test('ARCHITECTURE Tokens: grace responses are kept only until the grace ends (as.token.refresh-grace)', async () => {
        const s = store();
        const g = grant();
        await s.createGrantWithCode(g, code(g));
        const rt = refresh(g);
        await s.putRefreshToken(rt);
        await s.rotateRefreshToken(rt.token_hash, refresh(g), 'sealed-pair', T0, 10_000);
        await s.purgeExpired(T0 + 10_000, 10_000);
        assert.equal((await s.getRefreshToken(rt.token_hash))?.grace_response, 'sealed-pair');
        await s.purgeExpired(T0 + 10_001, 10_000);
        const old = await s.getRefreshToken(rt.token_hash);
        assert.equal(old?.grace_response, null);
        assert.equal(old?.rotated_at, T0, 'the rotated token stays, so its reuse is still detected');
      });

      test('without a grace window, grace responses older than 60 s are cleared', async () => {
        const s = store();
        const g = grant();
        await s.createGrantWithCode(g, code(g));
        const rt = refresh(g);
        await s.putRefreshToken(rt);
        await s.rotateRefreshToken(rt.token_hash, refresh(g), 'sealed-pair', T0, 10_000);
        await s.purgeExpired(T0 + MIN);
        assert.equal((await s.getRefreshToken(rt.token_hash))?.grace_response, 'sealed-pair');
        await s.purgeExpired(T0 + MIN + 1);
        assert.equal((await s.getRefreshToken(rt.token_hash))?.grace_response, null);
      });
    });

    test('issue 6: ping answers while open and rejects once closed (ops.health)', async () => {
      const s = await open();
      await s.migrate();
      await s.ping();
      await s.close();
      await assert.rejects(s.ping());
    });

    tokenContract(open);
    grantsContract(open);
    auditContract(open);
    clientsContract(open);
    enterpriseContract(open);
  });
}
