/**
 * Issue 4 item 1, end to end on the real runtime: an MCP client presents an ID-JAG with openid-client v6's generic
 * grant request (RFC 7523 jwt-bearer), and the access token it gets works at the gateway for the ID-JAG's resource,
 * is refused by another resource, and stops working once its grant is revoked (RFC 7009).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { ISSUER } from '../helpers/as-harness.js';
import { startOps, type OpsHarness } from '../server/ops-harness.js';
import { INIT, MCP_HEADERS } from '../gateway/helpers/harness.js';
import { startUpstream, statelessMcp, type Upstream } from '../gateway/helpers/upstream.js';
import { basicAuth, fixturePayload, idpKey, mintIdJag, type IdpKey } from '../helpers/idjag.js';
import { JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';

const NOTES = `${ISSUER}/mcp`;
const OTHER = `${ISSUER}/other`;
const IDP = 'https://idp.cyberdyne-corp.example/';
const APP = 'ema-app';
const APP_SECRET = 'ema-app-secret-0123456789';

let h: OpsHarness;
let upstream: Upstream;
let key: IdpKey;
let config: client.Configuration;

before(async () => {
  key = await idpKey();
  upstream = await startUpstream(statelessMcp('json'));
  process.env.TEST_EMA_APP_SECRET = APP_SECRET;
  h = await startOps(upstream.url, {
    resources: [
      { path: '/mcp', upstream: upstream.url, name: 'Notes', scopes: ['notes:read', 'notes:write'] },
      { path: '/other', upstream: upstream.url, name: 'Other', scopes: ['other:read'] },
    ],
    clients: [{ client_id: APP, token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_EMA_APP_SECRET', grant_types: [JWT_BEARER_GRANT_TYPE] }],
    enterprise: { trusted_issuers: [{ issuer: IDP, jwks: { keys: [key.jwk] }, clients: [APP], provision: true }] },
  });
  const server = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as client.ServerMetadata;
  config = new client.Configuration(server, APP, {}, client.ClientSecretBasic(APP_SECRET));
  client.allowInsecureRequests(config); // http issuer on loopback (--dev)
  (config as unknown as Record<symbol, unknown>)[client.customFetch] = (url: string, options: RequestInit) => h.request(url, options);
});
after(async () => {
  await h?.close();
  await upstream?.close();
});

const idJag = (claims: Record<string, unknown> = {}) =>
  mintIdJag({ ...fixturePayload('draft-ai-agent.id-jag'), aud: ISSUER, resource: NOTES, client_id: APP, scope: 'notes:read notes:write', ...claims }, { key, now: Math.floor(Date.now() / 1000) });
const mcp = (url: string, token: string) => h.request(url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(INIT) });

describe('ID-JAG → access token → gateway, with openid-client ([EMA] §5; RFC 7523 §2.1) (as.idjag.gateway)', () => {
  it('the metadata a client reads advertises the ID-JAG profile and the grant (as.idjag.metadata)', () => {
    const meta = config.serverMetadata();
    assert.ok(meta.grant_types_supported?.includes(JWT_BEARER_GRANT_TYPE));
    assert.deepEqual(meta.authorization_grant_profiles_supported, ['urn:ietf:params:oauth:grant-profile:id-jag']);
  });

  it('accepted for the ID-JAG resource, refused by another resource, refused after revocation (as.idjag.gateway)', async () => {
    const tokens = await client.genericGrantRequest(config, JWT_BEARER_GRANT_TYPE, { assertion: await idJag() });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.scope, 'notes:read notes:write');
    assert.equal(decodeJwt(tokens.access_token).aud, NOTES);
    assert.equal((await mcp(NOTES, tokens.access_token)).status, 200);
    const elsewhere = await mcp(OTHER, tokens.access_token);
    assert.equal(elsewhere.status, 401);
    assert.match(elsewhere.headers.get('www-authenticate') ?? '', /invalid_token/);
    // RFC 7009: the grant row written for the ID-JAG makes the token revocable
    const revoke = await h.request('/revoke', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(APP, APP_SECRET) }, body: new URLSearchParams({ token: tokens.access_token }) });
    assert.equal(revoke.status, 200);
    assert.equal((await mcp(NOTES, tokens.access_token)).status, 401);
  });

  it('refusals reach openid-client as OAuth errors: replay, wrong audience (as.idjag.jti-single-use, as.idjag.aud-exact)', async () => {
    const assertion = await idJag();
    assert.ok((await client.genericGrantRequest(config, JWT_BEARER_GRANT_TYPE, { assertion })).access_token);
    for (const bad of [assertion, await idJag({ aud: `${ISSUER}/` })]) {
      await assert.rejects(client.genericGrantRequest(config, JWT_BEARER_GRANT_TYPE, { assertion: bad }), (e: unknown) => e instanceof client.ResponseBodyError && e.error === 'invalid_grant');
    }
  });
});
