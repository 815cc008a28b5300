/**
 * The grants written without a browser session: an accepted ID-JAG (jwt-bearer) keeps the IdP's auth_time, the time
 * its user authenticated there; client_credentials involves no user, so no auth_time at all. Neither is ever "now".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { ISSUER, startHarness, type Harness } from '../helpers/as-harness.js';
import { ADMIN_CLIENT, ADMIN_RESOURCE, clientCredentials, startAdminHarness } from '../helpers/admin-harness.js';
import { basicAuth, fixturePayload, idpKey, jwtBearerForm, mintIdJag, type IdpKey } from '../helpers/idjag.js';
import { JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';

const RESOURCE = `${ISSUER}/mcp`;
const IDP = 'https://idp.cyberdyne-corp.example/';
const APP = 'auth-time-app';
const APP_SECRET = 'auth-time-app-secret-0123456789';
const HOUR_S = 3600;

describe('RFC 7523 jwt-bearer: the grant keeps the ID-JAG\'s auth_time, in ms; none, or none usable, is null (store.grant.auth-time)', () => {
  let h: Harness;
  let key: IdpKey;
  before(async () => {
    key = await idpKey('idp-auth-time');
    process.env.TEST_AUTH_TIME_APP_SECRET = APP_SECRET;
    h = await startHarness({
      clients: [{ client_id: APP, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_AUTH_TIME_APP_SECRET' }],
      enterprise: { trusted_issuers: [{ issuer: IDP, jwks: { keys: [key.jwk] }, clients: [APP], provision: true }] },
    });
  });
  after(() => h.close());

  async function accept(auth_time: unknown): Promise<{ at: Record<string, unknown>; grantAuthTime: number | null | undefined }> {
    const now = Math.floor(h.clock.now / 1000);
    const claims = { ...fixturePayload('draft-ai-agent.id-jag'), aud: ISSUER, resource: RESOURCE, client_id: APP, scope: 'notes:read' };
    const assertion = await mintIdJag(claims, { key, now, claims: { auth_time } });
    const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(APP, APP_SECRET) }, body: jwtBearerForm(assertion) });
    const body = (await res.json()) as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(body));
    const at = decodeJwt(body.access_token!);
    return { at, grantAuthTime: (await h.store.getGrant(at.grant_id as string))?.auth_time };
  }

  it('auth_time two hours ago at the IdP: the grant says so (not its creation), the access token carries it (store.grant.auth-time)', async () => {
    const signedIn = Math.floor(h.clock.now / 1000) - 2 * HOUR_S;
    const { at, grantAuthTime } = await accept(signedIn);
    assert.equal(grantAuthTime, signedIn * 1000);
    assert.equal(at.auth_time, signedIn);
  });

  it('a fractional NumericDate (RFC 7519 §2) is stored in whole seconds; no auth_time, or one no store column holds, is null and never a 500 (store.grant.auth-time)', async () => {
    const signedIn = Math.floor(h.clock.now / 1000) - HOUR_S;
    const fractional = await accept(signedIn + 0.75);
    assert.equal(fractional.grantAuthTime, signedIn * 1000);
    assert.equal(fractional.at.auth_time, signedIn, 'the access token carries what the grant keeps');
    const none = await accept(undefined);
    assert.equal(none.grantAuthTime, null);
    assert.equal('auth_time' in none.at, false);
    const huge = await accept(1e300);
    assert.equal(huge.grantAuthTime, null);
    assert.equal('auth_time' in huge.at, false, 'no auth_time the grant does not hold');
  });
});

describe('OAuth 2.1 §4.2 client_credentials: no user authenticated, no auth_time (store.grant.auth-time)', () => {
  let h: Harness;
  before(async () => {
    h = await startAdminHarness();
  });
  after(() => h.close());

  it('the standing grant has auth_time null and the access token no auth_time claim (store.grant.auth-time)', async () => {
    const { res, body } = await clientCredentials(h, { resource: ADMIN_RESOURCE, scope: 'portcullis:admin' });
    assert.equal(res.status, 200, JSON.stringify(body));
    const at = decodeJwt(body.access_token as string);
    assert.equal(at.sub, ADMIN_CLIENT);
    assert.equal('auth_time' in at, false);
    assert.equal((await h.store.getGrant(at.grant_id as string))?.auth_time, null);
  });
});
