/**
 * End to end with the official MCP SDK clients, as the "How it is shown" asks: the real CLI
 * (`portcullis serve --demo`), a Client ID Metadata Document published over loopback https, and the SDK v1
 * (`@modelcontextprotocol/sdk`) and v2 (`@modelcontextprotocol/client`) clients with an OAuthClientProvider whose
 * only configuration is `clientMetadataUrl` and a redirect URL. Login and consent are posted as forms
 * (test/helpers/browserless.ts); the real-browser variant is test/e2e/browser.test.ts.
 *
 * The one long wait of the e2e suite is here: an access token (60 s) is left to expire and the SDK must recover
 * through the refresh token without a new login. To keep the file short the v2 test runs while that clock runs.
 */
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  Client as ClientV2,
  IssuerMismatchError,
  StreamableHTTPClientTransport as StreamableHTTPClientTransportV2,
  UnauthorizedError as UnauthorizedErrorV2,
} from '@modelcontextprotocol/client';
import { driveAuthorization } from '../helpers/browserless.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { nativeClientDocument, TestOAuthProvider } from '../helpers/oauth-provider.js';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT, serveDemo, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { expectError, toolText } from '../helpers/mcp.js';

const DEMO_TOOLS = ['list_notes', 'read_note', 'add_note', 'delete_all_notes'];
const run = Date.now().toString(36);

describe('e2e: official MCP SDK clients against `portcullis serve --demo` with a CIMD client_id (e2e.sdk)', { timeout: 240_000 }, () => {
  let env: E2eEnv;
  let port: number;
  let dataDir: string;
  let server: PortcullisProcess | undefined;
  let restarted: PortcullisProcess | undefined;
  let cimdUrl: string;
  let mcpUrl: string;
  let issuer: string;
  let password: string;
  const closers: Array<() => Promise<unknown>> = [];

  // shared between the tests below, in order
  let providerV1: TestOAuthProvider | undefined;
  let clientV1: Client | undefined;
  let providerV2: TestOAuthProvider | undefined;

  before(async () => {
    env = await setupE2eEnv();
    cimdUrl = env.https.url('/client.json');
    env.https.route('/client.json', { body: nativeClientDocument(cimdUrl, 'Portcullis SDK e2e client'), headers: { 'cache-control': 'max-age=300' } });
    port = await freePort();
    dataDir = env.newDir('data');
    server = await serveDemo({ port, dataDir, caFile: env.caFile });
    const b = server.banner;
    assert.equal(b.mcpUrls.length, 1, `one MCP URL in the banner:\n${server.stdout()}`);
    mcpUrl = b.mcpUrls[0]!;
    issuer = b.issuer;
    assert.equal(b.demoUser, 'demo');
    assert.ok(b.demoPassword, 'the banner prints the demo password');
    password = b.demoPassword!;
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    server?.kill();
    restarted?.kill();
    try {
      const dir = join(REPO_ROOT, 'test', '.tmp');
      mkdirSync(dir, { recursive: true });
      const log = (p: PortcullisProcess | undefined) => (p ? `--- stdout\n${p.stdout()}\n--- stderr\n${p.stderr()}\n` : '(not started)\n');
      writeFileSync(join(dir, 'e2e-sdk-client.portcullis.log'), `first run\n${log(server)}\nrestart\n${log(restarted)}`);
    } catch {
      // diagnostics only
    }
    await env?.cleanup();
  });

  /** Plays the user for a headless client: login and consent as form posts; returns the callback URL. */
  const userApproves = async (authorizationUrl: URL): Promise<URL> => {
    const { location } = await driveAuthorization(fetch, authorizationUrl.href, { username: 'demo', password, decision: 'approve' });
    return new URL(location);
  };

  test('MCP 2026-07-28 [REG] CIMD: the official SDK v1 client connects with no client configuration (e2e.sdk.cimd-zero-config)', async () => {
    const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
    let callback: URL | undefined;
    const provider = new TestOAuthProvider({
      clientMetadataUrl: cimdUrl,
      redirectUrl,
      onRedirect: async (url) => {
        callback = await userApproves(url);
      },
    });
    providerV1 = provider;

    // 1. No token yet: the SDK discovers PRM → AS metadata, sees client_id_metadata_document_supported, sends the
    //    user to /authorize with the CIMD URL as client_id, and reports UnauthorizedError.
    const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    const firstClient = new Client({ name: 'portcullis-e2e-sdk-v1', version: '1.0.0' });
    closers.push(() => firstClient.close());
    await assert.rejects(firstClient.connect(first), expectError(UnauthorizedError));

    assert.equal(provider.authorizationUrls.length, 1, 'exactly one authorization request');
    const authz = provider.authorizationUrls[0]!;
    assert.equal(`${authz.origin}${authz.pathname}`, `${issuer}/authorize`);
    assert.equal(authz.searchParams.get('client_id'), cimdUrl, 'MCP [REG]: the client_id is the CIMD URL, no registration');
    assert.equal(authz.searchParams.get('redirect_uri'), redirectUrl);
    assert.equal(authz.searchParams.get('response_type'), 'code');
    assert.equal(authz.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authz.searchParams.get('resource'), mcpUrl, 'RFC 8707: resource is the MCP URL');
    assert.ok(env.https.requests.includes('/client.json'), 'Portcullis fetched the client metadata document');

    // 2. The authorization response (RFC 9207: iss equal to the issuer).
    assert.ok(callback, 'login and consent ended in a redirect to the client');
    assert.equal(`${callback.origin}${callback.pathname}`, redirectUrl, 'redirected to the loopback port the client asked for');
    assert.equal(callback.searchParams.get('error'), null, `no error: ${callback.searchParams.get('error_description')}`);
    const code = callback.searchParams.get('code');
    assert.ok(code, 'code present');
    assert.equal(callback.searchParams.get('state'), provider.states[0], 'state echoed');
    assert.equal(callback.searchParams.get('iss'), issuer, 'RFC 9207 §2: iss present and equal to the issuer');

    // 3. Redeem the code, then connect for real.
    await first.finishAuth(code);
    assert.equal(provider.savedTokens.length, 1);
    const tokens = provider.savedTokens[0]!.tokens;
    assert.match(tokens.token_type, /^bearer$/i);
    assert.ok(tokens.refresh_token, 'a refresh token was issued');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.iss, issuer);
    assert.equal(claims.aud, mcpUrl, 'RFC 8707 / RFC 9068: the token is bound to the MCP URL');
    assert.equal(claims.client_id, cimdUrl, 'RFC 9068 §2.2: client_id claim is the CIMD URL');
    assert.equal(claims.exp! - claims.iat!, 60, 'PORTCULLIS_TOKENS__ACCESS_TOKEN_TTL=60 took effect');

    const client = new Client({ name: 'portcullis-e2e-sdk-v1', version: '1.0.0' });
    closers.push(() => client.close());
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    clientV1 = client;
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const tool of DEMO_TOOLS) assert.ok(names.includes(tool), `tools/list has ${tool} (got ${names.join(', ')})`);
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), /Welcome/);
    assert.match(toolText(await client.callTool({ name: 'add_note', arguments: { title: `sdk-v1-${run}`, body: 'written by the SDK v1 e2e test' } })), /added note #\d+/);
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), new RegExp(`sdk-v1-${run}`));
    assert.equal(provider.authorizationUrls.length, 1, 'no second authorization');
  });

  test('MCP 2026-07-28 [REG] CIMD + RFC 9207: the SDK v2 client (@modelcontextprotocol/client) connects with no client configuration and validates iss (e2e.sdk.v2-cimd-iss)', async () => {
    assert.ok(mcpUrl);
    const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
    let callback: URL | undefined;
    const provider = new TestOAuthProvider({
      clientMetadataUrl: cimdUrl,
      redirectUrl,
      onRedirect: async (url) => {
        callback = await userApproves(url);
      },
    });
    providerV2 = provider;
    const newClient = () => new ClientV2({ name: 'portcullis-e2e-sdk-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });

    const first = new StreamableHTTPClientTransportV2(new URL(mcpUrl), { authProvider: provider });
    const firstClient = newClient();
    closers.push(() => firstClient.close());
    await assert.rejects(firstClient.connect(first), expectError(UnauthorizedErrorV2));
    assert.equal(provider.authorizationUrls.length, 1);
    assert.equal(provider.authorizationUrls[0]!.searchParams.get('client_id'), cimdUrl, 'the client_id is the CIMD URL');
    assert.equal(provider.authorizationUrls[0]!.searchParams.get('resource'), mcpUrl);
    assert.ok(callback);
    const params = callback.searchParams;
    assert.equal(params.get('error'), null, `no error: ${params.get('error_description')}`);
    assert.equal(params.get('iss'), issuer, 'RFC 9207: iss present and equal to the issuer');
    assert.equal(params.get('state'), provider.states[0]);

    // The v2 SDK compares iss with the issuer it discovered (simple string comparison) before it redeems the code:
    // a variant is refused, the real callback is accepted.
    const forged = new URLSearchParams(params);
    forged.set('iss', `${issuer}/`);
    await assert.rejects(first.finishAuth(forged), expectError(IssuerMismatchError));
    assert.equal(provider.savedTokens.length, 0, 'nothing redeemed with a mismatched iss');
    await first.finishAuth(params); // the full callback parameters: code and iss
    assert.equal(provider.savedTokens.length, 1);
    assert.equal(decodeJwt(provider.savedTokens[0]!.tokens.access_token).aud, mcpUrl);

    const client = newClient();
    closers.push(() => client.close());
    await client.connect(new StreamableHTTPClientTransportV2(new URL(mcpUrl), { authProvider: provider }));
    // which wire the gateway and the demo upstream ended up on, for the record (either is fine here)
    console.log(`SDK v2 negotiated ${client.getNegotiatedProtocolVersion()} (era ${client.getProtocolEra()})`);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const tool of DEMO_TOOLS) assert.ok(names.includes(tool), `tools/list has ${tool} (got ${names.join(', ')})`);
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), new RegExp(`sdk-v1-${run}`));
    assert.match(toolText(await client.callTool({ name: 'add_note', arguments: { title: `sdk-v2-${run}`, body: 'written by the SDK v2 e2e test' } })), /added note #\d+/);
    assert.equal(provider.authorizationUrls.length, 1, 'no second authorization');
    await client.close();
  });

  test('MCP 2026-07-28 [AUTH] "Refresh Tokens" + OAuth 2.1 §4.3: after the access token expires the SDK v1 client recovers through the refresh token, without a new login (e2e.sdk.refresh-after-expiry)', { timeout: 120_000 }, async () => {
    const provider = providerV1;
    const client = clientV1;
    assert.ok(provider && client, 'needs the connected client of e2e.sdk.cimd-zero-config');
    const first = provider.savedTokens[0]!.tokens;
    const { exp, iat } = decodeJwt(first.access_token);
    // 61 s after issue (the token lives 60 s, no clock-skew allowance): the only long wait of the e2e suite.
    const until = (iat! + 61) * 1000;
    assert.ok(until - Date.now() <= 62_000, 'bounded wait');
    await sleep(Math.max(0, until - Date.now()));
    assert.ok(Date.now() > exp! * 1000);

    // The old token really is refused now (so what follows exercises the refresh)...
    const raw = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(raw.status, 401, 'RFC 6750 §3.1: an expired token gets 401');
    assert.match(raw.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await raw.body?.cancel();

    // ...and a tool call on the same client still succeeds: 401 → refresh_token grant → retry.
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), new RegExp(`sdk-v1-${run}`));
    assert.equal(provider.savedTokens.length, 2, 'the SDK saved a second token set');
    const second = provider.savedTokens[1]!.tokens;
    assert.notEqual(second.access_token, first.access_token, 'a new access token');
    assert.ok(second.refresh_token, 'a refresh token came with it');
    assert.notEqual(second.refresh_token, first.refresh_token, 'OAuth 2.1 §4.3.1: the refresh token of a public client is rotated');
    const claims = decodeJwt(second.access_token);
    assert.equal(claims.aud, mcpUrl);
    assert.ok(claims.exp! * 1000 > Date.now());
    assert.equal(provider.authorizationUrls.length, 1, 'no new authorization (the user was not asked again)');
    assert.deepEqual(provider.invalidations, [], 'the SDK never gave up on its credentials');
  });

  test('Ctrl-C shuts Portcullis down cleanly (exit 0), and a restart on the same data dir keeps the demo user, keys, grants and notes (e2e.cli.sigint-restart)', async () => {
    assert.ok(server && providerV1 && providerV2);
    await clientV1?.close();
    const code = await server.stop('SIGINT', 5_000);
    assert.equal(code, 0, `exit code after SIGINT\nstderr:\n${server.stderr()}`);
    assert.match(server.stderr(), /stopped/);

    restarted = await serveDemo({ port, dataDir, caFile: env.caFile });
    const b = restarted.banner;
    assert.equal(b.demoUser, 'demo');
    assert.equal(b.demoPassword, password, 'the same demo password is printed after a restart');
    assert.equal(b.issuer, issuer);
    assert.deepEqual(b.mcpUrls, [mcpUrl]);

    // Signing keys survived: the v1 client's access token from before the restart is still accepted as is.
    const before = providerV1.savedTokens.length;
    const stillValid = decodeJwt(providerV1.tokens()!.access_token).exp! * 1000 - Date.now() > 5_000;
    const client = new Client({ name: 'portcullis-e2e-sdk-v1', version: '1.0.0' });
    closers.push(() => client.close());
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: providerV1 }));
    const text = toolText(await client.callTool({ name: 'list_notes', arguments: {} }));
    assert.match(text, new RegExp(`sdk-v1-${run}`));
    assert.match(text, new RegExp(`sdk-v2-${run}`));
    if (stillValid) assert.equal(providerV1.savedTokens.length, before, 'the pre-restart access token was accepted (no refresh needed)');
    assert.equal(providerV1.authorizationUrls.length, 1, 'no new login after the restart');
    await client.close();

    // Grants survived: the v2 client's refresh token from before the restart is redeemed by the new process.
    const refresh = providerV2.tokens()!.refresh_token!;
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, client_id: cimdUrl, resource: mcpUrl }).toString(),
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, `refresh after restart: ${JSON.stringify(body)}`);
    assert.equal(decodeJwt(String(body.access_token)).aud, mcpUrl);

    assert.equal(await restarted.stop('SIGINT', 5_000), 0, 'the restarted server also stops cleanly');
  });
});
