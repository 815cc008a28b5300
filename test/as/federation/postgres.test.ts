/**
 * Issue 4 item 3 on the real PostgreSQL store, two instances sharing it: the upstream login state is server-side
 * and single use across instances (the callback may land on another instance than the one that redirected; sent to
 * both at once, exactly one wins), and the identity link and JIT user are written once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../../src/store/open.js';
import type { Store } from '../../../src/store/types.js';
import { createApp } from '../../../src/server/app.js';
import { startHarness, ISSUER, type Harness } from '../../helpers/as-harness.js';
import { IDP_CLIENT_ID, signInAtIdp, type TestIdp } from '../../helpers/oidc-idp.js';
import { withPostgres } from '../../store/pg-harness.js';
import { browser, finish, startIdp, toCallback } from './driver.js';

await withPostgres((pg) => {
  describe('upstream OIDC login on PostgreSQL, two instances (as.federation.state-single-use)', () => {
    let google: TestIdp;
    let h1: Harness;
    let h2: Harness;
    let store1: Store;
    let store2: Store;

    before(async () => {
      google = await startIdp('google');
      const { url } = await pg.schema();
      store1 = await openStore(url);
      store2 = await openStore(url);
      h1 = await startHarness({ login: { upstream_idps: [{ id: 'google', issuer: google.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET' }] } }, { store: store1 });
      // a second instance: the same configuration and keys, its own store connection (and its own metadata cache)
      const app2 = createApp({ ...h1.ctx, store: store2 }, new Map());
      h2 = { ...h1, store: store2, app: app2, request: async (path, init) => app2.fetch(new Request(new URL(path, ISSUER), init)) };
    });
    after(async () => {
      await h1?.close();
      await store2?.close();
      await google?.close();
    });

    test('the callback is accepted by another instance, once; a replay on either instance is refused (as.federation.state-single-use, as.federation.upstream-login)', async () => {
      const at = await toCallback(h1, 'google', 'petra');
      // the same browser talking to instance 2: it keeps the cookies it is given (the session the callback starts)
      const other = { ...at, b: { ...at.b, get: async (url: string, init: RequestInit = {}) => { const res = await h2.request(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: at.b.jar.header() } }); at.b.jar.take(res); return res; } } };
      const { location } = await finish(other);
      assert.ok(location?.searchParams.get('code'), 'signed in through instance 2');
      const user = await store1.getUserByName('petra@example.test');
      assert.ok(user, 'JIT user visible to instance 1');
      for (const h of [h1, h2]) {
        const replay = await h.request(at.callback.href, { redirect: 'manual', headers: { cookie: at.b.jar.header() } });
        assert.equal(replay.status, 400, 'replayed callback refused');
      }
    });

    test('the same callback sent to both instances at once: exactly one sign-in (as.federation.state-single-use)', async () => {
      const at = await toCallback(h1, 'google', 'quinn');
      const send = (h: Harness) => h.request(at.callback.href, { redirect: 'manual', headers: { cookie: at.b.jar.header() } });
      const results = await Promise.all([send(h1), send(h2), send(h1), send(h2)]);
      assert.deepEqual(results.map((r) => r.status).sort(), [303, 400, 400, 400]);
      const failures = await store1.listAudit({ types: ['login.upstream.failure'], limit: 10, order: 'desc' });
      assert.ok(failures.slice(0, 3).every((f) => (JSON.parse(f.data) as { reason: string }).reason === 'state_unknown'));
      const identities = await store1.listUserIdentities((await store1.getUserByName('quinn@example.test'))!.id);
      assert.equal(identities.length, 1);
    });

    test('a sign-in started from /account: the login state without an authorization request is single use across instances too, and the session works on both (as.federation.page-continuation, as.federation.state-single-use)', async () => {
      const b = browser(h1);
      const page = await (await b.get(`${ISSUER}/account`)).text();
      const link = /href="([^"]*\/login\/upstream\/google\?[^"]*)"/.exec(page)![1]!.replace(/&amp;/g, '&');
      const go = await b.get(new URL(link, ISSUER).href);
      assert.equal(go.status, 303);
      const callback = await signInAtIdp(fetch, go.headers.get('location')!, `${ISSUER}/login/callback/google`, 'rosa', b.jar);
      const send = (h: Harness) => h.request(callback.href, { redirect: 'manual', headers: { cookie: b.jar.header() } });
      const results = await Promise.all([send(h2), send(h1), send(h2)]);
      assert.deepEqual(results.map((r) => r.status).sort(), [303, 400, 400]);
      const ok = results.find((r) => r.status === 303)!;
      assert.equal(ok.headers.get('location'), `${ISSUER}/account`);
      b.jar.take(ok);
      for (const h of [h1, h2]) {
        const account = await h.request('/account', { headers: { cookie: b.jar.header() } });
        assert.match(await account.text(), /Signed in as <strong>rosa@example\.test<\/strong>/);
      }
    });
  });
});
