/**
 * Issue 3, "How it is shown": end to end with the official SDK client, a user with a read-only role sees only the
 * read tools; calling the write tool yields the step-up challenge; after the admin grants the role and the client
 * re-authorizes, the call succeeds; after `portcullis revoke` for that user the next call is refused.
 *
 * Everything is the real thing: `portcullis serve --demo` (scopes notes:read ⊂ notes:write ⊂ notes:admin, roles
 * reader / editor / admin, `unlisted: deny`), the admin commands run as separate processes against the same data
 * dir (`users add`, `users roles`, `revoke`, `audit query`, `audit verify`), a CIMD client id published over
 * loopback https, and the SDK v1 (`@modelcontextprotocol/sdk`) and v2 (`@modelcontextprotocol/client`) clients.
 *
 * How the two SDKs take the 403 `insufficient_scope` challenge differs, and each test shows what its SDK does:
 * - v1 (1.32) answers a 403 by running auth() with the challenge's scope, but auth() prefers the refresh token, and
 *   a refresh never widens a grant: the retry gets the same 403 and the SDK gives up with StreamableHTTPError(403).
 *   The application then re-authorizes with the union of the token's and the challenge's scopes (what SEP-2350
 *   asks of clients) through the SDK's own auth().
 * - v2 computes that union itself and forces a new authorization (SEP-2350), sending the user to /authorize at once;
 *   here the user completes it only after the admin granted the role.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableHTTPClientTransportV2, UnauthorizedError as UnauthorizedErrorV2 } from '@modelcontextprotocol/client';
import { driveAuthorization } from '../helpers/browserless.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { nativeClientDocument, TestOAuthProvider } from '../helpers/oauth-provider.js';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT, runCli, serveDemo, type CliResult, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { expectError, toolText } from '../helpers/mcp.js';

const run = Date.now().toString(36);
const READ_TOOLS = ['list_notes', 'read_note'];
const EDITOR_TOOLS = ['add_note', 'list_notes', 'read_note'];
/** the gateway polls revoked grants every second; a call this long after `portcullis revoke` must be refused */
const REVOCATION_LIMIT_MS = 2_500;
const AUDIT_FLUSH_LIMIT_MS = 5_000;

interface AuditLine {
  seq: number;
  type: string;
  user_id: string | null;
  client_id: string | null;
  data: { tool?: string; reason?: string; required_scope?: string; scope?: string[] };
}

/** RFC 6750 §3 / RFC 9110 §11.2 auth-params of a Bearer challenge, in order (quoted-string values only). */
function parseBearer(header: string): { params: Record<string, string>; names: string[] } {
  assert.match(header, /^Bearer /, `a Bearer challenge: ${header}`);
  const params: Record<string, string> = {};
  const names: string[] = [];
  for (const m of header.slice('Bearer '.length).matchAll(/([A-Za-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    names.push(m[1]!);
    params[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  }
  return { params, names };
}

const scopes = (s: unknown): string[] => (typeof s === 'string' ? s.split(' ').filter(Boolean).sort() : []);
/** the resource's scopes of a token (offline_access, which the v2 SDK asks for when the AS offers it, is about the client) */
const resourceScopes = (s: unknown): string[] => scopes(s).filter((x) => x !== 'offline_access');
const union = (...lists: string[][]): string => [...new Set(lists.flat())].sort().join(' ');

describe('e2e: issue 3 step-up and revocation with the official MCP SDK clients against `portcullis serve --demo` (e2e.step-up)', { timeout: 180_000 }, () => {
  let env: E2eEnv;
  let dataDir: string;
  let server: PortcullisProcess | undefined;
  let cimdUrl: string;
  let mcpUrl: string;
  let prmUrl: string;
  const closers: Array<() => Promise<unknown>> = [];
  const passwords = new Map<string, string>();

  const cli = (args: string[], input?: string): Promise<CliResult> => runCli([...args, '--data-dir', dataDir], { input });
  const cliOk = async (args: string[], input?: string): Promise<string> => {
    const r = await cli(args, input);
    assert.equal(r.code, 0, `portcullis ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    env = await setupE2eEnv();
    cimdUrl = env.https.url('/client.json');
    env.https.route('/client.json', { body: nativeClientDocument(cimdUrl, 'Portcullis step-up e2e client'), headers: { 'cache-control': 'max-age=300' } });
    dataDir = env.newDir('data');
    server = await serveDemo({ port: await freePort(), dataDir, caFile: env.caFile });
    mcpUrl = server.banner.mcpUrls[0]!;
    assert.ok(mcpUrl, `an MCP URL in the banner:\n${server.stdout()}`);

    // The PRM URL every challenge must point at (RFC 9728 §3.1 path-inserted), as the 401 without a token gives it.
    const u = new URL(mcpUrl);
    prmUrl = `${u.origin}/.well-known/oauth-protected-resource${u.pathname}`;
    const res = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    await res.body?.cancel();
    assert.equal(res.status, 401);
    assert.equal(parseBearer(res.headers.get('www-authenticate') ?? '').params.resource_metadata, prmUrl);
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    server?.kill();
    try {
      const dir = join(REPO_ROOT, 'test', '.tmp');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'e2e-step-up.portcullis.log'), server ? `--- stdout\n${server.stdout()}\n--- stderr\n${server.stderr()}\n` : '(not started)\n');
    } catch {
      // diagnostics only
    }
    await env?.cleanup();
  });

  /** `portcullis users add NAME --role reader`, the password on stdin, as an admin would. */
  const addReader = async (name: string): Promise<void> => {
    const password = `pw-${name}-${run}-long-enough`;
    passwords.set(name, password);
    assert.match(await cliOk(['users', 'add', name, '--role', 'reader'], `${password}\n`), new RegExp(`added user ${name} with roles reader`));
  };

  /** The user at the browser: login and consent as form posts; the callback URL the AS redirected to. */
  const signIn = async (name: string, authorizationUrl: URL): Promise<URL> => {
    const { location } = await driveAuthorization(fetch, authorizationUrl.href, { username: name, password: passwords.get(name)!, decision: 'approve' });
    const callback = new URL(location);
    assert.equal(callback.searchParams.get('error'), null, `no error: ${callback.searchParams.get('error_description')}`);
    return callback;
  };

  /** A tools/call the way a client sends it, with `token`, outside the SDK (to read the raw challenge). */
  const rawToolCall = (token: string, name: string, args: Record<string, unknown>): Promise<Response> =>
    fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } }),
    });

  /** Calls `call` every 100 ms until it rejects; the error and how long after `since` it came, or fails at the limit. */
  async function refusedWithin(call: () => Promise<unknown>, since: number): Promise<{ error: unknown; ms: number }> {
    for (;;) {
      try {
        await call();
      } catch (error) {
        return { error, ms: Date.now() - since };
      }
      if (Date.now() - since > REVOCATION_LIMIT_MS) assert.fail(`still accepted ${Date.now() - since} ms after portcullis revoke`);
      await sleep(100);
    }
  }

  /** The audit log's tool events of `userId` (the token's sub), through the CLI; waits for the batched flush. */
  async function toolEvents(userId: string, until: (events: AuditLine[]) => boolean): Promise<AuditLine[]> {
    const start = Date.now();
    for (;;) {
      const out = await cliOk(['audit', 'query', '--type', 'tool.*', '--user', userId, '--limit', '1000', '--json']);
      const events = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditLine);
      if (until(events)) return events;
      if (Date.now() - start > AUDIT_FLUSH_LIMIT_MS) assert.fail(`audit events not flushed within ${AUDIT_FLUSH_LIMIT_MS} ms:\n${out}`);
      await sleep(250);
    }
  }

  /** tool.denied (insufficient_scope, notes:write) for add_note first, tool.allowed for add_note after. */
  function assertDeniedThenAllowed(events: AuditLine[], clientId: string): void {
    const addNote = events.filter((e) => e.data.tool === 'add_note').sort((a, b) => a.seq - b.seq);
    const denied = addNote.filter((e) => e.type === 'tool.denied');
    const allowed = addNote.filter((e) => e.type === 'tool.allowed');
    assert.ok(denied.length >= 1, `a tool.denied for add_note: ${JSON.stringify(addNote)}`);
    assert.equal(allowed.length, 1, `one tool.allowed for add_note: ${JSON.stringify(addNote)}`);
    assert.ok(Math.max(...denied.map((e) => e.seq)) < allowed[0]!.seq, 'every denial is recorded before the allowed call');
    for (const d of denied) {
      assert.equal(d.data.reason, 'insufficient_scope');
      assert.equal(d.data.required_scope, 'notes:write');
      assert.deepEqual(resourceScopes(d.data.scope?.join(' ')), ['notes:read'], 'denied with the read-only token');
      assert.equal(d.client_id, clientId);
    }
    assert.ok(allowed[0]!.data.scope?.includes('notes:write'), 'allowed with the stepped-up token');
    assert.equal(allowed[0]!.client_id, clientId);
  }

  test('issue 3: read-only user steps up to write, then is revoked — SDK v1 (e2e.step-up, gw.policy.insufficient-scope, as.revocation.gateway)', async () => {
    const t0 = Date.now();
    const user = 'rita';
    await addReader(user);

    // Whether the user is at the browser: 'approve' completes login and consent at once, 'away' leaves the
    // authorization URL unanswered (the SDK then reports UnauthorizedError).
    let userIs: 'approve' | 'away' = 'approve';
    let callback: URL | undefined;
    const provider = new TestOAuthProvider({
      clientMetadataUrl: cimdUrl,
      redirectUrl: `http://127.0.0.1:${await freePort()}/callback`,
      onRedirect: async (url) => {
        callback = userIs === 'approve' ? await signIn(user, url) : undefined;
      },
    });
    const code = (): string => {
      const c = callback?.searchParams.get('code');
      assert.ok(c, 'an authorization code');
      return c;
    };

    // 1. Authorize as rita (reader). The SDK asks for every scope the 401 challenge names; the AS narrows to the role.
    const firstClient = new Client({ name: 'portcullis-e2e-step-up-v1', version: '1.0.0' });
    closers.push(() => firstClient.close());
    await assert.rejects(firstClient.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider })), expectError(UnauthorizedError));
    assert.equal(provider.authorizationUrls[0]!.searchParams.get('client_id'), cimdUrl, 'the CIMD client id');
    assert.ok(scopes(provider.authorizationUrls[0]!.searchParams.get('scope')).includes('notes:write'), 'the client asked for more than the role permits');
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    await transport.finishAuth(code());
    const readClaims = decodeJwt(provider.tokens()!.access_token);
    assert.deepEqual(scopes(readClaims.scope), ['notes:read'], 'requested ∩ permitted for a reader');
    const sub = String(readClaims.sub);

    const client = new Client({ name: 'portcullis-e2e-step-up-v1', version: '1.0.0' });
    closers.push(() => client.close());
    await client.connect(transport);

    // 2. tools/list shows only the read tools; a read call works.
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), READ_TOOLS);
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), /Welcome/);

    // 3. The write tool: 403 insufficient_scope. SDK v1 tries its upscoping path (a refresh, which cannot widen the
    //    grant), gets the same challenge again and gives up with StreamableHTTPError 403.
    const title = `rita-${run}`;
    const refused = await client.callTool({ name: 'add_note', arguments: { title, body: 'step-up e2e (v1)' } }).then(
      (r) => assert.fail(`add_note succeeded with a read-only token: ${JSON.stringify(r)}`),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof StreamableHTTPError, `StreamableHTTPError, got ${String(refused)}`);
    assert.equal(refused.code, 403);
    assert.equal(provider.authorizationUrls.length, 1, 'v1 did not send the user to /authorize on the 403');

    // The challenge itself, with the same (refreshed) token: exact shape (MCP "Runtime Insufficient Scope Errors").
    const readToken = provider.tokens()!.access_token;
    assert.deepEqual(scopes(decodeJwt(readToken).scope), ['notes:read'], 'the refresh did not widen the grant');
    const raw = await rawToolCall(readToken, 'add_note', { title, body: 'raw' });
    assert.equal(raw.status, 403);
    const header = raw.headers.get('www-authenticate') ?? '';
    assert.match(header, /^Bearer error="insufficient_scope", scope="[^"]+", resource_metadata="[^"]+"(, error_description="[^"]*")?$/, header);
    const challenge = parseBearer(header).params;
    assert.ok(scopes(challenge.scope).includes('notes:write'), `the challenge names notes:write: ${header}`);
    assert.ok(!scopes(challenge.scope).includes('notes:admin'), `and not more than the call needs: ${header}`);
    assert.equal(challenge.resource_metadata, prmUrl);
    assert.equal(raw.headers.get('cache-control'), 'no-store');
    assert.equal(((await raw.json()) as { error?: string }).error, 'insufficient_scope');
    assert.doesNotMatch(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), new RegExp(title), 'the refused call never reached the server');

    // 4. The admin grants the editor role (a separate process, same data dir). Nothing is revoked: notes:read is
    //    still permitted.
    assert.match(await cliOk(['users', 'roles', user, '--role', 'editor']), /^rita: roles editor; 0 grant\(s\) revoked$/m);

    // 5. The client re-authorizes with the union of its scopes and the challenge's, through the SDK's auth(). The
    //    stored tokens are dropped first: with a refresh token auth() would refresh, which never widens.
    const stepUpScope = union(scopes(decodeJwt(readToken).scope), scopes(challenge.scope));
    provider.invalidateCredentials('tokens');
    callback = undefined;
    assert.equal(await auth(provider, { serverUrl: new URL(mcpUrl), resourceMetadataUrl: new URL(prmUrl), scope: stepUpScope }), 'REDIRECT');
    assert.equal(provider.authorizationUrls.length, 2);
    assert.equal(provider.authorizationUrls[1]!.searchParams.get('scope'), stepUpScope);
    await transport.finishAuth(code());
    assert.deepEqual(scopes(decodeJwt(provider.tokens()!.access_token).scope), ['notes:read', 'notes:write']);

    // 6. The same client: the write call succeeds, tools/list now has add_note but not the admin tool.
    assert.match(toolText(await client.callTool({ name: 'add_note', arguments: { title, body: 'step-up e2e (v1)' } })), /added note #\d+/);
    assert.match(toolText(await client.callTool({ name: 'list_notes', arguments: {} })), new RegExp(title));
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), EDITOR_TOOLS);

    // 7. `portcullis revoke --user rita`: the next call is refused within the poller's second. The SDK's 401 path
    //    tries the refresh token (deleted with the grant: invalid_grant), drops the tokens and wants a new login.
    userIs = 'away';
    const lastToken = provider.tokens()!.access_token;
    const invalidationsBefore = provider.invalidations.length;
    assert.match(await cliOk(['revoke', '--user', user]), /^\d+ grants? revoked/m);
    const revokedAt = Date.now(); // the revocation is in the store once the command has exited
    const { error, ms } = await refusedWithin(() => client.callTool({ name: 'list_notes', arguments: {} }), revokedAt);
    assert.ok(error instanceof UnauthorizedError, `UnauthorizedError, got ${String(error)}`);
    console.log(`SDK v1: refused ${ms} ms after portcullis revoke`);
    assert.ok(provider.invalidations.slice(invalidationsBefore).includes('tokens'), 'the SDK dropped the refused tokens');
    assert.equal(provider.authorizationUrls.length, 3, 'the SDK sent the user back to sign in');
    const gone = await rawToolCall(lastToken, 'list_notes', {});
    assert.equal(gone.status, 401);
    const goneHeader = gone.headers.get('www-authenticate') ?? '';
    assert.match(goneHeader, /^Bearer error="invalid_token"/, goneHeader);
    assert.equal(parseBearer(goneHeader).params.resource_metadata, prmUrl);
    await gone.body?.cancel();

    // 8. The audit log: tool.denied then tool.allowed for add_note, and the chain verifies.
    const events = await toolEvents(sub, (es) => es.some((e) => e.type === 'tool.allowed' && e.data.tool === 'add_note'));
    assertDeniedThenAllowed(events, cimdUrl);
    assert.match(await cliOk(['audit', 'verify']), /audit log verified/);
    console.log(`SDK v1 step-up scenario: ${Date.now() - t0} ms`);
  });

  test('issue 3: read-only user steps up to write, then is revoked — SDK v2 with SEP-2350 scope union (e2e.step-up, gw.policy.insufficient-scope)', async () => {
    const t0 = Date.now();
    const user = 'vera';
    await addReader(user);
    let userIs: 'approve' | 'away' = 'approve';
    let callback: URL | undefined;
    const provider = new TestOAuthProvider({
      clientMetadataUrl: cimdUrl,
      redirectUrl: `http://127.0.0.1:${await freePort()}/callback`,
      onRedirect: async (url) => {
        callback = userIs === 'approve' ? await signIn(user, url) : undefined;
      },
    });
    const newClient = () => new ClientV2({ name: 'portcullis-e2e-step-up-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });

    // 1. Authorize as vera (reader).
    const firstClient = newClient();
    closers.push(() => firstClient.close());
    await assert.rejects(firstClient.connect(new StreamableHTTPClientTransportV2(new URL(mcpUrl), { authProvider: provider })), expectError(UnauthorizedErrorV2));
    const transport = new StreamableHTTPClientTransportV2(new URL(mcpUrl), { authProvider: provider });
    assert.ok(callback);
    await transport.finishAuth(callback.searchParams);
    const readClaims = decodeJwt(provider.tokens()!.access_token);
    assert.deepEqual(resourceScopes(readClaims.scope), ['notes:read']);
    const sub = String(readClaims.sub);
    const client = newClient();
    closers.push(() => client.close());
    await client.connect(transport);
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), READ_TOOLS);

    // 2. The write tool: 403 insufficient_scope → the SDK computes the union of its scopes and the challenge's and,
    //    as that is more than the token has, sends the user to /authorize (no refresh). The user is away for now.
    userIs = 'away';
    const title = `vera-${run}`;
    await assert.rejects(client.callTool({ name: 'add_note', arguments: { title, body: 'step-up e2e (v2)' } }), expectError(UnauthorizedErrorV2));
    assert.equal(provider.authorizationUrls.length, 2, 'the SDK started a step-up authorization');
    const stepUp = provider.authorizationUrls[1]!;
    const asked = scopes(stepUp.searchParams.get('scope'));
    assert.ok(asked.includes('notes:read') && asked.includes('notes:write'), `SEP-2350 union of granted and challenged scopes: ${asked.join(' ')}`);
    console.log(`SDK v2 step-up asked for: ${asked.join(' ')}`);
    assert.equal(stepUp.searchParams.get('client_id'), cimdUrl);
    assert.equal(stepUp.searchParams.get('resource'), mcpUrl);

    // 3. The admin grants the editor role; then the user completes the pending step-up authorization.
    assert.match(await cliOk(['users', 'roles', user, '--role', 'editor']), /^vera: roles editor; 0 grant\(s\) revoked$/m);
    const stepUpCallback = await signIn(user, stepUp);
    assert.equal(stepUpCallback.searchParams.get('state'), provider.states[1]);
    await transport.finishAuth(stepUpCallback.searchParams);
    assert.deepEqual(resourceScopes(decodeJwt(provider.tokens()!.access_token).scope), ['notes:read', 'notes:write'], 'requested ∩ permitted for an editor (no notes:admin)');

    // 4. The same client: the write call succeeds; tools/list now has add_note but not the admin tool.
    assert.match(toolText(await client.callTool({ name: 'add_note', arguments: { title, body: 'step-up e2e (v2)' } })), /added note #\d+/);
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), EDITOR_TOOLS);

    // 5. `portcullis revoke --user vera`: the next call is refused within the poller's second.
    assert.match(await cliOk(['revoke', '--user', user]), /^\d+ grants? revoked/m);
    const revokedAt = Date.now(); // the revocation is in the store once the command has exited
    const { error, ms } = await refusedWithin(() => client.callTool({ name: 'list_notes', arguments: {} }), revokedAt);
    assert.ok(error instanceof UnauthorizedErrorV2, `UnauthorizedError, got ${String(error)}`);
    console.log(`SDK v2: refused ${ms} ms after portcullis revoke`);
    assert.equal(provider.authorizationUrls.length, 3, 'the SDK sent the user back to sign in');

    // 6. The audit log: tool.denied then tool.allowed for add_note; the chain verifies.
    const events = await toolEvents(sub, (es) => es.some((e) => e.type === 'tool.allowed' && e.data.tool === 'add_note'));
    assertDeniedThenAllowed(events, cimdUrl);
    assert.match(await cliOk(['audit', 'verify']), /audit log verified/);
    console.log(`SDK v2 step-up scenario: ${Date.now() - t0} ms`);
  });
});
