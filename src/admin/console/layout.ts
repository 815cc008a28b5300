import { esc } from '../../as/pages/layout.js';
import { CONSOLE_CSS_PATH } from './style.js';

export { esc };

/**
 * Security headers of every console page (ARCHITECTURE "Pages"): no script at all, styles only from the hashed
 * stylesheet on this origin, forms post only here, never framed (RFC 9700 §4.16), never cached.
 */
export function consoleHeaders(): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };
}

export type Section = 'overview' | 'clients' | 'users' | 'grants' | 'audit' | 'policy' | 'keys';

const NAV: [Section, string, string][] = [
  ['overview', '', 'Overview'],
  ['clients', '/clients', 'Clients'],
  ['users', '/users', 'Users'],
  ['grants', '/grants', 'Grants'],
  ['audit', '/audit', 'Audit log'],
  ['policy', '/policy', 'Policy'],
  ['keys', '/keys', 'Signing keys'],
];

export interface Shell {
  /** the console base path, e.g. `/admin` */
  base: string;
  username: string;
  csrf: string;
  section: Section;
  title: string;
  /** a one-line result of the last action (from a fixed table, never request text) */
  notice?: { kind: 'notice' | 'error'; text: string } | undefined;
}

/** hidden CSRF input of every POST form (the session-bound token) */
export const csrfInput = (csrf: string): string => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;

/** one POST form with a single button; `fields` become hidden inputs */
export function postButton(s: Pick<Shell, 'csrf'>, action: string, label: string, fields: Record<string, string>, cls = 'secondary', aria?: string): string {
  const hidden = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  return `<form method="post" class="inline" action="${esc(action)}">${csrfInput(s.csrf)}${hidden}<button type="submit" class="${cls}"${aria ? ` aria-label="${esc(aria)}"` : ''}>${esc(label)}</button></form>`;
}

/** The console page: skip link, banner with navigation and sign-out, one main landmark with the h1. */
export function consolePage(s: Shell, body: string): string {
  const links = NAV.map(([id, path, label]) => `<li><a href="${esc(s.base + path)}"${id === s.section ? ' aria-current="page"' : ''}>${label}</a></li>`).join('');
  const notice = s.notice ? `<div class="${s.notice.kind}" role="${s.notice.kind === 'error' ? 'alert' : 'status'}" id="notice">${esc(s.notice.text)}</div>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(s.title)} · Portcullis admin</title><link rel="stylesheet" href="${esc(s.base + CONSOLE_CSS_PATH)}"></head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="${esc(s.base)}">Portcullis admin</a><nav aria-label="Console"><ul>${links}</ul></nav>
<span class="who">Signed in as <strong>${esc(s.username)}</strong></span><form method="post" action="${esc(s.base)}/logout">${csrfInput(s.csrf)}<button type="submit" class="secondary">Sign out</button></form></header>
<main id="main"><h1>${esc(s.title)}</h1>${notice}${body}</main></body></html>`;
}

/** a table with caption and column headers (scope=col); `rows` are already-escaped cells */
export function table(caption: string, head: string[], rows: string[][], opts: { id?: string; empty?: string } = {}): string {
  if (rows.length === 0) return `<p class="muted"${opts.id ? ` id="${esc(opts.id)}-empty"` : ''}>${esc(opts.empty ?? `No ${caption.toLowerCase()}.`)}</p>`;
  const th = head.map((h) => `<th scope="col">${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table${opts.id ? ` id="${esc(opts.id)}"` : ''}><caption>${esc(caption)}</caption><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`;
}

export const when = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '—' : `<time datetime="${new Date(ms).toISOString()}">${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)}</time>`);
export const badge = (text: string, cls = text): string => `<span class="badge ${esc(cls)}">${esc(text)}</span>`;
export const codes = (xs: readonly string[]): string => (xs.length ? xs.map((x) => `<code>${esc(x)}</code>`).join(' ') : '<span class="muted">none</span>');
