import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { StaticClientConfig } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';
import { sha256 } from '../../core/random.js';
import { isLoopbackUrl } from '../../core/urls.js';
import { metadataVersion, PRIVATE_JWK_MEMBERS } from './canonical.js';
import { ClientResolutionError, type ClientResolver, type OAuthClient } from './types.js';

export interface StaticClientOptions {
  env?: NodeJS.ProcessEnv;
  /** base for relative client_secret_file paths (default: the working directory) */
  cwd?: string;
  /** when given, a grant type outside this list is a configuration error */
  supportedGrantTypes?: readonly string[];
}

/**
 * Pre-registered clients from the config file ([REG] "Pre-registration"). Everything is checked and every
 * secret read once, at construction: misconfiguration fails at start-up with a ConfigError naming the option.
 * Secrets are kept only as SHA-256.
 */
export class StaticClientResolver implements ClientResolver {
  private readonly clients = new Map<string, OAuthClient>();

  constructor(configs: readonly StaticClientConfig[], opts: StaticClientOptions = {}) {
    configs.forEach((c, i) => {
      const client = buildClient(c, `clients[${i}]`, opts);
      if (this.clients.has(client.client_id)) throw new ConfigError(`clients[${i}].client_id`, `duplicate client_id ${client.client_id}`);
      this.clients.set(client.client_id, client);
    });
  }

  async resolve(client_id: string): Promise<OAuthClient> {
    const client = this.clients.get(client_id);
    if (!client) throw new ClientResolutionError({ reason: 'unknown_client' });
    return client;
  }

  has(client_id: string): boolean {
    return this.clients.has(client_id);
  }

  list(): OAuthClient[] {
    return [...this.clients.values()];
  }
}

function buildClient(c: StaticClientConfig, at: string, opts: StaticClientOptions): OAuthClient {
  // CIMD §6.9: an AS that also accepts CIMD must not hand out client_ids that look like CIMD URLs.
  if (/^https:\/\//i.test(c.client_id)) {
    throw new ConfigError(`${at}.client_id`, 'must not start with https:// (such client_ids are Client ID Metadata Document URLs, CIMD §6.9)');
  }
  c.redirect_uris.forEach((uri, j) => {
    const u = URL.canParse(uri) ? new URL(uri) : null;
    const loopbackHttp = u?.protocol === 'http:' && isLoopbackUrl(uri);
    // [SEC] "Communication Security": every redirect URI MUST be localhost or https; OAuth 2.1 §2.3.1: no fragment.
    if (!u || (u.protocol !== 'https:' && !loopbackHttp) || uri.includes('#')) {
      throw new ConfigError(`${at}.redirect_uris[${j}]`, 'must be https (or http on a loopback host) without a fragment');
    }
  });
  const method = c.token_endpoint_auth_method;
  const secretSources = [c.client_secret_env, c.client_secret_file].filter((s) => s !== undefined).length;
  let client_secret_hash: string | null = null;
  if (method === 'client_secret_basic' || method === 'client_secret_post') {
    if (secretSources !== 1) throw new ConfigError(`${at}.client_secret_env`, `${method} needs exactly one of client_secret_env or client_secret_file`);
    client_secret_hash = sha256(readSecret(c, at, opts));
  } else if (secretSources > 0) {
    throw new ConfigError(`${at}.${c.client_secret_env !== undefined ? 'client_secret_env' : 'client_secret_file'}`, `a secret is only used with client_secret_basic or client_secret_post, not ${method}`);
  }
  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
  if (c.jwks && c.jwks_uri) throw new ConfigError(`${at}.jwks`, 'give jwks or jwks_uri, not both');
  if (method === 'private_key_jwt' && !c.jwks && !c.jwks_uri) throw new ConfigError(`${at}.jwks`, 'private_key_jwt needs jwks or jwks_uri');
  c.jwks?.keys.forEach((k, j) => {
    const priv = PRIVATE_JWK_MEMBERS.find((m) => m in k);
    if (priv) throw new ConfigError(`${at}.jwks.keys[${j}]`, `contains the private member "${priv}"; give the public key only`);
  });
  // OAuth 2.1 §4.2: client_credentials needs a confidential client; authorization_code needs a redirect URI
  if (c.grant_types.includes('client_credentials') && method === 'none') throw new ConfigError(`${at}.grant_types`, 'client_credentials needs a confidential client (client_secret_basic, client_secret_post or private_key_jwt)');
  if (c.grant_types.includes('authorization_code') && c.redirect_uris.length === 0) throw new ConfigError(`${at}.redirect_uris`, 'authorization_code needs at least one redirect URI');
  const unsupported = opts.supportedGrantTypes ? c.grant_types.filter((g) => !opts.supportedGrantTypes!.includes(g)) : [];
  if (unsupported.length > 0) throw new ConfigError(`${at}.grant_types`, `not supported: ${unsupported.join(', ')}`);
  const client_name = c.client_name ?? null;
  return {
    client_id: c.client_id,
    kind: 'static',
    client_name,
    client_uri: null,
    logo_uri: null,
    redirect_uris: [...c.redirect_uris],
    token_endpoint_auth_method: method,
    grant_types: [...c.grant_types],
    jwks: c.jwks ? (c.jwks as OAuthClient['jwks']) : null,
    jwks_uri: c.jwks_uri ?? null,
    client_secret_hash,
    allowed_scopes: c.scopes ? [...c.scopes] : null,
    version: metadataVersion({
      redirect_uris: c.redirect_uris,
      token_endpoint_auth_method: method,
      grant_types: c.grant_types,
      jwks: c.jwks ?? null,
      jwks_uri: c.jwks_uri ?? null,
      client_name,
      logo_uri: null,
      scope: c.scopes ? c.scopes.join(' ') : null,
    }),
    loopback_only: c.redirect_uris.every(isLoopbackUrl),
  };
}

/** ARCHITECTURE "No secrets in config files": the secret comes from an env variable or a file named in the config. */
function readSecret(c: StaticClientConfig, at: string, opts: StaticClientOptions): string {
  if (c.client_secret_env !== undefined) {
    const v = (opts.env ?? process.env)[c.client_secret_env];
    if (!v) throw new ConfigError(`${at}.client_secret_env`, `environment variable ${c.client_secret_env} is not set or empty`);
    return v;
  }
  const path = resolvePath(opts.cwd ?? process.cwd(), c.client_secret_file!);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${at}.client_secret_file`, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new ConfigError(`${at}.client_secret_file`, `${path} is empty`);
  return secret;
}
