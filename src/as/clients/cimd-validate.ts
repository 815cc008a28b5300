import { controlDisabled } from '../../core/controls.js';
import type { JSONWebKeySet } from 'jose';
import { classifyAddress } from '../../net/address.js';
import { isLoopbackHost, isLoopbackUrl } from '../../core/urls.js';
import { metadataVersion, PRIVATE_JWK_MEMBERS } from './canonical.js';
import { ClientResolutionError, type OAuthClient, type TokenEndpointAuthMethod } from './types.js';

/** Pure checks of a Client ID Metadata Document URL and document (draft-ietf-oauth-client-id-metadata-document-01). */

const MAX_URL = 2048;
const MAX_NAME = 200;
const MAX_REDIRECT_URIS = 32;
const MAX_SCOPE = 1024;
const SHARED_SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

const urlInvalid = (detail: string): ClientResolutionError => new ClientResolutionError({ reason: 'cimd_url_invalid', detail });
const docInvalid = (detail: string): ClientResolutionError => new ClientResolutionError({ reason: 'cimd_document_invalid', detail });

/** A host name that is, or by RFC 6761 §6.3 always resolves to, loopback. */
export function isLoopbackName(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (isLoopbackHost(h) || h === 'localhost.' || h.endsWith('.localhost') || h.endsWith('.localhost.')) return true;
  const literal = h.startsWith('[') ? h.slice(1, -1) : h;
  return /^[\d.]+$|:/.test(literal) && classifyAddress(literal) === 'loopback';
}

/** CIMD §3: the rules for a client_id URL. Throws ClientResolutionError('cimd_url_invalid'). */
export function validateCimdUrl(client_id: string, opts: { dev: boolean }): URL {
  if (client_id.length > MAX_URL) throw urlInvalid(`longer than ${MAX_URL} characters`);
  // RFC 3986 §2: a URI is printable ASCII; the URL parser would otherwise silently strip or encode.
  if (!/^[\x21-\x7e]+$/.test(client_id)) throw urlInvalid('contains whitespace, control or non-ASCII characters');
  // CIMD §3: MUST use the https scheme.
  if (!client_id.startsWith('https://')) throw urlInvalid('scheme must be https');
  let u: URL;
  try {
    u = new URL(client_id);
  } catch {
    throw urlInvalid('not a valid URL');
  }
  if (controlDisabled('cimd.url-grammar')) return u;
  const m = /^https:\/\/([^/?#]*)([^?#]*)/.exec(client_id)!;
  const [, authority = '', rawPath = ''] = m;
  // CIMD §3: MUST NOT contain a fragment.
  if (client_id.includes('#')) throw urlInvalid('has a fragment');
  // CIMD §3: MUST NOT contain a username or password.
  if (authority.includes('@') || u.username || u.password) throw urlInvalid('has userinfo');
  // CIMD §3: SHOULD NOT include a query; we refuse it (a query makes the identity ambiguous to users).
  if (client_id.includes('?')) throw urlInvalid('has a query');
  if (client_id.includes('\\')) throw urlInvalid('has a backslash');
  // CIMD §3: MUST contain a path component.
  if (rawPath === '' || rawPath === '/') throw urlInvalid('has no path');
  // CIMD §3: MUST NOT contain single-dot or double-dot path segments (checked raw: URL would remove them).
  const segments = rawPath.split('/').map((s) => s.toLowerCase().replace(/%2e/g, '.'));
  if (segments.some((s) => s === '.' || s === '..')) throw urlInvalid('has a dot segment');
  // ARCHITECTURE "Dev and demo": loopback CIMD hosts only with --dev (CIMD §6.5 loopback exception).
  if (!opts.dev && isLoopbackName(u.hostname)) throw urlInvalid('loopback host (allowed only with --dev)');
  return u;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(doc: Record<string, unknown>, field: string, max: number): string | null {
  const v = doc[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw docInvalid(`${field} must be a string`);
  if (v.length > max) throw docInvalid(`${field} is longer than ${max} characters`);
  return v;
}

/** client_uri / logo_uri: https (http only on loopback in --dev), no userinfo. */
function optionalWebUrl(doc: Record<string, unknown>, field: string, dev: boolean): string | null {
  const v = optionalString(doc, field, MAX_URL);
  if (v === null) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw docInvalid(`${field} is not an absolute URL`);
  }
  const ok = u.protocol === 'https:' || (dev && u.protocol === 'http:' && isLoopbackName(u.hostname));
  if (!ok || u.username || u.password) throw docInvalid(`${field} must be an https URL`);
  return v;
}

function stringArray(doc: Record<string, unknown>, field: string): string[] | null {
  const v = doc[field];
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw docInvalid(`${field} must be an array of strings`);
  return v as string[];
}

/** [SEC] "Communication Security" + OAuth 2.1 §2.3.1: https, or http on a loopback host (RFC 8252 §7.3). */
function checkRedirectUri(uri: string, i: number): void {
  const field = `redirect_uris[${i}]`;
  if (uri.length > MAX_URL) throw docInvalid(`${field} is longer than ${MAX_URL} characters`);
  // OAuth 2.1 §2.3.1: redirect URIs MUST NOT include a fragment.
  if (uri.includes('#')) throw docInvalid(`${field} has a fragment`);
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw docInvalid(`${field} is not an absolute URL`);
  }
  if (u.username || u.password) throw docInvalid(`${field} has userinfo`);
  const loopbackHttp = u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
  if (u.protocol !== 'https:' && !loopbackHttp) {
    throw docInvalid(`${field} must be https, or http on 127.0.0.1, [::1] or localhost`);
  }
}

/** RFC 7591 §2 jwks: public keys only. Throws ClientResolutionError('cimd_document_invalid'); also used for DCR. */
export function checkJwks(v: unknown): JSONWebKeySet {
  if (!isObject(v) || !Array.isArray(v.keys) || v.keys.length === 0) throw docInvalid('jwks must be an object with a non-empty keys array');
  v.keys.forEach((k: unknown, i) => {
    if (!isObject(k) || typeof k.kty !== 'string') throw docInvalid(`jwks.keys[${i}] must be a JWK object with kty`);
    // CIMD §4.1 / RFC 7591 §2: only public keys; a private or symmetric member would be a shared secret.
    const priv = PRIVATE_JWK_MEMBERS.find((m) => m in k);
    if (priv) throw docInvalid(`jwks.keys[${i}] contains the private member "${priv}"`);
  });
  return v as unknown as JSONWebKeySet;
}

/** jwks_uri: https, no userinfo or fragment, loopback only with --dev. Also used for DCR. */
export function checkJwksUri(v: unknown, dev: boolean): string {
  if (typeof v !== 'string' || v.length > MAX_URL) throw docInvalid('jwks_uri must be a string URL');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw docInvalid('jwks_uri is not an absolute URL');
  }
  if (u.protocol !== 'https:' || u.username || u.password || v.includes('#')) throw docInvalid('jwks_uri must be an https URL without userinfo or fragment');
  // CIMD §6.5: URLs inside the document SHOULD NOT reach special-use addresses; loopback only with --dev.
  if (!dev && isLoopbackName(u.hostname)) throw docInvalid('jwks_uri on a loopback host (allowed only with --dev)');
  return v;
}

export interface CimdDocumentOptions {
  /** grant types the AS implements; the document's list is intersected with these */
  supportedGrantTypes: readonly string[];
  /** --dev: jwks_uri / client_uri / logo_uri may be on loopback hosts */
  dev?: boolean;
}

/**
 * Validate a fetched document for `url` (CIMD §4.1, [REG] "For Authorization Servers").
 * Returns the client, or throws ClientResolutionError('cimd_document_invalid', detail).
 */
export function validateCimdDocument(url: string, json: unknown, opts: CimdDocumentOptions): OAuthClient {
  const dev = opts.dev ?? false;
  if (!isObject(json)) throw docInvalid('not a JSON object');
  // CIMD §4.1: client_id MUST equal the document URL (simple string comparison, RFC 3986 §6.2.1).
  if (typeof json.client_id !== 'string') throw docInvalid('client_id is missing');
  if (!controlDisabled('cimd.client-id-match') && json.client_id !== url) throw docInvalid('client_id does not equal the document URL');
  // [REG]: the document MUST include client_id, client_name and redirect_uris.
  const client_name = optionalString(json, 'client_name', MAX_NAME);
  if (client_name === null || client_name.trim() === '') throw docInvalid('client_name is required');
  const redirect_uris = stringArray(json, 'redirect_uris');
  if (!redirect_uris || redirect_uris.length === 0) throw docInvalid('redirect_uris must be a non-empty array');
  if (redirect_uris.length > MAX_REDIRECT_URIS) throw docInvalid(`more than ${MAX_REDIRECT_URIS} redirect_uris`);
  redirect_uris.forEach(checkRedirectUri);

  // CIMD §4.1: MUST NOT use a shared-secret method nor carry client_secret / client_secret_expires_at.
  if ('client_secret' in json && !controlDisabled('cimd.no-shared-secrets')) throw docInvalid('client_secret must not be present');
  if ('client_secret_expires_at' in json) throw docInvalid('client_secret_expires_at must not be present');
  const method = json.token_endpoint_auth_method ?? 'none';
  if (typeof method !== 'string') throw docInvalid('token_endpoint_auth_method must be a string');
  if (SHARED_SECRET_METHODS.has(method) && !controlDisabled('cimd.no-shared-secrets')) throw docInvalid(`token_endpoint_auth_method ${method} is a shared-secret method`);
  if (method !== 'none' && method !== 'private_key_jwt') throw docInvalid(`token_endpoint_auth_method ${method} is not supported`);

  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
  if (json.jwks !== undefined && json.jwks_uri !== undefined) throw docInvalid('jwks and jwks_uri must not both be present');
  const jwks = json.jwks === undefined ? null : checkJwks(json.jwks);
  const jwks_uri = json.jwks_uri === undefined ? null : checkJwksUri(json.jwks_uri, dev);
  // CIMD §6.2 / RFC 7523 §2.2: a private_key_jwt client needs keys to verify its assertions.
  if (method === 'private_key_jwt' && !jwks && !jwks_uri) throw docInvalid('private_key_jwt requires jwks or jwks_uri');

  // RFC 7591 §2: default authorization_code. Unknown or unsupported grants are ignored, not refused
  // (fixtures README: Claude lists jwt-bearer, VS Code device_code).
  const declaredGrants = stringArray(json, 'grant_types') ?? ['authorization_code'];
  const grant_types = opts.supportedGrantTypes.filter((g) => declaredGrants.includes(g));
  const response_types = stringArray(json, 'response_types');
  // OAuth 2.1 §4.1: the code flow is the only one; a document that lists response types must list it.
  if (response_types && !response_types.includes('code')) throw docInvalid('response_types must include "code"');

  const client_uri = optionalWebUrl(json, 'client_uri', dev);
  const logo_uri = optionalWebUrl(json, 'logo_uri', dev);
  const scope = optionalString(json, 'scope', MAX_SCOPE);
  // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-separated.
  if (scope !== null && !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(scope)) {
    throw docInvalid('scope is not a space-separated list of scope tokens');
  }

  const token_endpoint_auth_method = method as TokenEndpointAuthMethod;
  return {
    client_id: url,
    kind: 'cimd',
    client_name,
    client_uri,
    logo_uri,
    redirect_uris: [...redirect_uris],
    token_endpoint_auth_method,
    grant_types,
    jwks,
    jwks_uri,
    client_secret_hash: null,
    // RFC 7591 §2: the scopes the client declares it can use; it never holds more.
    allowed_scopes: scope === null ? null : scope.split(' '),
    version: metadataVersion({
      redirect_uris,
      token_endpoint_auth_method,
      grant_types: declaredGrants,
      jwks,
      jwks_uri,
      client_name,
      logo_uri,
      scope,
    }),
    loopback_only: redirect_uris.every(isLoopbackUrl),
    document: json,
  };
}
