import type { Settings } from '../../config/resolve.js';
import { esc, page, pageHeaders } from './layout.js';

/** Errors that must not be redirected (before the client and redirect URI are known good) are shown here. */
export function errorPage(_settings: Settings, status: number, title: string, detail: string): Response {
  const body = `<h1>${esc(title)}</h1><div class="error" role="alert">${esc(detail)}</div><p class="muted">You can close this window and try again from the application.</p>`;
  return new Response(page(title, body), { status, headers: pageHeaders() });
}
