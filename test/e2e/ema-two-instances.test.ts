/**
 * Issue 4, "How it is shown": Enterprise-Managed Authorization end to end with two real Portcullis processes.
 *
 * - Instance A is the company IdP: users (alice, staff; bob, no role), the chat app registered as a confidential
 *   static client (client_secret_post, as the SDK's token exchange sends it), and the ID-JAG issuance policy: the
 *   app may reach B's notes MCP server for staff, with notes:read and notes:write.
 * - Instance B runs in front of the demo notes MCP server and trusts A as an ID-JAG issuer (its JWKS over loopback
 *   http in --dev), provisioning the subject as a new user with the editor role; the app has its own confidential
 *   client at B (client_secret_basic, what the SDK's CrossAppAccessProvider uses).
 *
 * The employee signs in to the app once at A (the code flow with openid, driven browserlessly: the SSO). From then
 * on no browser is involved: the official SDK v2 client's CrossAppAccessProvider discovers B, asks its assertion
 * callback for an ID-JAG — which exchanges the ID token at A with the SDK's own discoverAndRequestJwtAuthGrant
 * (RFC 8693) — presents it to B (RFC 7523 jwt-bearer) and calls tools on B.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Client, CrossAppAccessProvider, discoverAndRequestJwtAuthGrant, exchangeJwtAuthGrant, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { driveAuthorization } from '../helpers/browserless.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { freePort } from '../helpers/ports.js';
import { runCli, spawnPortcullis, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { pkcePair } from '../helpers/as-harness.js';
import { toolText } from '../helpers/mcp.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const APP_AT_A = 'chat-app';
const APP_AT_B = 'chat-app-at-b';
const SECRETS = { CHAT_APP_A_SECRET: 'a-secret-of-the-chat-app-at-the-idp', CHAT_APP_B_SECRET: 'b-secret-of-the-chat-app-at-the-notes-as' };
const PASSWORDS = { alice: 'alice-sso-password', bob: 'bob-sso-password' };
const APP_REDIRECT = 'http://127.0.0.1:1/sso/callback'; // the app's own callback: the driver stops at the redirect

let env: E2eEnv;
let a: PortcullisProcess | undefined;
let b: PortcullisProcess | undefined;
let issuerA = '';
let issuerB = '';
let mcpB = '';
let configA = '';
let configB = '';

before(async () => {
  env = await setupE2eEnv();
  const [portA, portB] = [await freePort(), await freePort()];
  issuerA = `http://127.0.0.1:${portA}`;
  issuerB = `http://127.0.0.1:${portB}`;
  mcpB = `${issuerB}/mcp`;
  configA = join(env.dir, 'idp.yaml');
  writeFileSync(
    configA,
    `issuer: ${issuerA}
port: ${portA}
dev: true
data_dir: ${env.newDir('idp')}
clients:
  - client_id: ${APP_AT_A}
    client_name: Chat app
    redirect_uris: [${APP_REDIRECT}]
    token_endpoint_auth_method: client_secret_post
    client_secret_env: CHAT_APP_A_SECRET
    grant_types: [authorization_code, refresh_token, ${TOKEN_EXCHANGE}]
enterprise:
  idjag_issuance:
    targets:
      - name: notes
        audience: ${issuerB}
        resources: [${mcpB}]
        clients:
          - client_id: ${APP_AT_A}
            client_id_at_target: ${APP_AT_B}
        roles: [staff]
        scopes: [notes:read, notes:write]
`,
  );
  configB = join(env.dir, 'notes.yaml');
  writeFileSync(
    configB,
    `data_dir: ${env.newDir('notes')}
clients:
  - client_id: ${APP_AT_B}
    client_name: Chat app (via the company IdP)
    token_endpoint_auth_method: client_secret_basic
    client_secret_env: CHAT_APP_B_SECRET
    grant_types: [${JWT_BEARER}]
enterprise:
  trusted_issuers:
    - issuer: ${issuerA}
      jwks_uri: ${issuerA}/jwks.json
      clients: [${APP_AT_B}]
      provision: true
      default_roles: [editor]
`,
  );
  for (const [name, role] of [['alice', 'staff'], ['bob', null]] as const) {
    const r = await runCli(['users', 'add', name, ...(role ? ['--role', role] : []), '--config', configA], { input: `${PASSWORDS[name]}\n` });
    assert.equal(r.code, 0, r.stderr);
  }
  const common = { PORTCULLIS_LOG_LEVEL: 'warn', ...SECRETS };
  a = await spawnPortcullis({ args: ['serve', '--config', configA], env: common });
  b = await spawnPortcullis({ args: ['serve', '--demo', '--config', configB, '--port', String(portB)], env: { ...common, NODE_EXTRA_CA_CERTS: env.caFile } });
  assert.equal(b.banner.mcpUrls[0], mcpB);
});

after(async () => {
  for (const p of [a, b]) await p?.stop().catch(() => p.kill());
  await env?.cleanup();
});

/** The employee's SSO into the app at A: /authorize (openid) → login → consent → code → token (client_secret_post). */
async function ssoIdToken(username: keyof typeof PASSWORDS): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const u = new URL(`${issuerA}/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: APP_AT_A, redirect_uri: APP_REDIRECT, scope: 'openid profile', state: 's1', nonce: 'n1', code_challenge: challenge, code_challenge_method: 'S256' })) u.searchParams.set(k, v);
  const { location } = await driveAuthorization((url, init) => fetch(url, init), u.toString(), { username, password: PASSWORDS[username] });
  const code = new URL(location).searchParams.get('code');
  assert.ok(code, location);
  const res = await fetch(`${issuerA}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: APP_REDIRECT, client_id: APP_AT_A, client_secret: SECRETS.CHAT_APP_A_SECRET }).toString(),
  });
  const body = (await res.json()) as { id_token?: string; access_token: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.ok(body.id_token);
  const claims = decodeJwt(body.id_token);
  assert.equal(claims.aud, APP_AT_A);
  assert.equal(claims.nonce, 'n1');
  // ARCHITECTURE "resource": the sign-in's access token is for /userinfo, never an MCP resource
  assert.equal(decodeJwt(body.access_token).aud, `${issuerA}/userinfo`);
  return body.id_token;
}

interface Run {
  provider: CrossAppAccessProvider;
  /** every URL the SDK fetched, in order */
  fetched: string[];
  /** the ID-JAGs the assertion callback obtained */
  jags: string[];
  /** fetch that records what the SDK fetched (given to the provider and the transport) */
  fetchFn: typeof fetch;
}

function crossAppAccess(idToken: string): Run {
  const fetched: string[] = [];
  const jags: string[] = [];
  const fetchFn = ((url: string | URL, init?: RequestInit) => {
    fetched.push(String(url));
    return fetch(url, init);
  }) as typeof fetch;
  const provider = new CrossAppAccessProvider({
    clientId: APP_AT_B,
    clientSecret: SECRETS.CHAT_APP_B_SECRET,
    clientName: 'Chat app',
    expectedIssuer: issuerB,
    fetchFn,
    assertion: async (ctx) => {
      const result = await discoverAndRequestJwtAuthGrant({
        idpUrl: issuerA,
        audience: ctx.authorizationServerUrl,
        resource: ctx.resourceUrl,
        idToken,
        clientId: APP_AT_A,
        clientSecret: SECRETS.CHAT_APP_A_SECRET,
        ...(ctx.scope ? { scope: ctx.scope } : {}),
        fetchFn: ctx.fetchFn,
      });
      jags.push(result.jwtAuthGrant);
      return result.jwtAuthGrant;
    },
  });
  return { provider, fetched, jags, fetchFn };
}

describe('EMA end to end: ID-JAG minted by Portcullis A, accepted by Portcullis B, the SDK cross-app-access client calls a tool (e2e.ema.two-instances)', () => {
  test('A advertises token exchange and ID-JAG issuance; B advertises the ID-JAG grant profile', async () => {
    const ma = (await (await fetch(`${issuerA}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    assert.ok(ma.grant_types_supported!.includes(TOKEN_EXCHANGE));
    assert.deepEqual(ma.identity_chaining_requested_token_types_supported, ['urn:ietf:params:oauth:token-type:id-jag']);
    assert.equal(ma.userinfo_endpoint, `${issuerA}/userinfo`);
    const mb = (await (await fetch(`${issuerB}/.well-known/oauth-authorization-server`)).json()) as Record<string, string[]>;
    assert.ok(mb.grant_types_supported!.includes(JWT_BEARER));
    assert.ok(mb.authorization_grant_profiles_supported!.includes('urn:ietf:params:oauth:grant-profile:id-jag'));
  });

  test('alice signs in once at A; the SDK then gets an ID-JAG from A and an access token from B with no browser, and calls tools', async () => {
    const idToken = await ssoIdToken('alice');
    const run = crossAppAccess(idToken);
    const client = new Client({ name: 'portcullis-e2e-ema', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(mcpB), { authProvider: run.provider, fetch: run.fetchFn }));
      const title = `ema-${Date.now()}`;
      assert.match(toolText(await client.callTool({ name: 'add_note', arguments: { title, body: 'written through an ID-JAG' } })), /added note #\d+/);
      assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), new RegExp(title));
    } finally {
      await client.close();
    }
    // no browser after the SSO: nothing went to an authorization endpoint, the exchange went to A's token endpoint
    assert.equal(run.fetched.filter((u) => u.includes('/authorize')).length, 0, run.fetched.join('\n'));
    assert.ok(run.fetched.includes(`${issuerA}/token`), run.fetched.join('\n'));
    assert.ok(run.fetched.includes(`${issuerB}/token`), run.fetched.join('\n'));

    // the ID-JAG A minted: typ, iss A, aud B, client_id at B, the MCP resource, the granted scopes, ≤ 300 s
    assert.equal(run.jags.length, 1);
    const jag = run.jags[0]!;
    assert.equal(decodeProtectedHeader(jag).typ, 'oauth-id-jag+jwt');
    const c = decodeJwt(jag);
    assert.equal(c.iss, issuerA);
    assert.equal(c.aud, issuerB);
    assert.equal(c.client_id, APP_AT_B);
    assert.equal(c.resource, mcpB);
    assert.equal(c.sub, decodeJwt(idToken).sub);
    assert.ok(c.exp! - c.iat! <= 300);
    assert.ok(String(c.scope).split(' ').every((s) => ['notes:read', 'notes:write'].includes(s)));
    // B's access token: bound to its MCP server, for the app's client at B, no refresh token (ID-JAG §4.4.3)
    const tokens = run.provider.tokens()!;
    assert.equal(decodeJwt(tokens.access_token).aud, mcpB);
    assert.equal(decodeJwt(tokens.access_token).client_id, APP_AT_B);
    assert.equal(tokens.refresh_token, undefined);

    // EMA §7.4.2: the ID-JAG is single use at B
    await assert.rejects(exchangeJwtAuthGrant({ tokenEndpoint: `${issuerB}/token`, jwtAuthGrant: jag, clientId: APP_AT_B, clientSecret: SECRETS.CHAT_APP_B_SECRET }), /invalid_grant/);

    // both sides audited it: A's issuance, B's acceptance
    const auditA = await runCli(['audit', 'query', '--type', 'idjag.*', '--json', '--config', configA]);
    assert.equal(auditA.code, 0, auditA.stderr);
    assert.match(auditA.stdout, /"type":"idjag\.issued"/);
    assert.doesNotMatch(auditA.stdout, /eyJ/, 'no token in the audit log');
  });

  test('a user the policy does not allow: A refuses the exchange, the SDK fails before reaching B', async () => {
    const idToken = await ssoIdToken('bob');
    const run = crossAppAccess(idToken);
    const client = new Client({ name: 'portcullis-e2e-ema', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    try {
      await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(mcpB), { authProvider: run.provider, fetch: run.fetchFn })), /Token exchange failed: invalid_grant/);
    } finally {
      await client.close().catch(() => undefined);
    }
    assert.equal(run.jags.length, 0);
    assert.equal(run.fetched.includes(`${issuerB}/token`), false);
    const auditA = await runCli(['audit', 'query', '--type', 'idjag.issue_refused', '--json', '--config', configA]);
    assert.match(auditA.stdout, /not allowed/);
  });
});
