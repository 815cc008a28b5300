import { ConfigError } from '../core/errors.js';
import { isLoopbackHost, joinPath, normalizeSchemeAndHost, wellKnownUrl } from '../core/urls.js';
import type { Config, ResourceConfig, UpstreamIdentityConfig, UpstreamStdioConfig } from './schema.js';
import { splitCommandLine } from './command-line.js';
import { checkTrustedIssuers } from '../as/idjag/config.js';
import { checkClientResources } from '../as/clients/allowed-resources.js';
import { checkIdjagIssuance } from './idjag-issuance-schema.js';

/** A protected resource with every URL worked out once at start-up. */
export interface ProtectedResource {
  /** canonical resource identifier: exactly the PRM `resource` and the token `aud` */
  id: string;
  /** path of the MCP endpoint on this server, including the issuer's path prefix */
  path: string;
  /** RFC 9728 §3.1 path-inserted metadata URL */
  metadataUrl: string;
  /** metadata path on this server */
  metadataPath: string;
  upstream: string | undefined;
  /** issue 7 item 1: a stdio MCP server run by the gateway (exactly one of upstream / upstreamStdio); env_from secrets are read by gateway/stdio */
  upstreamStdio?: UpstreamStdioConfig;
  name: string;
  scopes: string[];
  tools: Record<string, string>;
  prompts: Record<string, string>;
  mcpResources: Record<string, string>;
  scopeImplies: Record<string, string[]>;
  unlisted: 'allow' | 'deny';
  /** issue 7 item 3: identity sent upstream (secrets are read by gateway/identity.ts, never kept here) */
  identity?: UpstreamIdentityConfig;
  /** issue 11 AS-only mode: served by another server (`resources[].resource`), which publishes its own PRM */
  external?: boolean;
}

export const NO_IDENTITY: UpstreamIdentityConfig = { mode: 'none', header: 'x-portcullis-identity', static_headers_env: {}, static_headers_file: {} };

export interface Settings {
  config: Config;
  issuer: string;
  /** issuer path ("" when the issuer is an origin) */
  issuerPath: string;
  dev: boolean;
  resources: ProtectedResource[];
  endpoints: {
    authorization: string;
    token: string;
    jwks: string;
    interaction: string; // base for /interaction/:id
    revocation: string;
    introspection: string;
    account: string;
  };
  /** cookies carry Secure and the __Host- prefix unless the issuer is http (dev on loopback) */
  secureCookies: boolean;
}

/** Turn a parsed config into Settings, failing at start-up with a message naming the option. */
export function resolveSettings(config: Config): Settings {
  const issuer = (config.issuer ?? `http://${hostForUrl(config.host)}:${config.port}`).replace(/\/$/, '');
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw new ConfigError('issuer', `"${issuer}" is not an absolute URL`);
  }
  if (u.search || u.hash) throw new ConfigError('issuer', 'must have no query or fragment (RFC 8414 §2)');
  if (u.username || u.password) throw new ConfigError('issuer', 'must not contain credentials');
  const loopback = isLoopbackHost(u.hostname);
  if (u.protocol === 'http:') {
    if (!config.dev) throw new ConfigError('issuer', `http issuer "${issuer}" needs --dev (and a loopback host); production needs https`);
    if (!loopback) throw new ConfigError('issuer', `--dev allows an http issuer only on a loopback host, not "${u.hostname}"`);
  } else if (u.protocol !== 'https:') {
    throw new ConfigError('issuer', 'must be an https URL');
  }
  const issuerPath = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');

  const resourceConfigs = [...config.resources];
  if (config.upstream_stdio !== undefined) {
    if (config.upstream) throw new ConfigError('upstream_stdio', 'give either --upstream or --upstream-stdio, not both');
    const words = splitCommandLine(config.upstream_stdio);
    if (!words?.length) throw new ConfigError('upstream_stdio', words ? 'the command line is empty' : 'a quote is not closed');
    const stdio: UpstreamStdioConfig = { command: words[0]!, args: words.slice(1), env: {}, env_from: {}, per: 'user', idle_timeout_s: 300, max_children: 50, call_timeout_s: 300 };
    applyUpstreamFlag(resourceConfigs, 'upstream_stdio', { upstream: undefined, upstream_stdio: stdio });
  }
  if (config.upstream) applyUpstreamFlag(resourceConfigs, 'upstream', { upstream: config.upstream, upstream_stdio: undefined });
  const seen = new Set<string>();
  const resources = resourceConfigs.map((r, i): ProtectedResource => {
    // issue 11 AS-only mode: a resource served elsewhere (portcullis/resource-server) has no path on this server
    const external = r.resource !== undefined ? externalResourceId(r, i, config.dev) : undefined;
    const path = external ? new URL(external).pathname : joinPath(issuerPath, r.path);
    const key = external ?? path;
    if (seen.has(key)) throw new ConfigError(external ? `resources[${i}].resource` : `resources[${i}].path`, `duplicate ${external ? 'resource' : 'path'} ${key}`);
    seen.add(key);
    if (!external && path.startsWith('/.well-known/')) throw new ConfigError(`resources[${i}].path`, 'must not be under /.well-known/');
    if (r.scopes.includes('offline_access')) {
      // MCP 2026-07-28 "Refresh Tokens": servers SHOULD NOT advertise offline_access in scopes_supported.
      throw new ConfigError(`resources[${i}].scopes`, 'must not list offline_access');
    }
    for (const key of ['tools', 'prompts', 'mcp_resources'] as const) {
      for (const [name, scope] of Object.entries(r[key])) {
        if (!r.scopes.includes(scope)) throw new ConfigError(`resources[${i}].${key}.${name}`, `scope "${scope}" is not in resources[${i}].scopes`);
      }
    }
    for (const [scope, implied] of Object.entries(r.scope_implies)) {
      for (const s of [scope, ...implied]) {
        if (!r.scopes.includes(s)) throw new ConfigError(`resources[${i}].scope_implies.${scope}`, `scope "${s}" is not in resources[${i}].scopes`);
      }
    }
    checkIdentity(r.identity ?? NO_IDENTITY, `resources[${i}].identity`, r.upstream);
    if (r.upstream_stdio) checkStdio(r.upstream_stdio, `resources[${i}]`, r);
    const id = external ?? `${u.origin}${path}`;
    const metadataUrl = wellKnownUrl(id, 'oauth-protected-resource');
    return {
      id,
      path,
      metadataUrl,
      metadataPath: new URL(metadataUrl).pathname,
      upstream: r.upstream,
      ...(r.upstream_stdio ? { upstreamStdio: r.upstream_stdio } : {}),
      name: r.name,
      scopes: r.scopes,
      tools: r.tools,
      prompts: r.prompts,
      mcpResources: r.mcp_resources,
      scopeImplies: r.scope_implies,
      unlisted: r.unlisted,
      identity: r.identity ?? NO_IDENTITY,
      ...(external ? { external: true } : {}),
    };
  });

  config.clients.forEach((c, i) => {
    // RFC 7662 §2.1: the introspection endpoint requires caller authentication, so a public client cannot use it
    if (c.introspection && c.token_endpoint_auth_method === 'none') {
      throw new ConfigError(`clients[${i}].introspection`, 'needs token_endpoint_auth_method client_secret_basic, client_secret_post or private_key_jwt');
    }
  });
  // issue 4: trusted ID-JAG issuers (never this server itself) and the clients they speak for
  checkTrustedIssuers(config, issuer);
  checkClientResources(config, resources.map((r) => r.id), issuer);
  // issue 4: the ID-JAG issuance policy (targets, their clients) and who may use token exchange
  checkIdjagIssuance(config, issuer);

  return {
    config,
    issuer,
    issuerPath,
    dev: config.dev,
    resources,
    endpoints: {
      authorization: `${issuer}/authorize`,
      token: `${issuer}/token`,
      jwks: `${issuer}/jwks.json`,
      interaction: `${issuer}/interaction`,
      revocation: `${issuer}/revoke`,
      introspection: `${issuer}/introspect`,
      account: `${issuer}/account`,
    },
    secureCookies: u.protocol === 'https:',
  };
}

/** header names the gateway sets itself, or that would break the hop */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'connection', 'transfer-encoding', 'te', 'upgrade', 'keep-alive', 'mcp-session-id', 'mcp-protocol-version']);

function checkIdentity(id: UpstreamIdentityConfig, at: string, upstream: string | undefined): void {
  const statics = [...Object.keys(id.static_headers_env), ...Object.keys(id.static_headers_file)];
  if (id.mode !== 'static' && statics.length > 0) throw new ConfigError(`${at}.mode`, 'static_headers_env / static_headers_file need mode: static');
  if (id.mode === 'static' && statics.length === 0) throw new ConfigError(`${at}.static_headers_env`, 'mode static needs at least one header in static_headers_env or static_headers_file');
  if (id.mode === 'assertion' && !upstream) throw new ConfigError(`${at}.mode`, 'assertion needs an upstream (its URL is the assertion audience)');
  const lower = statics.map((h) => h.toLowerCase());
  if (new Set(lower).size !== lower.length) throw new ConfigError(`${at}.static_headers_env`, 'a header is given twice');
  for (const h of [...lower, ...(id.mode === 'assertion' ? [id.header.toLowerCase()] : [])]) {
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h)) throw new ConfigError(`${at}`, `"${h}" is not a valid header name`);
    if (RESERVED_HEADERS.has(h) || h.startsWith('proxy-') || h.startsWith('x-forwarded-')) throw new ConfigError(`${at}`, `header "${h}" is set by the gateway itself`);
  }
}

/**
 * `--upstream` / `--upstream-stdio` (precedence flag > file): the one resource takes that upstream in place of its
 * own, a resource at /mcp is created when none is configured, and with several the flag is ambiguous.
 */
function applyUpstreamFlag(resources: ResourceConfig[], option: 'upstream' | 'upstream_stdio', upstream: Pick<ResourceConfig, 'upstream' | 'upstream_stdio'>): void {
  if (resources.length > 1) throw new ConfigError(option, `--${option.replace('_', '-')} is ambiguous with ${resources.length} resources configured; set resources[].${option} instead`);
  resources[0] = resources[0] ? { ...resources[0], ...upstream } : { path: '/mcp', ...upstream, name: 'MCP server', scopes: [], tools: {}, prompts: {}, mcp_resources: {}, scope_implies: {}, unlisted: 'allow' };
}

/** issue 7 item 1: exactly one upstream kind; stdio children get no identity headers (they have no HTTP hop) */
function checkStdio(stdio: UpstreamStdioConfig, at: string, r: { upstream?: string | undefined; identity?: UpstreamIdentityConfig | undefined }): void {
  if (r.upstream) throw new ConfigError(`${at}.upstream_stdio`, 'give either upstream or upstream_stdio, not both');
  if (r.identity && r.identity.mode !== 'none') throw new ConfigError(`${at}.identity.mode`, 'a stdio upstream has no HTTP hop for identity headers; use none');
  for (const name of Object.keys(stdio.env_from)) {
    if (Object.hasOwn(stdio.env, name)) throw new ConfigError(`${at}.upstream_stdio.env_from.${name}`, 'also set in upstream_stdio.env');
  }
}

/** issue 11: `resources[].resource`, the URL of an MCP server using portcullis/resource-server; becomes `aud` exactly */
function externalResourceId(r: { resource?: string | undefined; upstream?: string | undefined; upstream_stdio?: unknown; identity?: UpstreamIdentityConfig | undefined }, i: number, dev: boolean): string {
  const at = `resources[${i}].resource`;
  if (r.upstream || r.upstream_stdio) throw new ConfigError(at, 'a resource served elsewhere has no upstream here; give resource or upstream / upstream_stdio, not both');
  if (r.identity && r.identity.mode !== 'none') throw new ConfigError(`resources[${i}].identity`, 'only a gateway upstream receives identity headers');
  const value = r.resource!;
  const v = new URL(value);
  // RFC 8707 §2: an absolute URI without a fragment; MCP "Canonical Server URI": no query either
  if (v.hash || value.includes('#') || v.search) throw new ConfigError(at, 'must have no query or fragment (RFC 8707 §2)');
  if (v.username || v.password) throw new ConfigError(at, 'must not contain credentials');
  if (v.protocol === 'http:') {
    if (!dev || !isLoopbackHost(v.hostname)) throw new ConfigError(at, `http is allowed only with --dev on a loopback host; use https for "${v.host}"`);
  } else if (v.protocol !== 'https:') {
    throw new ConfigError(at, 'must be an https URL');
  }
  return normalizeSchemeAndHost(value);
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
