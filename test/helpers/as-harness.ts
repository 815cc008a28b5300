import { createHash } from 'node:crypto';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { silentLogger } from '../../src/core/log.js';
import { createClientResolver } from '../../src/as/clients/index.js';
import type { AsContext } from '../../src/as/context.js';
import { KeyRing } from '../../src/as/keys.js';
import { hashPassword } from '../../src/as/passwords.js';
import { AuditLog, deriveAuditKeys } from '../../src/audit/index.js';
import { createApp } from '../../src/server/app.js';
import { openMemoryStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import type { JSONWebKeySet } from 'jose';

export const ISSUER = 'http://127.0.0.1:9999';
export const RESOURCE = `${ISSUER}/mcp`;
export const PUBLIC_CLIENT = 'test-public';
export const LOOPBACK_CLIENT = 'test-loopback';
export const CONFIDENTIAL_CLIENT = 'test-confidential';
export const CONFIDENTIAL_SECRET = 'correct-horse-battery-staple';
export const REDIRECT = 'http://127.0.0.1/callback';

/** A mutable clock for tests: `clock.now` is epoch ms. */
export class TestClock {
  now = Date.UTC(2026, 10, 24, 12, 0, 0);
  readonly fn = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface Harness {
  ctx: AsContext;
  store: Store;
  clock: TestClock;
  app: ReturnType<typeof createApp>;
  revoked: string[];
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** The AS in-process: memory SQLite store (or `opts.store`), static clients, real keys and endpoints, no network. */
export async function startHarness(overrides: Partial<ConfigInput> = {}, opts: { jwks?: (c: unknown) => Promise<JSONWebKeySet>; store?: Store } = {}): Promise<Harness> {
  process.env.TEST_CONFIDENTIAL_SECRET = CONFIDENTIAL_SECRET;
  const config = configSchema.parse({
    issuer: ISSUER,
    dev: true,
    resources: [{ path: '/mcp', upstream: 'http://127.0.0.1:1/mcp', name: 'Test MCP', scopes: ['notes:read', 'notes:write'], tools: { add_note: 'notes:write' } }],
    clients: [
      { client_id: PUBLIC_CLIENT, client_name: 'Public test client', redirect_uris: [REDIRECT, 'https://app.example/cb'] },
      { client_id: LOOPBACK_CLIENT, client_name: 'Loopback-only client', redirect_uris: [REDIRECT] },
      {
        client_id: CONFIDENTIAL_CLIENT,
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
        client_secret_env: 'TEST_CONFIDENTIAL_SECRET',
      },
    ],
    ...overrides,
  });
  const settings = resolveSettings(config);
  const clock = new TestClock();
  const store = opts.store ?? openMemoryStore();
  await store.migrate();
  const keys = new KeyRing(store, Buffer.from('x'.repeat(32)), clock.fn);
  await keys.init();
  const revoked: string[] = [];
  const ctx: AsContext = {
    settings,
    store,
    keys,
    clients: createClientResolver(config, { dev: true, clock: clock.fn, log: () => undefined, store }),
    clock: clock.fn,
    log: silentLogger(),
    fetchJwks: opts.jwks ?? (async () => ({ keys: [] })),
    onGrantRevoked: (id) => revoked.push(id),
    audit: new AuditLog({ store, keys: deriveAuditKeys('x'.repeat(32)), clock: clock.fn, checkpointFile: null, checkpointIntervalMs: 0 }),
  };
  await store.createUser({ id: 'user-1', username: 'alice', password_hash: await hashPassword('alice-password'), roles: ['admin'], disabled: false, created_at: clock.now });
  const app = createApp(ctx, new Map());
  return {
    ctx,
    store,
    clock,
    app,
    revoked,
    request: async (path, init) => app.fetch(new Request(new URL(path, ISSUER), init)),
    close: async () => {
      await (ctx.audit as AuditLog).close();
      await store.close();
    },
  };
}

export function pkcePair(verifier = 'v'.repeat(43) + Math.random().toString(36).slice(2).replace(/[^a-z0-9]/g, 'x')): { verifier: string; challenge: string } {
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
