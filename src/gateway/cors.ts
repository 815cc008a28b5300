/**
 * CORS for the MCP endpoint (ARCHITECTURE "Browser clients"; spec-checklist §2A item 24, §6 item 8).
 * Browsers hide `WWW-Authenticate` unless it is exposed, and refuse `Authorization`/`MCP-Protocol-Version`
 * unless the preflight allows them. No `Access-Control-Allow-Credentials`: tokens travel in a header, never
 * in cookies.
 */

export const ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS';
export const ALLOW_HEADERS =
  'Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID';
export const EXPOSE_HEADERS = 'WWW-Authenticate, Mcp-Session-Id';
const PREFLIGHT_MAX_AGE = '600';

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method (Fetch standard §3.2.2). */
export function isPreflight(req: Request): boolean {
  return req.method === 'OPTIONS' && req.headers.has('origin') && req.headers.has('access-control-request-method');
}

/** 204 answer to a preflight from an allowed origin. */
export function preflightResponse(origin: string): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-expose-headers': EXPOSE_HEADERS,
      'access-control-max-age': PREFLIGHT_MAX_AGE,
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    },
  });
}

/**
 * Adds the CORS response headers for an allowed `origin` (null: none, the request had no Origin or it was
 * refused). `Vary: Origin` always, since the answer depends on it.
 */
export function withCors(res: Response, origin: string | null): Response {
  let out = res;
  try {
    out.headers.append('vary', 'Origin');
  } catch {
    out = new Response(res.body, res); // immutable headers (a Response from fetch): copy
    out.headers.append('vary', 'Origin');
  }
  if (origin !== null) {
    out.headers.set('access-control-allow-origin', origin);
    out.headers.set('access-control-expose-headers', EXPOSE_HEADERS);
  }
  return out;
}
