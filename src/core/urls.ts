/**
 * URL rules shared by the AS, the RS and the checker. Identifiers (issuer, resource) are kept as the
 * original strings: re-serialising through `new URL().href` adds a trailing slash to bare origins
 * (spec-checklist §6 item 2), so never compare `.href`s.
 */

/** RFC 9728 §3.1 / RFC 8414 §3.1: the well-known segment goes between host and path; a lone "/" path is dropped. */
export function wellKnownUrl(identifier: string, suffix: string): string {
  const u = new URL(identifier);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}/.well-known/${suffix}${path}`;
}

/** Path part of an identifier without a trailing slash ("" for an origin). */
export function identifierPath(identifier: string): string {
  const p = new URL(identifier).pathname;
  return p === '/' ? '' : p.replace(/\/$/, '');
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Loopback host as written in a URL (RFC 8252 §7.3 plus `localhost`, which real clients use). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * MCP "Canonical Server URI": lowercase scheme and host are canonical; implementations SHOULD accept
 * uppercase scheme and host. We normalise only those two, keeping path, port and slash exactly.
 */
export function normalizeSchemeAndHost(uri: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(uri);
  if (!m) return uri;
  const [, scheme, authority, rest] = m;
  return `${scheme!.toLowerCase()}://${authority!.toLowerCase()}${rest}`;
}

/** RFC 8707 §2: an absolute URI without a fragment. */
export function isAbsoluteUriWithoutFragment(s: string): boolean {
  if (s.includes('#')) return false;
  try {
    const u = new URL(s);
    return Boolean(u.protocol) && u.protocol.length > 1;
  } catch {
    return false;
  }
}

export function joinPath(base: string, path: string): string {
  return `${base.replace(/\/$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}
