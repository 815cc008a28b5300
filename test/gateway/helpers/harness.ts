import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { configSchema, type ConfigInput } from '../../../src/config/schema.js';
import { resolveSettings, type ProtectedResource, type Settings } from '../../../src/config/resolve.js';
import { createGateway, type Gateway, type GatewayLog, type GatewayOptions } from '../../../src/gateway/proxy.js';
import { createAccessTokenVerifier } from '../../../src/rs/verify.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

export function recordingLog(): GatewayLog & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (obj: object, msg: string) => void entries.push({ level, obj: obj as Record<string, unknown>, msg });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface GatewayHarness {
  /** the MCP endpoint on the gateway (= resource.id) */
  url: string;
  issuer: string;
  settings: Settings;
  resource: ProtectedResource;
  gateway: Gateway;
  log: ReturnType<typeof recordingLog>;
  revoked: Set<string>;
  /** an RFC 9068 access token for this resource */
  token(claims?: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  upstream: string;
  scopes?: string[];
  tools?: Record<string, string>;
  allowedOrigins?: string[];
  /** default true (the issuer is http on loopback); false re-resolves settings as production would see Origins */
  dev?: boolean;
  gateway?: Partial<Pick<GatewayOptions, 'maxBodyBytes' | 'sessions' | 'dispatcher' | 'audit' | 'metrics'>>;
  config?: Partial<ConfigInput>;
}

/** The gateway served by @hono/node-server on 127.0.0.1:0, in front of `upstream`, with its own ES256 key. */
export async function startGateway(o: HarnessOptions): Promise<GatewayHarness> {
  let handle: Gateway['handle'] = async () => new Response(null, { status: 503 });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: (req, env) => handle(req, env), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = configSchema.parse({
    issuer,
    dev: true,
    resources: [{ path: '/mcp', upstream: o.upstream, name: 'Notes', scopes: o.scopes ?? ['notes:read', 'notes:write'], tools: o.tools ?? { write_note: 'notes:write' } }],
    cors: { allowed_origins: o.allowedOrigins ?? [] },
    ...o.config,
  });
  const settings = { ...resolveSettings(config), dev: o.dev ?? true };
  const resource = settings.resources[0]!;

  const pair = await generateKeyPair('ES256', { extractable: true });
  const key: CryptoKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'gw-test', alg: 'ES256' };
  const revoked = new Set<string>();
  const verifier = createAccessTokenVerifier({
    issuer,
    getKey: createLocalJWKSet({ keys: [jwk] }),
    clock: Date.now,
    skewSeconds: 30,
    isGrantRevoked: (g) => revoked.has(g),
    algorithms: ['ES256'],
  });
  const log = recordingLog();
  const gateway = createGateway({ settings, resource, verifier, log, ...o.gateway });
  handle = gateway.handle;

  return {
    url: resource.id,
    issuer,
    settings,
    resource,
    gateway,
    log,
    revoked,
    async token(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: resource.id,
        sub: 'alice',
        client_id: 'test-client',
        iat: now,
        exp: now + 300,
        jti: crypto.randomUUID(),
        scope: 'notes:read notes:write',
        grant_id: 'grant-alice',
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'gw-test' })
        .sign(key);
    },
    async close() {
      await gateway.close();
      await new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}

/** JSON-RPC POST helpers for raw tests. */
export const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export function toolCall(name: string, id: number | string = 7, args: Record<string, unknown> = { text: 'x' }) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } };
}
