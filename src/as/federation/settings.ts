import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { UpstreamIdpConfig } from '../../config/federation-schema.js';
import { ConfigError } from '../../core/errors.js';
import { isLoopbackHost } from '../../core/urls.js';

/** The `{tenantid}` placeholder of Entra's multi-tenant discovery documents (`…/{tenantid}/v2.0`). */
export const TENANT_PLACEHOLDER = '{tenantid}';

/** One upstream IdP, checked at start-up: secrets read, URLs vetted. */
export interface UpstreamIdp {
  config: UpstreamIdpConfig;
  id: string;
  displayName: string;
  /** the configured issuer (where discovery starts) */
  issuer: string;
  /** http issuer on loopback in --dev: oauth4webapi must be told to allow it */
  insecure: boolean;
  /** the callback registered at the IdP: `<issuer>/login/callback/<id>` */
  redirectUri: string;
  clientSecret: string | null;
  privateKey: KeyObject | null;
}

export interface FederationEnv {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** `login.upstream_idps` → UpstreamIdp[]; every problem is a ConfigError naming the option. */
export function resolveUpstreamIdps(idps: UpstreamIdpConfig[], o: { issuer: string; dev: boolean } & FederationEnv): UpstreamIdp[] {
  const seen = new Set<string>();
  return idps.map((c, i) => {
    const at = `login.upstream_idps[${i}]`;
    if (seen.has(c.id)) throw new ConfigError(`${at}.id`, `duplicate id "${c.id}"`);
    seen.add(c.id);
    const u = new URL(c.issuer);
    if (u.search || u.hash) throw new ConfigError(`${at}.issuer`, 'must have no query or fragment');
    let insecure = false;
    if (u.protocol === 'http:') {
      // the same rule as our own issuer: http only on loopback, only in --dev (ARCHITECTURE "Dev and demo")
      if (!o.dev || !isLoopbackHost(u.hostname)) throw new ConfigError(`${at}.issuer`, `"${c.issuer}" must be https (http only on a loopback host with --dev)`);
      insecure = true;
    } else if (u.protocol !== 'https:') {
      throw new ConfigError(`${at}.issuer`, 'must be an https URL');
    }
    if (!c.scopes.includes('openid')) throw new ConfigError(`${at}.scopes`, 'must include openid (the login is an OpenID Connect authentication)');
    if (c.send_resource_parameter && !c.resource) throw new ConfigError(`${at}.resource`, 'send_resource_parameter needs the resource value to send');
    if (!c.send_resource_parameter && c.resource) throw new ConfigError(`${at}.send_resource_parameter`, 'resource is set but send_resource_parameter is off');
    if (c.issuer.includes(TENANT_PLACEHOLDER)) throw new ConfigError(`${at}.issuer`, `give the discovery issuer (e.g. …/organizations/v2.0), not the ${TENANT_PLACEHOLDER} template`);
    // Entra's multi-tenant endpoints publish the {tenantid} template: which tenants may sign in must be said
    if (/^\/(common|organizations|consumers)\/v2\.0\/?$/.test(u.pathname) && c.allowed_tenants.length === 0) {
      throw new ConfigError(`${at}.allowed_tenants`, `the multi-tenant issuer ${c.issuer} needs allowed_tenants (tenant ids, or "*" for any)`);
    }
    if (c.accept_v1_issuer && c.allowed_tenants.length === 0) throw new ConfigError(`${at}.allowed_tenants`, 'accept_v1_issuer needs allowed_tenants (v1 issuers carry the tenant id)');
    for (const role of Object.keys(c.group_roles)) if (role === '') throw new ConfigError(`${at}.group_roles`, 'a group name is empty');

    const { clientSecret, privateKey } = readCredentials(c, at, o);
    return {
      config: c,
      id: c.id,
      displayName: c.display_name ?? c.id,
      issuer: c.issuer,
      insecure,
      redirectUri: `${o.issuer}/login/callback/${c.id}`,
      clientSecret,
      privateKey,
    };
  });
}

function readCredentials(c: UpstreamIdpConfig, at: string, o: FederationEnv): { clientSecret: string | null; privateKey: KeyObject | null } {
  const secretSources = [c.client_secret_env, c.client_secret_file].filter((s) => s !== undefined).length;
  if (c.token_endpoint_auth_method === 'private_key_jwt') {
    if (secretSources > 0) throw new ConfigError(`${at}.client_secret_env`, 'a client secret is not used with private_key_jwt');
    if (!c.private_key_file) throw new ConfigError(`${at}.private_key_file`, 'private_key_jwt needs private_key_file');
    const path = resolvePath(o.cwd ?? process.cwd(), c.private_key_file);
    const text = readText(path, `${at}.private_key_file`);
    try {
      const key = text.trimStart().startsWith('{')
        ? createPrivateKey({ key: JSON.parse(text) as import('node:crypto').JsonWebKey, format: 'jwk' })
        : createPrivateKey(text);
      return { clientSecret: null, privateKey: key };
    } catch (e) {
      throw new ConfigError(`${at}.private_key_file`, `${path} is not a PEM or JWK private key: ${(e as Error).message}`);
    }
  }
  if (c.private_key_file) throw new ConfigError(`${at}.private_key_file`, `a private key is only used with private_key_jwt, not ${c.token_endpoint_auth_method}`);
  if (secretSources !== 1) throw new ConfigError(`${at}.client_secret_env`, `${c.token_endpoint_auth_method} needs exactly one of client_secret_env or client_secret_file`);
  if (c.client_secret_env !== undefined) {
    const v = (o.env ?? process.env)[c.client_secret_env];
    if (!v) throw new ConfigError(`${at}.client_secret_env`, `environment variable ${c.client_secret_env} is not set or empty`);
    return { clientSecret: v, privateKey: null };
  }
  const path = resolvePath(o.cwd ?? process.cwd(), c.client_secret_file!);
  const secret = readText(path, `${at}.client_secret_file`).replace(/\r?\n$/, '');
  if (secret === '') throw new ConfigError(`${at}.client_secret_file`, `${path} is empty`);
  return { clientSecret: secret, privateKey: null };
}

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(option, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
