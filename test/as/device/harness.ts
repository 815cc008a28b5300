import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/core/log.js';
import { hashPassword } from '../../../src/as/passwords.js';
import { demoResource, startDemoNotesServer, type DemoServer } from '../../../src/demo/notes-server.js';
import { startRuntime, type Runtime } from '../../../src/server/runtime.js';
import { freePort } from '../../helpers/ports.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** a public CLI client that may use the device grant and refresh */
export const CLI_CLIENT = 'device-cli';
/** another public client with the device grant (for cross-client redemption) */
export const OTHER_CLIENT = 'device-other';
/** a confidential client with the device grant */
export const CONFIDENTIAL_CLIENT = 'device-confidential';
export const CONFIDENTIAL_SECRET = 'device-confidential-secret-1b7e';
/** a public client without the device grant (authorization code only) */
export const WEB_CLIENT = 'web-only';
export const USER = 'alice';
export const PASSWORD = 'alice-password';

/** An injected clock that follows real time (openid-client waits for real) and can be moved forward. */
export class OffsetClock {
  offset = 0;
  readonly fn = (): number => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface DeviceServer {
  issuer: string;
  /** the demo notes MCP resource (tools behind the gateway) */
  resource: string;
  runtime: Runtime;
  clock: OffsetClock;
  /** fetch on this server (real HTTP on loopback); a path is resolved against the issuer */
  request(url: string, init?: RequestInit): Promise<Response>;
  /** openid-client set up by discovery of this server's metadata */
  oidc(clientId: string, secret?: string, fetchLog?: string[]): Promise<client.Configuration>;
  close(): Promise<void>;
}

/**
 * The whole runtime (startRuntime: AS, gateway, real SQLite file or `store`) on a free loopback port, in front of
 * the demo notes server, with alice and the clients above; `device.interval` 1 s so polling tests stay short.
 */
export async function startDeviceServer(overrides: Partial<ConfigInput> = {}): Promise<DeviceServer> {
  process.env.TEST_DEVICE_SECRET = CONFIDENTIAL_SECRET;
  const notes: DemoServer = await startDemoNotesServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-device-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clock = new OffsetClock();
  const config = configSchema.parse({
    issuer,
    port,
    host: '127.0.0.1',
    dev: true,
    data_dir: dataDir,
    resources: [demoResource(notes.url)],
    clients: [
      { client_id: CLI_CLIENT, client_name: 'Device CLI', grant_types: [DEVICE_GRANT, 'refresh_token'] },
      { client_id: OTHER_CLIENT, client_name: 'Other device app', grant_types: [DEVICE_GRANT] },
      { client_id: CONFIDENTIAL_CLIENT, token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_DEVICE_SECRET', grant_types: [DEVICE_GRANT] },
      { client_id: WEB_CLIENT, redirect_uris: ['http://127.0.0.1/callback'] },
    ],
    device: { interval: 1, expires_in: 120 },
    ...overrides,
  });
  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, { clock: clock.fn, env: { PORTCULLIS_SECRET: 's'.repeat(43) }, log: createLogger('silent'), audit: { checkpointFile: null, checkpointIntervalMs: 0 } });
  } catch (e) {
    await notes.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  await runtime.store.createUser({ id: 'user-alice', username: USER, password_hash: await hashPassword(PASSWORD), roles: [], disabled: false, created_at: clock.fn() });
  const request = (url: string, init?: RequestInit): Promise<Response> => fetch(new URL(url, issuer), init);
  return {
    issuer,
    resource: `${issuer}/mcp`,
    runtime,
    clock,
    request,
    oidc: async (clientId, secret, fetchLog) => {
      const loggingFetch: client.CustomFetch = async (url, options) => {
        const res = await fetch(url, options as RequestInit);
        if (fetchLog && new URL(url).pathname === '/token') {
          const body = (await res.clone().json().catch(() => ({}))) as { error?: string; access_token?: string };
          fetchLog.push(body.error ?? (body.access_token ? 'tokens' : String(res.status)));
        }
        return res;
      };
      const config = await client.discovery(new URL(issuer), clientId, undefined, secret ? client.ClientSecretBasic(secret) : client.None(), {
        execute: [client.allowInsecureRequests],
        [client.customFetch]: loggingFetch,
      });
      config[client.customFetch] = loggingFetch;
      return config;
    },
    close: async () => {
      await runtime.close();
      await notes.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
