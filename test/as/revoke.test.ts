import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, generateKeyPair } from 'jose';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, ISSUER, PUBLIC_CLIENT, RESOURCE, startHarness, type Harness } from '../helpers/as-harness.js';
import { exchange, getCode, tokenRequest } from './flow.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function revoke(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return h.request('/revoke', { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

async function issued(): Promise<{ access: string; refresh: string; grant_id: string }> {
  const { body } = await exchange(h, { scope: 'notes:read' });
  const access = body.access_token as string;
  const grant_id = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).grant_id as string;
  return { access, refresh: body.refresh_token as string, grant_id };
}

async function expectOk(res: Response): Promise<void> {
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(await res.text(), '');
}

describe('RFC 7009 §2.1: revoking a refresh token revokes its grant (as.revoke.refresh)', () => {
  it('the grant, its refresh token and the gateway set are all updated; the refresh token no longer works', async () => {
    const t = await issued();
    await expectOk(await revoke({ token: t.refresh, token_type_hint: 'refresh_token', client_id: PUBLIC_CLIENT }));
    assert.notEqual((await h.store.getGrant(t.grant_id))?.revoked_at, null);
    assert.ok(h.revoked.includes(t.grant_id), 'ctx.onGrantRevoked called');
    const refreshed = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: t.refresh, client_id: PUBLIC_CLIENT });
    assert.equal(refreshed.status, 400);
    assert.equal(((await refreshed.json()) as { error: string }).error, 'invalid_grant');
  });
  it('revoking again is 200 and changes nothing (idempotent)', async () => {
    const t = await issued();
    await expectOk(await revoke({ token: t.refresh, client_id: PUBLIC_CLIENT }));
    const first = await h.store.getGrant(t.grant_id);
    h.clock.advance(1000);
    await expectOk(await revoke({ token: t.refresh, client_id: PUBLIC_CLIENT }));
    assert.deepEqual(await h.store.getGrant(t.grant_id), first);
  });
});

describe('RFC 7009 §2.1: revoking an access token revokes its grant, even after it expired (as.revoke.access)', () => {
  it('a live access token, with a wrong hint (the search extends to every type)', async () => {
    const t = await issued();
    await expectOk(await revoke({ token: t.access, token_type_hint: 'refresh_token', client_id: PUBLIC_CLIENT }));
    assert.equal((await h.store.getGrant(t.grant_id))?.revoked_reason, 'client_revocation');
    assert.equal(await h.store.getRefreshToken(t.refresh), null);
    assert.ok(h.revoked.includes(t.grant_id));
  });
  it('an expired access token, with an unknown hint (ignored)', async () => {
    const t = await issued();
    h.clock.advance(3600_000);
    await expectOk(await revoke({ token: t.access, token_type_hint: 'id_token', client_id: PUBLIC_CLIENT }));
    assert.notEqual((await h.store.getGrant(t.grant_id))?.revoked_at, null);
  });
  it('a JWT signed by a key that is not ours revokes nothing', async () => {
    const t = await issued();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ client_id: PUBLIC_CLIENT, grant_id: t.grant_id, scope: 'notes:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: h.ctx.keys.signingKey().kid })
      .setIssuer(ISSUER).setSubject('user-1').setAudience(RESOURCE).setIssuedAt().setExpirationTime('5m').setJti('x')
      .sign(privateKey);
    await expectOk(await revoke({ token: forged, client_id: PUBLIC_CLIENT }));
    assert.equal((await h.store.getGrant(t.grant_id))?.revoked_at, null);
  });
});

describe('RFC 7009 §2.1: a token of another client gets 200 and nothing is revoked (as.revoke.other-client)', () => {
  it('the confidential client cannot revoke the public client\'s tokens', async () => {
    const t = await issued();
    const auth = { authorization: basic(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET) };
    await expectOk(await revoke({ token: t.refresh }, auth));
    await expectOk(await revoke({ token: t.access }, auth));
    assert.equal((await h.store.getGrant(t.grant_id))?.revoked_at, null);
    assert.ok(!h.revoked.includes(t.grant_id));
  });
});

describe('RFC 7009 §2.2: an unknown or malformed token gets 200 (as.revoke.unknown-token)', () => {
  for (const token of ['no-such-token', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', 'x'.repeat(8000)]) {
    it(`${token.slice(0, 24)}… → 200`, async () => {
      await expectOk(await revoke({ token, client_id: PUBLIC_CLIENT }));
    });
  }
});

describe('RFC 7009 §2.1: client authentication exactly as at /token (as.revoke.client-auth)', () => {
  it('a confidential client revokes its own refresh token with client_secret_basic', async () => {
    const { params, verifier } = await getCode(h, { client_id: CONFIDENTIAL_CLIENT, redirect_uri: 'https://app.example/cb' });
    const auth = { authorization: basic(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET) };
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, redirect_uri: 'https://app.example/cb', resource: RESOURCE }, auth);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { refresh_token: string; access_token: string };
    const grant_id = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()).grant_id as string;
    await expectOk(await revoke({ token: body.refresh_token }, auth));
    assert.notEqual((await h.store.getGrant(grant_id))?.revoked_at, null);
  });
  it('a wrong secret → 401 invalid_client with a Basic challenge; nothing revoked', async () => {
    const t = await issued();
    const res = await revoke({ token: t.refresh }, { authorization: basic(CONFIDENTIAL_CLIENT, 'wrong') });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal((await h.store.getGrant(t.grant_id))?.revoked_at, null);
  });
  it('no client identification at all → 400 invalid_request; an unknown client → 401 invalid_client', async () => {
    const t = await issued();
    const none = await revoke({ token: t.refresh });
    assert.equal(none.status, 400);
    assert.equal(((await none.json()) as { error: string }).error, 'invalid_request');
    const unknown = await revoke({ token: t.refresh, client_id: 'nobody' });
    assert.equal(unknown.status, 401);
    assert.equal((await h.store.getGrant(t.grant_id))?.revoked_at, null);
  });
  it('a confidential client posing as public (client_id only) → 401', async () => {
    const res = await revoke({ token: 'x', client_id: CONFIDENTIAL_CLIENT });
    assert.equal(res.status, 401);
  });
  it('GET → 400 invalid_request', async () => {
    const res = await h.request('/revoke?token=x&client_id=test-public');
    assert.equal(res.status, 400);
  });
});

describe('RFC 8414 §2: metadata advertises the revocation endpoint and its auth methods (as.revoke.metadata)', () => {
  it('revocation_endpoint and revocation_endpoint_auth_methods_supported', async () => {
    const m = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    assert.equal(m.revocation_endpoint, `${ISSUER}/revoke`);
    assert.deepEqual(m.revocation_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  });
});
