import type { Settings } from '../../config/resolve.js';

/**
 * Where a sign-in at an upstream IdP continues once the callback has checked it: the authorization request's
 * interaction (consent and a code for the MCP client), or one of this server's own pages that sign users in — the
 * "Connected apps" page, the admin console, the device approval page. A page is named by a path from a fixed
 * allow-list, never a URL: the callback can only ever send the browser back to this server (no open redirect,
 * RFC 9700 §4.11.2; OWASP "Unvalidated Redirects and Forwards").
 */
export type Continuation = { kind: 'interaction'; interaction_id: string } | { kind: 'page'; return_to: string };

/** the pages, below the issuer's path: /account, /admin and its pages (not its JSON API), /device and its approval step */
const PAGE_PATHS = /^\/(?:account|admin(?!\/api(?:\/|$))(?:\/[a-z0-9-]{1,32}){0,4}|device(?:\/approve)?)$/;
/** a query is kept for the admin console only (filters, the client being viewed), in URL characters only */
const ADMIN_QUERY = /^\?[A-Za-z0-9._~%=&+:@!$'()*,;/?-]{0,1024}$/;

/**
 * `raw` if it is a safe return path of this server (issuer path included, e.g. `/account`), else null. Refused:
 * anything that is not exactly a listed path — absolute URLs, scheme-relative `//host`, `/\host`, backslashes,
 * control characters and white space anywhere, percent-encoded or dot segments in the path, a query on a page
 * other than the console — and, as a last check, anything that would not resolve to the issuer's own origin and
 * the very same path.
 */
export function safeReturnTo(settings: Pick<Settings, 'issuer' | 'issuerPath'>, raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 1200) return null;
  // printable ASCII only: no control character, white space, backslash or non-ASCII anywhere
  if (!raw.startsWith('/') || raw.startsWith('//') || !/^[\x21-\x5b\x5d-\x7e]+$/.test(raw)) return null;
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q);
  const base = settings.issuerPath;
  if (!path.startsWith(`${base}/`)) return null;
  const rel = path.slice(base.length);
  if (!PAGE_PATHS.test(rel)) return null;
  if (query && (!rel.startsWith('/admin') || !ADMIN_QUERY.test(query))) return null;
  const origin = new URL(settings.issuer).origin;
  let resolved: URL;
  try {
    resolved = new URL(raw, origin);
  } catch {
    return null;
  }
  if (resolved.origin !== origin || resolved.pathname !== path) return null;
  return raw;
}

/** the absolute URL of a checked return path: always on the issuer's origin */
export function returnLocation(settings: Pick<Settings, 'issuer'>, returnTo: string): string {
  return `${new URL(settings.issuer).origin}${returnTo}`;
}
