import type { Config } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';
import { isLoopbackHost, normalizeSchemeAndHost } from '../../core/urls.js';
import { PRIVATE_JWK_MEMBERS } from '../clients/canonical.js';
import { DCR_CLIENT_ID_PREFIX } from '../clients/dcr.js';
import { JWT_BEARER_GRANT_TYPE } from './constants.js';

const AT = 'enterprise.trusted_issuers';

/** The ID-JAG grant is on when at least one IdP is trusted; otherwise it is neither accepted nor advertised. */
export const idjagEnabled = (config: Config): boolean => config.enterprise.trusted_issuers.length > 0;

/** an issuer without a trailing slash and with lower-case scheme and host, for "is this us?" comparisons only */
const comparable = (iss: string): string => normalizeSchemeAndHost(iss).replace(/\/$/, '');

/** the ID-JAG names this Portcullis as its issuer (never accepted: we do not trust ourselves as an IdP for us) */
export const isOwnIssuer = (iss: string, ownIssuer: string): boolean => comparable(iss) === comparable(ownIssuer);

/** https, or http on a loopback host with --dev (ARCHITECTURE "Dev and demo"; [EMA] §7.3: keys over TLS) */
function checkUrl(value: string, at: string, dev: boolean): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(at, `"${value}" is not an absolute URL`);
  }
  if (u.hash || u.username || u.password) throw new ConfigError(at, 'must have no fragment or credentials');
  if (u.protocol === 'https:') return;
  if (u.protocol === 'http:' && dev && isLoopbackHost(u.hostname)) return;
  throw new ConfigError(at, 'must be an https URL (http only on a loopback host with --dev)');
}

/**
 * Start-up checks of `enterprise.trusted_issuers` (ARCHITECTURE "Two error channels": misconfiguration fails at start
 * naming the option). `ownIssuer` is this server's issuer: it must never be a trusted ID-JAG issuer.
 */
export function checkTrustedIssuers(config: Config, ownIssuer: string): void {
  const seen = new Set<string>();
  const staticClients = new Map(config.clients.map((c) => [c.client_id, c]));
  config.enterprise.trusted_issuers.forEach((t, i) => {
    const at = `${AT}[${i}]`;
    // RFC 8414 §2: an https URL without query or fragment; compared exactly with `iss`, so given exactly as the IdP writes it
    checkUrl(t.issuer, `${at}.issuer`, config.dev);
    if (new URL(t.issuer).search) throw new ConfigError(`${at}.issuer`, 'must have no query (RFC 8414 §2)');
    if (seen.has(t.issuer)) throw new ConfigError(`${at}.issuer`, `duplicate issuer ${t.issuer}`);
    seen.add(t.issuer);
    if (isOwnIssuer(t.issuer, ownIssuer)) throw new ConfigError(`${at}.issuer`, 'is this server itself; an ID-JAG this server issued is never accepted here');
    if ((t.jwks_uri === undefined) === (t.jwks === undefined)) throw new ConfigError(`${at}.jwks_uri`, 'give exactly one of jwks_uri or jwks');
    if (t.jwks_uri !== undefined) checkUrl(t.jwks_uri, `${at}.jwks_uri`, config.dev);
    t.jwks?.keys.forEach((k, j) => {
      const priv = PRIVATE_JWK_MEMBERS.find((m) => m in k);
      if (priv) throw new ConfigError(`${at}.jwks.keys[${j}]`, `contains the private member "${priv}"; give the public key only`);
      if (typeof k.kty !== 'string') throw new ConfigError(`${at}.jwks.keys[${j}]`, 'is not a JWK (no kty)');
    });
    t.clients.forEach((id, j) => {
      const where = `${at}.clients[${j}]`;
      const known = staticClients.get(id);
      if (known) {
        if (!known.grant_types.includes(JWT_BEARER_GRANT_TYPE)) throw new ConfigError(where, `static client ${id} must list ${JWT_BEARER_GRANT_TYPE} in its grant_types`);
      } else if (id.startsWith('https://')) {
        if (!config.cimd.enabled) throw new ConfigError(where, `${id} is a Client ID Metadata Document URL but cimd.enabled is false`);
      } else if (!id.startsWith(DCR_CLIENT_ID_PREFIX) || !config.registration.enabled) {
        throw new ConfigError(where, `unknown client ${id} (a static client id, a CIMD URL, or a registered client id with registration enabled)`);
      }
    });
    const roles = config.roles;
    t.default_roles.forEach((r, j) => {
      if (roles && !Object.hasOwn(roles, r)) throw new ConfigError(`${at}.default_roles[${j}]`, `unknown role ${r} (not in roles)`);
    });
    if (t.default_roles.length > 0 && !t.provision) throw new ConfigError(`${at}.default_roles`, 'only used with provision: true');
    // account linking by email ([IDJAG] §6) is only as safe as the IdP's authority over the address: a multi-tenant
    // or consumer IdP can assert any email, which would hand that local account to whoever holds it there
    if (t.match === 'email' && t.email_domains.length === 0) throw new ConfigError(`${at}.email_domains`, 'match: email needs the email domains this IdP is authoritative for (e.g. [example.com])');
    if (t.match !== 'email' && t.email_domains.length > 0) throw new ConfigError(`${at}.email_domains`, 'only used with match: email');
    t.email_domains.forEach((d, j) => {
      if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(d)) throw new ConfigError(`${at}.email_domains[${j}]`, `"${d}" is not a lower-case domain name`);
    });
  });
  config.clients.forEach((c, i) => {
    if (!c.grant_types.includes(JWT_BEARER_GRANT_TYPE)) return;
    if (config.enterprise.trusted_issuers.length === 0) throw new ConfigError(`clients[${i}].grant_types`, `${JWT_BEARER_GRANT_TYPE} needs enterprise.trusted_issuers`);
  });
}
