import { controlDisabled } from '../../core/controls.js';
import { createHash } from 'node:crypto';

/** Escape text for HTML element content and double-quoted attributes. */
export function esc(s: string | null | undefined): string {
  return (s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `*{box-sizing:border-box}body{font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;color:#1d2330;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;max-width:30rem;width:100%;margin:1rem;padding:2rem;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.35rem;margin:0 0 1rem}.host{font-weight:700;font-size:1.15rem;word-break:break-all}.muted{color:#5b6475;font-size:.9rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input[type=text],input[type=password]{width:100%;padding:.6rem;border:1px solid #c5cad3;border-radius:8px;font-size:1rem}
button{padding:.65rem 1.2rem;border-radius:8px;border:1px solid #2f5bd3;background:#2f5bd3;color:#fff;font-size:1rem;cursor:pointer;margin-top:1rem}
button.secondary{background:#fff;color:#2f5bd3}.row{display:flex;gap:.75rem;justify-content:flex-end}
.warn{background:#fff4e5;border:1px solid #f0b45b;border-radius:8px;padding:.75rem;margin:1rem 0}.error{background:#fdecec;border:1px solid #e08585;border-radius:8px;padding:.75rem;margin:1rem 0}
main.wide{max-width:60rem}table{width:100%;border-collapse:collapse;margin:1rem 0;font-size:.95rem}th,td{text-align:left;padding:.5rem;border-bottom:1px solid #e3e6eb;vertical-align:top}td form{margin:0}td button{margin-top:0}
ul.scopes{padding-left:1.2rem}code{background:#eef0f4;padding:.1rem .3rem;border-radius:4px;word-break:break-all}dl{margin:.5rem 0}dt{font-weight:600;margin-top:.5rem}dd{margin:0}`;

const CSS_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

/**
 * Security headers for every page: strict CSP (no script at all), no framing (RFC 9700 §4.16), no caching.
 * `formTargets` are origins a form post on this page may end up at after redirects (CSP form-action also
 * governs the redirect chain that follows a submission).
 */
export function pageHeaders(formTargets: string[] = []): Record<string, string> {
  const formAction = ["'self'", ...formTargets].join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src ${CSS_HASH}; img-src 'self'; form-action ${formAction};${controlDisabled('authz.frame-ancestors') ? '' : " frame-ancestors 'none';"} base-uri 'none'`,
    ...(controlDisabled('authz.frame-ancestors') ? {} : { 'x-frame-options': 'DENY' }),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

export function page(title: string, body: string, opts: { wide?: boolean } = {}): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · Portcullis</title><style>${CSS}</style></head><body><main${opts.wide ? ' class="wide"' : ''}>${body}</main></body></html>`;
}

/** The origin to allow in form-action for a redirect URI (loopback: any port, RFC 8252 §7.3). */
export function formTargetFor(redirect_uri: string): string {
  const u = new URL(redirect_uri);
  if (u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname)) return `http://${u.hostname}:*`;
  return u.origin;
}
