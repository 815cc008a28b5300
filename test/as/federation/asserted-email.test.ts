/**
 * Security review (2026-11-24): what Portcullis, acting as an OpenID Provider and ID-JAG issuer for its own users,
 * asserts about a user who signed in through an upstream IdP. An email the upstream IdP did not verify (Entra's
 * `email` claim is editable and carries no `email_verified`) must never be re-asserted downstream: in our ID
 * tokens, at /userinfo, or in an ID-JAG, a relying party or a resource authorization server that links accounts by
 * email (ID-JAG §6; our own `enterprise.trusted_issuers[].match: email`) would hand the victim's account to whoever
 * typed the victim's address into their IdP profile. A verified email is still asserted (positive control).
 *
 * Real parts: a real oidc-provider dressed as Entra and as Google (test/helpers/oidc-idp.ts), the in-process AS
 * over its HTTP handlers, SQLite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { mapClaims } from '../../../src/as/federation/claims.js';
import { configSchema } from '../../../src/config/schema.js';
import { startHarness, ISSUER, type Harness } from '../../helpers/as-harness.js';
import { IDP_CLIENT_ID, type TestIdp } from '../../helpers/oidc-idp.js';
import { APP, APP_CLIENT, APP_REDIRECT, APP_SECRET, appAuth, CHAT_AUDIENCE, CHAT_RESOURCE, ID_JAG_TYPE, ID_TOKEN_TYPE, post, TOKEN_EXCHANGE_GRANT } from '../idjag-issuance/setup.js';
import { finish, startIdp, toCallback } from './driver.js';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const VICTIM_EMAIL = 'alice@contoso.example';

describe('security review: upstream emails re-asserted by Portcullis as IdP', () => {
  let entra: TestIdp;
  let google: TestIdp;
  let h: Harness;

  before(async () => {
    entra = await startIdp('entra', {
      tenants: [TENANT],
      // mallory's tenant admin (or mallory, where the attribute is self-service) set her email to the victim's
      accounts: { mallory: { email: VICTIM_EMAIL } },
    });
    google = await startIdp('google');
    process.env.TEST_APP_SECRET = APP_SECRET;
    h = await startHarness({
      clients: [APP_CLIENT],
      enterprise: {
        idjag_issuance: {
          targets: [{ name: 'chat', audience: CHAT_AUDIENCE, resources: [CHAT_RESOURCE], clients: [{ client_id: APP }], scopes: ['chat.read'], include_email: true }],
        },
      },
      login: {
        upstream_idps: [
          { id: 'entra', issuer: entra.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET', allowed_tenants: [TENANT] },
          { id: 'google', issuer: google.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET', token_endpoint_auth_method: 'client_secret_post' },
        ],
      },
    });
  });
  after(async () => {
    await h?.close();
    await entra?.close();
    await google?.close();
  });

  /** SSO into the chat app through the upstream IdP, then the app's ID token, userinfo answer and ID-JAG */
  async function signInThrough(idp: 'entra' | 'google', login: string): Promise<{ idToken: Record<string, unknown>; userinfo: Record<string, unknown>; idJag: Record<string, unknown> }> {
    const at = await toCallback(h, idp, login, { client_id: APP, redirect_uri: APP_REDIRECT, scope: 'openid email', resource: null });
    const { location, callbackRes } = await finish(at);
    const code = location?.searchParams.get('code');
    assert.ok(code, `signed in through ${idp}: ${callbackRes.status}`);
    const res = await post(h, '/token', { grant_type: 'authorization_code', code, code_verifier: at.verifier, redirect_uri: APP_REDIRECT }, appAuth());
    const body = (await res.json()) as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(body));
    const ui = await h.request('/userinfo', { headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(ui.status, 200);
    const x = await post(
      h,
      '/token',
      { grant_type: TOKEN_EXCHANGE_GRANT, requested_token_type: ID_JAG_TYPE, audience: CHAT_AUDIENCE, resource: CHAT_RESOURCE, subject_token_type: ID_TOKEN_TYPE, subject_token: body.id_token! },
      appAuth(),
    );
    const xb = (await x.json()) as Record<string, string>;
    assert.equal(x.status, 200, JSON.stringify(xb));
    return { idToken: decodeJwt(body.id_token!), userinfo: (await ui.json()) as Record<string, unknown>, idJag: decodeJwt(xb.access_token!) };
  }

  test('an unverified upstream email (Entra) is never asserted in our ID token, at /userinfo or in an ID-JAG — account-linking takeover downstream (review.federation.unverified-email-not-asserted)', async () => {
    const { idToken, userinfo, idJag } = await signInThrough('entra', 'mallory');
    assert.equal(idToken.email, undefined, 'ID token: no email the IdP did not verify');
    assert.equal(userinfo.email, undefined, 'userinfo: no email the IdP did not verify');
    assert.equal(idJag.email, undefined, 'ID-JAG (include_email: true): no email the IdP did not verify');
    // and nothing kept that a later code path could assert
    const link = await h.store.getUserIdentity(`${entra.origin}/${TENANT}/v2.0`, 'mallory');
    assert.ok(link);
    assert.equal(link.email, null, 'an unverified email is not stored as the identity email');
  });

  test('a verified upstream email (Google, email_verified: true) is asserted (review.federation.unverified-email-not-asserted)', async () => {
    const { idToken, userinfo, idJag } = await signInThrough('google', 'gwen');
    assert.equal(idToken.email, 'gwen@example.test');
    assert.equal(userinfo.email, 'gwen@example.test');
    assert.equal(idJag.email, 'gwen@example.test');
  });
});

describe('security review: IdP group names are data, not object keys', () => {
  test('groups named like Object.prototype members map to no role and never throw (a 500 at the callback) (review.federation.group-names)', () => {
    const idp = configSchema.parse({
      issuer: ISSUER,
      dev: true,
      resources: [{ path: '/mcp', upstream: 'http://127.0.0.1:1/mcp', scopes: ['a'] }],
      login: { upstream_idps: [{ id: 'k', issuer: 'https://idp.example', client_id: 'x', client_secret_env: 'X', claims: { groups: 'groups' }, group_roles: { admins: ['admin'] }, default_roles: ['reader'] }] },
    }).login.upstream_idps[0]!;
    for (const g of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const r = mapClaims('k', idp, { sub: 's', groups: [g, 'admins'] });
      assert.ok(r.ok, g);
      assert.deepEqual(r.identity.roles, ['admin', 'reader'], `group ${g} maps to nothing`);
      const alone = mapClaims('k', idp, { sub: 's', groups: g });
      assert.ok(alone.ok);
      assert.deepEqual(alone.identity.roles, ['reader']);
    }
  });
});
