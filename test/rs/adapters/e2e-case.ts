/**
 * The one end-to-end case every `portcullis/resource-server` adapter passes (issue 11 "How it is shown"): the
 * official SDK client (v1) against an MCP server protected by the adapter, Portcullis in AS-only mode as its
 * authorization server. Discovery from the 401, login and consent (browserless), a tool call that reaches the
 * handler with the verified identity, the 403 step-up challenge, re-authorization with the wider scope, and a
 * revocation honoured within seconds.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { driveAuthorization } from '../../helpers/browserless.js';
import { expectError, toolText } from '../../helpers/mcp.js';
import { TestOAuthProvider } from '../../helpers/oauth-provider.js';
import { freePort } from '../../helpers/ports.js';
import type { Store } from '../../../src/store/types.js';
import { hashPassword } from '../../../src/as/passwords.js';

export interface CaseTarget {
  /** the adapter's name, for messages and user names */
  name: string;
  /** the protected MCP server's URL (its resource identifier) */
  mcpUrl: string;
  /** other protected MCP servers of the same AS: this resource's tokens must be refused there (audience) */
  others: string[];
}

export interface CaseAs {
  issuer: string;
  store: Store;
  /** a static public client with a loopback redirect URI */
  clientId: string;
}

/** within this long after a revocation is committed, a call must be refused (poll every 0.5 s in the apps) */
export const REVOCATION_LIMIT_MS = 3_000;

function parseBearer(header: string): Record<string, string> {
  assert.match(header, /^Bearer /, `a Bearer challenge: ${header}`);
  const params: Record<string, string> = {};
  for (const m of header.slice('Bearer '.length).matchAll(/([A-Za-z_]+)="((?:[^"\\]|\\.)*)"/g)) params[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  return params;
}

const scopes = (s: unknown): string[] => (typeof s === 'string' ? s.split(' ').filter(Boolean).sort() : []);

export async function sdkEndToEndCase(target: CaseTarget, as: CaseAs): Promise<{ revokedAfterMs: number }> {
  const { mcpUrl } = target;
  const u = new URL(mcpUrl);
  const prmUrl = `${u.origin}/.well-known/oauth-protected-resource${u.pathname}`;
  const rawCall = (token: string | undefined, name: string, args: Record<string, unknown> = {}): Promise<Response> =>
    fetch(mcpUrl, {
      method: 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } }),
    });

  // 1. Discovery as a client meets it: 401 pointing at the PRM document (RFC 9728 §5.1), which names the AS.
  const first = await rawCall(undefined, 'list_notes');
  assert.equal(first.status, 401, `${target.name}: 401 without a token`);
  const challenge = parseBearer(first.headers.get('www-authenticate') ?? '');
  assert.equal(challenge.resource_metadata, prmUrl);
  assert.deepEqual(scopes(challenge.scope), ['notes:read', 'notes:write']);
  await first.body?.cancel();
  const prm = await fetch(prmUrl);
  assert.equal(prm.status, 200);
  const doc = (await prm.json()) as Record<string, unknown>;
  assert.equal(doc.resource, mcpUrl, 'RFC 9728 §3.3: resource equals the URL the metadata URL came from');
  assert.deepEqual(doc.authorization_servers, [as.issuer]);

  // 2. A reader signs in through the SDK: login and consent as form posts.
  const username = `reader-${target.name}`;
  const password = `pw-${target.name}-long-enough`;
  const userId = `user-${target.name}`;
  await as.store.createUser({ id: userId, username, password_hash: await hashPassword(password), roles: ['reader'], disabled: false, created_at: Date.now() });
  let userAway = false;
  let callback: URL | undefined;
  const provider = new TestOAuthProvider({
    clientMetadataUrl: 'https://unused.example/client.json',
    redirectUrl: `http://127.0.0.1:${await freePort()}/callback`,
    onRedirect: async (url) => {
      if (userAway) {
        callback = undefined;
        return;
      }
      const { location } = await driveAuthorization(fetch, url.href, { username, password, decision: 'approve' });
      callback = new URL(location);
      assert.equal(callback.searchParams.get('error'), null, `no error: ${callback.searchParams.get('error_description')}`);
    },
  });
  // a pre-registered static client (the AS's CIMD path is proven by test/e2e; here the resource server is the subject)
  provider.saveClientInformation({ client_id: as.clientId });
  const code = (): string => {
    const c = callback?.searchParams.get('code');
    assert.ok(c, 'an authorization code');
    return c;
  };
  const probe = new Client({ name: `rs-e2e-${target.name}`, version: '1.0.0' });
  await assert.rejects(probe.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider })), expectError(UnauthorizedError));
  await probe.close();
  const authUrl = provider.authorizationUrls[0]!;
  assert.equal(authUrl.searchParams.get('resource'), mcpUrl, 'RFC 8707: the SDK asks for this resource');
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await transport.finishAuth(code());
  const readClaims = decodeJwt(provider.tokens()!.access_token);
  assert.equal(readClaims.aud, mcpUrl, 'the token is bound to this resource');
  assert.deepEqual(scopes(readClaims.scope), ['notes:read'], 'requested ∩ permitted for a reader');

  const client = new Client({ name: `rs-e2e-${target.name}`, version: '1.0.0' });
  try {
    await client.connect(transport);

    // 3. A tool call reaches the handler with the verified identity (the SDK's authInfo).
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), /Welcome/);
    const who = JSON.parse(toolText(await client.callTool({ name: 'whoami', arguments: {} }))) as { sub: string; client_id: string; scopes: string[] };
    assert.deepEqual(who, { sub: readClaims.sub, client_id: as.clientId, scopes: ['notes:read'] });

    // 4. The write tool: 403 insufficient_scope naming notes:write (MCP "Runtime Insufficient Scope Errors").
    const refused = await client.callTool({ name: 'add_note', arguments: { text: `by ${target.name}` } }).then(
      (r) => assert.fail(`add_note succeeded with a read-only token: ${JSON.stringify(r)}`),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof StreamableHTTPError, `StreamableHTTPError, got ${String(refused)}`);
    assert.equal(refused.code, 403);
    const readToken = provider.tokens()!.access_token;
    const raw = await rawCall(readToken, 'add_note', { text: 'raw' });
    assert.equal(raw.status, 403);
    const header = raw.headers.get('www-authenticate') ?? '';
    assert.match(header, /^Bearer error="insufficient_scope", scope="[^"]+", resource_metadata="[^"]+"/, header);
    const step = parseBearer(header);
    assert.deepEqual(scopes(step.scope), ['notes:write']);
    assert.equal(step.resource_metadata, prmUrl);
    await raw.body?.cancel();
    assert.doesNotMatch(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), /raw|by /, 'the refused calls never reached the handler');

    // 5. Step-up: the admin makes the user an editor; the client re-authorizes with the union of scopes.
    await as.store.updateUserRoles(userId, ['editor']);
    const union = [...new Set([...scopes(readClaims.scope), ...scopes(step.scope)])].sort().join(' ');
    provider.invalidateCredentials('tokens');
    callback = undefined;
    assert.equal(await auth(provider, { serverUrl: new URL(mcpUrl), resourceMetadataUrl: new URL(prmUrl), scope: union }), 'REDIRECT');
    await transport.finishAuth(code());
    assert.deepEqual(scopes(decodeJwt(provider.tokens()!.access_token).scope), ['notes:read', 'notes:write']);
    assert.match(toolText(await client.callTool({ name: 'add_note', arguments: { text: `by ${target.name}` } })), /added note #2/);
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), new RegExp(`by ${target.name}`));

    // 6. Audience: the same valid token is refused by every other resource of the same AS (RFC 8707, RFC 9068 §4).
    for (const other of target.others) {
      const r = await fetch(other, { method: 'POST', headers: { authorization: `Bearer ${provider.tokens()!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
      await r.body?.cancel();
      assert.equal(r.status, 401, `${other} refuses a token for ${mcpUrl}`);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    }

    // 7. Revocation (as `portcullis revoke --user` writes it): refused within seconds, though the JWT is unexpired.
    userAway = true;
    const lastToken = provider.tokens()!.access_token;
    const revoked = await as.store.revokeGrantsForUser(userId, Date.now(), 'e2e');
    assert.ok(revoked.length >= 1, 'grants revoked');
    const since = Date.now();
    let revokedAfterMs = -1;
    for (;;) {
      const r = await rawCall(lastToken, 'list_notes');
      await r.body?.cancel();
      if (r.status === 401) {
        revokedAfterMs = Date.now() - since;
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
        break;
      }
      assert.equal(r.status, 200, `${target.name}: accepted or refused, nothing else`);
      if (Date.now() - since > REVOCATION_LIMIT_MS) assert.fail(`${target.name}: still accepted ${Date.now() - since} ms after the revocation`);
      await sleep(100);
    }
    // the SDK client sees it too: its refresh fails (grant gone), it wants a new login
    await assert.rejects(client.callTool({ name: 'list_notes', arguments: {} }), expectError(UnauthorizedError));
    return { revokedAfterMs };
  } finally {
    await client.close();
  }
}
