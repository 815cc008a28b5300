import { controlDisabled } from '../../../core/controls.js';
import { OAuthError } from '../../../core/errors.js';
import { checkJwks, checkJwksUri } from '../../clients/cimd-validate.js';
import { ClientResolutionError } from '../../clients/types.js';
import { hostMatches } from '../../trust/hosts.js';

/** Pure checks of an RFC 7591 registration request. Unknown members are ignored (RFC 7591 §2). */

const MAX_URL = 2048;
const MAX_TEXT = 200;
const MAX_REDIRECT_URIS = 10;
const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
const LOOPBACK = ['127.0.0.1', '[::1]', 'localhost'];

export interface RegistrationRules {
  /** registration.allowed_redirect_hosts: when non-empty, every redirect URI host must match one */
  allowedRedirectHosts: readonly string[];
  /** grant types the AS implements; the request's list is intersected with these */
  supportedGrantTypes: readonly string[];
  /** --dev: jwks_uri may be on loopback */
  dev: boolean;
}

/** The metadata that is stored and echoed (RFC 7591 §3.2.1); absent optional members are left out. */
export type RegisteredMetadata = Record<string, unknown> & {
  application_type: 'native' | 'web';
  redirect_uris: string[];
  token_endpoint_auth_method: (typeof AUTH_METHODS)[number];
  grant_types: string[];
  response_types: ['code'];
};

const bad = (d: string): OAuthError => new OAuthError('invalid_client_metadata', d);
const badRedirect = (d: string): OAuthError => new OAuthError('invalid_redirect_uri', d);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(json: Record<string, unknown>, field: string, max = MAX_TEXT): string | undefined {
  const v = json[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw bad(`${field} must be a string of at most ${max} characters`);
  return v;
}

/** client_uri, logo_uri, tos_uri, policy_uri: https URLs without credentials */
function webUrl(json: Record<string, unknown>, field: string): string | undefined {
  const v = text(json, field, MAX_URL);
  if (v === undefined) return undefined;
  const u = URL.canParse(v) ? new URL(v) : null;
  if (!u || u.protocol !== 'https:' || u.username || u.password) throw bad(`${field} must be an https URL`);
  return v;
}

/** [SEC] "Communication Security"; OIDC Registration application_type: web → https; native → https or loopback http. */
function checkRedirectUri(uri: unknown, i: number, type: 'native' | 'web', rules: RegistrationRules): string {
  const field = `redirect_uris[${i}]`;
  if (typeof uri !== 'string' || uri.length > MAX_URL || !/^[\x21-\x7e]+$/.test(uri)) throw badRedirect(`${field} must be a URL of at most ${MAX_URL} printable characters`);
  // OAuth 2.1 §2.3.1: no fragment
  if (uri.includes('#') && !controlDisabled('dcr.redirect-uri-shape')) throw badRedirect(`${field} has a fragment`);
  const u = URL.canParse(uri) ? new URL(uri) : null;
  if (!u) throw badRedirect(`${field} is not an absolute URL`);
  if ((u.username || u.password) && !controlDisabled('dcr.redirect-uri-shape')) throw badRedirect(`${field} has userinfo`);
  const loopbackHttp = u.protocol === 'http:' && LOOPBACK.includes(u.hostname);
  if (!controlDisabled('dcr.redirect-uri-scheme') && u.protocol !== 'https:' && !(type === 'native' && loopbackHttp)) {
    throw badRedirect(type === 'web' ? `${field}: a web application must use https` : `${field} must be https, or http on 127.0.0.1, [::1] or localhost`);
  }
  if (rules.allowedRedirectHosts.length > 0 && !hostMatches(u.hostname, rules.allowedRedirectHosts)) {
    throw badRedirect(`${field}: host ${u.hostname} is not allowed for registration`);
  }
  return uri;
}

function stringList(json: Record<string, unknown>, field: string, max: number): string[] | undefined {
  const v = json[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > max || v.some((x) => typeof x !== 'string' || x.length > 256)) throw bad(`${field} must be an array of at most ${max} strings`);
  return v as string[];
}

/** RFC 7591 §2 and §3.1. Returns the metadata to register, or throws invalid_client_metadata / invalid_redirect_uri. */
export function validateRegistration(json: unknown, rules: RegistrationRules): RegisteredMetadata {
  if (!isObject(json)) throw bad('the request body must be a JSON object');
  // issue 3: application_type is REQUIRED here (OIDC Registration would default to web), so the redirect rules are explicit
  const application_type = json.application_type;
  if (application_type !== 'native' && application_type !== 'web') throw bad('application_type is required: "native" or "web"');

  const uris = json.redirect_uris;
  // RFC 7591 §2: redirect_uris is required for redirect-based flows, the only ones here
  if (!Array.isArray(uris) || uris.length === 0) throw badRedirect('redirect_uris must be a non-empty array');
  if (uris.length > MAX_REDIRECT_URIS) throw badRedirect(`at most ${MAX_REDIRECT_URIS} redirect_uris`);
  const redirect_uris = uris.map((uri, i) => checkRedirectUri(uri, i, application_type, rules));

  // RFC 7591 §2: the default is client_secret_basic
  const method = json.token_endpoint_auth_method ?? 'client_secret_basic';
  if (!AUTH_METHODS.includes(method as (typeof AUTH_METHODS)[number])) throw bad(`token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`);
  const token_endpoint_auth_method = method as RegisteredMetadata['token_endpoint_auth_method'];

  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present; keys are public
  if (json.jwks !== undefined && json.jwks_uri !== undefined) throw bad('jwks and jwks_uri must not both be present');
  let jwks: unknown;
  let jwks_uri: string | undefined;
  try {
    if (json.jwks !== undefined) jwks = checkJwks(json.jwks);
    if (json.jwks_uri !== undefined) jwks_uri = checkJwksUri(json.jwks_uri, rules.dev);
  } catch (e) {
    if (e instanceof ClientResolutionError && 'detail' in e.failure) throw bad(e.failure.detail);
    throw e;
  }
  // RFC 7523 §2.2: private_key_jwt needs keys to verify assertions with
  if (token_endpoint_auth_method === 'private_key_jwt' && jwks === undefined && jwks_uri === undefined) throw bad('private_key_jwt requires jwks or jwks_uri');

  // RFC 7591 §2: grant_types defaults to authorization_code; the server registers what it supports (§3.2.1 echo)
  const declared = stringList(json, 'grant_types', 10) ?? ['authorization_code'];
  const grant_types = rules.supportedGrantTypes.filter((g) => declared.includes(g));
  if (!grant_types.includes('authorization_code')) throw bad('grant_types must include authorization_code');
  const response_types = stringList(json, 'response_types', 5) ?? ['code'];
  if (!response_types.includes('code')) throw bad('response_types must include "code"');

  const scope = text(json, 'scope', 1024);
  // RFC 6749 §3.3: space-separated scope tokens
  if (scope !== undefined && !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(scope)) throw bad('scope is not a space-separated list of scope tokens');

  const optional: Record<string, unknown> = {
    client_name: text(json, 'client_name'),
    client_uri: webUrl(json, 'client_uri'),
    logo_uri: webUrl(json, 'logo_uri'),
    tos_uri: webUrl(json, 'tos_uri'),
    policy_uri: webUrl(json, 'policy_uri'),
    contacts: stringList(json, 'contacts', 10),
    scope,
    jwks,
    jwks_uri,
    software_id: text(json, 'software_id'),
    software_version: text(json, 'software_version'),
  };
  for (const k of Object.keys(optional)) if (optional[k] === undefined) delete optional[k];
  return { application_type, redirect_uris, token_endpoint_auth_method, grant_types, response_types: ['code'], ...optional };
}
