/**
 * issue 7 "How it is shown": end to end with the official SDK client against a stdio server started by the
 * gateway, two users at once in separate child processes, each seeing only their own state — through the real
 * runtime (startRuntime: AS + gateway), tokens from the real authorization-code flow (login, consent, PKCE), the
 * stdio upstream given as the `--upstream-stdio` command line (config `upstream_stdio`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { flagsToConfig, parseServeFlags } from '../../src/cli/args.js';
import { hashPassword } from '../../src/as/passwords.js';
import { ISSUER, PUBLIC_CLIENT, pkcePair } from '../helpers/as-harness.js';
import { authorizeUrl, tokenRequest } from '../as/flow.js';
import { driveAuthorization } from '../helpers/browserless.js';
import { ALICE_PASSWORD, startOps, type OpsHarness } from '../server/ops-harness.js';
import { REDIRECT_URI } from './helpers/runtime-flow.js';
import { STDIO_FIXTURE, alive, toolText, waitFor } from './helpers/stdio-harness.js';

const MCP = `${ISSUER}/mcp`;
const BOB_PASSWORD = 'bob-password-stdio';

async function tokenOf(h: OpsHarness, username: string, password: string): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const { location } = await driveAuthorization(h.request, authorizeUrl(challenge, { resource: MCP, scope: 'notes:read notes:write', redirect_uri: REDIRECT_URI }), { username, password });
  const code = new URL(location).searchParams.get('code');
  assert.ok(code, location);
  const res = await tokenRequest(h.asHarness, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: PUBLIC_CLIENT, resource: MCP });
  const body = (await res.json()) as { access_token: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token;
}

async function sdkClient(h: OpsHarness, token: string): Promise<Client> {
  const client = new Client({ name: 'stdio-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(MCP), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: (url, init) => h.request(String(url), init),
  });
  await client.connect(transport);
  return client;
}

describe('issue 7 "How it is shown": SDK client, real OAuth, two users, a stdio server per user (gw.stdio.e2e-two-users)', () => {
  let h: OpsHarness;
  const commandLine = `"${process.execPath}" --import tsx "${STDIO_FIXTURE}"`;

  before(async () => {
    const flags = flagsToConfig(parseServeFlags(['--upstream-stdio', commandLine]));
    assert.deepEqual(flags, { upstream_stdio: commandLine });
    // the flag fills in the one configured resource that has no upstream (scopes and policy from the file)
    h = await startOps('http://127.0.0.1:9/unused', { resources: [{ path: '/mcp', name: 'Notes (stdio)', scopes: ['notes:read', 'notes:write'], tools: { write_note: 'notes:write' } }], ...flags });
    await h.runtime.store.createUser({ id: 'user-2', username: 'bob', password_hash: await hashPassword(BOB_PASSWORD), roles: ['admin'], disabled: false, created_at: Date.now() });
  });
  after(async () => {
    await h?.close();
  });

  test('alice and bob at once: different child processes, each sees only their own notes; shutdown stops both (gw.stdio.e2e-two-users, gw.stdio.per-user, gw.stdio.shutdown)', async () => {
    assert.equal(h.runtime.settings.resources[0]!.upstreamStdio?.command, process.execPath);
    const [ta, tb] = await Promise.all([tokenOf(h, 'alice', ALICE_PASSWORD), tokenOf(h, 'bob', BOB_PASSWORD)]);
    const [alice, bob] = await Promise.all([sdkClient(h, ta), sdkClient(h, tb)]);
    let pids: number[] = [];
    try {
      pids = (await Promise.all([alice.callTool({ name: 'whoami' }), bob.callTool({ name: 'whoami' })])).map(toolText).map(Number);
      assert.notEqual(pids[0], pids[1]);
      await Promise.all([
        alice.callTool({ name: 'note_add', arguments: { text: 'from alice' } }),
        bob.callTool({ name: 'note_add', arguments: { text: 'from bob' } }),
        bob.callTool({ name: 'note_add', arguments: { text: 'bob again' } }),
      ]);
      assert.deepEqual(JSON.parse(toolText(await alice.callTool({ name: 'notes_list' }))), ['from alice']);
      assert.deepEqual((JSON.parse(toolText(await bob.callTool({ name: 'notes_list' }))) as string[]).sort(), ['bob again', 'from bob']);
      // the token never reaches the child, and neither does the gateway's master secret
      const env = toolText(await alice.callTool({ name: 'env' }));
      assert.ok(!env.includes(ta) && !env.includes('PORTCULLIS_SECRET'));
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
    assert.ok(pids.every(alive));
    await h.runtime.shutdown(1000);
    assert.ok((await waitFor(() => !pids.some(alive), 3000)) >= 0, 'children outlived the runtime');
  });
});
