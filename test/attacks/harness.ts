/**
 * Issue 10: the attack suite's target — the real app (src/server/app.ts) with the real gateway, served over HTTP
 * on a loopback port, in front of an upstream MCP fixture that records everything it receives. Built from the
 * same parts as src/server/runtime.ts, with three things injected so that every attack runs offline and
 * deterministically: the clock, the DNS resolver of the safe fetch (SSRF and rebinding cases), and a test CA for
 * the loopback https servers that serve CIMD documents. In-process on purpose: the mutation run
 * (scripts/mutation-run.mjs) swaps src/core/controls.ts through a loader hook, which must reach the server.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings, type Settings } from '../../src/config/resolve.js';
import { silentLogger } from '../../src/core/log.js';
import { createClientResolver, type CimdFetchEvent } from '../../src/as/clients/index.js';
import type { AsContext } from '../../src/as/context.js';
import { KeyRing } from '../../src/as/keys.js';
import { hashPassword } from '../../src/as/passwords.js';
import { AuditLog, deriveAuditKeys } from '../../src/audit/index.js';
import { createApp } from '../../src/server/app.js';
import { applyRequestTimeouts } from '../../src/server/timeouts.js';
import { createGateway, type Gateway } from '../../src/gateway/proxy.js';
import { createAccessTokenVerifier } from '../../src/rs/verify.js';
import { openMemoryStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import type { ResolvedAddress, Resolver } from '../../src/net/types.js';
import { JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';
import { CookieJar, driveAuthorization } from '../helpers/browserless.js';
import { freePort } from '../helpers/ports.js';
import { makeTestCa, type TestCa } from '../helpers/tls.js';
import { startHttpsStatic, type HttpsStaticServer } from '../helpers/https-static.js';
import { basicAuth, idpKey, type IdpKey } from '../helpers/idjag.js';
import { pkcePair, TestClock } from '../helpers/as-harness.js';

export { basicAuth, pkcePair };

export const PUBLIC_CLIENT = 'atk-public';
export const OTHER_PUBLIC_CLIENT = 'atk-public-2';
export const LOOPBACK_CLIENT = 'atk-loopback';
export const CONFIDENTIAL_CLIENT = 'atk-confidential';
export const CONFIDENTIAL_SECRET = 'atk-confidential-secret-0123456789';
export const JWT_CLIENT = 'atk-jwt';
export const EMA_CLIENT = 'atk-ema';
export const EMA_SECRET = 'atk-ema-secret-0123456789';
export const EMA_OTHER_CLIENT = 'atk-ema-other';
export const EMA_OTHER_SECRET = 'atk-ema-other-secret-0123456789';
export const IDP = 'https://idp.attack.example';
export const APP_REDIRECT = 'https://app.example/cb';
export const LOOPBACK_REDIRECT = 'http://127.0.0.1/callback';
export const ALLOWED_ORIGIN = 'https://app.example';
export const USER = { username: 'alice', password: 'alice-password-1' };
/** names the fake DNS answers; the CIMD https server's certificate covers them */
export const CIMD_HOST = 'client.example';
/** request-receiving limits of the target (production: REQUEST_TIMEOUTS in src/server/timeouts.ts) */
export const SLOW_CLIENT_LIMITS = { headersMs: 1000, requestMs: 1500 };

/** One request as the upstream MCP fixture saw it. */
export interface UpstreamRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface AttackTarget {
  /** http://127.0.0.1:<port>, also the issuer */
  base: string;
  issuer: string;
  resource: string;
  otherResource: string;
  settings: Settings;
  ctx: AsContext;
  store: Store;
  clock: TestClock;
  audit: AuditLog;
  /** every request the upstream MCP server received */
  upstream: UpstreamRequest[];
  /** fake DNS for the safe fetch: hostname → answers (one list per call; the last repeats); calls counted */
  dns: Map<string, string[][]>;
  dnsCalls: Map<string, number>;
  /** loopback https server (test CA) serving CIMD documents under https://client.example:<port>/… */
  cimd: HttpsStaticServer;
  cimdUrl(path: string): string;
  ca: TestCa;
  /** the private key and JWK of JWT_CLIENT (private_key_jwt) */
  clientKey: { privateKey: CryptoKey; jwk: JWK };
  /** the trusted enterprise IdP's signing key */
  idp: IdpKey;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** waits for audit writes made outside a request (the CIMD fetch log) and flushes batched entries */
  settle(): Promise<void>;
  close(): Promise<void>;
}

async function startUpstream(log: UpstreamRequest[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      log.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      let msg: { id?: unknown; method?: string } | undefined;
      try {
        msg = JSON.parse(body) as typeof msg;
      } catch {
        msg = undefined;
      }
      const result =
        msg?.method === 'tools/list'
          ? { tools: ['list_notes', 'add_note', 'delete_all'].map((name) => ({ name, inputSchema: { type: 'object' } })) }
          : { content: [{ type: 'text', text: 'ok' }] };
      const out = JSON.stringify({ jsonrpc: '2.0', id: msg?.id ?? null, result });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out), 'set-cookie': 'upstream=1' }).end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Starts the target. `overrides` are merged over the attack configuration. */
export async function startTarget(overrides: Partial<ConfigInput> = {}, opts: { productionMode?: boolean } = {}): Promise<AttackTarget> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // productionMode: no --dev (loopback CIMD hosts refused); the issuer is then an https URL, which this plain-http
  // listener does not really serve — enough for the refusals such a target is used for
  const upstream: UpstreamRequest[] = [];
  const up = await startUpstream(upstream);
  const ca = makeTestCa([CIMD_HOST, 'rebind.example', 'localhost', '127.0.0.1']);
  const cimd = await startHttpsStatic(ca);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const clientJwk = { ...(await exportJWK(publicKey)), kid: 'atk-client-key', alg: 'ES256' };
  const idp = await idpKey('atk-idp-1');
  process.env.ATK_CONFIDENTIAL_SECRET = CONFIDENTIAL_SECRET;
  process.env.ATK_EMA_SECRET = EMA_SECRET;
  process.env.ATK_EMA_OTHER_SECRET = EMA_OTHER_SECRET;
  const config = configSchema.parse({
    issuer: opts.productionMode ? `https://127.0.0.1:${port}` : base,
    dev: !opts.productionMode,
    roles: { reader: ['notes:read'], admin: ['notes:read', 'notes:write', 'other:read'] },
    resources: [
      { path: '/mcp', upstream: `${up.url}/mcp`, name: 'Notes', scopes: ['notes:read', 'notes:write', 'notes:admin'], tools: { list_notes: 'notes:read', add_note: 'notes:write', delete_all: 'notes:admin' } },
      { path: '/other', upstream: `${up.url}/other`, name: 'Other', scopes: ['other:read'] },
    ],
    clients: [
      { client_id: PUBLIC_CLIENT, client_name: 'Attack public client', redirect_uris: [APP_REDIRECT, LOOPBACK_REDIRECT, 'https://app.example/cb?x=1'], grant_types: ['authorization_code', 'refresh_token'] },
      { client_id: OTHER_PUBLIC_CLIENT, client_name: 'Another public client', redirect_uris: [APP_REDIRECT], grant_types: ['authorization_code', 'refresh_token'] },
      { client_id: LOOPBACK_CLIENT, client_name: 'Loopback client', redirect_uris: [LOOPBACK_REDIRECT, 'http://localhost/callback', 'http://[::1]/callback'] },
      { client_id: CONFIDENTIAL_CLIENT, redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'ATK_CONFIDENTIAL_SECRET', grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] },
      { client_id: JWT_CLIENT, redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [clientJwk] }, grant_types: ['client_credentials'] },
      { client_id: EMA_CLIENT, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'ATK_EMA_SECRET' },
      { client_id: EMA_OTHER_CLIENT, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'ATK_EMA_OTHER_SECRET' },
    ],
    enterprise: { trusted_issuers: [{ issuer: IDP, jwks: { keys: [idp.jwk] }, clients: [EMA_CLIENT, EMA_OTHER_CLIENT], provision: true, default_roles: ['reader'] }] },
    cors: { allowed_origins: [ALLOWED_ORIGIN] },
    cimd: { timeout_ms: 1500, max_bytes: 5120 },
    registration: { enabled: true },
    // the suite makes hundreds of requests from one address; the limits have their own tests
    rate_limits: { enabled: false },
    ...overrides,
  });
  const settings = resolveSettings(config);
  const clock = new TestClock();
  clock.now = Date.now(); // TLS certificates and the audit chain live in real time; cases move it explicitly
  const store = openMemoryStore();
  await store.migrate();
  const keys = new KeyRing(store, Buffer.from('k'.repeat(32)), clock.fn);
  await keys.init();
  const audit = new AuditLog({ store, keys: deriveAuditKeys('a'.repeat(32)), clock: clock.fn, checkpointFile: null, checkpointIntervalMs: 0 });
  const dns = new Map<string, string[][]>();
  const dnsCalls = new Map<string, number>();
  const resolver: Resolver = async (hostname) => {
    const n = dnsCalls.get(hostname) ?? 0;
    dnsCalls.set(hostname, n + 1);
    const answers = dns.get(hostname);
    if (!answers) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const pick = answers[Math.min(n, answers.length - 1)] ?? [];
    return pick.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  dns.set(CIMD_HOST, [['127.0.0.1']]);
  const pendingAudit = new Set<Promise<unknown>>();
  // the same CIMD fetch audit as src/server/runtime.ts (client.fetch with the outcome)
  const fetchLog = (event: CimdFetchEvent): void => {
    const outcome = event.outcome === 'ok' ? 'ok' : ['address_blocked', 'redirect_refused', 'scheme_not_allowed'].includes(event.outcome) ? 'refused' : event.outcome === 'document_invalid' ? 'invalid' : 'error';
    const data = JSON.parse(JSON.stringify({ url: event.url, address: event.address, outcome, status: event.status ?? undefined, reason: outcome === 'ok' ? undefined : event.outcome, bytes: event.bytes, ms: event.ms })) as Record<string, string>;
    const p = audit.record('client.fetch', data as never).catch(() => undefined);
    pendingAudit.add(p);
    void p.finally(() => pendingAudit.delete(p));
  };
  const clients = createClientResolver(config, { dev: config.dev, clock: clock.fn, log: fetchLog, store, resolver, ca: [ca.caPem] });
  const ctx: AsContext = {
    settings,
    store,
    keys,
    clients,
    clock: clock.fn,
    log: silentLogger(),
    fetchJwks: async () => ({ keys: [] }),
    onGrantRevoked: () => undefined,
    audit,
  };
  const verifier = createAccessTokenVerifier({
    issuer: settings.issuer,
    getKey: async (header) => {
      const key = await keys.resolvePublicKey(header.kid);
      if (!key) throw new Error('unknown kid');
      return key;
    },
    clock: clock.fn,
    skewSeconds: config.tokens.clock_skew,
    isGrantRevoked: async (id) => (await store.getGrant(id))?.revoked_at != null,
    algorithms: ['ES256'],
  });
  const gateways = new Map<string, Gateway>();
  for (const resource of settings.resources) gateways.set(resource.id, createGateway({ settings, resource, verifier, log: silentLogger(), audit, clock: clock.fn }));
  await store.createUser({ id: 'user-alice', username: USER.username, password_hash: await hashPassword(USER.password), roles: ['admin'], disabled: false, created_at: clock.now });
  const app = createApp(ctx, gateways);
  // the timeouts are the runtime's mechanism (src/server/timeouts.ts) at test scale: a slow client is cut within seconds
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1', serverOptions: { connectionsCheckingInterval: 100 } }) as Server;
  applyRequestTimeouts(server, SLOW_CLIENT_LIMITS);
  await new Promise<void>((resolve, reject) => {
    if (server.listening) resolve();
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  return {
    base,
    issuer: settings.issuer,
    resource: settings.resources[0]!.id,
    otherResource: settings.resources[1]!.id,
    settings,
    ctx,
    store,
    clock,
    audit,
    upstream,
    dns,
    dnsCalls,
    cimd,
    cimdUrl: (path) => `https://${CIMD_HOST}:${cimd.port}${path}`,
    ca,
    clientKey: { privateKey, jwk: clientJwk },
    idp,
    fetch: (path, init) => fetch(new URL(path, base), { redirect: 'manual', ...init }),
    settle: async () => {
      await Promise.all([...pendingAudit]);
      await audit.flush();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      up.server.closeAllConnections();
      await new Promise<void>((r) => up.server.close(() => r()));
      await cimd.close();
      for (const g of gateways.values()) await (g as { close?: () => Promise<void> }).close?.();
      await audit.close();
      await store.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Assertions shared by every area

/** The newest audit sequence number (entries after it are this case's). */
export async function auditHead(t: AttackTarget): Promise<number> {
  await t.settle();
  const [row] = await t.store.listAudit({ order: 'desc', limit: 1 });
  return row?.seq ?? 0;
}

export interface AuditEntry {
  type: string;
  data: Record<string, unknown>;
  client_id: string | null;
  user_id: string | null;
}

/** Audit entries written after `head`, oldest first. */
export async function auditSince(t: AttackTarget, head: number): Promise<AuditEntry[]> {
  await t.settle();
  const rows = await t.store.listAudit({ order: 'desc', limit: 50 });
  return rows
    .filter((r) => r.seq > head)
    .reverse()
    .map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown>, client_id: r.client_id, user_id: r.user_id }));
}

/**
 * Runs `attack` and asserts that it changed nothing in the store (audit tables excluded: recording a refusal is
 * their job). Returns what the attack returned and the audit entries it produced.
 */
export async function refusedWithoutWrite<T>(t: AttackTarget, attack: () => Promise<T>): Promise<{ result: T; audit: AuditEntry[] }> {
  const before = storeFingerprint(t.store);
  const head = await auditHead(t);
  const result = await attack();
  assert.equal(storeFingerprint(t.store), before, 'the refused attack wrote nothing to the store');
  return { result, audit: await auditSince(t, head) };
}

/** An OAuth error response: exact status and error code, no-store, and nothing resembling a token. */
export async function expectOAuthError(res: Response, status: number, error: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${error}, got ${res.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.equal(body.error, error, text);
  assert.equal(body.access_token, undefined);
  assert.equal(body.refresh_token, undefined);
  assert.doesNotMatch(text, /at \w+ \(|node:internal|\.ts:\d+/, 'no stack trace on the wire');
  return body;
}

/** A Bearer challenge from the gateway: 401 invalid_token (RFC 6750 §3.1), the upstream never reached. */
export async function expectInvalidToken(t: AttackTarget, res: Response, upstreamBefore: number): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, 401, text);
  const challenge = res.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer /);
  assert.match(challenge, /error="invalid_token"/);
  assert.match(challenge, /resource_metadata="/);
  assert.equal(t.upstream.length, upstreamBefore, 'the upstream was never reached');
}

// ---------------------------------------------------------------------------------------------------------------
// Protocol steps an attacker (or a legitimate client) performs

export interface AuthorizeParams {
  client_id?: string;
  redirect_uri?: string;
  resource?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  [k: string]: string | undefined;
}

export function authorizeUrl(t: AttackTarget, p: AuthorizeParams): string {
  const u = new URL('/authorize', t.base);
  const params: Record<string, string | undefined> = { response_type: 'code', client_id: PUBLIC_CLIENT, redirect_uri: APP_REDIRECT, resource: t.resource, scope: 'notes:read', state: 'st-123', code_challenge_method: 'S256', ...p };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

export interface CodeResult {
  code: string;
  verifier: string;
  redirect_uri: string;
  location: URL;
}

/** A complete, legitimate authorization: login and consent as USER, returns the code and its verifier. */
export async function authorizeCode(t: AttackTarget, p: AuthorizeParams = {}, jar = new CookieJar()): Promise<CodeResult> {
  const pkce = pkcePair();
  const url = authorizeUrl(t, { code_challenge: pkce.challenge, ...p });
  const r = await driveAuthorization((u, init) => fetch(u, init), url, { ...USER, jar });
  const location = new URL(r.location);
  const code = location.searchParams.get('code');
  assert.ok(code, `a code: ${r.location}`);
  return { code, verifier: pkce.verifier, redirect_uri: p.redirect_uri ?? APP_REDIRECT, location };
}

export const form = (o: Record<string, string | undefined>): URLSearchParams => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined) s.append(k, v);
  return s;
};

export async function postToken(t: AttackTarget, body: URLSearchParams, headers: Record<string, string> = {}): Promise<Response> {
  return t.fetch('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  scope: string;
}

/** A real access token (and refresh token) through the authorization-code flow. */
export async function obtainTokens(t: AttackTarget, p: AuthorizeParams = {}): Promise<Tokens> {
  const c = await authorizeCode(t, p);
  const res = await postToken(t, form({ grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: c.redirect_uri, client_id: p.client_id ?? PUBLIC_CLIENT, resource: p.resource ?? t.resource }));
  const body = (await res.json()) as Tokens;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** A JSON-RPC POST to the gateway. */
export async function mcp(t: AttackTarget, token: string | null, message: unknown, headers: Record<string, string> = {}, path = '/mcp'): Promise<Response> {
  return t.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof message === 'string' ? message : JSON.stringify(message),
  });
}

/** Signs an access token with the server's current signing key (as a compromised clock or bug might): claims and header overridable. */
export async function signWithServerKey(t: AttackTarget, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = t.ctx.keys.signingKey();
  const now = Math.floor(t.clock.now / 1000);
  const payload: Record<string, unknown> = { iss: t.issuer, sub: 'user-alice', aud: t.resource, client_id: PUBLIC_CLIENT, scope: 'notes:read', iat: now, exp: now + 300, jti: `jti-${Math.random()}`, grant_id: 'g-none', ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  const h: Record<string, unknown> = { alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header };
  for (const [k, v] of Object.entries(h)) if (v === undefined) delete h[k];
  return new SignJWT(payload).setProtectedHeader(h as { alg: string }).sign(key.privateKey);
}

/** A JSON-RPC tools/call message. */
export const toolsCall = (name: string, id: number | string = 1): Record<string, unknown> => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
