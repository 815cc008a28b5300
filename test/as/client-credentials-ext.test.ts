/**
 * Issue 4 item 5: the MCP client-credentials extension ([CC]; spec-checklist §2B item 25, §4.8) driven by a certified
 * client library (openid-client v6) against the real runtime: private_key_jwt (client_id carried by the assertion's
 * sub), client secrets, per-client scopes and resources, client assertions told apart from ID-JAGs by typ, and the
 * assertion jti single use — each error state exercised; the token works at the gateway for its resource only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { ISSUER, PUBLIC_CLIENT, REDIRECT } from '../helpers/as-harness.js';
import { startOps, type OpsHarness } from '../server/ops-harness.js';
import { INIT, MCP_HEADERS } from '../gateway/helpers/harness.js';
import { startUpstream, statelessMcp, type Upstream } from '../gateway/helpers/upstream.js';

const NOTES = `${ISSUER}/mcp`;
const OTHER = `${ISSUER}/other`;
const JWT_CLIENT = 'svc-jwt';
const BASIC_CLIENT = 'svc-basic';
const BASIC_SECRET = 'svc-basic-secret-0123456789';
const POST_CLIENT = 'svc-post';
const POST_SECRET = 'svc-post-secret-0123456789';
const WEB_CLIENT = 'web-app';
const WEB_SECRET = 'web-app-secret-0123456789';

let h: OpsHarness;
let upstream: Upstream;
let key: CryptoKey;
let wrongKey: CryptoKey;
let server: client.ServerMetadata;

before(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  wrongKey = (await generateKeyPair('ES256')).privateKey;
  upstream = await startUpstream(statelessMcp('json'));
  Object.assign(process.env, { TEST_SVC_BASIC: BASIC_SECRET, TEST_SVC_POST: POST_SECRET, TEST_WEB: WEB_SECRET });
  h = await startOps(
    upstream.url,
    {
      resources: [
        { path: '/mcp', upstream: upstream.url, name: 'Notes', scopes: ['notes:read', 'notes:write'] },
        { path: '/other', upstream: upstream.url, name: 'Other', scopes: ['other:read'] },
      ],
      clients: [
        { client_id: PUBLIC_CLIENT, redirect_uris: [REDIRECT], grant_types: ['authorization_code'] },
        { client_id: JWT_CLIENT, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'svc-1', alg: 'ES256' }] }, grant_types: ['client_credentials'], scopes: ['notes:read'], resources: [NOTES] },
        { client_id: BASIC_CLIENT, token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_SVC_BASIC', grant_types: ['client_credentials'] },
        { client_id: POST_CLIENT, token_endpoint_auth_method: 'client_secret_post', client_secret_env: 'TEST_SVC_POST', grant_types: ['client_credentials'], resources: [OTHER] },
        { client_id: WEB_CLIENT, token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_WEB', redirect_uris: ['https://app.example/cb'] },
      ],
      // many token requests from one address in a second: lift the per-IP limit
      rate_limits: { token: { per_ip: { limit: 10000, window_s: 60 } } },
    },
  );
  server = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as client.ServerMetadata;
});
after(async () => {
  await h?.close();
  await upstream?.close();
});

/** an openid-client Configuration for this AS; requests to ISSUER go to the port the runtime listens on */
function configure(clientId: string, auth: client.ClientAuth): client.Configuration {
  const config = new client.Configuration(server, clientId, {}, auth);
  client.allowInsecureRequests(config); // http issuer on loopback (--dev)
  (config as unknown as Record<symbol, unknown>)[client.customFetch] = (url: string, options: RequestInit) => h.request(url, options);
  return config;
}

/** the OAuth error of a refused grant, as openid-client reports it */
async function oauthError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof client.ResponseBodyError) return e.error;
    // RFC 6749 §5.2: a 401 after HTTP Basic carries WWW-Authenticate; openid-client reports the challenge, the body has the code
    if (e instanceof client.WWWAuthenticateChallengeError) {
      assert.equal(e.status, 401);
      assert.equal(e.cause[0]?.scheme, 'basic');
      return ((await e.response.json()) as { error: string }).error;
    }
    throw e;
  }
  assert.fail('the grant was expected to be refused');
}

const mcp = (url: string, token: string) => h.request(url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(INIT) });

describe('client_credentials with private_key_jwt, driven by openid-client ([CC]; RFC 7523 §2.2) (as.cc.private-key-jwt)', () => {
  it('a token for the client’s resource and scope; accepted by the gateway there, refused by another resource (as.cc.private-key-jwt, as.cc.openid-client)', async () => {
    const config = configure(JWT_CLIENT, client.PrivateKeyJwt({ key, kid: 'svc-1' } as client.PrivateKey));
    const tokens = await client.clientCredentialsGrant(config, { resource: NOTES, scope: 'notes:read' });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.refresh_token, undefined);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, NOTES);
    assert.equal(claims.sub, JWT_CLIENT);
    assert.equal(claims.scope, 'notes:read');
    assert.equal((await mcp(NOTES, tokens.access_token)).status, 200);
    assert.equal((await mcp(OTHER, tokens.access_token)).status, 401);
    // no resource named: a client limited to one resource gets it
    const implicit = await client.clientCredentialsGrant(config, { scope: 'notes:read' });
    assert.equal(decodeJwt(implicit.access_token).aud, NOTES);
  });

  it('client_id left out of the request: the assertion’s sub names the client ([CC] "JWT Authentication Example") (as.cc.private-key-jwt)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: 'svc-1' }).setIssuer(JWT_CLIENT).setSubject(JWT_CLIENT).setAudience(ISSUER).setIssuedAt(now).setExpirationTime(now + 60).sign(key);
    const res = await h.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, resource: NOTES, scope: 'notes:read' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
  });

  it('client secrets (basic and post) work too; a client without a resources limit may reach any resource (as.cc.openid-client)', async () => {
    const basic = await client.clientCredentialsGrant(configure(BASIC_CLIENT, client.ClientSecretBasic(BASIC_SECRET)), { resource: OTHER });
    assert.equal(decodeJwt(basic.access_token).aud, OTHER);
    assert.equal(basic.scope, 'other:read');
    const post = await client.clientCredentialsGrant(configure(POST_CLIENT, client.ClientSecretPost(POST_SECRET)), { resource: OTHER, scope: 'other:read' });
    assert.equal(decodeJwt(post.access_token).aud, OTHER);
    assert.equal((await mcp(OTHER, post.access_token)).status, 200);
    assert.equal((await mcp(NOTES, post.access_token)).status, 401);
  });
});

describe('client_credentials error states through openid-client (as.cc.openid-client)', () => {
  const jwtAuth = (modify?: client.ModifyAssertionFunction, k: CryptoKey = key) =>
    configure(JWT_CLIENT, client.PrivateKeyJwt({ key: k, kid: 'svc-1' } as client.PrivateKey, modify ? { [client.modifyAssertion]: modify } : undefined));

  it('invalid_client: wrong secret, unknown client, wrong key, wrong audience, too long-lived (as.token.client-auth)', async () => {
    assert.equal(await oauthError(client.clientCredentialsGrant(configure(BASIC_CLIENT, client.ClientSecretBasic('wrong')), { resource: OTHER })), 'invalid_client');
    assert.equal(await oauthError(client.clientCredentialsGrant(configure('nobody', client.ClientSecretBasic('x')), { resource: OTHER })), 'invalid_client');
    assert.equal(await oauthError(client.clientCredentialsGrant(jwtAuth(undefined, wrongKey), { resource: NOTES })), 'invalid_client');
    assert.equal(await oauthError(client.clientCredentialsGrant(jwtAuth((_h, p) => void (p.aud = 'https://other-as.example')), { resource: NOTES })), 'invalid_client');
    assert.equal(await oauthError(client.clientCredentialsGrant(jwtAuth((_h, p) => void (p.exp = (p.iat as number) + 3600)), { resource: NOTES })), 'invalid_client');
  });

  it('invalid_client: a client assertion typed as an ID-JAG (or an access token) is refused; JWT and client-authentication+jwt pass (as.cc.typ-separation)', async () => {
    for (const typ of ['oauth-id-jag+jwt', 'at+jwt', 'JWT', 'client-authentication+jwt']) {
      const p = client.clientCredentialsGrant(jwtAuth((hd) => void (hd.typ = typ)), { resource: NOTES });
      if (typ === 'JWT' || typ === 'client-authentication+jwt') assert.ok((await p).access_token, typ);
      else assert.equal(await oauthError(p), 'invalid_client', typ);
    }
  });

  it('invalid_client: a client assertion’s jti is single use (RFC 7523 §3) (as.cc.assertion-jti)', async () => {
    const jti = `fixed-${Date.now()}`;
    const config = jwtAuth((_h, p) => void (p.jti = jti));
    assert.ok((await client.clientCredentialsGrant(config, { resource: NOTES })).access_token);
    assert.equal(await oauthError(client.clientCredentialsGrant(config, { resource: NOTES })), 'invalid_client');
  });

  it('unauthorized_client: a public client, and a confidential client without the grant (OAuth 2.1 §4.2)', async () => {
    assert.equal(await oauthError(client.clientCredentialsGrant(configure(PUBLIC_CLIENT, client.None()), { resource: NOTES })), 'unauthorized_client');
    assert.equal(await oauthError(client.clientCredentialsGrant(configure(WEB_CLIENT, client.ClientSecretBasic(WEB_SECRET)), { resource: NOTES })), 'unauthorized_client');
  });

  it('invalid_scope and invalid_target: beyond the client’s scopes, unknown, or outside its resources (as.cc.resources)', async () => {
    assert.equal(await oauthError(client.clientCredentialsGrant(jwtAuth(), { resource: NOTES, scope: 'notes:write' })), 'invalid_scope');
    assert.equal(await oauthError(client.clientCredentialsGrant(jwtAuth(), { resource: NOTES, scope: 'nope' })), 'invalid_scope');
    assert.equal(await oauthError(client.clientCredentialsGrant(jwtAuth(), { resource: OTHER })), 'invalid_target');
    assert.equal(await oauthError(client.clientCredentialsGrant(configure(POST_CLIENT, client.ClientSecretPost(POST_SECRET)), { resource: NOTES })), 'invalid_target');
    assert.equal(await oauthError(client.clientCredentialsGrant(configure(BASIC_CLIENT, client.ClientSecretBasic(BASIC_SECRET)), { resource: 'https://elsewhere.example/mcp' })), 'invalid_target');
  });
});
