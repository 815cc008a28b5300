/**
 * Issue 10 attack suite — the token endpoint (OAuth 2.1 §3.2, §4.1.3, §4.3; RFC 7636 §4.6; RFC 8707; RFC 7523
 * §3). Each case asserts the exact OAuth error and status, Cache-Control: no-store, nothing stored (or, for
 * replays, the grant revoked and the reuse audited). `[bites: <control>]`: see scripts/mutation-run.mjs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import {
  authorizeCode,
  basicAuth,
  CONFIDENTIAL_CLIENT,
  CONFIDENTIAL_SECRET,
  expectInvalidToken,
  expectOAuthError,
  form,
  JWT_CLIENT,
  mcp,
  obtainTokens,
  OTHER_PUBLIC_CLIENT,
  postToken,
  PUBLIC_CLIENT,
  refusedWithoutWrite,
  startTarget,
  toolsCall,
  type AttackTarget,
} from './harness.js';

let t: AttackTarget;
before(async () => {
  t = await startTarget();
});
after(() => t.close());

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

async function refusedAtToken(body: URLSearchParams, status: number, error: string, headers: Record<string, string> = {}): Promise<{ body: Record<string, unknown>; res: Response }> {
  const { result } = await refusedWithoutWrite(t, () => postToken(t, body, headers));
  assert.equal(result.headers.get('cache-control'), 'no-store');
  const res = result.clone();
  return { body: await expectOAuthError(result, status, error), res };
}

const codeForm = (c: { code: string; verifier: string; redirect_uri: string }, o: Record<string, string | undefined> = {}): URLSearchParams =>
  form({ grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: c.redirect_uri, client_id: PUBLIC_CLIENT, resource: t.resource, ...o });

/** a client assertion for JWT_CLIENT (RFC 7523 §3), every claim overridable */
async function clientAssertion(o: Record<string, unknown> = {}, key = t.clientKey.privateKey, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(t.clock.now / 1000);
  const claims: Record<string, unknown> = { iss: JWT_CLIENT, sub: JWT_CLIENT, aud: t.issuer, iat: now, exp: now + 60, jti: `a-${Math.random()}`, ...o };
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'atk-client-key', ...header } as { alg: string }).sign(key);
}

const ccForm = (assertion: string): URLSearchParams => form({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, resource: t.resource, scope: 'notes:read' });

describe('attack: authorization code theft and misuse at /token (OAuth 2.1 §4.1.3; RFC 7636 §4.6; RFC 8707 §2.2)', () => {
  it('code replay: the second redemption is refused and revokes the grant, the first token dies (as.token.code-single-use) [bites: token.code-single-use]', async () => {
    const c = await authorizeCode(t);
    const first = await postToken(t, codeForm(c));
    const tokens = (await first.json()) as { access_token: string };
    assert.equal(first.status, 200);
    const before = t.upstream.length;
    const replay = await postToken(t, codeForm(c));
    await expectOAuthError(replay, 400, 'invalid_grant');
    const [reuse] = await t.store.listAudit({ types: ['code.reuse_detected'], order: 'desc', limit: 1 });
    assert.ok(reuse, 'code.reuse_detected audited');
    const grant = await t.store.getGrant(decodeJwt(tokens.access_token).grant_id as string);
    assert.ok(grant?.revoked_at, 'grant revoked');
    await expectInvalidToken(t, await mcp(t, tokens.access_token, toolsCall('list_notes')), before);
  });

  it('a code redeemed by another client is refused and stays usable by its own client (as.token.code-client-binding) [bites: token.code-client-binding]', async () => {
    const c = await authorizeCode(t);
    await refusedAtToken(codeForm(c, { client_id: OTHER_PUBLIC_CLIENT }), 400, 'invalid_grant');
    const own = await postToken(t, codeForm(c));
    assert.equal(own.status, 200, 'the refused attempt did not consume the code');
  });

  it('code_verifier that does not match the challenge is refused, code kept (as.token.pkce) [bites: token.pkce-verifier]', async () => {
    const c = await authorizeCode(t);
    await refusedAtToken(codeForm(c, { code_verifier: 'w'.repeat(50) }), 400, 'invalid_grant');
    assert.equal((await postToken(t, codeForm(c))).status, 200);
  });

  it('code_verifier left out is refused with invalid_request (as.token.pkce)', async () => {
    const c = await authorizeCode(t);
    await refusedAtToken(codeForm(c, { code_verifier: undefined }), 400, 'invalid_request');
  });

  it('code_verifier that is the challenge itself ("plain" replay) is refused (as.token.pkce) [bites: token.pkce-verifier]', async () => {
    const c = await authorizeCode(t);
    const challenge = c.location.searchParams.get('code') ? (await t.store.getAuthorizationCode((await import('../../src/core/random.js')).sha256(c.code), t.clock.now))!.code_challenge : '';
    await refusedAtToken(codeForm(c, { code_verifier: challenge }), 400, 'invalid_grant');
  });

  it('malformed code_verifier (too short) is refused with invalid_grant (as.token.pkce)', async () => {
    const c = await authorizeCode(t);
    await refusedAtToken(codeForm(c, { code_verifier: 'short' }), 400, 'invalid_grant');
  });

  it('resource switch: a code for one resource redeemed for another is refused with invalid_target (as.token.resource-binding) [bites: token.resource-binding]', async () => {
    const c = await authorizeCode(t);
    await refusedAtToken(codeForm(c, { resource: t.otherResource }), 400, 'invalid_target');
  });

  it('two resource values at /token are refused with invalid_target (as.authorize.resource)', async () => {
    const c = await authorizeCode(t);
    const body = codeForm(c);
    body.append('resource', t.otherResource);
    await refusedAtToken(body, 400, 'invalid_target');
  });

  it('redirect_uri different from the authorization request is refused (as.token.code-client-binding) [bites: token.redirect-uri-binding]', async () => {
    const c = await authorizeCode(t);
    await refusedAtToken(codeForm(c, { redirect_uri: 'https://app.example/cb?x=1' }), 400, 'invalid_grant');
  });

  it('an expired code (11 minutes later) is refused (as.token.code-single-use)', async () => {
    const c = await authorizeCode(t);
    t.clock.advance(11 * 60_000);
    try {
      await refusedAtToken(codeForm(c), 400, 'invalid_grant');
    } finally {
      t.clock.advance(-11 * 60_000);
    }
  });

  it('a guessed code is refused (as.token.code-single-use)', async () => {
    await refusedAtToken(codeForm({ code: 'A'.repeat(43), verifier: 'v'.repeat(43), redirect_uri: 'https://app.example/cb' }), 400, 'invalid_grant');
  });
});

describe('attack: refresh token theft and reuse (OAuth 2.1 §4.3.1, §4.14.2; ARCHITECTURE Tokens)', () => {
  it('reuse of a rotated refresh token after the grace window is refused and revokes the grant (as.token.refresh-rotation) [bites: token.refresh-reuse]', async () => {
    const tokens = await obtainTokens(t);
    const rotated = await postToken(t, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: PUBLIC_CLIENT }));
    assert.equal(rotated.status, 200);
    const next = (await rotated.json()) as { access_token: string };
    t.clock.advance(11_000);
    const reuse = await postToken(t, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: PUBLIC_CLIENT }));
    await expectOAuthError(reuse, 400, 'invalid_grant');
    const [entry] = await t.store.listAudit({ types: ['token.reuse_detected'], order: 'desc', limit: 1 });
    assert.ok(entry, 'token.reuse_detected audited');
    assert.ok((await t.store.getGrant(decodeJwt(next.access_token).grant_id as string))?.revoked_at, 'the whole grant is revoked');
  });

  it('a refresh token used by another client is refused, nothing rotated (as.token.refresh-client-binding) [bites: token.refresh-client-binding]', async () => {
    const tokens = await obtainTokens(t);
    await refusedAtToken(form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: OTHER_PUBLIC_CLIENT }), 400, 'invalid_grant');
  });

  it('refresh widening scope is refused with invalid_scope (as.token.refresh-rotation) [bites: token.refresh-scope]', async () => {
    const tokens = await obtainTokens(t);
    await refusedAtToken(form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: PUBLIC_CLIENT, scope: 'notes:read notes:write' }), 400, 'invalid_scope');
  });

  it('refresh switching resource is refused with invalid_target (as.token.resource-binding)', async () => {
    const tokens = await obtainTokens(t);
    await refusedAtToken(form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: PUBLIC_CLIENT, resource: t.otherResource }), 400, 'invalid_target');
  });

  it('a refresh token of a revoked grant is refused (as.token.refresh-rotation)', async () => {
    const tokens = await obtainTokens(t);
    await t.store.revokeGrant(decodeJwt(tokens.access_token).grant_id as string, t.clock.now, 'attack');
    await refusedAtToken(form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: PUBLIC_CLIENT }), 400, 'invalid_grant');
  });

  it('an access token presented as a refresh token is refused (as.token.refresh-rotation)', async () => {
    const tokens = await obtainTokens(t);
    await refusedAtToken(form({ grant_type: 'refresh_token', refresh_token: tokens.access_token.slice(0, 500), client_id: PUBLIC_CLIENT }), 400, 'invalid_grant');
  });
});

describe('attack: client authentication at /token (OAuth 2.1 §2.4; RFC 7523 §3; RFC 6749 §5.2)', () => {
  it('control: a fresh client assertion is accepted (as.cc.private-key-jwt)', async () => {
    const res = await postToken(t, ccForm(await clientAssertion()));
    assert.equal(res.status, 200, await res.text());
  });

  it('client assertion replay (same jti twice) is refused with invalid_client (as.cc.assertion-jti) [bites: token.assertion-jti]', async () => {
    const assertion = await clientAssertion();
    assert.equal((await postToken(t, ccForm(assertion))).status, 200);
    await refusedAtToken(ccForm(assertion), 401, 'invalid_client');
  });

  it('client assertion with a wrong aud (another server) is refused (as.cc.private-key-jwt) [bites: token.assertion-aud]', async () => {
    await refusedAtToken(ccForm(await clientAssertion({ aud: 'https://other-as.example' })), 401, 'invalid_client');
  });

  it('client assertion with aud = an array of another server only is refused (as.cc.private-key-jwt) [bites: token.assertion-aud]', async () => {
    await refusedAtToken(ccForm(await clientAssertion({ aud: ['https://other-as.example/token'] })), 401, 'invalid_client');
  });

  it('client assertion signed by another key is refused (as.cc.private-key-jwt)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await refusedAtToken(ccForm(await clientAssertion({}, privateKey)), 401, 'invalid_client');
  });

  it('client assertion with alg none is refused (as.cc.private-key-jwt)', async () => {
    const b = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(t.clock.now / 1000);
    await refusedAtToken(ccForm(`${b({ alg: 'none' })}.${b({ iss: JWT_CLIENT, sub: JWT_CLIENT, aud: t.issuer, exp: now + 60, jti: 'n1' })}.`), 401, 'invalid_client');
  });

  it('client assertion with a year-long lifetime is refused (as.cc.private-key-jwt)', async () => {
    await refusedAtToken(ccForm(await clientAssertion({ exp: Math.floor(t.clock.now / 1000) + 365 * 86400 })), 401, 'invalid_client');
  });

  it('client assertion issued for another client (sub/iss mismatch) is refused (as.cc.private-key-jwt)', async () => {
    await refusedAtToken(ccForm(await clientAssertion({ iss: CONFIDENTIAL_CLIENT })), 401, 'invalid_client');
  });

  it('an ID-JAG typed JWT used as a client assertion is refused (as.cc.typ-separation)', async () => {
    await refusedAtToken(ccForm(await clientAssertion({}, t.clientKey.privateKey, { typ: 'oauth-id-jag+jwt' })), 401, 'invalid_client');
  });

  it('wrong client secret is refused with 401 invalid_client and a Basic challenge (as.token.client-auth) [bites: token.client-secret]', async () => {
    const { res } = await refusedAtToken(form({ grant_type: 'client_credentials', resource: t.resource }), 401, 'invalid_client', { authorization: basicAuth(CONFIDENTIAL_CLIENT, 'wrong-secret') });
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
  });

  it('a confidential client without its secret (posing as public) is refused (as.token.client-auth)', async () => {
    await refusedAtToken(form({ grant_type: 'client_credentials', client_id: CONFIDENTIAL_CLIENT, resource: t.resource }), 401, 'invalid_client');
  });

  it('two authentication methods at once are refused with invalid_request (as.token.client-auth) [bites: token.single-auth-method]', async () => {
    await refusedAtToken(form({ grant_type: 'client_credentials', client_secret: CONFIDENTIAL_SECRET, resource: t.resource }), 400, 'invalid_request', { authorization: basicAuth(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET) });
  });

  it('a public client asking for client_credentials is refused with unauthorized_client (as.token.client-auth)', async () => {
    await refusedAtToken(form({ grant_type: 'client_credentials', client_id: PUBLIC_CLIENT, resource: t.resource }), 400, 'unauthorized_client');
  });

  it('client_id in the body differing from Basic is refused (as.token.client-auth)', async () => {
    await refusedAtToken(form({ grant_type: 'client_credentials', client_id: PUBLIC_CLIENT, resource: t.resource }), 400, 'invalid_request', { authorization: basicAuth(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET) });
  });
});

describe('attack: malformed token requests (OAuth 2.1 §3.2)', () => {
  it('grant_type "__proto__" finds no prototype member: unsupported_grant_type (as.bad-input.token-code)', async () => {
    await refusedAtToken(form({ grant_type: '__proto__', client_id: PUBLIC_CLIENT }), 400, 'unsupported_grant_type');
  });

  it('implicit-era grant_type=password is refused (as.bad-input.token-code)', async () => {
    await refusedAtToken(form({ grant_type: 'password', username: 'alice', password: 'x', client_id: PUBLIC_CLIENT }), 400, 'unsupported_grant_type');
  });

  it('GET /token with parameters in the query is refused (as.bad-input.token-code)', async () => {
    const { result } = await refusedWithoutWrite(t, () => t.fetch('/token?grant_type=client_credentials&client_id=atk-public'));
    await expectOAuthError(result, 400, 'invalid_request');
  });

  it('a JSON body instead of a form is refused (as.bad-input.token-code)', async () => {
    const { result } = await refusedWithoutWrite(t, () => t.fetch('/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) }));
    await expectOAuthError(result, 400, 'invalid_request');
  });

  it('a duplicated parameter (two codes) is refused (as.bad-input.token-code)', async () => {
    const c = await authorizeCode(t);
    const body = codeForm(c);
    body.append('code', 'other');
    await refusedAtToken(body, 400, 'invalid_request');
  });
});
