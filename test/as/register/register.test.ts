import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startHarness } from '../../helpers/as-harness.js';
import { exchange, getCode, tokenRequest } from '../flow.js';
import { fingerprint } from '../trust/helpers.js';
import { closeAll, dcrHarness, NATIVE, oauthError, register, registered } from './helpers.js';

after(closeAll);

describe('RFC 7591 / issue 3: registration is off by default (as.dcr.off-by-default)', () => {
  it('no route (404) and no registration_endpoint in the metadata', async () => {
    const h = await startHarness();
    after(() => h.close());
    assert.equal((await register(h, NATIVE)).status, 404);
    const meta = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    assert.equal(meta.registration_endpoint, undefined);
  });
  it('when enabled, the metadata advertises it', async () => {
    const h = await dcrHarness();
    const meta = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    assert.equal(meta.registration_endpoint, 'http://127.0.0.1:9999/register');
  });
});

describe('RFC 7591 §3.2.1: 201 with client_id, issue time, expiry and the registered metadata (as.dcr.register)', () => {
  it('a public native client: no secret; unknown members ignored; the client completes the code flow', async () => {
    const h = await dcrHarness({ client_ttl_days: 30 });
    const res = await register(h, { ...NATIVE, unknown_member: 'x', client_secret: 'chosen-by-client' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as Record<string, unknown>;
    const now = Math.floor(h.clock.now / 1000);
    assert.equal(body.client_id_issued_at, now);
    assert.equal(body.client_id_expires_at, now + 30 * 86400);
    assert.equal(body.client_secret, undefined);
    assert.equal(body.unknown_member, undefined);
    assert.deepEqual(body.redirect_uris, NATIVE.redirect_uris);
    assert.deepEqual(body.response_types, ['code']);
    assert.equal(body.application_type, 'native');
    const { res: tokenRes } = await exchange(h, { client_id: body.client_id as string });
    assert.equal(tokenRes.status, 200);
  });
});

describe('CIMD §6.9: generated client_ids never start with https:// (as.dcr.client-id-not-https)', () => {
  it('client_id is an opaque dcr_ value', async () => {
    const h = await dcrHarness();
    const { client_id } = await registered(h);
    assert.match(client_id as string, /^dcr_[A-Za-z0-9_-]{20,}$/);
  });
});

describe('RFC 7591 §2: application_type is required (as.dcr.application-type)', () => {
  for (const [label, value] of [['missing', undefined], ['unknown', 'desktop'], ['wrong type', 1]] as const) {
    it(`${label} → 400 invalid_client_metadata, store unchanged`, async () => {
      const h = await dcrHarness();
      const before = fingerprint(h);
      const res = await register(h, { ...NATIVE, application_type: value });
      assert.equal(res.status, 400);
      assert.equal(await oauthError(res), 'invalid_client_metadata');
      assert.equal(fingerprint(h), before);
    });
  }
});

describe('RFC 7591 §2 / [SEC] Communication Security: redirect URIs https or loopback http (as.dcr.redirect-uris)', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>?]> = [
    ['web with loopback http', { application_type: 'web', redirect_uris: ['http://127.0.0.1/cb'] }],
    ['native with http on a public host', { redirect_uris: ['http://app.example/cb'] }],
    ['a custom scheme', { redirect_uris: ['com.example.app:/cb'] }],
    ['a fragment', { redirect_uris: ['https://app.example/cb#x'] }],
    ['userinfo', { redirect_uris: ['https://user:pw@app.example/cb'] }],
    ['none at all', { redirect_uris: [] }],
    ['a host outside allowed_redirect_hosts', { redirect_uris: ['https://other.example/cb'] }, { allowed_redirect_hosts: ['*.corp.example', '127.0.0.1'] }],
    ['a host denied by the trust policy', { redirect_uris: ['https://evil.example/cb'] }],
  ];
  for (const [label, patch, reg] of cases) {
    it(`${label} → 400 invalid_redirect_uri, store unchanged`, async () => {
      const h = await dcrHarness(reg ?? {}, { trust: { denied_hosts: ['evil.example'] } });
      const before = fingerprint(h);
      const res = await register(h, { ...NATIVE, ...patch });
      assert.equal(res.status, 400);
      assert.equal(await oauthError(res), 'invalid_redirect_uri');
      assert.equal(fingerprint(h), before);
    });
  }
  it('allowed: web https on an allowed host; native loopback when loopback is allowed', async () => {
    const h = await dcrHarness({ allowed_redirect_hosts: ['*.corp.example', '127.0.0.1'] });
    assert.equal((await register(h, { ...NATIVE, application_type: 'web', redirect_uris: ['https://app.corp.example/cb'] })).status, 201);
    assert.equal((await register(h, NATIVE)).status, 201);
  });
});

describe('RFC 7591 §2 / OAuth 2.1 §2.4: authentication methods; a secret is shown once and stored hashed (as.dcr.auth-methods)', () => {
  it('client_secret_basic: secret with client_secret_expires_at; only its hash is stored; it authenticates at /token', async () => {
    const h = await dcrHarness();
    const body = await registered(h, { ...NATIVE, application_type: 'web', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_basic' });
    const client_id = body.client_id as string;
    const secret = body.client_secret as string;
    assert.ok(secret.length >= 40);
    assert.equal(body.client_secret_expires_at, body.client_id_expires_at);
    const rec = await h.store.getRegisteredClient(client_id);
    assert.ok(rec?.client_secret_hash && rec.client_secret_hash !== secret);
    assert.ok(!JSON.stringify(rec).includes(secret));
    const { params, verifier } = await getCode(h, { client_id, redirect_uri: 'https://app.example/cb' });
    const basic = (s: string) => ({ authorization: `Basic ${Buffer.from(`${client_id}:${s}`).toString('base64')}` });
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, redirect_uri: 'https://app.example/cb' }, basic(secret));
    assert.equal(res.status, 200);
    assert.equal((await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: 'x' }, basic('nope'))).status, 401);
  });
  it('the RFC 7591 default method is client_secret_basic', async () => {
    const h = await dcrHarness();
    const { token_endpoint_auth_method: _omit, ...rest } = NATIVE;
    const body = await registered(h, rest);
    assert.equal(body.token_endpoint_auth_method, 'client_secret_basic');
    assert.ok(body.client_secret);
  });
  for (const [label, patch] of [
    ['private_key_jwt without keys', { token_endpoint_auth_method: 'private_key_jwt' }],
    ['a private key in jwks', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret' }] } }],
    ['an unsupported method', { token_endpoint_auth_method: 'client_secret_jwt' }],
    ['jwks and jwks_uri together', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC' }] }, jwks_uri: 'https://app.example/jwks' }],
    ['no authorization_code grant', { grant_types: ['client_credentials'] }],
  ] as const) {
    it(`${label} → 400 invalid_client_metadata`, async () => {
      const h = await dcrHarness();
      const before = fingerprint(h);
      const res = await register(h, { ...NATIVE, ...patch });
      assert.equal(res.status, 400);
      assert.equal(await oauthError(res), 'invalid_client_metadata');
      assert.equal(fingerprint(h), before);
    });
  }
});
