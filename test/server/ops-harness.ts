import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/core/log.js';
import { hashPassword } from '../../src/as/passwords.js';
import { startRuntime, type Runtime } from '../../src/server/runtime.js';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, ISSUER, PUBLIC_CLIENT, REDIRECT, type Harness } from '../helpers/as-harness.js';

export const CC_CLIENT = 'ops-cc';
export const CC_SECRET = 'ops-cc-secret-do-not-log-4f1d';
export const ALICE_PASSWORD = 'alice-password';

/** A log destination that keeps every JSON line (issue 6: what a log collector would receive). */
export function captureLog(level = 'trace'): { log: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger(level, sink), lines, text: () => lines.join('\n') };
}

export interface OpsHarness {
  runtime: Runtime;
  /** an in-process fetch of the runtime: any URL under ISSUER is sent to the port it listens on */
  request(url: string, init?: RequestInit): Promise<Response>;
  /** the shape the AS flow helpers (test/as/flow.ts) accept */
  asHarness: Harness;
  close(): Promise<void>;
}

/**
 * The whole runtime (startRuntime: AS, gateway, ops endpoints) on 127.0.0.1:0 with issuer ISSUER, a temporary
 * data dir, user alice, the AS harness's static clients plus a client_credentials client.
 */
export async function startOps(upstream: string, overrides: Partial<ConfigInput> = {}, log?: Logger, env: Record<string, string> = {}): Promise<OpsHarness> {
  process.env.TEST_CONFIDENTIAL_SECRET = CONFIDENTIAL_SECRET;
  process.env.TEST_OPS_CC_SECRET = CC_SECRET;
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-ops-'));
  const config = configSchema.parse({
    issuer: ISSUER,
    port: 0,
    dev: true,
    data_dir: dataDir,
    resources: [{ path: '/mcp', upstream, name: 'Test MCP', scopes: ['notes:read', 'notes:write'], tools: { write_note: 'notes:write' } }],
    clients: [
      { client_id: PUBLIC_CLIENT, client_name: 'Public test client', redirect_uris: [REDIRECT] },
      { client_id: CONFIDENTIAL_CLIENT, redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_CONFIDENTIAL_SECRET' },
      { client_id: CC_CLIENT, token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_OPS_CC_SECRET', grant_types: ['client_credentials'] },
    ],
    ...overrides,
  });
  const runtime = await startRuntime(config, { env: { PORTCULLIS_SECRET: 's'.repeat(43), ...env }, log: log ?? createLogger('silent'), audit: { checkpointFile: null, checkpointIntervalMs: 0 } });
  await runtime.store.createUser({ id: 'user-1', username: 'alice', password_hash: await hashPassword(ALICE_PASSWORD), roles: ['admin'], disabled: false, created_at: Date.now() });
  const request = (url: string, init?: RequestInit): Promise<Response> => {
    const u = new URL(url, ISSUER);
    return fetch(`${runtime.listenUrl}${u.pathname}${u.search}`, init);
  };
  return {
    runtime,
    request,
    asHarness: { request } as unknown as Harness,
    close: async () => {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** client_credentials token for the MCP resource (scope as asked) */
export async function ccToken(h: Pick<OpsHarness, 'request'>, scope = 'notes:read', resource = `${ISSUER}/mcp`): Promise<string> {
  const res = await h.request('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CC_CLIENT}:${CC_SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }).toString(),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`client_credentials failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
