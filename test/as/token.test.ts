import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, ISSUER, PUBLIC_CLIENT, RESOURCE, startHarness, type Harness } from '../helpers/as-harness.js';
import { exchange, getCode, tokenRequest } from './flow.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

describe('RFC 9068 §2: access tokens are JWTs bound to one resource (as.token.jwt-profile)', () => {
  it('header typ at+jwt, ES256; claims iss, aud=resource, sub, client_id, scope, exp=iat+600, jti', async () => {
    const { res, body } = await exchange(h, { scope: 'notes:read' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('content-type')!, /application\/json/);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 600);
    assert.equal(body.scope, 'notes:read');
    const header = decodeProtectedHeader(body.access_token as string);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    const claims = decodeJwt(body.access_token as string);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.aud, RESOURCE);
    assert.equal(claims.sub, 'user-1');
    assert.equal(claims.client_id, PUBLIC_CLIENT);
    assert.equal(claims.exp! - claims.iat!, 600);
    assert.ok(claims.jti);
    assert.ok(typeof body.refresh_token === 'string');
  });
});

describe('OAuth 2.1 §4.1.3 / RFC 7636 §4.6: PKCE verified at the token endpoint (as.token.pkce)', () => {
  it('wrong code_verifier → invalid_grant', async () => {
    const { params, redirect_uri } = await getCode(h);
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: 'w'.repeat(43), redirect_uri, client_id: PUBLIC_CLIENT });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });
  it('missing code_verifier → invalid_request', async () => {
    const { params, redirect_uri } = await getCode(h);
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri, client_id: PUBLIC_CLIENT });
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
  });
});

describe('OAuth 2.1 §4.1.3 / §7.5.3: a code is single-use; reuse revokes what it issued (as.token.code-single-use)', () => {
  it('second redemption → invalid_grant, grant revoked, refresh token dead', async () => {
    const first = await exchange(h);
    assert.equal(first.res.status, 200);
    const again = await tokenRequest(h, { grant_type: 'authorization_code', code: first.code, code_verifier: first.verifier, redirect_uri: 'http://127.0.0.1:53111/callback', client_id: PUBLIC_CLIENT });
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
    const gid = decodeJwt(first.body.access_token as string).grant_id as string;
    assert.ok(h.revoked.includes(gid));
    const refresh = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string, client_id: PUBLIC_CLIENT });
    assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant');
  });
  it('an expired code → invalid_grant', async () => {
    const { params, verifier, redirect_uri } = await getCode(h);
    h.clock.advance(61_000);
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, redirect_uri, client_id: PUBLIC_CLIENT });
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });
  it('redirect_uri differing from the authorization request → invalid_grant', async () => {
    const { params, verifier } = await getCode(h);
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, redirect_uri: 'http://127.0.0.1:1/callback', client_id: PUBLIC_CLIENT });
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });
  it('resource differing from the authorization → invalid_target (RFC 8707 §2.2)', async () => {
    const { params, verifier, redirect_uri } = await getCode(h);
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, redirect_uri, client_id: PUBLIC_CLIENT, resource: `${ISSUER}/other` });
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_target');
  });
});

describe('ARCHITECTURE "Tokens": refresh rotation, reuse detection, grace replay (as.token.refresh-rotation)', () => {
  it('rotation returns a new pair; retry within grace gets the same pair; reuse after grace revokes the grant', async () => {
    const { body } = await exchange(h);
    const rt1 = body.refresh_token as string;
    const r1 = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: rt1, client_id: PUBLIC_CLIENT, resource: RESOURCE });
    assert.equal(r1.status, 200);
    assert.equal(r1.headers.get('cache-control'), 'no-store');
    const b1 = (await r1.json()) as Record<string, string>;
    assert.notEqual(b1.refresh_token, rt1);
    h.clock.advance(5_000);
    const retry = (await (await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: rt1, client_id: PUBLIC_CLIENT })).json()) as Record<string, string>;
    assert.deepEqual(retry, b1);
    h.clock.advance(10_000);
    const reuse = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: rt1, client_id: PUBLIC_CLIENT });
    assert.equal(((await reuse.json()) as { error: string }).error, 'invalid_grant');
    const next = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: b1.refresh_token!, client_id: PUBLIC_CLIENT });
    assert.equal(((await next.json()) as { error: string }).error, 'invalid_grant', 'the whole grant is revoked');
  });
  it('N concurrent refreshes yield one rotation (all get the same pair)', async () => {
    const { body } = await exchange(h);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => tokenRequest(h, { grant_type: 'refresh_token', refresh_token: body.refresh_token as string, client_id: PUBLIC_CLIENT }).then((r) => r.json() as Promise<Record<string, string>>)),
    );
    assert.equal(new Set(results.map((r) => r.refresh_token)).size, 1);
  });
  it('a refresh may narrow the scope but never widen it (OAuth 2.1 §4.3.1)', async () => {
    const { body } = await exchange(h, { scope: 'notes:read' });
    const wider = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: body.refresh_token as string, client_id: PUBLIC_CLIENT, scope: 'notes:read notes:write' });
    assert.equal(((await wider.json()) as { error: string }).error, 'invalid_scope');
  });
  it('a refresh token used by another client → invalid_grant and nothing rotated', async () => {
    const { body } = await exchange(h);
    const basic = Buffer.from(`${CONFIDENTIAL_CLIENT}:${CONFIDENTIAL_SECRET}`).toString('base64');
    const other = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: body.refresh_token as string }, { authorization: `Basic ${basic}` });
    assert.equal(((await other.json()) as { error: string }).error, 'invalid_grant');
    const own = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: body.refresh_token as string, client_id: PUBLIC_CLIENT });
    assert.equal(own.status, 200);
  });
});

describe('OAuth 2.1 §2.4 client authentication (as.token.client-auth)', () => {
  it('client_secret_basic with a wrong secret → 401 invalid_client with WWW-Authenticate Basic', async () => {
    const basic = Buffer.from(`${CONFIDENTIAL_CLIENT}:wrong`).toString('base64');
    const res = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: `Basic ${basic}` });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /^Basic/);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  });
  it('client_secret_post for a client registered with client_secret_basic → invalid_client', async () => {
    const res = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: 'x', client_id: CONFIDENTIAL_CLIENT, client_secret: CONFIDENTIAL_SECRET });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  });
  it('two authentication methods at once → invalid_request', async () => {
    const basic = Buffer.from(`${CONFIDENTIAL_CLIENT}:${CONFIDENTIAL_SECRET}`).toString('base64');
    const res = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: 'x', client_secret: 'y' }, { authorization: `Basic ${basic}` });
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
  });
  it('unknown grant_type → unsupported_grant_type; GET → invalid_request', async () => {
    const res = await tokenRequest(h, { grant_type: 'password', username: 'a', password: 'b', client_id: PUBLIC_CLIENT });
    assert.equal(((await res.json()) as { error: string }).error, 'unsupported_grant_type');
    const get = await h.request('/token');
    assert.equal(get.status, 400);
  });
});

describe('OAuth 2.1 §2.4.1 client_secret_post and RFC 7523 private_key_jwt succeed for clients registered with them (as.token.client-auth)', () => {
  it('client_secret_post: a code redeemed with the secret in the body', async () => {
    process.env.TEST_POST_SECRET = 'post-secret-value-123';
    const t = await startHarness({
      clients: [{ client_id: 'post-client', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_post', client_secret_env: 'TEST_POST_SECRET' }],
    });
    try {
      const { params, verifier } = await getCode(t, { client_id: 'post-client', redirect_uri: 'https://app.example/cb' });
      const base = { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, redirect_uri: 'https://app.example/cb', client_id: 'post-client' };
      const wrong = await tokenRequest(t, { ...base, client_secret: 'nope' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get('www-authenticate'), null, 'no Basic challenge when Basic was not used');
      const ok = await tokenRequest(t, { ...base, client_secret: 'post-secret-value-123' });
      assert.equal(ok.status, 200);
    } finally {
      await t.close();
    }
  });
  it('private_key_jwt: a signed assertion is accepted once; a replayed jti or a foreign key is refused', async () => {
    const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const t = await startHarness({
      clients: [{ client_id: 'jwt-client', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } }],
    });
    try {
      const assertion = (key = privateKey, jti = crypto.randomUUID()) =>
        new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('jwt-client').setSubject('jwt-client').setAudience(ISSUER).setIssuedAt(Math.floor(t.clock.now / 1000)).setExpirationTime(Math.floor(t.clock.now / 1000) + 60).setJti(jti).sign(key);
      const type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
      const { params, verifier } = await getCode(t, { client_id: 'jwt-client', redirect_uri: 'https://app.example/cb' });
      const base = { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, redirect_uri: 'https://app.example/cb', client_assertion_type: type };
      const foreign = (await generateKeyPair('ES256')).privateKey;
      assert.equal((await tokenRequest(t, { ...base, client_assertion: await assertion(foreign) })).status, 401);
      const a = await assertion();
      const ok = await tokenRequest(t, { ...base, client_assertion: a });
      assert.equal(ok.status, 200);
      const replay = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: ((await ok.json()) as { refresh_token: string }).refresh_token, client_assertion_type: type, client_assertion: a });
      assert.equal(replay.status, 401, 'a client assertion is single-use (as.client.assertion-jti-replay)');
    } finally {
      await t.close();
    }
  });
});
