import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { CimdResolver } from '../../src/as/clients/cimd.js';
import { ClientResolutionError } from '../../src/as/clients/types.js';
import { configSchema } from '../../src/config/schema.js';
import { ISSUER, LOOPBACK_CLIENT, PUBLIC_CLIENT, RESOURCE, pkcePair, startHarness, type Harness } from '../helpers/as-harness.js';
import { CookieJar, driveAuthorization } from '../helpers/browserless.js';
import { authorizeUrl, getCode, tokenRequest } from '../as/flow.js';

/**
 * Second-pair-of-eyes security review of the AS (authorize, interaction, token, client auth, CIMD).
 * Each test pins one finding; see the review report for severity and reasoning.
 */

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());
const errorOf = async (res: Response): Promise<{ error: string; error_description?: string }> => (await res.json()) as { error: string; error_description?: string };

describe('MCP [SEC] "Localhost Redirect URI Risks": remembered consent never silently releases a code to a loopback redirect', () => {
  it('a client with https and loopback redirect URIs is asked again when this request redirects to loopback', async () => {
    const t = await startHarness();
    try {
      const jar = new CookieJar();
      const opts = { username: 'alice', password: 'alice-password', jar };
      const loop = 'http://127.0.0.1:53111/callback';
      const first = await driveAuthorization((u, i) => t.request(u, i), authorizeUrl(pkcePair().challenge, { client_id: PUBLIC_CLIENT, redirect_uri: loop, scope: 'notes:read' }), opts);
      assert.ok(first.pages.some((p) => p.includes('name="decision"')));
      // any local program can listen on a loopback port and reuse this client_id with its own PKCE
      const second = await driveAuthorization((u, i) => t.request(u, i), authorizeUrl(pkcePair().challenge, { client_id: PUBLIC_CLIENT, redirect_uri: 'http://127.0.0.1:40000/callback', scope: 'notes:read' }), opts);
      const consent = second.pages.find((p) => p.includes('name="decision"'));
      assert.ok(consent, 'loopback redirect: consent asked again, no silent code');
      assert.match(consent, /id="loopback-warning"/);
      // the https redirect of the same client still benefits from the remembered consent
      await driveAuthorization((u, i) => t.request(u, i), authorizeUrl(pkcePair().challenge, { client_id: PUBLIC_CLIENT, redirect_uri: 'https://app.example/cb', scope: 'notes:read' }), opts);
      const third = await driveAuthorization((u, i) => t.request(u, i), authorizeUrl(pkcePair().challenge, { client_id: PUBLIC_CLIENT, redirect_uri: 'https://app.example/cb', scope: 'notes:read' }), opts);
      assert.equal(third.pages.length, 0);
    } finally {
      await t.close();
    }
  });
});

describe('OAuth 2.1 §4.1.3: redirect_uri at the token endpoint is identical to the one the code was issued for', () => {
  it('omitting redirect_uri is refused when the code went to a loopback URI with a port', async () => {
    const { params, verifier, redirect_uri } = await getCode(h, { client_id: LOOPBACK_CLIENT });
    const code = params.get('code')!;
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: LOOPBACK_CLIENT });
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).error, 'invalid_grant');
    // the refused attempt did not consume the code
    const ok = await tokenRequest(h, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: LOOPBACK_CLIENT, redirect_uri });
    assert.equal(ok.status, 200);
  });
});

describe('MCP "Canonical Server URI": uppercase scheme and host are accepted at the token endpoint too', () => {
  const UPPER = RESOURCE.replace('http://127.0.0.1', 'HTTP://127.0.0.1');
  it('authorization_code and refresh_token with the resource in upper case', async () => {
    const { params, verifier, redirect_uri } = await getCode(h, { resource: UPPER });
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, client_id: PUBLIC_CLIENT, redirect_uri, resource: UPPER });
    assert.equal(res.status, 200, JSON.stringify(await res.clone().json()));
    const body = (await res.json()) as { refresh_token: string };
    const refresh = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: PUBLIC_CLIENT, resource: UPPER });
    assert.equal(refresh.status, 200, JSON.stringify(await refresh.clone().json()));
  });
  it('another resource is still invalid_target', async () => {
    const { params, verifier, redirect_uri } = await getCode(h);
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: verifier, client_id: PUBLIC_CLIENT, redirect_uri, resource: `${ISSUER}/other` });
    assert.equal((await errorOf(res)).error, 'invalid_target');
  });
});

describe('ARCHITECTURE "Two error channels": a failed PKCE check does not say why on the wire', () => {
  it('wrong code_verifier gets the same generic description as an unknown code', async () => {
    const { params, redirect_uri } = await getCode(h);
    const wrong = await errorOf(await tokenRequest(h, { grant_type: 'authorization_code', code: params.get('code')!, code_verifier: 'w'.repeat(43), redirect_uri, client_id: PUBLIC_CLIENT }));
    const unknown = await errorOf(await tokenRequest(h, { grant_type: 'authorization_code', code: 'nope', code_verifier: 'w'.repeat(43), redirect_uri, client_id: PUBLIC_CLIENT }));
    assert.equal(wrong.error, 'invalid_grant');
    assert.equal(wrong.error_description, unknown.error_description);
  });
});

describe('RFC 7523 §3: client assertions with an unreasonably distant exp are refused', () => {
  const CLIENT = 'pkj-client';
  let t: Harness;
  let key: CryptoKey;
  before(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
    t = await startHarness({
      clients: [{ client_id: CLIENT, redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } }],
    });
  });
  after(() => t.close());
  const assertion = (iat: number, exp: number, jti: string) =>
    new SignJWT({ jti }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(CLIENT).setSubject(CLIENT).setAudience(ISSUER).setIssuedAt(iat).setExpirationTime(exp).sign(key);
  const redeem = async (a: string) =>
    tokenRequest(t, { grant_type: 'authorization_code', code: 'x', code_verifier: 'v'.repeat(43), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });

  it('a fresh assertion authenticates (the bogus code then fails as invalid_grant)', async () => {
    const now = Math.floor(t.clock.now / 1000);
    const res = await redeem(await assertion(now, now + 60, 'a1'));
    assert.equal((await errorOf(res)).error, 'invalid_grant');
  });
  it('iat set a year ahead (so exp - iat looks short) → invalid_client', async () => {
    const now = Math.floor(t.clock.now / 1000);
    const year = 365 * 24 * 3600;
    const res = await redeem(await assertion(now + year - 60, now + year, 'a2'));
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).error, 'invalid_client');
  });
});

describe('ARCHITECTURE "Two error channels": a hostile CIMD document is a client error, never a crash', () => {
  it('deeply nested JSON inside jwks (max_bytes raised to 64 KiB) → cimd_document_invalid', async () => {
    const depth = 20000;
    const url = 'https://client.example/client.json';
    const doc = `{"client_id":"${url}","client_name":"x","redirect_uris":["https://client.example/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC","x":${'['.repeat(depth)}${']'.repeat(depth)}}]}}`;
    const cimd = configSchema.parse({ issuer: ISSUER, cimd: { max_bytes: 65536 } }).cimd;
    const resolver = new CimdResolver({
      cimd,
      dev: false,
      supportedGrantTypes: ['authorization_code'],
      fetch: async () => ({ status: 200, headers: new Headers({ 'content-type': 'application/json' }), body: new TextEncoder().encode(doc), address: '203.0.113.1' }),
    });
    await assert.rejects(resolver.resolve(url), (e: unknown) => e instanceof ClientResolutionError && e.failure.reason === 'cimd_document_invalid');
  });
});

describe('RFC 6749 §5.2 unsupported_grant_type: grant names are looked up as own entries only', () => {
  for (const g of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`grant_type=${g} → unsupported_grant_type (never an Object.prototype member)`, async () => {
      const res = await tokenRequest(h, { grant_type: g, client_id: PUBLIC_CLIENT });
      assert.equal(res.status, 400);
      assert.equal((await errorOf(res)).error, 'unsupported_grant_type');
    });
  }
});
