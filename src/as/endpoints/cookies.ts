import type { Settings } from '../../config/resolve.js';

/**
 * Page cookies (ARCHITECTURE.md "Pages"): `__Host-` prefixed, Secure, HttpOnly, SameSite=Lax, Path=/;
 * plain names without Secure only for an http issuer on loopback in --dev.
 */
const name = (settings: Settings, base: string): string => (settings.secureCookies ? `__Host-${base}` : base);

export const sessionCookie = (s: Settings): string => name(s, 'portcullis_session');
export const interactionCookie = (s: Settings): string => name(s, 'portcullis_interaction');
/** double-submit CSRF token of the account page's sign-in form (there is no session yet to bind it to) */
export const loginCsrfCookie = (s: Settings): string => name(s, 'portcullis_login_csrf');
/** binds an upstream IdP sign-in started from a page (not an authorization request) to this browser */
export const upstreamLoginCookie = (s: Settings): string => name(s, 'portcullis_upstream_login');
/** proof that this browser's session was signed in on one authorization request's own login page (prompt=login, max_age) */
export const reauthCookie = (s: Settings): string => name(s, 'portcullis_reauth');
/** the /device page's double-submit CSRF token of the entry and sign-in forms; also the browser key of its rate limit */
export const deviceCsrfCookie = (s: Settings): string => name(s, 'portcullis_device_csrf');
/** the normalized user code the browser is approving on the /device page */
export const deviceCodeCookie = (s: Settings): string => name(s, 'portcullis_device_code');

export function setCookie(headers: Headers, cookie: string, value: string, opts: { maxAge: number; secure: boolean }): void {
  const parts = [`${cookie}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`];
  if (opts.secure) parts.push('Secure');
  headers.append('set-cookie', parts.join('; '));
}

export function clearCookie(headers: Headers, cookie: string, secure: boolean): void {
  setCookie(headers, cookie, '', { maxAge: 0, secure });
}

export function readCookie(req: Request, cookie: string): string | undefined {
  const header = req.headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === cookie) return part.slice(i + 1).trim();
  }
  return undefined;
}
