import { ERROR_TABLE, safeDescription } from '../core/errors.js';

/**
 * `WWW-Authenticate: Bearer …` challenges (RFC 6750 §3, OAuth 2.1 §5.3.1, RFC 9728 §5.1) and the resource
 * server's error responses. Parameter order is fixed: `resource_metadata, scope` without credentials (MCP
 * "Scope Selection Strategy" example) and `error, scope, resource_metadata, error_description` for errors
 * (MCP "Runtime Insufficient Scope Errors" example).
 */

type AuthParam = readonly [name: string, value: string];

// OAuth 2.1 §5.3.1 / RFC 6750 §3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by %x20.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** RFC 9110 §5.6.4 quoted-string: `"` and `\` become quoted-pairs; anything unprintable is a bug upstream. */
function quotedString(value: string): string {
  if (/[^\t\x20-\x7e]/.test(value)) throw new TypeError('auth-param value must be printable ASCII');
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Serialise a Bearer challenge; OAuth 2.1 §5.3.1: each auth-param MUST NOT appear more than once. */
export function formatBearerChallenge(params: readonly AuthParam[]): string {
  const seen = new Set<string>();
  for (const [name] of params) {
    if (seen.has(name)) throw new TypeError(`auth-param "${name}" given twice (OAuth 2.1 §5.3.1)`);
    seen.add(name);
  }
  if (params.length === 0) return 'Bearer';
  return `Bearer ${params.map(([name, value]) => `${name}=${quotedString(value)}`).join(', ')}`;
}

/** Space-delimited scope value (duplicates dropped, order kept); throws on a scope outside the RFC 6750 set. */
export function formatScope(scopes: readonly string[]): string {
  for (const s of scopes) {
    if (!SCOPE_TOKEN.test(s)) throw new TypeError(`invalid scope token ${JSON.stringify(s)} (RFC 6750 §3)`);
  }
  return [...new Set(scopes)].join(' ');
}

function scopeParam(scopes: readonly string[] | undefined): AuthParam[] {
  return scopes && scopes.length > 0 ? [['scope', formatScope(scopes)]] : [];
}

function descriptionParam(description: string | undefined): AuthParam[] {
  // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E, so `"` and `\` never need escaping here.
  return description ? [['error_description', safeDescription(description)]] : [];
}

export interface UnauthorizedChallengeOptions {
  resourceMetadataUrl: string;
  /** scopes needed for basic use (MCP "Scope Selection Strategy": SHOULD be sent); omitted when empty */
  scope?: readonly string[];
}

/** No credentials presented: RFC 6750 §3.1 / OAuth 2.1 §5.3.2, the challenge SHOULD NOT carry `error`. */
export function unauthorizedChallenge(o: UnauthorizedChallengeOptions): string {
  return formatBearerChallenge([['resource_metadata', o.resourceMetadataUrl], ...scopeParam(o.scope)]);
}

export interface InvalidTokenChallengeOptions extends UnauthorizedChallengeOptions {
  /** generic wording only: why a credential failed goes to the log, never to the wire */
  description?: string;
}

/** MCP "Token Handling": invalid, expired, revoked or malformed tokens get 401 `invalid_token`. */
export function invalidTokenChallenge(o: InvalidTokenChallengeOptions): string {
  return formatBearerChallenge([
    ['error', 'invalid_token'],
    ...scopeParam(o.scope),
    ['resource_metadata', o.resourceMetadataUrl],
    ...descriptionParam(o.description),
  ]);
}

export interface InsufficientScopeChallengeOptions {
  /** every scope this operation needs, in one challenge (MCP "Runtime Insufficient Scope Errors") */
  scope: readonly string[];
  resourceMetadataUrl: string;
  description?: string;
}

/** MCP "Runtime Insufficient Scope Errors": 403 with `error="insufficient_scope"` and the needed scopes. */
export function insufficientScopeChallenge(o: InsufficientScopeChallengeOptions): string {
  if (o.scope.length === 0) throw new TypeError('insufficient_scope challenge needs at least one scope');
  return formatBearerChallenge([
    ['error', 'insufficient_scope'],
    ...scopeParam(o.scope),
    ['resource_metadata', o.resourceMetadataUrl],
    ...descriptionParam(o.description),
  ]);
}

export interface InvalidRequestChallengeOptions {
  resourceMetadataUrl?: string;
  description?: string;
}

/** RFC 6750 §3.1 `invalid_request` (400): e.g. a token in the query string or several Authorization headers. */
export function invalidRequestChallenge(o: InvalidRequestChallengeOptions): string {
  return formatBearerChallenge([
    ['error', 'invalid_request'],
    ...(o.resourceMetadataUrl ? ([['resource_metadata', o.resourceMetadataUrl]] as AuthParam[]) : []),
    ...descriptionParam(o.description),
  ]);
}

/** Every way the resource server refuses a request, as data; `rsErrorResponse` renders it. */
export type RsChallenge =
  | ({ kind: 'no_credentials' } & UnauthorizedChallengeOptions)
  | ({ kind: 'invalid_token' } & InvalidTokenChallengeOptions)
  | ({ kind: 'insufficient_scope' } & InsufficientScopeChallengeOptions)
  | ({ kind: 'invalid_request' } & InvalidRequestChallengeOptions);

/**
 * The Response for an RS refusal: status from the error table (401 without credentials), the challenge,
 * `cache-control: no-store` and a JSON body `{error, error_description}` mirroring the header. CORS headers
 * are the caller's (the gateway adds them to every response).
 */
export function rsErrorResponse(c: RsChallenge): Response {
  let status: number;
  let header: string;
  const body: { error?: string; error_description?: string } = {};
  switch (c.kind) {
    case 'no_credentials':
      status = 401;
      header = unauthorizedChallenge(c);
      body.error_description = 'Bearer access token required';
      break;
    case 'invalid_token':
      status = ERROR_TABLE.invalid_token.status;
      header = invalidTokenChallenge(c);
      body.error = c.kind;
      break;
    case 'insufficient_scope':
      status = ERROR_TABLE.insufficient_scope.status;
      header = insufficientScopeChallenge(c);
      body.error = c.kind;
      break;
    case 'invalid_request':
      status = ERROR_TABLE.invalid_request.status;
      header = invalidRequestChallenge(c);
      body.error = c.kind;
      break;
  }
  if (c.kind !== 'no_credentials' && c.description) body.error_description = safeDescription(c.description);
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': header },
  });
}
