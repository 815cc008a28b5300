import { z } from 'zod';
import { idjagIssuance } from './idjag-issuance-schema.js';

/**
 * The `enterprise` section (issue 4): Enterprise-Managed Authorization. Its own file to keep schema.ts short; part of
 * the one schema. Each part of issue 4 adds its key here (`trusted_issuers`: accepting ID-JAGs; the IdP side adds its
 * issuance policy next to it).
 */

/** asymmetric JWS algorithms only: never `none`, never a shared-secret HS* ([EMA] §7.4.1; RFC 8725 §3.1) */
export const IDJAG_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;

/** One IdP whose ID-JAGs this authorization server accepts at /token (jwt-bearer grant, spec-checklist §4.4–4.5). */
const trustedIssuer = z
  .object({
    issuer: z.string().min(1).describe('The IdP issuer identifier, compared exactly (character for character) with the ID-JAG `iss`'),
    jwks_uri: z.string().url().optional().describe('URL of the IdP signing keys (https; http only on loopback with --dev); trusted as configured, cached, refetched on an unknown kid'),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional().describe('The IdP public keys inline (instead of jwks_uri)'),
    clients: z
      .array(z.string().min(1))
      .min(1)
      .describe('client_ids at this server the IdP may speak for (the ID-JAG `client_id`): static client ids or CIMD URLs; each client must also list the jwt-bearer grant'),
    allow_public_clients: z.boolean().default(false).describe('Accept ID-JAGs presented by public clients (auth method none, e.g. a CIMD client without private_key_jwt); [IDJAG] §8.1 wants confidential clients'),
    algorithms: z.array(z.enum(IDJAG_ALGORITHMS)).min(1).default(['ES256', 'RS256']).describe('JWS algorithms accepted from this IdP (asymmetric only)'),
    match: z
      .enum(['sub', 'email'])
      .default('sub')
      .describe('How a first-seen subject finds its local user: sub = never an existing account (only a link made earlier, or a new user); email = the local user whose username is the ID-JAG email, for the domains in email_domains only'),
    email_domains: z
      .array(z.string().min(1))
      .default([])
      .describe('With match: email, the email domains this IdP is authoritative for (e.g. [example.com]); an ID-JAG email in any other domain, or with email_verified: false, never links to an existing account'),
    provision: z.boolean().default(false).describe('Create a local user (no password; sign-in only through this IdP) for a subject seen for the first time'),
    default_roles: z.array(z.string()).default([]).describe('Roles of users created by provision'),
    max_lifetime_s: z.coerce.number().int().min(10).max(3600).default(300).describe('Longest ID-JAG lifetime accepted (exp − iat), seconds'),
    jwks_cache_s: z.coerce.number().int().min(10).max(86400).default(600).describe('How long fetched keys are used before they are fetched again, seconds'),
    jwks_cooldown_s: z.coerce.number().int().min(1).max(3600).default(30).describe('An unknown kid refetches the keys at most this often, seconds'),
  })
  .strict();

export const enterprise = z
  .object({
    trusted_issuers: z
      .array(trustedIssuer)
      .default([])
      .describe('IdPs whose ID-JAGs are accepted (jwt-bearer grant, Enterprise-Managed Authorization). Empty: the grant is off and not advertised'),
    idjag_issuance: idjagIssuance,
  })
  .strict()
  .prefault({})
  .describe('Enterprise-Managed Authorization (issue 4)');

export type EnterpriseConfig = z.output<typeof enterprise>;
export type TrustedIssuerConfig = z.output<typeof trustedIssuer>;
