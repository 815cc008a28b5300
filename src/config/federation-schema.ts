import { z } from 'zod';

/**
 * `login` (issue 4 item 3): how users sign in — the local password form and/or upstream OpenID Providers (Entra ID,
 * Okta, Google, Keycloak, any OIDC provider), each configured once with one static client registration there.
 * Its own file to keep schema.ts short; part of the one schema. Checks that need more than one field are in
 * src/as/federation/settings.ts (ConfigError naming the option, at start-up).
 */
const upstreamIdp = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, - and _ (max 32)')
      .describe('Short name of this IdP: part of the callback URL `<issuer>/login/callback/<id>` registered at the IdP'),
    display_name: z.string().min(1).max(64).optional().describe('Text of the login button, "Sign in with <display_name>" (default: the id)'),
    issuer: z
      .string()
      .url()
      .describe('The IdP issuer; its OpenID discovery document is fetched from `<issuer>/.well-known/openid-configuration` (RFC 8414 form as fallback). https, or http on loopback with --dev. Entra: `https://login.microsoftonline.com/<tenant id>/v2.0`, or `…/organizations/v2.0` with allowed_tenants'),
    client_id: z.string().min(1).describe('The client id of Portcullis registered at the IdP'),
    client_secret_env: z.string().optional().describe('Name of the env variable holding the client secret (never put the secret in this file)'),
    client_secret_file: z.string().optional().describe('Path of a file holding the client secret'),
    private_key_file: z.string().optional().describe('private_key_jwt: path of a PEM (PKCS#8) or JWK file with the private key; its public key is registered at the IdP'),
    private_key_kid: z.string().optional().describe('private_key_jwt: the `kid` to put in the assertion header (the id of the key registered at the IdP)'),
    private_key_x5t: z.string().regex(/^[A-Za-z0-9_-]+$/).optional().describe('private_key_jwt: the `x5t` header (base64url SHA-1 thumbprint of the certificate registered at the IdP; Entra requires it)'),
    private_key_alg: z.enum(['RS256', 'PS256', 'ES256', 'EdDSA']).default('RS256').describe('private_key_jwt: signing algorithm of the client assertion'),
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
      .default('client_secret_basic')
      .describe('How Portcullis authenticates at the IdP token endpoint'),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).default(['openid', 'email', 'profile']).describe('Scopes asked of the IdP (openid is required)'),
    send_resource_parameter: z
      .boolean()
      .default(false)
      .describe('Send an RFC 8707 `resource` to the IdP (value: `resource`). Off by default: Entra refuses it with AADSTS9010010, and the MCP resource is never forwarded'),
    resource: z.string().url().optional().describe('The `resource` value sent when send_resource_parameter is on'),
    allowed_tenants: z
      .array(z.string().min(1))
      .default([])
      .describe('Entra (templated issuer `…/{tenantid}/v2.0`): tenant ids (`tid`) whose users may sign in; required with a templated issuer, `*` allows any tenant'),
    accept_v1_issuer: z.boolean().default(false).describe('Entra: also accept ID tokens issued as `https://sts.windows.net/<tid>/` (v1 tokens)'),
    claims: z
      .object({
        subject: z.string().default('sub').describe('Claim holding the stable user id (Entra: `sub` is per application; `oid` is per tenant)'),
        email: z.string().default('email').describe('Claim holding the email address'),
        username: z.string().optional().describe('Claim used as the local username of a new user (default: the email when verified, else `<id>:<subject>`)'),
        groups: z.string().optional().describe('Claim holding the user’s groups (a string array), mapped to roles by `group_roles`'),
      })
      .strict()
      .prefault({})
      .describe('Where the identity is read from in the ID token'),
    group_roles: z
      .record(z.string(), z.array(z.string()))
      .default({})
      .describe('Group (value of the groups claim; Entra: the group object id) → Portcullis roles, e.g. `mcp-admins: [admin]`'),
    default_roles: z.array(z.string()).default([]).describe('Roles every user from this IdP holds'),
    sync_roles: z.boolean().default(true).describe('Set the user’s roles from default_roles and group_roles at every sign-in (off: only when the user is created)'),
    jit_provisioning: z.boolean().default(true).describe('Create a local user at the first sign-in; off: only identities already linked may sign in'),
    require_email_verified: z.boolean().default(false).describe('Refuse sign-in unless the ID token says `email_verified: true`'),
  })
  .strict();

export const login = z
  .object({
    password: z.boolean().default(true).describe('Offer the local username/password form (users created by the CLI or admin API)'),
    upstream_idps: z.array(upstreamIdp).default([]).describe('OpenID Providers users may sign in through (one button each on the login page)'),
  })
  .strict()
  .prefault({})
  .describe('How users sign in: local passwords and/or upstream OpenID Providers (issue 4; docs/idp-guide.md)');

export type LoginConfig = z.output<typeof login>;
export type UpstreamIdpConfig = z.output<typeof upstreamIdp>;
