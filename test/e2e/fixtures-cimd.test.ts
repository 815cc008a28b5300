/**
 * The real Client ID Metadata Documents that MCP clients publish (shared/fixtures/cimd, kept exactly as
 * published), served from loopback https with ONLY client_id rewritten to their new URL (and, for ChatGPT, its
 * jwks_uri pointed at a loopback JWKS of a test key), against the real CLI. Each one gets a code through
 * /authorize → login → consent and redeems it at /token. Then the documents the spec demands we refuse, one row
 * each: the authorize request ends on the error page (400, no redirect).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { pkceS256 } from '../helpers/pkce.js';
import { driveAuthorization } from '../helpers/browserless.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { nativeClientDocument } from '../helpers/oauth-provider.js';
import { freePort } from '../helpers/ports.js';
import { serveDemo, type PortcullisProcess } from '../helpers/portcullis-process.js';

const FIXTURES = new URL('../../../shared/fixtures/cimd/', import.meta.url);
const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** The redirect URI each client really uses (from its own document); ChatGPT's is its stable https redirect. */
function redirectFor(file: string, doc: { redirect_uris: string[] }): string {
  if (file.startsWith('vscode')) return 'http://127.0.0.1:33418/';
  if (file.startsWith('claude')) return 'https://claude.ai/api/mcp/auth_callback';
  if (file.startsWith('chatgpt')) return 'https://chatgpt.com/connector_platform_oauth_redirect';
  return doc.redirect_uris[0]!;
}

describe('e2e: real clients\' CIMD documents against `portcullis serve` (e2e.cimd-fixtures)', { timeout: 120_000 }, () => {
  let env: E2eEnv;
  let server: PortcullisProcess | undefined;
  let issuer: string;
  let mcpUrl: string;
  let password: string;
  let chatgptKey: CryptoKey;
  const KID = 'e2e-chatgpt-rs256';

  before(async () => {
    env = await setupE2eEnv();
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    chatgptKey = privateKey;
    env.https.route('/chatgpt/jwks.json', { body: { keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] } });
    server = await serveDemo({ port: await freePort(), dataDir: env.newDir('data'), caFile: env.caFile });
    issuer = server.banner.issuer;
    mcpUrl = server.banner.mcpUrls[0]!;
    password = server.banner.demoPassword!;
    assert.ok(mcpUrl && password, `banner parsed:\n${server.stdout()}`);
  });

  after(async () => {
    server?.kill();
    await env?.cleanup();
  });

  /** Publish `file` with only client_id (and ChatGPT's jwks_uri) rewritten; returns the new client_id and the document. */
  function publish(file: string): { clientId: string; doc: Record<string, unknown> & { redirect_uris: string[] } } {
    const raw = readFileSync(new URL(file, FIXTURES), 'utf8');
    const doc = JSON.parse(raw) as Record<string, unknown> & { redirect_uris: string[] };
    const path = `/fixtures/${file}`;
    const clientId = env.https.url(path);
    doc.client_id = clientId;
    if (typeof doc.jwks_uri === 'string') doc.jwks_uri = env.https.url('/chatgpt/jwks.json');
    env.https.route(path, { body: doc });
    return { clientId, doc };
  }

  function authorizeUrl(clientId: string, redirectUri: string, challenge: string, state: string): string {
    const u = new URL(`${issuer}/authorize`);
    u.searchParams.set('response_type', 'code');
    u.searchParams.set('client_id', clientId);
    u.searchParams.set('redirect_uri', redirectUri);
    u.searchParams.set('code_challenge', challenge);
    u.searchParams.set('code_challenge_method', 'S256');
    u.searchParams.set('state', state);
    u.searchParams.set('resource', mcpUrl);
    return u.toString();
  }

  /** /authorize → login → consent; the code is taken from the final Location, which is never connected to. */
  async function getCode(clientId: string, redirectUri: string): Promise<{ code: string; verifier: string }> {
    const { verifier, challenge } = pkceS256();
    const state = randomUUID();
    const { location } = await driveAuthorization(fetch, authorizeUrl(clientId, redirectUri, challenge, state), { username: 'demo', password, decision: 'approve' });
    const loc = new URL(location);
    assert.ok(location.startsWith(redirectUri), `sent back to ${redirectUri}, not ${location}`);
    assert.equal(loc.searchParams.get('error'), null, `no error: ${loc.searchParams.get('error_description')}`);
    assert.equal(loc.searchParams.get('state'), state);
    assert.equal(loc.searchParams.get('iss'), issuer, 'RFC 9207: iss in the authorization response');
    const code = loc.searchParams.get('code');
    assert.ok(code);
    return { code, verifier };
  }

  async function clientAssertion(clientId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(issuer)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(chatgptKey);
  }

  async function token(form: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const res = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  test('the fixtures are all there (shared/fixtures/cimd)', () => {
    for (const f of ['chatgpt.json', 'claude-ai.2026-09-21.json', 'claude-ai.keycloak-50362.json', 'vscode.before-logo_uri.json', 'vscode.json']) {
      assert.ok(fixtureFiles.includes(f), `${f} present`);
    }
  });

  for (const file of fixtureFiles) {
    const confidential = file.startsWith('chatgpt');
    test(`MCP 2026-07-28 [REG] / CIMD §4.1: ${file} as published (client_id rewritten) gets a code and redeems it${confidential ? ' with private_key_jwt (RFC 7523 §2.2, CIMD §6.2)' : ' as a public client'} (e2e.cimd-fixtures.${file.replace(/\.json$/, '')})`, async () => {
      const { clientId, doc } = publish(file);
      const redirectUri = redirectFor(file, doc);
      assert.ok(doc.redirect_uris.includes(redirectUri), `${redirectUri} is in the document`);
      const { code, verifier } = await getCode(clientId, redirectUri);
      const form: Record<string, string> = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId, resource: mcpUrl };
      if (confidential) {
        form.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
        form.client_assertion = await clientAssertion(clientId);
      }
      const res = await token(form);
      assert.equal(res.status, 200, `token response: ${JSON.stringify(res.body)}`);
      assert.match(String(res.headers.get('cache-control')), /no-store/);
      assert.match(String(res.body.token_type), /^bearer$/i);
      const claims = decodeJwt(String(res.body.access_token));
      assert.equal(claims.aud, mcpUrl, 'the access token is bound to the MCP URL');
      assert.equal(claims.iss, issuer);
      assert.equal(claims.client_id, clientId);
      if ((doc.grant_types as string[] | undefined)?.includes('refresh_token')) assert.ok(res.body.refresh_token, 'the document lists refresh_token: one is issued');
    });
  }

  test('CIMD §6.2 / OAuth 2.1 §2.4: ChatGPT (private_key_jwt) without its client assertion, or with one signed by another key, is refused with invalid_client (e2e.cimd-fixtures.chatgpt-auth-required)', async () => {
    const { clientId, doc } = publish('chatgpt.json');
    const redirectUri = redirectFor('chatgpt.json', doc);
    const { code, verifier } = await getCode(clientId, redirectUri);
    const base = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId, resource: mcpUrl };
    const none = await token(base);
    assert.equal(none.status, 401, JSON.stringify(none.body));
    assert.equal(none.body.error, 'invalid_client');
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: KID })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(issuer)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(otherKey);
    const bad = await token({ ...base, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: forged });
    assert.equal(bad.status, 401, JSON.stringify(bad.body));
    assert.equal(bad.body.error, 'invalid_client');
  });

  describe('documents the spec demands we refuse: the authorize error page (400, no Location), never a redirect (CIMD §4.3, OAuth 2.1 §4.1.2.1) (e2e.cimd-fixtures.refused)', () => {
    const valid = (clientId: string): Record<string, unknown> => nativeClientDocument(clientId, 'Refused e2e client');
    // `page` is what the error page must say: which rule refused the document (or that the fetch failed).
    const rows: Array<{ name: string; source: string; page: RegExp; serve: (clientId: string, path: string) => void }> = [
      {
        name: 'client_id differs from the document URL',
        source: 'CIMD §4.1, [REG] "For Authorization Servers"',
        page: /client_id/,
        serve: (clientId, path) => env.https.route(path, { body: { ...valid(clientId), client_id: env.https.url('/someone-else.json') } }),
      },
      {
        name: 'a client_secret inside the document',
        source: 'CIMD §4.1',
        page: /client_secret/,
        serve: (clientId, path) => env.https.route(path, { body: { ...valid(clientId), client_secret: 'hunter2-hunter2' } }),
      },
      {
        name: 'token_endpoint_auth_method client_secret_post',
        source: 'CIMD §4.1 (shared-secret methods)',
        page: /client_secret_post/,
        serve: (clientId, path) => env.https.route(path, { body: { ...valid(clientId), token_endpoint_auth_method: 'client_secret_post' } }),
      },
      {
        name: 'no redirect_uris',
        source: '[REG] "For Authorization Servers" (client_id, client_name, redirect_uris required)',
        page: /redirect_uris/,
        serve: (clientId, path) => {
          const doc = valid(clientId);
          delete doc.redirect_uris;
          env.https.route(path, { body: doc });
        },
      },
      {
        name: 'larger than 5 KB',
        source: 'CIMD §6.6',
        page: /could not be fetched/,
        serve: (clientId, path) => env.https.route(path, { body: { ...valid(clientId), padding: 'x'.repeat(6000) } }),
      },
      {
        name: 'served with a redirect (to a valid document)',
        source: 'CIMD §4 (-01): MUST NOT follow redirects',
        page: /could not be fetched/,
        serve: (clientId, path) => {
          env.https.route(`${path}.target`, { body: valid(clientId) });
          env.https.route(path, { status: 302, headers: { location: env.https.url(`${path}.target`) } });
        },
      },
      {
        name: 'a non-200 status (203 with a valid document)',
        source: 'CIMD §4 (-01): only 200 is success',
        page: /could not be fetched/,
        serve: (clientId, path) => env.https.route(path, { status: 203, body: valid(clientId) }),
      },
    ];
    test('control: the same harness with a valid document gets past the client check (303 to login) (e2e.cimd-fixtures.refused.0)', async () => {
      const path = '/refused/0/client.json';
      const clientId = env.https.url(path);
      env.https.route(path, { body: valid(clientId) });
      const res = await fetch(authorizeUrl(clientId, 'http://127.0.0.1:49152/callback', pkceS256().challenge, 'st'), { redirect: 'manual' });
      await res.body?.cancel();
      assert.equal(res.status, 303);
      assert.match(res.headers.get('location') ?? '', new RegExp(`^${issuer}/interaction/`));
    });
    rows.forEach((row, i) => {
      test(`${row.name} → error page (${row.source}) (e2e.cimd-fixtures.refused.${i + 1})`, async () => {
        const path = `/refused/${i + 1}/client.json`;
        const clientId = env.https.url(path);
        row.serve(clientId, path);
        const { challenge } = pkceS256();
        const res = await fetch(authorizeUrl(clientId, 'http://127.0.0.1:49152/callback', challenge, 'st'), { redirect: 'manual' });
        const html = await res.text();
        assert.equal(res.status, 400, html.slice(0, 400));
        assert.equal(res.headers.get('location'), null, 'no redirect to the client');
        assert.match(res.headers.get('content-type') ?? '', /text\/html/);
        assert.match(html, row.page, 'the page says why');
        assert.ok(env.https.requests.includes(path), 'Portcullis did fetch the document');
        assert.ok(!env.https.requests.includes(`${path}.target`), 'and did not follow a redirect');
      });
    });
  });
});
