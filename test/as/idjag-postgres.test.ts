/**
 * Issue 4 item 1 / ARCHITECTURE "Deployment": an ID-JAG's jti is single use across instances — two authorization
 * servers on one PostgreSQL, each with its own store connection, accept one presentation of an ID-JAG in total,
 * however the presentations race ([EMA] §7.4.2).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ISSUER, startHarness, type Harness } from '../helpers/as-harness.js';
import { basicAuth, fixturePayload, idpKey, jwtBearerForm, mintIdJag, type IdpKey } from '../helpers/idjag.js';
import { withPostgres } from '../store/pg-harness.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';
import { JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';

const IDP = 'https://idp.cyberdyne-corp.example/';
const APP = 'ema-app';
const APP_SECRET = 'ema-app-secret-0123456789';

await withPostgres((pg) => {
  describe('ID-JAG jti single use across two instances on PostgreSQL ([EMA] §7.4.2) (as.idjag.jti-single-use)', { timeout: 60_000 }, () => {
    let a: Harness;
    let b: Harness;
    let key: IdpKey;

    before(async () => {
      key = await idpKey();
      const url = (await pg.schema()).url;
      process.env.TEST_EMA_APP_SECRET = APP_SECRET;
      const config = {
        clients: [{ client_id: APP, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic' as const, client_secret_env: 'TEST_EMA_APP_SECRET' }],
        enterprise: { trusted_issuers: [{ issuer: IDP, jwks: { keys: [key.jwk] }, clients: [APP], provision: true }] },
      };
      a = await startHarness(config, { store: await openPostgresStore(url) });
      // the second instance: its own connection pool on the same schema (the harness's demo user exists already)
      const second = await openPostgresStore(url);
      const shared: Store = Object.assign(Object.create(second) as Store, { createUser: async () => undefined });
      b = await startHarness(config, { store: shared });
      b.clock.now = a.clock.now;
    });
    after(async () => {
      await a?.close();
      await b?.close();
    });

    const mint = (sub: string) => mintIdJag({ ...fixturePayload('draft-ai-agent.id-jag'), aud: ISSUER, resource: `${ISSUER}/mcp`, client_id: APP, scope: 'notes:read', sub }, { key, now: Math.floor(a.clock.now / 1000) });
    const post = async (h: Harness, assertion: string) => {
      const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(APP, APP_SECRET) }, body: jwtBearerForm(assertion) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('used on instance A, replayed on instance B: refused and audited as replay (as.idjag.jti-single-use)', async () => {
      const assertion = await mint('pg-emp-1');
      assert.equal((await post(a, assertion)).status, 200);
      const replay = await post(b, assertion);
      assert.equal(replay.body.error, 'invalid_grant');
      const [row] = await b.store.listAudit({ types: ['idjag.rejected'], order: 'desc', limit: 1 });
      assert.equal(JSON.parse(row!.data).reason, 'replay');
    });

    it('20 concurrent presentations of one ID-JAG across both instances yield exactly one access token, 5 times over (as.idjag.jti-single-use)', async () => {
      for (let round = 0; round < 5; round++) {
        const assertion = await mint(`pg-emp-race-${round}`);
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? a : b, assertion)));
        const ok = results.filter((r) => r.status === 200);
        assert.equal(ok.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.body.error ?? r.status))}`);
        assert.ok(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant'));
        const grants = await a.store.listGrants({ client_id: APP });
        assert.equal(grants.filter((g) => g.resource === `${ISSUER}/mcp`).length, round + 2, 'one grant per accepted ID-JAG');
      }
    });
  });
});
