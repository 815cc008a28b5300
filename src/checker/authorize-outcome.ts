/** Classifies a recorded authorization request's first response (pure; used by the active checks). */
import type { Exchange } from './types.js';
import { header, jsonBody } from './wire.js';

export type AuthorizeOutcome =
  | { kind: 'accepted'; detail: string }
  | { kind: 'error'; error: string; redirected: boolean; iss: string[]; detail: string }
  | { kind: 'redirected-elsewhere'; to: string; detail: string }
  | { kind: 'unknown'; detail: string };

const base = (uri: string): string => {
  const u = new URL(uri);
  return `${u.protocol}//${u.hostname}${u.pathname}`; // loopback redirects match on any port (RFC 8252 §7.3)
};

export function classifyAuthorize(x: Exchange | undefined, redirectUri: string): AuthorizeOutcome {
  if (!x?.response) return { kind: 'unknown', detail: x?.error ?? 'not observed' };
  const { status } = x.response;
  const loc = header(x, 'location');
  if (status >= 300 && status < 400 && loc) {
    const u = new URL(loc, x.request.url);
    const p = u.searchParams;
    const requested = new URL(x.request.url).searchParams.get('redirect_uri') ?? redirectUri;
    const toClient = base(u.toString()) === base(redirectUri);
    if (!toClient && base(requested) !== base(redirectUri) && base(u.toString()) === base(requested)) return { kind: 'redirected-elsewhere', to: u.toString(), detail: `${status} → ${u.origin}${u.pathname}` };
    const error = p.get('error');
    if (error) return { kind: 'error', error, redirected: toClient, iss: p.getAll('iss'), detail: `${status} redirect with error=${error}` };
    return { kind: 'accepted', detail: p.get('code') ? `${status} redirect with a code` : `${status} → ${u.origin}${u.pathname} (login)` };
  }
  if (status >= 200 && status < 300) return { kind: 'accepted', detail: `${status}: the AS went on to login/consent` };
  const err = jsonBody(x)?.error;
  return { kind: 'error', error: typeof err === 'string' ? err : `HTTP ${status}`, redirected: false, iss: [], detail: `${status} shown by the AS` };
}
