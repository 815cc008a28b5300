import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ISSUER, PUBLIC_CLIENT, RESOURCE, type Harness } from '../helpers/as-harness.js';
import { ADMIN_CLIENT, ADMIN_RESOURCE, ADMIN_SECRET, api, basic, clientCredentials, MACHINE_CLIENT, MACHINE_SECRET, startAdminHarness } from '../helpers/admin-harness.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';
import { configSchema } from '../../src/config/schema.js';
import { createClientResolver } from '../../src/as/clients/index.js';
import { ConfigError } from '../../src/core/errors.js';

let h: Harness;
before(async () => {
  h = await startAdminHarness();
});
after(() => h.close());

describe('OAuth 2.1 §4.2 client_credentials (as.token.client-credentials)', () => {
  it('issues an RFC 9068 JWT with sub = client_id, no refresh token, a revocable grant, audited', async () => {
    const { res, body } = await clientCredentials(h, { resource: ADMIN_RESOURCE, scope: 'portcullis:admin' });
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(body.refresh_token, undefined);
    assert.equal(body.scope, 'portcullis:admin');
    assert.equal(decodeProtectedHeader(body.access_token as string).typ, 'at+jwt');
    const claims = decodeJwt(body.access_token as string);
    assert.equal(claims.sub, ADMIN_CLIENT);
    assert.equal(claims.client_id, ADMIN_CLIENT);
    assert.equal(claims.aud, ADMIN_RESOURCE);
    assert.equal(claims.iss, ISSUER);
    const grant = await h.store.getGrant(claims.grant_id as string);
    assert.equal(grant?.client_id, ADMIN_CLIENT);
    assert.equal(grant?.revoked_at, null);
    const audit = await h.store.listAudit({ types: ['token.issued'], order: 'desc', limit: 1 });
    assert.equal(JSON.parse(audit[0]!.data).grant_type, 'client_credentials');
    assert.equal(audit[0]!.client_id, ADMIN_CLIENT);
  });

  it('client_secret_post; MCP resource as at /authorize (absent → the one resource); scope limited to the client config', async () => {
    const auth = { client_id: MACHINE_CLIENT, client_secret: MACHINE_SECRET };
    const ok = await clientCredentials(h, auth, '');
    assert.equal(ok.res.status, 200, JSON.stringify(ok.body));
    assert.equal(decodeJwt(ok.body.access_token as string).aud, RESOURCE);
    assert.equal(ok.body.scope, 'notes:read');
    const wider = await clientCredentials(h, { ...auth, scope: 'notes:write' }, '');
    assert.equal(wider.body.error, 'invalid_scope');
    // the admin resource needs portcullis:admin listed in the client's scopes
    const admin = await clientCredentials(h, { ...auth, resource: ADMIN_RESOURCE }, '');
    assert.equal(admin.body.error, 'invalid_scope');
  });

  it('refusals leave the store unchanged: public client, unknown resource, two resources, unknown scope, wrong secret', async () => {
    const before = storeFingerprint(h.store);
    const cases: [Record<string, string>, string, string][] = [
      [{ client_id: PUBLIC_CLIENT }, '', 'unauthorized_client'],
      [{ resource: 'https://elsewhere.example/mcp' }, basic(ADMIN_CLIENT, ADMIN_SECRET), 'invalid_target'],
      [{ resource: ADMIN_RESOURCE, scope: 'notes:read' }, basic(ADMIN_CLIENT, ADMIN_SECRET), 'invalid_scope'],
      [{ resource: ADMIN_RESOURCE, scope: 'bad"scope' }, basic(ADMIN_CLIENT, ADMIN_SECRET), 'invalid_scope'],
      [{ resource: ADMIN_RESOURCE }, basic(ADMIN_CLIENT, 'wrong'), 'invalid_client'],
    ];
    for (const [form, auth, error] of cases) {
      const { res, body } = await clientCredentials(h, form, auth);
      assert.equal(body.error, error, `${JSON.stringify(form)} → ${res.status} ${JSON.stringify(body)}`);
    }
    const two = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(ADMIN_CLIENT, ADMIN_SECRET) }, body: `grant_type=client_credentials&resource=${encodeURIComponent(ADMIN_RESOURCE)}&resource=${encodeURIComponent(RESOURCE)}` });
    assert.equal(((await two.json()) as { error: string }).error, 'invalid_target');
    assert.equal(storeFingerprint(h.store), before);
  });

  it('the admin resource is not a target at /authorize', async () => {
    const u = new URL(`${ISSUER}/authorize`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: PUBLIC_CLIENT, redirect_uri: 'http://127.0.0.1/callback', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', resource: ADMIN_RESOURCE })) u.searchParams.set(k, v);
    const res = await h.request(u.pathname + u.search);
    assert.notEqual(res.status, 200);
    assert.match(res.headers.get('location') ?? '', /error=invalid_target/);
  });

  it('metadata advertises client_credentials; CIMD and registered clients never get it; static misconfiguration fails at start', async () => {
    const meta = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as { grant_types_supported: string[] };
    assert.ok(meta.grant_types_supported.includes('client_credentials'));
    const cfg = (clients: unknown[]) => configSchema.parse({ issuer: ISSUER, dev: true, clients });
    assert.throws(() => createClientResolver(cfg([{ client_id: 'pub', grant_types: ['client_credentials'] }]), { dev: true }), ConfigError);
    assert.throws(() => createClientResolver(cfg([{ client_id: 'web', redirect_uris: [] }]), { dev: true }), ConfigError);
    await h.store.createRegisteredClient({ client_id: 'dcr_cc', client_secret_hash: 'h', metadata: { redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code', 'client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }, client_id_issued_at: h.clock.now, expires_at: h.clock.now + 86_400_000 });
    const withDcr = createClientResolver(configSchema.parse({ issuer: ISSUER, dev: true, registration: { enabled: true } }), { dev: true, store: h.store, clock: h.clock.fn });
    assert.deepEqual((await withDcr.resolve('dcr_cc')).grant_types, ['authorization_code']);
  });
});

describe('issue 9: one standing grant per client, resource and scope, not a grant row per token (as.cc.standing-grant)', () => {
  const grantOf = (token: unknown): string => decodeJwt(token as string).grant_id as string;
  const liveGrants = async (client_id: string) => h.store.listGrants({ user_id: client_id, client_id });

  it('tokens for the same resource and scope share the grant; revoking it refuses them all at once, and the next request starts a new one', async () => {
    const form = { resource: ADMIN_RESOURCE, scope: 'portcullis:admin' };
    const one = await clientCredentials(h, form);
    const two = await clientCredentials(h, form);
    assert.equal(grantOf(two.body.access_token), grantOf(one.body.access_token));
    assert.notEqual(decodeJwt(two.body.access_token as string).jti, decodeJwt(one.body.access_token as string).jti);
    assert.equal((await liveGrants(ADMIN_CLIENT)).filter((g) => g.resource === ADMIN_RESOURCE).length, 1, 'one live grant, however many tokens');
    // every issuance is still audited, each with its own jti
    const audited = await h.store.listAudit({ types: ['token.issued'], order: 'desc', limit: 2 });
    assert.deepEqual(audited.map((r) => JSON.parse(r.data).jti).reverse(), [one.body.access_token, two.body.access_token].map((t) => decodeJwt(t as string).jti));

    const old = grantOf(one.body.access_token);
    assert.equal((await api(h, 'GET', 'grants', { token: one.body.access_token as string })).res.status, 200);
    assert.equal((await api(h, 'DELETE', `grants/${old}`, { token: two.body.access_token as string })).res.status, 200);
    for (const t of [one, two]) assert.equal((await api(h, 'GET', 'grants', { token: t.body.access_token as string })).res.status, 401, 'a token of the revoked grant');
    const three = await clientCredentials(h, form);
    assert.equal(three.res.status, 200);
    assert.notEqual(grantOf(three.body.access_token), old, 'a revoked grant is never reused');
    assert.equal((await api(h, 'GET', 'grants', { token: three.body.access_token as string })).res.status, 200);
  });

  it('another scope or another client gets its own grant', async () => {
    const machine = { client_id: MACHINE_CLIENT, client_secret: MACHINE_SECRET };
    const a = await clientCredentials(h, { ...machine, scope: 'notes:read' }, '');
    const b = await clientCredentials(h, { resource: ADMIN_RESOURCE, scope: 'portcullis:admin' });
    assert.equal(a.res.status, 200);
    assert.notEqual(grantOf(a.body.access_token), grantOf(b.body.access_token));
    assert.equal((await h.store.getGrant(grantOf(a.body.access_token)))?.client_id, MACHINE_CLIENT);
  });
});

describe('issue 9: after a restart the standing grant is found in the store (as.cc.standing-grant)', () => {
  let fresh: Harness;
  const grantOf = (token: unknown): string => decodeJwt(token as string).grant_id as string;
  before(async () => {
    fresh = await startAdminHarness();
  });
  after(() => fresh.close());

  it('a live grant of the same client, resource and scope (scope in any order) is reused; a revoked one is not', async () => {
    const base = { user_id: ADMIN_CLIENT, client_id: ADMIN_CLIENT, resource: ADMIN_RESOURCE, created_at: fresh.clock.now, auth_time: null, revoked_at: null, revoked_reason: null };
    await fresh.store.createGrant({ ...base, id: 'revoked-standing', scope: ['portcullis:admin'] });
    await fresh.store.revokeGrant('revoked-standing', fresh.clock.now, 'test');
    await fresh.store.createGrant({ ...base, id: 'other-resource', resource: RESOURCE, scope: ['portcullis:admin'] });
    await fresh.store.createGrant({ ...base, id: 'kept-standing', scope: ['portcullis:admin'] });
    const { res, body } = await clientCredentials(fresh, { resource: ADMIN_RESOURCE, scope: 'portcullis:admin' });
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(grantOf(body.access_token), 'kept-standing');
  });
});
