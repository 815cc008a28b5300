/**
 * Pure helpers over recorded exchanges: challenge parsing, well-known URL construction, JSON bodies. Shared by the
 * observers (to decide what to fetch next) and the checks (to judge what was fetched).
 */
import type { Exchange, Observations } from './types.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
  /** parameter names in order, repeats included (OAuth 2.1 §5.3.1: some must not repeat) */
  names: string[];
}

/** Parses the first challenge of a `WWW-Authenticate` value (RFC 9110 §11.6.1 auth-param syntax). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const names: string[] = [];
  const re = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*,?/gy;
  const rest = m[2] ?? '';
  let p: RegExpExecArray | null;
  while ((p = re.exec(rest)) !== null && p[0] !== '') {
    const name = p[1]!.toLowerCase();
    names.push(name);
    params[name] ??= p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: m[1]!, params, names };
}

/** RFC 9728 §3.1 / RFC 8414 §3.1: insert `/.well-known/<suffix>` between host and path (a trailing `/` is dropped). */
export function wellKnownInserted(identifier: string, suffix: string): string {
  const u = new URL(identifier);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}/.well-known/${suffix}${path}`;
}

/** OIDC Discovery 1.0 §4: the path-appended form `{issuer}/.well-known/openid-configuration`. */
export function wellKnownAppended(identifier: string, suffix: string): string {
  return `${identifier.replace(/\/$/, '')}/.well-known/${suffix}`;
}

/** MCP [DISC] / spec-checklist §2C.5: the order clients try AS metadata URLs for an issuer. */
export function asMetadataUrls(issuer: string): string[] {
  const hasPath = new URL(issuer).pathname.replace(/\/$/, '') !== '';
  const rfc8414 = wellKnownInserted(issuer, 'oauth-authorization-server');
  const oidcInserted = wellKnownInserted(issuer, 'openid-configuration');
  return hasPath ? [rfc8414, oidcInserted, wellKnownAppended(issuer, 'openid-configuration')] : [rfc8414, oidcInserted];
}

export function header(x: Exchange | undefined, name: string): string | undefined {
  return x?.response?.headers[name.toLowerCase()];
}

export function jsonBody(x: Exchange | undefined): Record<string, unknown> | undefined {
  if (!x?.response) return undefined;
  try {
    const v: unknown = JSON.parse(x.response.body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A 200 response with a JSON object body (RFC 9728 §3.2, RFC 8414 §3.2). */
export function isJsonDocument(x: Exchange | undefined): boolean {
  return x?.response?.status === 200 && /^application\/([\w.+-]*\+)?json/i.test(header(x, 'content-type') ?? '') && jsonBody(x) !== undefined;
}

export function one(obs: Observations, key: string): Exchange | undefined {
  const list = obs.exchanges[key];
  return list?.[list.length - 1];
}

export function all(obs: Observations, key: string): Exchange[] {
  return obs.exchanges[key] ?? [];
}

export function challengeOf(x: Exchange | undefined): Challenge | undefined {
  return parseChallenge(header(x, 'www-authenticate'));
}

/** Query parameters of a redirect's Location (the authorization response, RFC 6749 §4.1.2), if any. */
export function redirectParams(x: Exchange | undefined): { target: string; params: URLSearchParams } | undefined {
  const loc = header(x, 'location');
  if (!x || !loc) return undefined;
  const u = new URL(loc, x.request.url);
  return { target: `${u.origin}${u.pathname}`, params: u.searchParams };
}

export function describe(x: Exchange | undefined): string {
  if (!x) return 'not observed';
  if (x.error) return `${x.request.method} ${x.request.url} failed: ${x.error}`;
  return `${x.request.method} ${x.request.url} → ${x.response?.status}`;
}

export function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
}

/** The AS metadata document found in the client discovery order (shared by observers and checks). */
export function asMetadataDoc(obs: Observations): Record<string, unknown> | undefined {
  return obs.facts['as.metadata.url'] ? jsonBody(one(obs, 'as.metadata')) : undefined;
}

/** A JSON-RPC message from a JSON body or the first `data:` event of an SSE body (MCP Streamable HTTP). */
export function rpcMessage(x: Exchange | undefined): Record<string, unknown> | undefined {
  const direct = jsonBody(x);
  if (direct) return direct;
  const data = x?.response?.body.split(/\r?\n/).find((l) => l.startsWith('data:'));
  if (!data) return undefined;
  try {
    const v: unknown = JSON.parse(data.slice(5));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of a JWT (unverified: the checker judges what was issued, it does not trust it). */
export function jwtParts(token: unknown): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  if (typeof token !== 'string') return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const [header, claims] = parts.slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown);
    const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
    return isObj(header) && isObj(claims) ? { header, claims } : undefined;
  } catch {
    return undefined;
  }
}
