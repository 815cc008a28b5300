/**
 * Bearer token extraction. MCP "Token Requirements": the token travels only as `Authorization: Bearer …`
 * (RFC 6750 §2.1); clients MUST NOT put it in the query string. We refuse query (RFC 6750 §2.3) and form-body
 * (§2.2) tokens with 400 `invalid_request` rather than ignore them, so a leaking client learns about it.
 */

export type BearerRejection =
  | 'token_in_query'
  | 'form_body'
  | 'multiple_credentials'
  | 'malformed_header';

export type BearerExtraction =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  /** `reason` is for logs; `description` is safe for the wire (it says nothing about any credential) */
  | { kind: 'invalid'; reason: BearerRejection; description: string };

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

const FORM = 'application/x-www-form-urlencoded';

function invalid(reason: BearerRejection, description: string): BearerExtraction {
  return { kind: 'invalid', reason, description };
}

export function extractBearer(request: Request): BearerExtraction {
  // MCP "Token Requirements": access tokens MUST NOT be in the URI query string.
  if (new URL(request.url).searchParams.has('access_token')) {
    return invalid('token_in_query', 'Access tokens are accepted only in the Authorization header');
  }
  // RFC 6750 §2.2 form-encoded body tokens are not supported (bearer_methods_supported is ["header"]), and an
  // MCP message is never form-encoded, so such a body is refused without reading it.
  const contentType = request.headers.get('content-type');
  if (contentType && contentType.split(';', 1)[0]!.trim().toLowerCase() === FORM) {
    return invalid('form_body', 'Form-encoded bodies are not accepted; send the access token in the Authorization header');
  }

  const value = request.headers.get('authorization');
  if (value === null) return { kind: 'none' };
  // Several Authorization fields arrive joined by ", " (RFC 9110 §5.3); a b64token never contains "," or a space.
  if (value.includes(',')) {
    return invalid('multiple_credentials', 'Exactly one Authorization header with one Bearer token is accepted');
  }
  const m = BEARER.exec(value);
  if (m) return { kind: 'token', token: m[1]! };
  const scheme = /^\S+/.exec(value)?.[0]?.toLowerCase();
  // Another scheme (Basic, DPoP…) carries no bearer token: answer with the Bearer challenge (RFC 7235 §3.1).
  if (scheme && scheme !== 'bearer') return { kind: 'none' };
  return invalid('malformed_header', 'Malformed Authorization header; expected "Bearer <token>"');
}
