/**
 * Issue 11 item 2: `portcullis serve` (the real CLI, spawned) with examples/as-only/portcullis.yaml and no
 * upstream is the authorization server for the registered resources, and says so in its banner; with nothing
 * registered it refuses to start naming `resources` (test/cli/cli.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT, spawnPortcullis, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { freePort } from '../helpers/ports.js';

describe('examples/as-only with `portcullis serve`: AS-only mode from the CLI (as.as-only.resources)', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-as-only-cli-'));
  let server: PortcullisProcess | undefined;
  after(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves as the AS of both example resources: banner, RFC 8414 metadata, revoked-grants endpoint; no PRM of its own for them', async () => {
    const port = await freePort();
    server = await spawnPortcullis({
      args: ['serve', '--dev', '--config', join(REPO_ROOT, 'examples', 'as-only', 'portcullis.yaml'), '--port', String(port), '--issuer', `http://127.0.0.1:${port}`, '--data-dir', dir],
      env: { RS_CLIENT_SECRET: 'as-only-cli-secret', PORTCULLIS_LOG_LEVEL: 'warn' },
    });
    assert.deepEqual(server.banner.mcpUrls, ['http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3001/mcp']);
    const meta = (await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)).json()) as { protected_resources: string[] };
    assert.deepEqual(meta.protected_resources, ['http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3001/mcp']);
    const prm = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(prm.status, 404);
    await prm.body?.cancel();
    const list = await fetch(`http://127.0.0.1:${port}/revoked-grants`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('notes-rs:as-only-cli-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    assert.equal(list.status, 200);
    assert.deepEqual(((await list.json()) as { revoked_grants: string[] }).revoked_grants, []);
    assert.equal(await server.stop(), 0);
  });
});
