/**
 * Issue 4 item 3, "How it is shown": the official MCP SDK client completes the whole flow with the user signing in
 * at an upstream OpenID Provider — a REAL oidc-provider dressed as Entra ID from the real discovery document
 * (templated `{tenantid}` issuer, `resource` refused with AADSTS9010010, no registration endpoint). The real CLI
 * (`portcullis serve --demo --config …`, password login off), the client identified by a CIMD URL over loopback
 * https, the user played by form posts: discovery → CIMD → authorize → "Sign in with Microsoft" → the IdP's
 * login and consent forms → callback → consent → token → tool call through the gateway.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { CookieJar, formAction, hiddenInput } from '../helpers/browserless.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { nativeClientDocument, TestOAuthProvider } from '../helpers/oauth-provider.js';
import { freePort } from '../helpers/ports.js';
import { spawnPortcullis, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { expectError, toolText } from '../helpers/mcp.js';
import { IDP_CLIENT_ID, IDP_CLIENT_SECRET, signInAtIdp, TestIdp } from '../helpers/oidc-idp.js';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

describe('e2e: the official MCP SDK client through an upstream Entra-shaped OpenID Provider (e2e.federation.sdk)', { timeout: 180_000 }, () => {
  let env: E2eEnv;
  let entra: TestIdp;
  let server: PortcullisProcess | undefined;
  let issuer: string;
  let mcpUrl: string;
  let cimdUrl: string;
  /** every response Portcullis sent the browser (status, headers, body) */
  const seen: string[] = [];

  before(async () => {
    env = await setupE2eEnv();
    cimdUrl = env.https.url('/fed-client.json');
    env.https.route('/fed-client.json', { body: nativeClientDocument(cimdUrl, 'Federation e2e client') });
    const port = await freePort();
    entra = await new TestIdp({
      kind: 'entra',
      tenants: [TENANT],
      redirectUris: [`http://127.0.0.1:${port}/login/callback/entra`],
      accounts: { erin: { email: 'erin@contoso.example', groups: ['g-notes'] } },
    }).start();
    const dataDir = env.newDir('data');
    const configFile = join(env.dir, 'portcullis.yaml');
    // JSON is YAML; the client secret is NOT in the file: it comes from the environment
    writeFileSync(
      configFile,
      JSON.stringify({
        login: {
          password: false,
          upstream_idps: [
            {
              id: 'entra',
              display_name: 'Microsoft',
              issuer: entra.configuredIssuer,
              client_id: IDP_CLIENT_ID,
              client_secret_env: 'TEST_IDP_SECRET',
              allowed_tenants: [TENANT],
              claims: { groups: 'groups' },
              group_roles: { 'g-notes': ['reader', 'editor'] },
            },
          ],
        },
      }),
    );
    server = await spawnPortcullis({
      args: ['serve', '--demo', '--config', configFile, '--port', String(port), '--data-dir', dataDir],
      env: { NODE_EXTRA_CA_CERTS: env.caFile, PORTCULLIS_LOG_LEVEL: 'warn', TEST_IDP_SECRET: IDP_CLIENT_SECRET },
    });
    issuer = server.banner.issuer;
    mcpUrl = server.banner.mcpUrls[0]!;
  });

  after(async () => {
    server?.kill();
    await entra?.close();
    await env?.cleanup();
  });

  /** the user: Portcullis login page → "Sign in with Microsoft" → the IdP → callback → consent; returns the client redirect */
  async function userSignsInUpstream(authorizationUrl: URL): Promise<URL> {
    const jar = new CookieJar();
    const get = async (url: string, init: RequestInit = {}): Promise<Response> => {
      const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
      jar.take(res);
      seen.push(`${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${await res.clone().text()}`);
      return res;
    };
    const start = await get(authorizationUrl.href);
    assert.equal(start.status, 303, await start.text());
    const interactionUrl = new URL(start.headers.get('location')!, issuer).href;
    const login = await (await get(interactionUrl)).text();
    assert.doesNotMatch(login, /name="password"/, 'login.password: false — only the IdP is offered');
    const link = /href="([^"]*\/upstream\/entra\?[^"]*)"/.exec(login)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(link, `a "Sign in with Microsoft" link:\n${login}`);
    assert.match(login, /Sign in with Microsoft/);
    const go = await get(new URL(link, issuer).href);
    assert.equal(go.status, 303);
    const upstream = new URL(go.headers.get('location')!);
    assert.equal(`${upstream.origin}${upstream.pathname}`, `${entra.origin}/common/oauth2/v2.0/authorize`);
    assert.equal(upstream.searchParams.has('resource'), false, 'the MCP resource is never forwarded (Entra: AADSTS9010010)');
    const callback = await signInAtIdp(fetch, upstream.href, `${issuer}/login/callback/entra`, 'erin', jar);
    const back = await get(callback.href);
    assert.equal(back.status, 303, await back.text());
    const consent = await (await get(new URL(back.headers.get('location')!, issuer).href)).text();
    assert.match(consent, /Federation e2e client/);
    const approve = await get(new URL(formAction(consent), issuer).href, {
      method: 'POST',
      body: new URLSearchParams({ csrf: hiddenInput(consent, 'csrf') ?? '', decision: 'approve' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: issuer },
    });
    assert.equal(approve.status, 303);
    return new URL(approve.headers.get('location')!);
  }

  test('discovery → CIMD → authorize → upstream login at the IdP → callback → consent → token → tool call; no upstream token reaches the client (e2e.federation.sdk, as.federation.no-upstream-token-leak)', async () => {
    assert.equal(entra.discovery().registration_endpoint, undefined, 'the IdP offers no Dynamic Client Registration');
    assert.equal(entra.discovery().issuer, `${entra.origin}/{tenantid}/v2.0`, 'the templated tenant issuer of the real document');
    const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
    let callback: URL | undefined;
    const provider = new TestOAuthProvider({ clientMetadataUrl: cimdUrl, redirectUrl, clientName: 'Federation e2e client', onRedirect: async (url) => void (callback = await userSignsInUpstream(url)) });
    const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    const firstClient = new Client({ name: 'portcullis-e2e-federation', version: '1.0.0' });
    await assert.rejects(firstClient.connect(first), expectError(UnauthorizedError));
    assert.equal(provider.authorizationUrls[0]!.searchParams.get('client_id'), cimdUrl);
    assert.ok(callback, 'the flow ended at the client');
    assert.equal(callback.searchParams.get('iss'), issuer);
    const code = callback.searchParams.get('code');
    assert.ok(code, `code (error: ${callback.searchParams.get('error_description')})`);
    await first.finishAuth(code);
    const tokens = provider.savedTokens[0]!.tokens;
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, mcpUrl);
    assert.equal(claims.client_id, cimdUrl);
    assert.match(String(claims.scope), /notes:read/, 'roles from the IdP groups (reader, editor) allow the notes scopes');

    const client = new Client({ name: 'portcullis-e2e-federation', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    const listed = toolText(await client.callTool({ name: 'list_notes', arguments: {} }));
    assert.match(listed, /Welcome/);
    await client.close();
    await firstClient.close().catch(() => undefined);

    assert.ok(seen.length >= 6, 'the browser saw the Portcullis pages');
    // the IdP's access, refresh and ID tokens: in no page, redirect, token response or tool result
    assert.ok(entra.issuedTokens.length >= 2, 'the IdP issued tokens to Portcullis');
    const visible = [...seen, JSON.stringify(provider.savedTokens), listed].join('\n');
    for (const t of entra.issuedTokens) assert.ok(!visible.includes(t) && !visible.includes(t.split('.')[2] ?? t), 'an upstream token reached the client side');
    assert.equal(entra.tokenRequests.at(-1)!.has('resource'), false);
  });
});
