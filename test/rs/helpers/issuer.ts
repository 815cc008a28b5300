/**
 * A minimal RFC 8414 + JWKS + RFC 7662 authorization server on loopback, standing in for "any issuer" in the
 * resource-server core tests: its keys, introspection answers and revoked-grant list are set by the test, and it
 * counts what it was asked. (The end-to-end test uses the real Portcullis; this one lets a test rotate keys or
 * take the AS down at a chosen moment.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function newKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

export interface FakeIssuer {
  issuer: string;
  /** keys published at jwks_uri (mutable) */
  keys: TestKey[];
  /** opaque or JWT token → introspection answer (absent: {active:false}) */
  introspection: Map<string, Record<string, unknown>>;
  revokedGrants: string[];
  /** each endpoint's hit count */
  hits: Record<'metadata' | 'jwks' | 'introspect' | 'revoked', number>;
  /** make an endpoint answer 503 */
  down: Set<'metadata' | 'jwks' | 'introspect' | 'revoked'>;
  /** metadata members overriding the defaults (e.g. a wrong issuer) */
  metadataOverride: Record<string, unknown>;
  /** Basic credentials the introspection and revoked-grants endpoints accept */
  credentials: { id: string; secret: string };
  sign(key: TestKey, claims: JWTPayload, opts?: { typ?: string; expSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeIssuer(credentials = { id: 'rs', secret: 'rs-secret' }): Promise<FakeIssuer> {
  let base = '';
  const state: Omit<FakeIssuer, 'issuer' | 'sign' | 'close'> = {
    keys: [await newKey('k1')],
    introspection: new Map(),
    revokedGrants: [],
    hits: { metadata: 0, jwks: 0, introspect: 0, revoked: 0 },
    down: new Set(),
    metadataOverride: {},
    credentials,
  };
  const authorized = (header: string | undefined): boolean =>
    header === `Basic ${Buffer.from(`${encodeURIComponent(credentials.id)}:${encodeURIComponent(credentials.secret)}`).toString('base64')}`;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      const path = new URL(req.url ?? '/', base).pathname;
      const which = path === '/.well-known/oauth-authorization-server' ? 'metadata' : path === '/jwks.json' ? 'jwks' : path === '/introspect' ? 'introspect' : path === '/revoked-grants' ? 'revoked' : undefined;
      if (!which) return json(404, { error: 'not_found' });
      state.hits[which]++;
      if (state.down.has(which)) return json(503, { error: 'temporarily_unavailable' });
      switch (which) {
        case 'metadata':
          return json(200, { issuer: base, jwks_uri: `${base}/jwks.json`, introspection_endpoint: `${base}/introspect`, ...state.metadataOverride });
        case 'jwks':
          return json(200, { keys: state.keys.map((k) => k.jwk) });
        case 'introspect': {
          if (!authorized(req.headers.authorization)) return json(401, { error: 'invalid_client' });
          const token = new URLSearchParams(body).get('token') ?? '';
          return json(200, state.introspection.get(token) ?? { active: false });
        }
        case 'revoked':
          if (!authorized(req.headers.authorization)) return json(401, { error: 'invalid_client' });
          return json(200, { revoked_grants: state.revokedGrants, as_of: Date.now(), retain_seconds: 600 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    issuer: base,
    async sign(key: TestKey, claims: JWTPayload, opts: { typ?: string; expSeconds?: number } = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: base, iat: now, exp: now + (opts.expSeconds ?? 300), jti: `j-${Math.random().toString(36).slice(2)}`, client_id: 'c1', sub: 'alice', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: opts.typ ?? 'at+jwt' })
        .sign(key.privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
