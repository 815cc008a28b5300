/**
 * The one OAuth error table: code → HTTP status → header behaviour → source.
 * Every OAuth error that reaches the wire is written by `oauthErrorResponse` from this table.
 * Internal reasons (why a credential check failed) never go into `error_description`; they travel
 * as `internal` to logs and audit.
 */

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'unsupported_token_type'
  | 'rate_limited'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'device_access_denied'
  | 'login_required'
  | 'consent_required';

interface ErrorRow {
  status: number;
  /** the `error` value on the wire when it differs from the row's name */
  wire?: string;
  /** RFC/section defining the code */
  source: string;
}

export const ERROR_TABLE: Readonly<Record<OAuthErrorCode, ErrorRow>> = {
  invalid_request: { status: 400, source: 'RFC 6749 §5.2; OAuth 2.1 §3.2.4' },
  // RFC 6749 §5.2: 401 when the client authenticated via the Authorization header; we use 401 always
  // and add WWW-Authenticate when the client used HTTP Basic (see oauthErrorResponse).
  invalid_client: { status: 401, source: 'RFC 6749 §5.2; OAuth 2.1 §3.2.4' },
  invalid_grant: { status: 400, source: 'RFC 6749 §5.2' },
  unauthorized_client: { status: 400, source: 'RFC 6749 §5.2' },
  unsupported_grant_type: { status: 400, source: 'RFC 6749 §5.2' },
  unsupported_response_type: { status: 400, source: 'RFC 6749 §4.1.2.1' },
  invalid_scope: { status: 400, source: 'RFC 6749 §5.2' },
  invalid_target: { status: 400, source: 'RFC 8707 §2' },
  access_denied: { status: 403, source: 'RFC 6749 §4.1.2.1' },
  server_error: { status: 500, source: 'RFC 6749 §4.1.2.1' },
  temporarily_unavailable: { status: 503, source: 'RFC 6749 §4.1.2.1' },
  invalid_token: { status: 401, source: 'RFC 6750 §3.1' },
  insufficient_scope: { status: 403, source: 'RFC 6750 §3.1' },
  invalid_client_metadata: { status: 400, source: 'RFC 7591 §3.2.2' },
  invalid_redirect_uri: { status: 400, source: 'RFC 7591 §3.2.2' },
  unsupported_token_type: { status: 400, source: 'RFC 7009 §2.2.1' },
  // issue 6: RFC 6749 defines no code for "too many requests". The status is RFC 6585 §4's 429 with Retry-After
  // (RFC 9110 §10.2.3); the code is the registered one that means "try again later" (temporarily_unavailable,
  // RFC 6749 §4.1.2.1), not an invented one, so a client that ignores 429 still reads a code it knows.
  rate_limited: { status: 429, wire: 'temporarily_unavailable', source: 'RFC 6585 §4; RFC 6749 §4.1.2.1' },
  // RFC 8628 §3.5: the device polling errors, answered like every token error (RFC 6749 §5.2: 400)
  authorization_pending: { status: 400, source: 'RFC 8628 §3.5' },
  slow_down: { status: 400, source: 'RFC 8628 §3.5' },
  expired_token: { status: 400, source: 'RFC 8628 §3.5' },
  // the user denied a device at /device: access_denied at the token endpoint is 400 (RFC 6749 §5.2), not the 403 above
  device_access_denied: { status: 400, wire: 'access_denied', source: 'RFC 8628 §3.5; RFC 6749 §5.2' },
  // OpenID Connect Core §3.1.2.6: prompt=none could not be honoured without showing the sign-in or consent page
  login_required: { status: 400, source: 'OpenID Connect Core §3.1.2.6' },
  consent_required: { status: 400, source: 'OpenID Connect Core §3.1.2.6' },
};

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description: string | undefined;
  /** Reason for logs and audit only; never sent on the wire. */
  readonly internal: string | undefined;

  constructor(code: OAuthErrorCode, description?: string, internal?: string) {
    super(description ? `${code}: ${description}` : code);
    this.name = 'OAuthError';
    this.code = code;
    this.description = description;
    this.internal = internal;
  }

  get status(): number {
    return ERROR_TABLE[this.code].status;
  }
}

/** A rate limit refused the request: 429 `temporarily_unavailable` with `Retry-After` (whole seconds, ≥ 1). */
export class RateLimitedError extends OAuthError {
  readonly retryAfterS: number;

  constructor(retryAfterS: number, internal?: string) {
    super('rate_limited', 'too many requests; try again later', internal);
    this.retryAfterS = Math.max(1, Math.ceil(retryAfterS));
  }
}

/** The `error` value sent for a table row. */
export const wireCode = (code: OAuthErrorCode): string => ERROR_TABLE[code].wire ?? code;

export const isOAuthError = (e: unknown): e is OAuthError => e instanceof OAuthError;

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** error_description must be %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §5.2). */
export function safeDescription(s: string): string {
  return s.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ').slice(0, 300);
}

export interface ErrorResponseOptions {
  /** The client tried HTTP Basic authentication: RFC 6749 §5.2 requires a WWW-Authenticate challenge on 401. */
  basicChallenge?: boolean;
  extraHeaders?: Record<string, string>;
}

/** JSON error for token/registration/revocation endpoints (RFC 6749 §5.2). */
export function oauthErrorResponse(err: OAuthError, opts: ErrorResponseOptions = {}): Response {
  const body: Record<string, string> = { error: wireCode(err.code) };
  if (err.description) body.error_description = safeDescription(err.description);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...NO_STORE,
    ...(opts.extraHeaders ?? {}),
  };
  if (err instanceof RateLimitedError) headers['retry-after'] = String(err.retryAfterS);
  if (err.code === 'invalid_client' && opts.basicChallenge) headers['www-authenticate'] = 'Basic realm="portcullis"';
  // invalid_client without a Basic attempt is still 401 per OAuth 2.1 §3.2.4 ("MAY respond 401").
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function noStoreJson(body: unknown, status = 200): Response {
  return jsonResponse(body, status, { ...NO_STORE });
}

/** A misconfiguration found at start-up: names the option, is shown to the operator, never to clients. */
export class ConfigError extends Error {
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = 'ConfigError';
  }
}
