import { z } from 'zod';
import type { Config } from './schema.js';
import { ConfigError } from '../core/errors.js';
import { isAbsoluteUriWithoutFragment, isLoopbackUrl, normalizeSchemeAndHost } from '../core/urls.js';

/** RFC 8693 §2.1 grant type (ID-JAG §4.3): only pre-registered confidential clients may use it */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

const scopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope token (RFC 6749 §3.3)');

/** one of our static clients allowed to request ID-JAGs for a target app, and who it is there */
const targetClient = z
  .object({
    client_id: z.string().min(1).describe('A static client of this server (confidential, with the token-exchange grant type)'),
    client_id_at_target: z
      .string()
      .min(1)
      .optional()
      .describe("The client's client_id at the target's authorization server (the ID-JAG `client_id` claim), e.g. its CIMD URL. Default: client_id"),
  })
  .strict();

/** one application (a resource authorization server and its MCP servers) reachable with ID-JAGs */
const target = z
  .object({
    name: z.string().optional().describe('Label for audit and logs'),
    audience: z.string().min(1).describe('The target authorization server issuer identifier: the `audience` parameter and the ID-JAG `aud`, compared exactly'),
    resources: z.array(z.string().min(1)).min(1).describe('MCP server resource identifiers (RFC 9728 `resource`) of that audience; any other (audience, resource) pair is refused'),
    clients: z.array(targetClient).min(1).describe('Which of our clients may request ID-JAGs for this target'),
    roles: z.array(z.string()).optional().describe('Users holding one of these roles may be the subject (with users: either suffices). Neither given: every enabled user'),
    users: z.array(z.string()).optional().describe('Usernames that may be the subject'),
    scopes: z.array(scopeToken).min(1).describe('Scopes that may be put in the ID-JAG; a request gets the intersection, no scope requested gets all of them'),
    include_email: z.boolean().default(false).describe('Put the user’s email (when known) in the ID-JAG; off by default: PII only when needed (EMA §7.4.3)'),
  })
  .strict();

/** `enterprise.idjag_issuance` (issue 4 item 2): Portcullis as the enterprise IdP issuing ID-JAGs (RFC 8693 token exchange). */
export const idjagIssuance = z
  .object({
    ttl_s: z.coerce.number().int().min(10).max(300).default(300).describe('ID-JAG lifetime, seconds (short-lived; at most 300)'),
    targets: z.array(target).default([]).describe('The admin policy: target apps, their (audience, resource) pairs, clients, users and scopes. Empty: token exchange is off'),
  })
  .strict()
  .prefault({})
  .describe('Issuing Identity Assertion JWT Authorization Grants (ID-JAG) by token exchange; ID tokens of this server (or its refresh tokens) are the subject tokens');

export type IdjagIssuanceConfig = z.output<typeof idjagIssuance>;
export type IdjagTarget = IdjagIssuanceConfig['targets'][number];

/** the issuance policy inside a parsed config (absent while the `enterprise` section does not carry it) */
export function issuanceOf(config: Config): IdjagIssuanceConfig | undefined {
  return config.enterprise?.idjag_issuance;
}

/** true when at least one target app is configured: the grant is served and advertised */
export function issuanceEnabled(config: Config): boolean {
  return (issuanceOf(config)?.targets.length ?? 0) > 0;
}

/**
 * Start-up checks (ARCHITECTURE "Two error channels"): every misconfiguration names its option.
 * `issuer` is this server's own issuer: an ID-JAG for ourselves would be one we must refuse (ID-JAG §8.3).
 */
export function checkIdjagIssuance(config: Config, issuer: string): void {
  config.clients.forEach((c, i) => {
    // ID-JAG §8.1 / EMA §7.7: client authentication is required; only confidential clients may exchange
    if (c.grant_types.includes(TOKEN_EXCHANGE_GRANT) && c.token_endpoint_auth_method === 'none') {
      throw new ConfigError(`clients[${i}].grant_types`, `${TOKEN_EXCHANGE_GRANT} needs a confidential client (client_secret_basic, client_secret_post or private_key_jwt)`);
    }
  });
  const policy = issuanceOf(config);
  if (!policy) return;
  const atTarget = new Map<string, string>();
  policy.targets.forEach((t, i) => {
    const at = `enterprise.idjag_issuance.targets[${i}]`;
    if (!isHttpsOrDevLoopback(t.audience, config.dev)) throw new ConfigError(`${at}.audience`, 'must be an https URL (http only on loopback with --dev), without a fragment');
    if (sameIssuer(t.audience, issuer)) throw new ConfigError(`${at}.audience`, 'is this server itself: an ID-JAG is for another authorization server (ID-JAG §8.3)');
    t.resources.forEach((r, j) => {
      if (!isHttpsOrDevLoopback(r, config.dev)) throw new ConfigError(`${at}.resources[${j}]`, 'must be an https URL (http only on loopback with --dev), without a fragment');
    });
    t.clients.forEach((tc, j) => {
      const k = config.clients.findIndex((c) => c.client_id === tc.client_id);
      if (k < 0) throw new ConfigError(`${at}.clients[${j}].client_id`, `no static client "${tc.client_id}" in clients`);
      if (!config.clients[k]!.grant_types.includes(TOKEN_EXCHANGE_GRANT)) {
        throw new ConfigError(`clients[${k}].grant_types`, `must include ${TOKEN_EXCHANGE_GRANT} for ${at}.clients[${j}]`);
      }
      // one identity per client per target server, whichever entry names it
      const key = `${t.audience}\n${tc.client_id}`;
      const mapped = tc.client_id_at_target ?? tc.client_id;
      if (atTarget.has(key) && atTarget.get(key) !== mapped) throw new ConfigError(`${at}.clients[${j}].client_id_at_target`, `differs from another entry for the same audience and client`);
      atTarget.set(key, mapped);
    });
  });
}

/** this server under any spelling a client might use: scheme/host case, a trailing slash */
function sameIssuer(a: string, b: string): boolean {
  const norm = (x: string) => normalizeSchemeAndHost(x).replace(/\/+$/, '');
  return norm(a) === norm(b);
}

function isHttpsOrDevLoopback(value: string, dev: boolean): boolean {
  if (!isAbsoluteUriWithoutFragment(value)) return false;
  const u = new URL(value);
  return u.protocol === 'https:' || (dev && u.protocol === 'http:' && isLoopbackUrl(value));
}
