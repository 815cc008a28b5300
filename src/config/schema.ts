import { z } from 'zod';
import { rateLimits } from './rate-limits-schema.js';
import { login } from './federation-schema.js';
import { device } from './device-schema.js';
import { enterprise } from './enterprise-schema.js';
import { upstreamStdio } from './stdio-schema.js';

/**
 * The one configuration schema. Each option carries its description and default; docs/configuration.md is
 * generated from it (`npm run docs:config`) and a test fails when the two differ.
 * Precedence: CLI flag > PORTCULLIS_* env > config file > these defaults (ARCHITECTURE.md "Configuration").
 */

const staticClient = z
  .object({
    client_id: z.string().min(1).describe('Client identifier (must not start with https://, those are CIMD URLs)'),
    client_name: z.string().optional().describe('Name shown on the consent page'),
    redirect_uris: z.array(z.string().url()).default([]).describe('Registered redirect URIs (exact match; loopback any port); required with authorization_code'),
    token_endpoint_auth_method: z
      .enum(['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'])
      .default('none')
      .describe('How the client authenticates at /token'),
    client_secret_env: z.string().optional().describe('Name of the env variable holding the client secret'),
    client_secret_file: z.string().optional().describe('Path of a file holding the client secret'),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional().describe('Public keys (private_key_jwt)'),
    jwks_uri: z.string().url().optional().describe('URL of the public keys (private_key_jwt); trusted as configured'),
    grant_types: z
      .array(z.string())
      .default(['authorization_code', 'refresh_token'])
      .describe('Grants the client may use (client_credentials: confidential clients only, e.g. for the admin API)'),
    scopes: z.array(z.string()).optional().describe('Scopes this client may ever hold (default: any the resource offers); portcullis:admin only when listed'),
    resources: z.array(z.string()).optional().describe('Resources (RFC 8707 identifiers, e.g. <issuer>/mcp, or <issuer>/admin) this client may get tokens for with client_credentials and jwt-bearer (default: every resource; the admin API by its scope)'),
    introspection: z
      .boolean()
      .optional()
      .describe('A resource server allowed to call /introspect (RFC 7662); needs a secret or private_key_jwt'),
  })
  .strict();

/** issue 7 item 3: what the upstream learns about the caller; the client's access token never reaches it */
const upstreamIdentity = z
  .object({
    mode: z
      .enum(['none', 'assertion', 'static'])
      .default('none')
      .describe('none; assertion = a signed identity JWT (≤ 60 s, aud = the upstream URL, verifiable against `<issuer>/jwks.json`); static = fixed credentials from secrets'),
    header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/)
      .default('x-portcullis-identity')
      .describe('Header carrying the identity assertion; a client-sent header of this name is always stripped'),
    static_headers_env: z.record(z.string(), z.string()).default({}).describe('static: header name → name of the env variable holding its value'),
    static_headers_file: z.record(z.string(), z.string()).default({}).describe('static: header name → path of a file holding its value'),
  })
  .strict();

const resource = z
  .object({
    path: z.string().regex(/^\/[^?#]*$/).default('/mcp').describe('Path of the MCP endpoint on this server'),
    upstream: z.string().url().optional().describe('Streamable HTTP URL of the MCP server behind this resource'),
    resource: z.string().url().optional().describe('AS-only mode: the URL of an MCP server that serves its own HTTP with portcullis/resource-server (its resource identifier, the token audience; no upstream, no path here)'),
    upstream_stdio: upstreamStdio.optional().describe('A stdio MCP server the gateway runs, one child per user (instead of upstream; exactly one of the two)'),
    name: z.string().default('MCP server').describe('resource_name in the Protected Resource Metadata'),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
      .default([])
      .describe('Scopes this resource offers (scopes_supported; also the scope of the 401 challenge)'),
    tools: z
      .record(z.string(), z.string())
      .default({})
      .describe('Tool name or glob (`*`, `?`) → scope needed to call it and to see it in tools/list'),
    prompts: z
      .record(z.string(), z.string())
      .default({})
      .describe('Prompt name or glob → scope needed for prompts/get and to see it in prompts/list'),
    mcp_resources: z
      .record(z.string(), z.string())
      .default({})
      .describe('MCP resource URI or glob → scope needed for resources/read and to see it in resources/list'),
    scope_implies: z
      .record(z.string(), z.array(z.string()))
      .default({})
      .describe('Scope hierarchy: a scope → the narrower scopes it implies (e.g. notes:admin: [notes:write])'),
    unlisted: z
      .enum(['allow', 'deny'])
      .default('allow')
      .describe('Tools, prompts and MCP resources that match no entry: allowed to any valid token, or refused'),
    identity: upstreamIdentity.optional().describe('Identity sent to the upstream (never the client token); default mode none'),
  })
  .strict();

/** `host`, or `*.example.com` (any subdomain of example.com, not example.com itself); IP literals as URLs write them */
const hostPattern = z
  .string()
  .regex(/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$|^\[[0-9A-Fa-f:.]+\]$/, 'a host name, *.suffix pattern or [IPv6] literal');

export const configSchema = z
  .object({
    issuer: z.string().optional().describe('Public base URL; the AS issuer and the base of every resource URL. Default http://<host>:<port>'),
    host: z.string().default('127.0.0.1').describe('Bind address'),
    port: z.coerce.number().int().min(0).max(65535).default(8080).describe('Listen port'),
    data_dir: z.string().default('./.portcullis').describe('Directory for the embedded SQLite store, the generated secret and demo state'),
    store: z.string().optional().describe('Store URL: sqlite:<file> (default: sqlite inside data_dir) or postgres://…'),
    dev: z.boolean().default(false).describe('Development mode: http issuer on loopback, loopback CIMD URLs, cookies without Secure'),
    demo: z.boolean().default(false).describe('Run the bundled demo notes MCP server and create the demo user'),
    upstream: z.string().url().optional().describe('Streamable HTTP URL of the MCP server to protect (shorthand for resources[0].upstream)'),
    upstream_stdio: z.string().min(1).optional().describe('Command line of a stdio MCP server to protect, e.g. "npx -y @org/server" (shorthand for resources[0].upstream_stdio; quotes group words, no shell)'),
    resources: z.array(resource).default([]).describe('Protected MCP resources served by this gateway'),
    clients: z.array(staticClient).default([]).describe('Pre-registered static clients'),
    roles: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .describe('Role → scopes its holders may be granted. Unset: every user may be granted every scope'),
    tokens: z
      .object({
        access_token_ttl: z.coerce.number().int().min(60).default(600).describe('Access token lifetime, seconds (min 60)'),
        id_token_ttl: z.coerce.number().int().min(60).max(86400).optional().describe('OpenID Connect ID token lifetime, seconds (60 to 86400; default: access_token_ttl)'),
        code_ttl: z.coerce.number().int().min(10).max(600).default(60).describe('Authorization code lifetime, seconds'),
        refresh_idle_ttl: z.coerce.number().int().min(60).default(14 * 86400).describe('Refresh token idle lifetime, seconds'),
        refresh_absolute_ttl: z.coerce.number().int().min(60).default(90 * 86400).describe('Refresh token absolute lifetime, seconds'),
        refresh_grace: z.coerce.number().int().min(0).max(60).default(10).describe('Seconds during which a retried refresh gets the same response'),
        clock_skew: z.coerce.number().int().min(0).max(300).default(30).describe('Allowed clock skew when verifying tokens, seconds'),
      })
      .strict()
      .prefault({}),
    keys: z
      .object({
        publish_before_s: z.coerce.number().int().min(0).default(120).describe('`portcullis keys rotate`: seconds a new signing key is published in JWKS before it signs (keep ≥ the JWKS max-age of 60 s plus reload_s)'),
        reload_s: z.coerce.number().int().min(1).max(300).default(10).describe('How often every instance re-reads the signing keys from the store (new keys published, retired ones dropped)'),
      })
      .strict()
      .prefault({}),
    cimd: z
      .object({
        enabled: z.boolean().default(true).describe('Accept Client ID Metadata Document URLs as client_id'),
        max_bytes: z.coerce.number().int().min(512).max(65536).default(5120).describe('Largest document accepted, bytes'),
        timeout_ms: z.coerce.number().int().min(100).max(30000).default(5000).describe('Fetch timeout, ms'),
        cache_min_seconds: z.coerce.number().int().min(0).default(60).describe('Lower bound on caching a valid document'),
        cache_max_seconds: z.coerce.number().int().min(0).default(86400).describe('Upper bound on caching a valid document'),
      })
      .strict()
      .prefault({}),
    cors: z
      .object({
        allowed_origins: z.array(z.string()).default([]).describe('Browser origins allowed to call /mcp, /token and metadata'),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        enabled: z.boolean().default(true).describe('Serve Prometheus metrics (issue 6 "Operations")'),
        path: z.string().regex(/^\/[^?#]*$/).default('/metrics').describe('Path of the metrics endpoint'),
        allow_from: z
          .array(z.string())
          .default(['127.0.0.1/32', '::1/128'])
          .describe('Peer addresses (CIDR, the TCP peer, never X-Forwarded-For) allowed to read metrics; others get 404'),
      })
      .strict()
      .prefault({}),
    shutdown_grace_s: z.coerce.number().int().min(0).max(3600).default(10).describe('On SIGTERM/SIGINT: seconds in-flight requests and streams get to finish before connections are closed'),
    consent: z
      .object({
        remember: z.boolean().default(true).describe('Remember consent per user, client, resource, scopes and document version'),
      })
      .strict()
      .prefault({}),
    trust: z
      .object({
        mode: z
          .enum(['open', 'allowlist', 'review'])
          .default('open')
          .describe('CIMD and registered clients: open = any not denied; allowlist = trusted_hosts only; review = an admin approves each new client and each changed document (`portcullis clients`)'),
        trusted_hosts: z.array(hostPattern).default([]).describe('Hosts (client_id URL host; redirect URI host for registered clients) allowed without review; `*.example.com` matches subdomains'),
        denied_hosts: z.array(hostPattern).default([]).describe('Hosts never allowed (checked first, before any fetch)'),
      })
      .strict()
      .prefault({})
      .describe('Which CIMD and registered clients may connect ([SEC] Trust Policies; CIMD §6.8). Static clients are always allowed'),
    registration: z
      .object({
        enabled: z.boolean().default(false).describe('Dynamic Client Registration (RFC 7591, deprecated by MCP in favour of CIMD). Off: no endpoint, and registered clients stop working'),
        require_initial_access_token: z.boolean().default(false).describe('Registration needs `Authorization: Bearer <initial access token>` (RFC 7591 §3)'),
        initial_access_token_env: z.string().optional().describe('Name of the env variable holding the initial access token'),
        allowed_redirect_hosts: z.array(hostPattern).default([]).describe('When set, every redirect URI host must match one (`*.example.com` patterns; list 127.0.0.1/localhost for native apps)'),
        rate_limit_per_ip_per_hour: z.coerce.number().int().min(1).optional().describe('Deprecated: use rate_limits.register.per_ip. When set, registration requests per client IP per hour'),
        client_ttl_days: z.coerce.number().int().min(1).max(3650).default(90).describe('A registration (and its secret) expires after this many days'),
      })
      .strict()
      .prefault({})
      .describe('Dynamic Client Registration (RFC 7591) as a controlled exception; CIMD is the default way in'),
    rate_limits: rateLimits,
    login,
    device,
    enterprise,
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type ResourceConfig = z.output<typeof resource>;
export type UpstreamIdentityConfig = z.output<typeof upstreamIdentity>;
export type UpstreamStdioConfig = z.output<typeof upstreamStdio>;
export type StaticClientConfig = z.output<typeof staticClient>;
export type TrustConfig = Config['trust'];
export type RegistrationConfig = Config['registration'];
export type RateLimitsConfig = Config['rate_limits'];
