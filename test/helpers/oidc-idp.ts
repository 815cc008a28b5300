/**
 * Issue 4 item 3: a REAL OpenID Provider (panva's oidc-provider v9) on loopback, dressed as Entra ID or Google from
 * the real discovery documents in /work/shared/fixtures/idp/. The providers are unmodified; a small router in front
 * plays the parts that are Entra's own:
 * - the multi-tenant endpoint (`/common/…`) whose discovery `issuer` is the template `…/{tenantid}/v2.0`, while each
 *   tenant's provider issues ID tokens as `<origin>/<tid>/v2.0` with a `tid` claim;
 * - a `resource` parameter refused with `invalid_target` and `AADSTS9010010: …` (authorize and token);
 * - no registration endpoint (DCR off).
 * Test knobs simulate a broken or hostile IdP: rewrite the authorization request the IdP sees, or re-sign the ID
 * token it returns with other claims (or another key). Every upstream token issued is recorded, so tests can prove
 * none of them reaches an MCP client.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';
import { CookieJar, type Fetcher } from './browserless.js';

export const FIXTURES = '/work/shared/fixtures/idp';
export const IDP_CLIENT_ID = 'portcullis-at-idp';
export const IDP_CLIENT_SECRET = 'idp-client-secret-never-shown-5b2e';

export interface IdpAccount {
  [claim: string]: unknown;
}

export interface TestIdpOptions {
  kind: 'entra' | 'google';
  /** Entra: the tenants served (each its own provider); the first is the current one */
  tenants?: string[];
  /** Portcullis callback URLs registered for the client */
  redirectUris: string[];
  accounts?: Record<string, IdpAccount>;
  /** more client registrations at the IdP (oidc-provider client metadata), e.g. a private_key_jwt client */
  extraClients?: Array<Record<string, unknown>>;
}

interface Tenant {
  provider: Provider;
  server: Server;
  port: number;
  prefix: string;
  issuer: string;
}

export class TestIdp {
  origin = '';
  /** the issuer Portcullis is configured with (Entra: the multi-tenant `…/organizations/v2.0`) */
  configuredIssuer = '';
  /** Entra: the tenant the multi-tenant endpoints route to */
  tenant = '';
  /** rewrite the authorization request before the provider sees it (a buggy or hostile IdP) */
  mutateAuthorize: ((q: URLSearchParams) => void) | null = null;
  /** re-sign the ID token of the next token responses with these claims changed (or with another key) */
  tamperIdToken: ((claims: JWTPayload) => JWTPayload) | null = null;
  tamperWithForeignKey = false;
  /** every access/refresh/ID token the IdP issued (to prove none of them reaches an MCP client) */
  readonly issuedTokens: string[] = [];
  /** every authorization request the IdP received (query) */
  readonly authorizeRequests: URLSearchParams[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  readonly accounts: Record<string, IdpAccount>;
  private server!: Server;
  private readonly tenants = new Map<string, Tenant>();
  private root: Tenant | undefined;
  private readonly privateJwk: JWK;
  private readonly foreignJwk: JWK;

  constructor(private readonly opts: TestIdpOptions) {
    this.accounts = opts.accounts ?? {};
    const kid = `k-${randomUUID().slice(0, 8)}`;
    this.privateJwk = { ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' };
    this.foreignJwk = { ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' };
  }

  get publicJwks(): { keys: JWK[] } {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = this.privateJwk;
    return { keys: [pub] };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.route(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    }));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    if (this.opts.kind === 'entra') {
      for (const tid of this.opts.tenants ?? []) this.tenants.set(tid, await this.startProvider(`/${tid}/v2.0`, tid));
      this.tenant = this.opts.tenants![0]!;
      this.configuredIssuer = `${this.origin}/organizations/v2.0`;
    } else {
      this.root = await this.startProvider('', null);
      this.configuredIssuer = this.origin;
    }
    return this;
  }

  async close(): Promise<void> {
    for (const t of [...this.tenants.values(), ...(this.root ? [this.root] : [])]) {
      t.server.closeAllConnections();
      await new Promise((r) => t.server.close(r));
    }
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** the discovery document: the real fixture with its origin (and Entra's endpoints) pointed at this server */
  discovery(): Record<string, unknown> {
    if (this.opts.kind === 'entra') {
      const text = readFileSync(`${FIXTURES}/entra-v2-common.json`, 'utf8').replaceAll('https://login.microsoftonline.com', this.origin);
      const doc = JSON.parse(text) as Record<string, unknown>;
      // userinfo lives at graph.microsoft.com in the real document; nothing here reads it
      return doc;
    }
    const doc = JSON.parse(readFileSync(`${FIXTURES}/google.json`, 'utf8')) as Record<string, unknown>;
    return {
      ...doc,
      issuer: this.origin,
      authorization_endpoint: `${this.origin}/auth`,
      token_endpoint: `${this.origin}/token`,
      jwks_uri: `${this.origin}/jwks`,
      userinfo_endpoint: `${this.origin}/me`,
      device_authorization_endpoint: undefined,
      revocation_endpoint: undefined,
    };
  }

  private async startProvider(prefix: string, tid: string | null): Promise<Tenant> {
    const issuer = `${this.origin}${prefix}`;
    const accounts = this.accounts;
    const provider = new Provider(issuer, {
      clients: [{ client_id: IDP_CLIENT_ID, client_secret: IDP_CLIENT_SECRET, redirect_uris: this.opts.redirectUris, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }, ...(this.opts.extraClients ?? [])],
      jwks: { keys: [this.privateJwk] },
      cookies: { keys: ['test-idp-cookie-key-0123456789'] },
      claims: { openid: ['sub', 'tid', 'oid', 'groups'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: true }, registration: { enabled: false } },
      findAccount: (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: () => {
          const base = { sub: id, name: id, preferred_username: `${id}@example.test`, ...(tid ? { tid, oid: `oid-${id}` } : {}) };
          return { ...base, ...(accounts[id] ?? { email: `${id}@example.test`, ...(tid ? {} : { email_verified: true }) }) } as { sub: string };
        },
      }),
    });
    const cb = provider.callback();
    const server = createServer((req, res) => {
      // mounted under the issuer's path, as express would: the original URL is kept for oidc-provider's mountPath
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      req.url = req.url!.slice(prefix.length) || '/';
      void cb(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { provider, server, port: (server.address() as AddressInfo).port, prefix, issuer };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.origin);
    const entra = this.opts.kind === 'entra';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (entra ? url.pathname === '/organizations/v2.0/.well-known/openid-configuration' : url.pathname === '/.well-known/openid-configuration') {
      return send(200, this.discovery());
    }
    const authorizePath = entra ? '/common/oauth2/v2.0/authorize' : '/auth';
    const tokenPath = entra ? '/common/oauth2/v2.0/token' : '/token';
    const current = entra ? this.tenants.get(this.tenant)! : this.root!;
    if (entra && url.pathname === '/common/discovery/v2.0/keys') return send(200, this.publicJwks);
    if (url.pathname === authorizePath && req.method === 'GET') {
      const q = new URLSearchParams(url.search);
      this.authorizeRequests.push(new URLSearchParams(q));
      if (entra && q.has('resource')) {
        // Entra v2 refuses RFC 8707 `resource` next to v2 scopes
        const back = new URL(q.get('redirect_uri')!);
        back.searchParams.set('error', 'invalid_target');
        back.searchParams.set('error_description', 'AADSTS9010010: The resource parameter provided in the request doesn\'t match with the requested scopes. Trace ID: 00000000');
        if (q.get('state')) back.searchParams.set('state', q.get('state')!);
        res.writeHead(302, { location: back.href });
        return void res.end();
      }
      this.mutateAuthorize?.(q);
      if (entra) {
        res.writeHead(302, { location: `${current.issuer}/auth?${q}` });
        return void res.end();
      }
      req.url = `/auth?${q}`;
      return this.proxy(req, res, current, undefined);
    }
    if (url.pathname === tokenPath && req.method === 'POST') {
      const body = await readBody(req);
      const form = new URLSearchParams(body.toString('utf8'));
      this.tokenRequests.push(form);
      if (entra && form.has('resource')) return send(400, { error: 'invalid_target', error_description: 'AADSTS9010010: The resource parameter provided in the request doesn\'t match with the requested scopes.' });
      req.url = `${current.prefix}/token`;
      return this.proxy(req, res, current, body, true);
    }
    if (entra) {
      const t = [...this.tenants.values()].find((x) => url.pathname.startsWith(`${x.prefix}/`));
      if (!t) return send(404, { error: 'not_found' });
      return this.proxy(req, res, t, undefined);
    }
    return this.proxy(req, res, current, undefined);
  }

  /** forwards to a provider's own server, Host kept (oidc-provider builds its URLs from it) */
  private async proxy(req: IncomingMessage, res: ServerResponse, t: Tenant, body: Buffer | undefined, isToken = false): Promise<void> {
    const payload = body ?? (req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req));
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = httpRequest({ host: '127.0.0.1', port: t.port, method: req.method, path: req.url, headers: { ...req.headers, ...(payload ? { 'content-length': String(payload.length) } : {}) } }, resolve);
      r.once('error', reject);
      r.end(payload);
    });
    const chunks: Buffer[] = [];
    for await (const c of upstream) chunks.push(c as Buffer);
    let out = Buffer.concat(chunks);
    const headers = { ...upstream.headers };
    if (isToken && upstream.statusCode === 200) {
      const json = JSON.parse(out.toString('utf8')) as Record<string, unknown>;
      for (const k of ['access_token', 'refresh_token', 'id_token']) if (typeof json[k] === 'string') this.issuedTokens.push(json[k] as string);
      if (typeof json.id_token === 'string' && (this.tamperIdToken || this.tamperWithForeignKey)) {
        json.id_token = await this.resign(json.id_token);
        this.issuedTokens.push(json.id_token as string);
      }
      out = Buffer.from(JSON.stringify(json));
      headers['content-length'] = String(out.length);
    }
    res.writeHead(upstream.statusCode ?? 502, headers);
    res.end(out);
  }

  private async resign(idToken: string): Promise<string> {
    const header = decodeProtectedHeader(idToken);
    const claims = decodeJwt(idToken);
    const changed = this.tamperIdToken ? this.tamperIdToken({ ...claims }) : claims;
    const key = await importJWK(this.tamperWithForeignKey ? this.foreignJwk : this.privateJwk, 'RS256');
    return new SignJWT(changed).setProtectedHeader({ alg: 'RS256', kid: header.kid!, ...(header.typ ? { typ: header.typ } : {}) }).sign(key);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Plays the user at the IdP: follows redirects from `url` through oidc-provider's own login and consent forms
 * (dev interactions: `login` / `password`, then consent) and stops at the first redirect to `stopAt` (the
 * Portcullis callback), which it returns WITHOUT following, so a test can inspect or alter it.
 */
export async function signInAtIdp(fetcher: Fetcher, url: string, stopAt: string, login: string, jar: CookieJar): Promise<URL> {
  let next = url;
  let init: RequestInit = { method: 'GET' };
  for (let step = 0; step < 12; step++) {
    if (next.startsWith(stopAt)) return new URL(next);
    const res = await fetcher(next, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.take(res);
    if (res.status >= 300 && res.status < 400) {
      next = new URL(res.headers.get('location')!, next).href;
      init = { method: 'GET' };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`IdP answered ${res.status}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no IdP form: ${html.slice(0, 500)}`);
    const body = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      body.set('login', login);
      body.set('password', 'any');
    }
    next = new URL(action.replace(/&amp;/g, '&'), next).href;
    init = { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('too many steps at the IdP');
}

export { CookieJar };
