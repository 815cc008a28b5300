import { isLoopbackHost } from '../../../core/urls.js';

/**
 * OAuth 2.1 §4.1.1 / RFC 9700: exact string match against the registered URIs, except that for loopback
 * redirects (127.0.0.1, [::1] and localhost; RFC 8252 §7.3) the port is ignored. Scheme, host, path and query
 * must still match exactly; localhost never matches 127.0.0.1.
 */
export function redirectUriMatches(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true;
  const req = loopbackParts(requested);
  if (!req) return false;
  return registered.some((r) => {
    const reg = loopbackParts(r);
    return reg !== null && reg.host === req.host && reg.rest === req.rest;
  });
}

/** http://<loopback host>[:port]<rest> → host and rest, or null for anything else */
function loopbackParts(uri: string): { host: string; rest: string } | null {
  const m = /^http:\/\/(\[::1\]|127\.0\.0\.1|localhost)(?::(\d{1,5}))?([/?][^#]*)?$/.exec(uri);
  if (!m || !isLoopbackHost(m[1]!)) return null;
  if (m[2] !== undefined && Number(m[2]) > 65535) return null;
  return { host: m[1]!, rest: m[3] ?? '/' };
}
