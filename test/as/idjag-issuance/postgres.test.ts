/**
 * ARCHITECTURE "Deployment": N identical instances on one PostgreSQL. An ID token or refresh token issued by one
 * instance is a valid subject token at another (same keys, same grants), and a revocation or a disabled user on
 * one is refused by the other at once; the refresh-token subject is not consumed anywhere.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import type { Harness } from '../../helpers/as-harness.js';
import { withPostgres } from '../../store/pg-harness.js';
import { openPostgresStore } from '../../../src/store/postgres/index.js';
import type { Store } from '../../../src/store/types.js';
import { appAuth, exchange, post, REFRESH_TOKEN_TYPE, signIn, startIdp } from './setup.js';

await withPostgres((pg) => {
  describe('token exchange across two IdP instances on PostgreSQL (idp.idjag.subject-token, idp.idjag.exchange)', { timeout: 60_000 }, () => {
    let a: Harness;
    let b: Harness;
    before(async () => {
      const url = (await pg.schema()).url;
      a = await startIdp({}, { store: await openPostgresStore(url) });
      // the second instance: its own pool on the same schema; the users exist already
      const second = await openPostgresStore(url);
      const shared: Store = Object.assign(Object.create(second) as Store, { createUser: async () => undefined });
      b = await startIdp({}, { store: shared });
      b.clock.now = a.clock.now;
    });
    after(async () => {
      await b?.close();
      await a?.close();
    });

    it('an ID token from A is exchanged at B; a refresh token from A is exchanged at B and still refreshes at A', async () => {
      const s = await signIn(a);
      const byId = await exchange(b, { subject_token: s.id_token });
      assert.equal(byId.res.status, 200, JSON.stringify(byId.body));
      assert.equal(decodeJwt(byId.body.access_token as string).sub, 'user-1');
      const byRt = await exchange(b, { subject_token: s.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE });
      assert.equal(byRt.res.status, 200, JSON.stringify(byRt.body));
      assert.equal((await a.store.getRefreshToken((await import('../../../src/core/random.js')).sha256(s.refresh_token!)))?.rotated_at, null);
      assert.equal((await post(a, '/token', { grant_type: 'refresh_token', refresh_token: s.refresh_token! }, appAuth())).status, 200);
    });

    it('a grant revoked at A, a user disabled at A: refused at B (invalid_grant)', async () => {
      const s = await signIn(a);
      await a.store.revokeGrant(decodeJwt(s.id_token).grant_id as string, a.clock.now, 'test');
      assert.equal((await exchange(b, { subject_token: s.id_token })).body.error, 'invalid_grant');
      const bob = await signIn(a, { username: 'bob' });
      await a.store.setUserDisabled('user-bob', true);
      try {
        assert.equal((await exchange(b, { subject_token: bob.id_token })).body.error, 'invalid_grant');
        assert.equal((await exchange(b, { subject_token: bob.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE })).body.error, 'invalid_grant');
      } finally {
        await a.store.setUserDisabled('user-bob', false);
      }
    });
  });
});
