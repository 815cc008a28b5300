/**
 * Issue 11 item 3: examples/gateway/portcullis.yaml runs. Loaded by the real configuration loader, started as
 * `portcullis serve` starts it (startRuntime), with only what cannot run here replaced: the HTTP upstream's
 * address (a local SDK server) and the stdio command (test/examples/fixtures/files-server.ts instead of npx).
 * The official SDK client then signs in and calls tools through both resources.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { toolText } from '../helpers/mcp.js';
import { REPO_ROOT } from '../helpers/portcullis-process.js';
import { freePort } from '../helpers/ports.js';
import { addUser, sdkConnect } from './helpers.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'gateway', 'portcullis.yaml');

describe('examples/gateway: an HTTP and a stdio upstream behind one Portcullis (examples.gateway)', { timeout: 120_000 }, () => {
  let dir: string;
  let upstream: Server;
  let runtime: Runtime;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-example-gw-'));
    writeFileSync(join(dir, 'hello.txt'), 'hello from the shared directory');
    const upPort = await freePort();
    upstream = createServer((req, res) => {
      const server = new McpServer({ name: 'team-notes', version: '1.0.0' });
      server.registerTool('list_notes', { description: 'List' }, async () => ({ content: [{ type: 'text', text: 'Welcome note' }] }));
      server.registerTool('add_note', { description: 'Add' }, async () => ({ content: [{ type: 'text', text: 'added' }] }));
      server.registerTool('drop_table', { description: 'unlisted' }, async () => ({ content: [{ type: 'text', text: 'dropped' }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void transport.close());
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    });
    await new Promise<void>((resolve) => upstream.listen(upPort, '127.0.0.1', resolve));
    const port = await freePort();
    const { config } = loadConfig({ file: EXAMPLE, env: {}, flags: { issuer: `http://127.0.0.1:${port}`, port, dev: true, data_dir: join(dir, 'data') } });
    const [notes, files] = config.resources;
    assert.equal(notes!.upstream, 'http://127.0.0.1:9000/mcp', 'the example as written');
    assert.equal(files!.upstream_stdio?.command, 'npx');
    notes!.upstream = `http://127.0.0.1:${upPort}/mcp`;
    files!.upstream_stdio = { ...files!.upstream_stdio!, command: process.execPath, args: ['--import', 'tsx', join(REPO_ROOT, 'test', 'examples', 'fixtures', 'files-server.ts'), dir], cwd: REPO_ROOT };
    config.clients.push({ client_id: 'examples-public', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
    runtime = await startRuntime(config, { log: silentLogger(), audit: { checkpointFile: null } });
  });

  after(async () => {
    await runtime?.close();
    upstream?.closeAllConnections();
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a reader lists and calls the tools their role allows on both resources; unlisted and write tools are refused', async () => {
    const password = await addUser(runtime.store, 'alice', ['reader']);
    const [notesUrl, filesUrl] = runtime.settings.resources.map((r) => r.id);

    const notes = await sdkConnect(notesUrl!, 'examples-public', 'alice', password);
    try {
      assert.deepEqual((await notes.listTools()).tools.map((t) => t.name).sort(), ['list_notes'], 'tools/list filtered to the token and policy');
      assert.equal(toolText(await notes.callTool({ name: 'list_notes', arguments: {} })), 'Welcome note');
      await assert.rejects(notes.callTool({ name: 'add_note', arguments: {} }), /403|insufficient_scope/);
    } finally {
      await notes.close();
    }

    const files = await sdkConnect(filesUrl!, 'examples-public', 'alice', password);
    try {
      const names = (await files.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ['list_directory', 'read_text_file']);
      assert.match(toolText(await files.callTool({ name: 'list_directory', arguments: {} })), /hello\.txt/);
      assert.equal(toolText(await files.callTool({ name: 'read_text_file', arguments: { path: 'hello.txt' } })), 'hello from the shared directory');
      await assert.rejects(files.callTool({ name: 'write_file', arguments: { path: 'x', content: 'y' } }), /403|insufficient_scope/);
      await assert.rejects(files.callTool({ name: 'delete_everything', arguments: {} }), /403|Forbidden/);
    } finally {
      await files.close();
    }
  });
});
