import type { Settings } from '../../config/resolve.js';
import { esc, page, pageHeaders } from './layout.js';

/** Errors that must not be redirected (before the client and redirect URI are known good) are shown here. */
export function errorPage(_settings: Settings, status: number, title: string, detail: string): Response {
  const body = `<h1>${esc(title)}</h1><div class="error" role="alert">${esc(detail)}</div><p class="muted">You can close this window and try again from the application.</p>`;
  return new Response(page(title, body), { status, headers: pageHeaders() });
}

/** issue 6: a rate limit refused the request (RFC 6585 §4): a page with Retry-After, never a redirect. */
export function tooManyRequestsPage(settings: Settings, retryAfterS: number): Response {
  const wait = retryAfterS >= 120 ? `${Math.ceil(retryAfterS / 60)} minutes` : `${retryAfterS} second${retryAfterS === 1 ? '' : 's'}`;
  const res = errorPage(settings, 429, 'Too many requests', `Too many attempts from here in a short time. Try again in ${wait}.`);
  res.headers.set('retry-after', String(retryAfterS));
  return res;
}
