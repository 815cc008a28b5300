import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { isLoopbackHost, normalizeSchemeAndHost } from '../core/urls.js';

/**
 * Options of `createResourceServer`, checked once at construction: a mistake throws ConfigError naming the option.
 * There is deliberately no option that weakens a check: the audience is `resource` and always compared (RFC 9068
 * §4, RFC 8707), and any option this schema does not know (`audience: false`, `checkAudience`…) is refused.
 */

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // RFC 6749 §3.3 scope-token
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const scopeMap = z.record(z.string().min(1), z.string().regex(SCOPE));

const optionsSchema = z.strictObject({
  /** this MCP server's canonical URL: the PRM `resource` and the only accepted token audience */
  resource: z.string(),
  /** the authorization server's issuer identifier (RFC 8414 §2) */
  issuer: z.string(),
  resourceName: z.string().min(1).optional(),
  scopes: z.array(z.string().regex(SCOPE, 'not an RFC 6749 §3.3 scope-token')).default([]),
  scopeImplies: z.record(z.string(), z.array(z.string())).default({}),
  tools: scopeMap.default({}),
  prompts: scopeMap.default({}),
  mcpResources: scopeMap.default({}),
  unlisted: z.enum(['allow', 'deny']).default('allow'),
  /** a client of the AS marked `introspection: true`; the secret comes from env or a file, never from code */
  credentials: z
    .strictObject({
      clientId: z.string().min(1),
      clientSecretEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional(),
      clientSecretFile: z.string().min(1).optional(),
    })
    .optional(),
  /** RFC 7662 for tokens that are not JWTs (opaque tokens) */
  introspection: z.boolean().default(false),
  /**
   * How a revoked grant's still-unexpired tokens are refused: `poll` the AS's revoked-grants list (Portcullis),
   * `introspection` of every token (any RFC 7662 AS), or `none` (revoked tokens live until they expire).
   */
  revocation: z
    .union([
      z.enum(['poll', 'introspection', 'none']),
      z.strictObject({
        mode: z.enum(['poll', 'introspection']),
        intervalSeconds: z.number().min(0.05).max(60).optional(),
        maxStalenessSeconds: z.number().min(1).max(3600).optional(),
        endpoint: z.string().optional(),
      }),
    ])
    .optional(),
  algorithms: z.array(z.string().min(1)).min(1).default(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA']),
  clockSkewSeconds: z.number().min(0).max(300).default(30),
  /** shortest wait between two JWKS fetches on an unknown `kid` */
  jwksCooldownSeconds: z.number().min(0).max(3600).default(30),
  maxBodyBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
  /** called for every decision (logs, audit); never receives the token */
  onDecision: z.custom<(event: RsDecisionEvent) => void>((v) => typeof v === 'function', 'a function').optional(),
  /** where secrets come from; default process.env */
  env: z.record(z.string(), z.string().optional()).optional(),
});

export type ResourceServerOptions = z.input<typeof optionsSchema>;

export interface RsDecisionEvent {
  type: 'allowed' | 'no_credentials' | 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'forbidden' | 'unavailable';
  reason?: string;
  sub?: string;
  client_id?: string;
  tools?: string[];
}

export interface ResolvedOptions {
  resource: string;
  issuer: string;
  resourceName: string | undefined;
  scopes: string[];
  scopeImplies: Record<string, string[]>;
  tools: Record<string, string>;
  prompts: Record<string, string>;
  mcpResources: Record<string, string>;
  unlisted: 'allow' | 'deny';
  credentials: { clientId: string; clientSecret: string } | undefined;
  introspection: boolean;
  revocation: { mode: 'poll' | 'introspection'; intervalMs: number; maxStalenessMs: number; endpoint: string | undefined } | { mode: 'none' };
  algorithms: string[];
  clockSkewSeconds: number;
  jwksCooldownMs: number;
  maxBodyBytes: number;
  onDecision: (event: RsDecisionEvent) => void;
}

/** https, or http on a loopback host (development); absolute, no fragment, no query, no credentials */
function checkUrl(option: string, value: string, what: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(option, `${what} is required (an absolute https URL)`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(option, `"${value}" is not an absolute URL`);
  }
  if (u.hash || value.includes('#')) throw new ConfigError(option, 'must not contain a fragment (RFC 8707 §2)');
  if (u.search) throw new ConfigError(option, 'must not contain a query');
  if (u.username || u.password) throw new ConfigError(option, 'must not contain credentials');
  if (/[*?]/.test(u.hostname + u.pathname)) throw new ConfigError(option, 'must be one exact URL, not a pattern');
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) throw new ConfigError(option, `http is allowed only on a loopback host; use https for "${u.host}"`);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(option, 'must be an https URL');
  // MCP "Canonical Server URI": scheme and host lowercase; path, port and trailing slash kept exactly
  return normalizeSchemeAndHost(value);
}

function readSecret(c: { clientId: string; clientSecretEnv?: string | undefined; clientSecretFile?: string | undefined }, env: Record<string, string | undefined>): string {
  if (c.clientSecretEnv && c.clientSecretFile) throw new ConfigError('credentials.clientSecretEnv', 'give clientSecretEnv or clientSecretFile, not both');
  if (c.clientSecretEnv) {
    const v = env[c.clientSecretEnv];
    if (!v) throw new ConfigError('credentials.clientSecretEnv', `environment variable ${c.clientSecretEnv} is not set`);
    return v;
  }
  if (c.clientSecretFile) {
    let v: string;
    try {
      v = readFileSync(c.clientSecretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new ConfigError('credentials.clientSecretFile', `cannot read ${c.clientSecretFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!v) throw new ConfigError('credentials.clientSecretFile', `${c.clientSecretFile} is empty`);
    return v;
  }
  throw new ConfigError('credentials.clientSecretEnv', 'give clientSecretEnv (name of an environment variable) or clientSecretFile (path)');
}

export function resolveOptions(input: unknown): ResolvedOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError('options', 'createResourceServer needs an options object');
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      const hint = /aud/i.test(key) ? ' (the audience is always `resource` and always checked; there is no way to turn that off)' : '';
      throw new ConfigError([...issue.path, key].join('.'), `unknown option${hint}`);
    }
    const at = issue.path.length ? issue.path.join('.') : 'options';
    const missing = issue.code === 'invalid_type' && (input as Record<string, unknown>)[String(issue.path[0])] === undefined && issue.path.length === 1;
    throw new ConfigError(at, missing ? 'is required' : issue.message);
  }
  const o = parsed.data;
  const resource = checkUrl('resource', o.resource, 'the URL of this MCP server');
  const issuer = checkUrl('issuer', o.issuer, 'the issuer of the authorization server').replace(/\/$/, '');
  if (o.scopes.includes('offline_access')) throw new ConfigError('scopes', 'must not list offline_access (MCP "Refresh Tokens")');
  for (const key of ['tools', 'prompts', 'mcpResources'] as const) {
    for (const [name, scope] of Object.entries(o[key])) {
      if (!o.scopes.includes(scope)) throw new ConfigError(`${key}.${name}`, `scope "${scope}" is not in scopes`);
    }
  }
  for (const [scope, implied] of Object.entries(o.scopeImplies)) {
    for (const s of [scope, ...implied]) if (!o.scopes.includes(s)) throw new ConfigError(`scopeImplies.${scope}`, `scope "${s}" is not in scopes`);
  }
  if (o.algorithms.some((a) => a.toLowerCase() === 'none')) throw new ConfigError('algorithms', '"none" is never accepted (RFC 9068 §4)');
  if (o.algorithms.some((a) => a.startsWith('HS'))) throw new ConfigError('algorithms', 'symmetric algorithms cannot be verified against a JWKS');

  const env = o.env ?? process.env;
  const credentials = o.credentials ? { clientId: o.credentials.clientId, clientSecret: readSecret(o.credentials, env) } : undefined;
  if (o.introspection && !credentials) throw new ConfigError('credentials', 'introspection needs the credentials of a client allowed to introspect (RFC 7662 §2.1)');

  const rev = typeof o.revocation === 'string' ? { mode: o.revocation } : o.revocation;
  let revocation: ResolvedOptions['revocation'];
  if (rev === undefined) {
    // ARCHITECTURE "Revocation": embedded users keep the promise too, so saying nothing is not "none"
    if (!credentials) throw new ConfigError('revocation', 'give credentials (to poll the revoked-grants list or introspect), or set revocation: "none" to accept a revoked token until it expires');
    revocation = { mode: 'poll', intervalMs: 1000, maxStalenessMs: 30_000, endpoint: undefined };
  } else if (rev.mode === 'none') {
    revocation = { mode: 'none' };
  } else {
    if (!credentials) throw new ConfigError('credentials', `revocation "${rev.mode}" needs the credentials of a client allowed to introspect`);
    const full = rev as { intervalSeconds?: number; maxStalenessSeconds?: number; endpoint?: string };
    const endpoint = full.endpoint === undefined ? undefined : checkUrl('revocation.endpoint', full.endpoint, 'the revoked-grants endpoint');
    revocation = { mode: rev.mode, intervalMs: (full.intervalSeconds ?? 1) * 1000, maxStalenessMs: (full.maxStalenessSeconds ?? 30) * 1000, endpoint };
  }
  return {
    resource,
    issuer,
    resourceName: o.resourceName,
    scopes: o.scopes,
    scopeImplies: o.scopeImplies,
    tools: o.tools,
    prompts: o.prompts,
    mcpResources: o.mcpResources,
    unlisted: o.unlisted,
    credentials,
    introspection: o.introspection,
    revocation,
    algorithms: o.algorithms,
    clockSkewSeconds: o.clockSkewSeconds,
    jwksCooldownMs: o.jwksCooldownSeconds * 1000,
    maxBodyBytes: o.maxBodyBytes,
    onDecision: o.onDecision ?? (() => undefined),
  };
}
