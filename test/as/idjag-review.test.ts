/**
 * Security review (2026-11-24) of the jwt-bearer (ID-JAG) refusal audit: what an unauthenticated caller can make the
 * server write. A refused jwt-bearer request is audited (synchronously, into the hash chain) with the `iss` and `jti`
 * read from the UNVERIFIED assertion; those are attacker-chosen strings up to the 16 KiB assertion cap, so every
 * anonymous request could append ~16 KiB to the append-only audit log and the log line. They are bounded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ISSUER, startHarness, type Harness } from '../helpers/as-harness.js';
import { basicAuth, idpKey, jwtBearerForm, unsecuredJwt } from '../helpers/idjag.js';
import { JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';

const APP = 'review-app';
const APP_SECRET = 'review-app-secret-0123456789';

let h: Harness;
before(async () => {
  process.env.TEST_REVIEW_APP_SECRET = APP_SECRET;
  const k = await idpKey('idp-r');
  h = await startHarness({
    clients: [{ client_id: APP, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_REVIEW_APP_SECRET' }],
    enterprise: { trusted_issuers: [{ issuer: 'https://idp.review.example', jwks: { keys: [k.jwk] }, clients: [APP] }] },
  });
});
after(() => h.close());

describe('security review: jwt-bearer refusal audit is bounded', () => {
  it('an anonymous request with a 10 KB iss and jti writes at most a few hundred characters of them to the audit (review.idjag.audit-bounded)', async () => {
    const iss = `https://${'a'.repeat(10_000)}.example`;
    const jti = 'j'.repeat(1_000);
    const assertion = unsecuredJwt({ alg: 'none', typ: 'oauth-id-jag+jwt' }, { iss, jti, aud: ISSUER });
    for (const auth of [basicAuth(APP, 'wrong-secret'), basicAuth(APP, APP_SECRET)]) {
      const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: jwtBearerForm(assertion) });
      const body = (await res.json()) as Record<string, unknown>;
      assert.ok(body.error === 'invalid_client' || body.error === 'invalid_grant', JSON.stringify(body));
      const [row] = await h.store.listAudit({ types: ['idjag.rejected'], order: 'desc', limit: 1 });
      assert.ok(row, 'refusal audited');
      const data = JSON.parse(row.data) as Record<string, unknown>;
      assert.ok(typeof data.iss === 'string' && data.iss.length <= 256, `iss kept bounded (${String(data.iss).length} chars)`);
      assert.ok(typeof data.jti === 'string' && data.jti.length <= 256, `jti kept bounded (${String(data.jti).length} chars)`);
      assert.ok((row.subject ?? '').length <= 256, 'audit subject bounded');
      assert.ok(row.data.length < 2_000, `audit entry small (${row.data.length} bytes)`);
    }
  });
});
