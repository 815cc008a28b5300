/**
 * Issue 4 item 3: users sign in through an upstream OpenID Provider — a REAL oidc-provider started here, dressed
 * as Entra ID (templated tenant issuer, `resource` refused with AADSTS9010010, no DCR) and as Google — then go on
 * to consent and tokens exactly as after a password sign-in. Every bad callback ends on an error page (never a
 * redirect to the MCP client), writes nothing, and is audited with its reason.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startHarness, ISSUER, RESOURCE, PUBLIC_CLIENT, type Harness } from '../../helpers/as-harness.js';
import { IDP_CLIENT_ID, IDP_CLIENT_SECRET, type TestIdp } from '../../helpers/oidc-idp.js';
import { tokenRequest } from '../flow.js';
import { browser, CLIENT_REDIRECT, expectRefused, finish, startIdp, toCallback, upstreamAudits, type AtCallback } from './driver.js';

const TENANT_A = '9188040d-6c67-4c5b-b112-36a304b66dad';
const TENANT_B = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const PKJWT_CLIENT = 'portcullis-pkjwt';
const PKJWT_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('upstream OIDC login (issue 4 item 3)', () => {
  let entra: TestIdp;
  let google: TestIdp;
  let h: Harness;

  before(async () => {
    entra = await startIdp('entra', {
      tenants: [TENANT_A, TENANT_B],
      accounts: { carol: { email: 'carol@contoso.example', groups: ['g-mcp-admins', 'g-other'] } },
    });
    google = await startIdp('google', {
      extraClients: [{ client_id: PKJWT_CLIENT, redirect_uris: [`${ISSUER}/login/callback/google`], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [{ ...PKJWT_KEY.publicKey.export({ format: 'jwk' }), kid: 'k1' }] } }],
    });
    h = await startHarness({
      roles: { admin: ['notes:read', 'notes:write'], reader: ['notes:read'] },
      login: {
        upstream_idps: [
          {
            id: 'entra',
            display_name: 'Microsoft',
            issuer: entra.configuredIssuer,
            client_id: IDP_CLIENT_ID,
            client_secret_env: 'TEST_IDP_SECRET',
            allowed_tenants: [TENANT_A],
            claims: { groups: 'groups' },
            group_roles: { 'g-mcp-admins': ['admin'] },
            default_roles: ['reader'],
          },
          { id: 'google', display_name: 'Google', issuer: google.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET', token_endpoint_auth_method: 'client_secret_post' },
        ],
      },
    });
  });
  after(async () => {
    await h?.close();
    await entra?.close();
    await google?.close();
  });

  const audits = (type: string) => upstreamAudits(h, type);
  const lastFailure = async () => (await audits('login.upstream.failure'))[0]?.data;
  const userCount = async () => (await h.store.listUsers()).length;
  const refused = (at: AtCallback, callback: URL, status: number, reason: string) => expectRefused(h, at, callback, status, reason);

  test('Entra shape: templated tenant issuer, no resource upstream, JIT user with roles from groups, then consent and tokens (as.federation.upstream-login, as.federation.entra-tenant, as.federation.pkce-state-nonce, as.federation.jit-provisioning)', async () => {
    const at = await toCallback(h, 'entra', 'carol');
    // what the IdP was asked: PKCE S256, state, nonce, our static client — and no RFC 8707 resource
    const q = at.upstreamAuthorize.searchParams;
    assert.equal(q.get('client_id'), IDP_CLIENT_ID);
    assert.equal(q.get('redirect_uri'), `${ISSUER}/login/callback/entra`);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((q.get('state') ?? '').length >= 32 && (q.get('nonce') ?? '').length >= 32);
    assert.equal(q.get('scope'), 'openid email profile');
    assert.equal(q.has('resource'), false, 'Entra refuses resource (AADSTS9010010): never sent by default');
    assert.equal(at.upstreamAuthorize.origin + at.upstreamAuthorize.pathname, `${entra.origin}/common/oauth2/v2.0/authorize`);
    assert.equal(at.callback.searchParams.get('iss'), `${entra.origin}/${TENANT_A}/v2.0`, 'the tenant issuer in the response (RFC 9207)');

    const { location, consentHtml } = await finish(at);
    assert.match(consentHtml!, /Public test client/);
    assert.ok(location, 'a code for the MCP client');
    assert.equal(location.origin + location.pathname, CLIENT_REDIRECT);
    assert.equal(location.searchParams.get('iss'), ISSUER);
    const tok = entra.tokenRequests.at(-1)!;
    assert.equal(tok.get('code_verifier')?.length, 43, 'the PKCE verifier went to the IdP token endpoint');
    assert.equal(tok.has('resource'), false);
    assert.equal(tok.has('client_secret'), false, 'client_secret_basic: the secret in the Authorization header only');

    // the user: linked by (tenant issuer, sub), username not from the unverified Entra email, roles from groups
    const link = await h.store.getUserIdentity(`${entra.origin}/${TENANT_A}/v2.0`, 'carol');
    assert.ok(link, `identity linked under the tenant issuer: ${JSON.stringify((await audits('login.upstream.success'))[0])}`);
    assert.equal(link.email, null, 'an unverified email is not kept (never re-asserted downstream: review.federation.unverified-email-not-asserted)');
    const user = (await h.store.getUser(link.user_id))!;
    assert.equal(user.username, 'entra:carol', 'an unverified email is never the username');
    assert.equal(user.password_hash, '');
    assert.deepEqual(user.roles, ['admin', 'reader']);
    const ok = (await audits('login.upstream.success'))[0]!;
    assert.equal(ok.data.idp, 'entra');
    assert.equal(ok.data.tenant, TENANT_A);
    assert.equal(ok.data.provisioned, true);
    assert.equal(ok.user_id, user.id);

    // the MCP client redeems its code as after any sign-in
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: location.searchParams.get('code')!, code_verifier: at.verifier, redirect_uri: CLIENT_REDIRECT, client_id: PUBLIC_CLIENT, resource: RESOURCE });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(body.access_token as string).sub, user.id);
    at.b.seen.push(JSON.stringify(body));

    // the IdP's tokens never reach the MCP client or the browser (as.federation.no-upstream-token-leak)
    assert.ok(entra.issuedTokens.length >= 2);
    const everything = at.b.seen.join('\n');
    for (const t of entra.issuedTokens) {
      assert.ok(!everything.includes(t), 'an upstream token appeared in a Portcullis response');
      assert.ok(!everything.includes(t.split('.')[2] ?? t), 'an upstream token signature appeared in a Portcullis response');
    }
  });

  test('the IdP tokens are never in any client-visible response nor stored (as.federation.no-upstream-token-leak)', async () => {
    const at = await toCallback(h, 'google', 'gina');
    const { location } = await finish(at);
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: location!.searchParams.get('code')!, code_verifier: at.verifier, redirect_uri: CLIENT_REDIRECT, client_id: PUBLIC_CLIENT, resource: RESOURCE });
    at.b.seen.push(await res.text());
    const everything = at.b.seen.join('\n');
    const audit = JSON.stringify(await h.store.listAudit({ limit: 1000 }));
    const identities = JSON.stringify(await h.store.listUserIdentities((await h.store.getUserByName('gina@example.test'))!.id));
    assert.ok(google.issuedTokens.length >= 2);
    for (const t of google.issuedTokens) {
      for (const where of [everything, audit, identities]) assert.ok(!where.includes(t) && !where.includes(t.split('.')[2] ?? t));
    }
  });

  test('Google shape: verified email becomes the username; a second sign-in finds the same user (as.federation.upstream-login, as.federation.jit-provisioning)', async () => {
    const first = await finish(await toCallback(h, 'google', 'gus'));
    assert.ok(first.location?.searchParams.get('code'));
    assert.equal(google.tokenRequests.at(-1)!.get('client_secret'), IDP_CLIENT_SECRET, 'client_secret_post as configured');
    const user = await h.store.getUserByName('gus@example.test');
    assert.ok(user, 'username from the verified email');
    const users = await userCount();
    const again = await finish(await toCallback(h, 'google', 'gus'));
    assert.ok(again.location?.searchParams.get('code'));
    assert.equal(await userCount(), users, 'no second user');
    const ok = (await audits('login.upstream.success'))[0]!;
    assert.equal(ok.data.provisioned, false);
    assert.equal(ok.user_id, user.id);
  });

  test('roles are re-synced from the groups at every sign-in (as.federation.jit-provisioning)', async () => {
    entra.accounts.dave = { email: 'dave@contoso.example', groups: ['g-mcp-admins'] };
    await finish(await toCallback(h, 'entra', 'dave'));
    const link = (await h.store.getUserIdentity(`${entra.origin}/${TENANT_A}/v2.0`, 'dave'))!;
    assert.deepEqual((await h.store.getUser(link.user_id))!.roles, ['admin', 'reader']);
    entra.accounts.dave = { email: 'dave@contoso.example', groups: [] };
    await finish(await toCallback(h, 'entra', 'dave'));
    assert.deepEqual((await h.store.getUser(link.user_id))!.roles, ['reader'], 'admin removed with the group');
    assert.equal((await audits('login.upstream.success'))[0]!.data.roles_changed, true);
  });

  test('a federated user can never sign in with a password (as.federation.no-password-for-federated)', async () => {
    await finish(await toCallback(h, 'google', 'paula'));
    const b = browser(h);
    const { pkcePair } = await import('../../helpers/as-harness.js');
    const { authorizeUrl } = await import('../flow.js');
    const start = await b.get(authorizeUrl(pkcePair().challenge, { redirect_uri: CLIENT_REDIRECT }));
    const page = await (await b.get(new URL(start.headers.get('location')!, ISSUER).href)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    for (const password of ['', 'x', '$argon2id$']) {
      const res = await b.get(`${start.headers.get('location')}/login`, {
        method: 'POST',
        body: new URLSearchParams({ csrf, username: 'paula@example.test', password }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER },
      });
      assert.equal(res.status, 401, 'refused');
      assert.equal(res.headers.get('location'), null);
    }
  });

  test('RFC 8707 resource is sent upstream only when configured, and Entra’s AADSTS9010010 refusal is an error page, never a redirect to the MCP client (as.federation.no-resource-upstream, as.federation.idp-error-page)', async () => {
    process.env.TEST_IDP_SECRET = IDP_CLIENT_SECRET;
    const h2 = await startHarness({
      login: { upstream_idps: [{ id: 'entra', issuer: entra.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET', allowed_tenants: [TENANT_A], send_resource_parameter: true, resource: 'https://graph.microsoft.com' }] },
    });
    try {
      const at = await toCallback(h2, 'entra', 'carol');
      assert.equal(at.upstreamAuthorize.searchParams.get('resource'), 'https://graph.microsoft.com');
      assert.equal(at.callback.searchParams.get('error'), 'invalid_target');
      const res = await at.b.get(at.callback.href);
      const html = await res.text();
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(html, /AADSTS9010010/);
      assert.match(html, /invalid_target/);
      const failure = JSON.parse((await h2.store.listAudit({ types: ['login.upstream.failure'], limit: 1, order: 'desc' }))[0]!.data) as Record<string, unknown>;
      assert.equal(failure.reason, 'idp_error');
      assert.equal(failure.aadsts, 'AADSTS9010010');
      // the authorization request is still open: the user may try again (here: the interaction page answers)
      assert.equal((await at.b.get(at.interactionUrl)).status, 200);
    } finally {
      await h2.close();
    }
  });

  test('an IdP error (login_required) is an error page and audited (as.federation.idp-error-page)', async () => {
    entra.mutateAuthorize = (q) => q.set('prompt', 'none');
    try {
      const at = await toCallback(h, 'entra', 'carol');
      assert.equal(at.callback.searchParams.get('error'), 'login_required');
      const html = await refused(at, at.callback, 400, 'idp_error');
      assert.match(html, /login_required/);
      assert.equal((await lastFailure())!.error, 'login_required');
    } finally {
      entra.mutateAuthorize = null;
    }
  });

  test('state: missing, unknown, replayed or from another browser is refused (as.federation.state-single-use)', async () => {
    const at = await toCallback(h, 'google', 'sam');
    const noState = new URL(at.callback);
    noState.searchParams.delete('state');
    await refused(at, noState, 400, 'state_missing');
    const forged = new URL(at.callback);
    forged.searchParams.set('state', 'forged-state-value-0123456789abcdef');
    await refused(at, forged, 400, 'state_unknown');
    // the same callback in another browser (no interaction cookie / another interaction): refused, and consumed
    const other = browser(h);
    const res = await other.get(at.callback.href);
    assert.equal(res.status, 400);
    assert.equal((await lastFailure())!.reason, 'no_interaction');
    const otherAt = await toCallback(h, 'google', 'sam');
    const stolen = await otherAt.b.get(at.callback.href);
    assert.equal(stolen.status, 400, 'state bound to the interaction that started it');
    assert.equal((await lastFailure())!.reason, 'state_mismatch');
    await refused(at, at.callback, 400, 'state_unknown');
    // a good callback works once; replayed, it is refused
    const fresh = await toCallback(h, 'google', 'sam');
    const ok = await fresh.b.get(fresh.callback.href);
    assert.equal(ok.status, 303);
    await refused(fresh, fresh.callback, 400, 'state_unknown');
  });

  test('RFC 9207: an authorization response iss other than the IdP’s is refused (as.federation.iss-rfc9207)', async () => {
    const at = await toCallback(h, 'google', 'ivy');
    const mixed = new URL(at.callback);
    mixed.searchParams.set('iss', 'https://attacker.example');
    await refused(at, mixed, 400, 'iss_mismatch');
    const at2 = await toCallback(h, 'entra', 'carol');
    const otherTenant = new URL(at2.callback);
    otherTenant.searchParams.set('iss', `${entra.origin}/${TENANT_B}/v2.0`);
    await refused(at2, otherTenant, 403, 'tenant_not_allowed');
  });

  test('ID token: wrong iss, wrong aud, nonce mismatch, expired, bad signature are each refused (as.federation.id-token-validation)', async () => {
    const cases: Array<[string, () => void, string]> = [
      ['wrong iss', () => (google.tamperIdToken = (c) => ({ ...c, iss: 'https://accounts.google.com' })), 'iss_mismatch'],
      ['wrong aud', () => (google.tamperIdToken = (c) => ({ ...c, aud: 'another-client' })), 'aud_mismatch'],
      ['expired', () => (google.tamperIdToken = (c) => ({ ...c, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })), 'id_token_expired'],
      ['bad signature', () => (google.tamperWithForeignKey = true), 'signature_invalid'],
      ['nonce mismatch', () => (google.mutateAuthorize = (q) => q.set('nonce', 'nonce-chosen-by-someone-else-0123456789')), 'nonce_mismatch'],
    ];
    for (const [name, arrange, reason] of cases) {
      const at = await (async () => {
        arrange();
        try {
          return await toCallback(h, 'google', 'victor');
        } finally {
          if (name === 'nonce mismatch') google.mutateAuthorize = null;
        }
      })();
      try {
        await refused(at, at.callback, 400, reason);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
      } finally {
        google.tamperIdToken = null;
        google.tamperWithForeignKey = false;
      }
    }
    assert.equal(await h.store.getUserByName('victor@example.test'), null);
  });

  test('Entra: a tenant not in allowed_tenants is refused, and so is an ID token whose iss is not its own tenant’s (as.federation.entra-tenant)', async () => {
    entra.tenant = TENANT_B;
    try {
      const at = await toCallback(h, 'entra', 'mallory');
      assert.equal(at.callback.searchParams.get('iss'), `${entra.origin}/${TENANT_B}/v2.0`);
      await refused(at, at.callback, 403, 'tenant_not_allowed');
    } finally {
      entra.tenant = TENANT_A;
    }
    // a token from tenant A claiming tenant B's tid (or the reverse): iss must be the template with the token's tid
    entra.tamperIdToken = (c) => ({ ...c, tid: TENANT_B });
    try {
      const at = await toCallback(h, 'entra', 'carol');
      const noIss = new URL(at.callback);
      noIss.searchParams.delete('iss');
      await refused(at, noIss, 400, 'iss_mismatch');
    } finally {
      entra.tamperIdToken = null;
    }
  });

  test('private_key_jwt toward the IdP: a signed client assertion from a PEM key file, no secret (as.federation.config, as.federation.upstream-login)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-pkjwt-'));
    const keyFile = join(dir, 'idp-client.pem');
    writeFileSync(keyFile, PKJWT_KEY.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const h4 = await startHarness({ login: { upstream_idps: [{ id: 'google', issuer: google.configuredIssuer, client_id: PKJWT_CLIENT, token_endpoint_auth_method: 'private_key_jwt', private_key_file: keyFile, private_key_alg: 'ES256', private_key_kid: 'k1', private_key_x5t: 'dGh1bWJwcmludA' }] } });
    try {
      const { location } = await finish(await toCallback(h4, 'google', 'kim'));
      assert.ok(location?.searchParams.get('code'), `signed in: ${(await h4.store.listAudit({ types: ['login.upstream.failure'], limit: 1, order: 'desc' }))[0]?.data}`);
      const form = google.tokenRequests.at(-1)!;
      assert.equal(form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      const { decodeProtectedHeader } = await import('jose');
      const header = decodeProtectedHeader(form.get('client_assertion')!);
      assert.deepEqual([header.alg, header.kid, header.x5t], ['ES256', 'k1', 'dGh1bWJwcmludA']);
      assert.equal(form.has('client_secret'), false);
    } finally {
      await h4.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a disabled user, and with JIT provisioning off an unknown identity, are refused; login.password: false refuses passwords (as.federation.jit-provisioning, as.federation.no-password-for-federated)', async () => {
    await finish(await toCallback(h, 'google', 'dora'));
    const dora = (await h.store.getUserByName('dora@example.test'))!;
    await h.store.setUserDisabled(dora.id, true);
    const at = await toCallback(h, 'google', 'dora');
    await refused(at, at.callback, 403, 'user_disabled');

    const h3 = await startHarness({ login: { password: false, upstream_idps: [{ id: 'google', issuer: google.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET', jit_provisioning: false }] } });
    try {
      const at3 = await toCallback(h3, 'google', 'nobody');
      const users = (await h3.store.listUsers()).length;
      const res = await at3.b.get(at3.callback.href);
      assert.equal(res.status, 403);
      assert.equal((await h3.store.listUsers()).length, users, 'nobody created');
      const failure = JSON.parse((await h3.store.listAudit({ types: ['login.upstream.failure'], limit: 1, order: 'desc' }))[0]!.data) as Record<string, unknown>;
      assert.equal(failure.reason, 'not_provisioned');
      // login.password: false — the page offers only the IdP, and a posted password is refused
      const page = await (await at3.b.get(at3.interactionUrl)).text();
      assert.doesNotMatch(page, /name="password"/);
      assert.match(page, /Sign in with google/);
      const csrf = decodeURIComponent(/csrf=([^"&]+)/.exec(page)![1]!);
      const posted = await at3.b.get(`${at3.interactionUrl}/login`, {
        method: 'POST',
        body: new URLSearchParams({ csrf, username: 'alice', password: 'alice-password' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER },
      });
      assert.equal(posted.status, 401, 'the right local password is refused too');
      assert.ok(!posted.headers.getSetCookie().some((c) => /session/.test(c)));
    } finally {
      await h3.close();
    }
  });
});
