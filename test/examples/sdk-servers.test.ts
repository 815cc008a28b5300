/**
 * Issue 11 "How it is shown": the official SDK's Express and web-standard (Hono) servers, and Fastify and plain
 * node:http servers, each protected by its `portcullis/resource-server` adapter, pass the same end-to-end case
 * (test/rs/adapters/e2e-case.ts; this file is also the test of examples/express-sdk-server and examples/hono-sdk-server) with Portcullis in AS-only mode as their authorization server. The Express
 * and Hono servers are the runnable examples themselves (examples/*-sdk-server/server.ts), spawned as a user
 * would run them; the AS is the real runtime (startRuntime: HTTP on loopback, SQLite, the revoked-grants
 * endpoint) configured from examples/as-only/portcullis.yaml with the ports of this run.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { freePort, withTimeout } from '../helpers/ports.js';
import { REPO_ROOT } from '../helpers/portcullis-process.js';
import { createResourceServer, notesOptions, startFastifyApp, startNodeHttpApp, type RunningApp } from '../rs/adapters/apps.js';
import { sdkEndToEndCase } from '../rs/adapters/e2e-case.js';

const RS_SECRET = 'rs-secret-for-the-adapter-e2e-test';
const PUBLIC_CLIENT = 'e2e-public';
const ADAPTERS = ['express', 'hono', 'fastify', 'node-http'] as const;
/** node:http again, with revocation by Portcullis's own RFC 7662 introspection instead of the polled list */
const TARGETS = [...ADAPTERS, 'node-http-introspection'] as const;
type Adapter = (typeof TARGETS)[number];

/** spawns an example server as its README says, and waits for its "ready" line */
async function spawnExample(dir: string, env: Record<string, string>): Promise<{ proc: ChildProcess; close(): Promise<void> }> {
  const proc = spawn(process.execPath, ['--conditions=portcullis-source', '--import', 'tsx', join('examples', dir, 'server.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  process.once('exit', () => proc.kill('SIGKILL'));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      proc.stdout!.on('data', () => /ready: /.test(out) && resolve());
      void exited.then(() => reject(new Error(`example ${dir} exited:\n${out}`)));
    }),
    30_000,
    `example ${dir} did not start:\n${out}`,
  );
  return {
    proc,
    close: async () => {
      proc.kill('SIGTERM');
      await withTimeout(exited, 5_000, `example ${dir} did not stop`).catch(() => proc.kill('SIGKILL'));
    },
  };
}

describe('issue 11: one SDK end-to-end case against every resource-server adapter, Portcullis in AS-only mode (rs.adapters.e2e, as.as-only.resources)', { timeout: 240_000 }, () => {
  let dir: string;
  let runtime: Runtime;
  const urls = new Map<Adapter, string>();
  const apps: Array<RunningApp | { close(): Promise<void> }> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-rs-e2e-'));
    process.env.RS_CLIENT_SECRET = RS_SECRET;
    for (const a of TARGETS) urls.set(a, `http://127.0.0.1:${await freePort()}/mcp`);
    const asPort = await freePort();
    // the example AS configuration, validated by the real loader, with this run's ports
    const { config } = loadConfig({ file: join(REPO_ROOT, 'examples', 'as-only', 'portcullis.yaml'), env: {}, flags: { port: asPort, issuer: `http://127.0.0.1:${asPort}`, dev: true, data_dir: dir } });
    const template = config.resources[0]!;
    config.resources = TARGETS.map((a) => ({ ...template, resource: urls.get(a)!, name: `Notes (${a})` }));
    config.clients.push({ client_id: PUBLIC_CLIENT, client_name: 'SDK e2e client', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
    config.tokens.clock_skew = 0;
    runtime = await startRuntime(config, { env: { ...process.env, RS_CLIENT_SECRET: RS_SECRET }, log: silentLogger(), audit: { checkpointFile: null } });
    const issuer = runtime.settings.issuer;
    const exampleEnv = (a: Adapter) => ({ PORT: new URL(urls.get(a)!).port, MCP_URL: urls.get(a)!, PORTCULLIS_ISSUER: issuer, RS_CLIENT_SECRET: RS_SECRET });
    apps.push(await spawnExample('express-sdk-server', exampleEnv('express')));
    apps.push(await spawnExample('hono-sdk-server', exampleEnv('hono')));
    const env = { RS_CLIENT_SECRET: RS_SECRET };
    const fastifyRs = createResourceServer(notesOptions(urls.get('fastify')!, issuer, env));
    await fastifyRs.ready();
    apps.push(await startFastifyApp(Number(new URL(urls.get('fastify')!).port), fastifyRs));
    const nodeRs = createResourceServer(notesOptions(urls.get('node-http')!, issuer, env));
    await nodeRs.ready();
    apps.push(await startNodeHttpApp(Number(new URL(urls.get('node-http')!).port), nodeRs));
    const introspecting = createResourceServer({ ...notesOptions(urls.get('node-http-introspection')!, issuer, env), revocation: { mode: 'introspection', intervalSeconds: 0.5 } });
    await introspecting.ready();
    apps.push(await startNodeHttpApp(Number(new URL(urls.get('node-http-introspection')!).port), introspecting));
  });

  after(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await runtime?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('AS-only mode: the AS publishes every registered resource and serves no PRM or MCP route for them (as.as-only.resources)', async () => {
    const meta = (await (await fetch(`${runtime.settings.issuer}/.well-known/oauth-authorization-server`)).json()) as { protected_resources?: string[]; scopes_supported?: string[] };
    assert.deepEqual(meta.protected_resources, TARGETS.map((a) => urls.get(a)));
    assert.ok(meta.scopes_supported?.includes('notes:write'));
    const prm = await fetch(`${runtime.settings.issuer}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(prm.status, 404, 'the PRM document is the resource server’s own');
    await prm.body?.cancel();
  });

  for (const adapter of TARGETS) {
    test(`${adapter}: discovery, login, consent, tool call with identity, step-up, another resource's token refused, revocation within seconds — SDK v1 (rs.adapters.e2e, rs.protect.audience-required, rs.protect.step-up, ${adapter.endsWith('introspection') ? 'rs.protect.revocation-introspection' : 'rs.protect.revocation-poll'})`, async () => {
      const { revokedAfterMs } = await sdkEndToEndCase({ name: adapter, mcpUrl: urls.get(adapter)!, others: TARGETS.filter((a) => a !== adapter).map((a) => urls.get(a)!) }, { issuer: runtime.settings.issuer, store: runtime.store, clientId: PUBLIC_CLIENT });
      console.log(`${adapter}: revoked token refused ${revokedAfterMs} ms after the revocation`);
    });
  }
});

