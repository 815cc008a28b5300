import { esc, page } from './layout.js';

export interface ConnectedApp {
  grant_id: string;
  clientName: string | null;
  /** the host of a CIMD client_id (what the user trusted), or the static client's id */
  clientHost: string;
  clientKind: 'static' | 'cimd';
  resource: string;
  resourceName: string;
  scopes: string[];
  created_at: number;
  last_used_at: number;
}

export interface AccountView {
  username: string;
  apps: ConnectedApp[];
  csrf: string;
  revokeAction: string;
  logoutAction: string;
  /** a one-line confirmation after a revocation */
  notice?: string;
}

const when = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/**
 * "Connected apps" (ARCHITECTURE "Pages"): the user's live grants, each with a Revoke button
 * (name="grant" value=ID) and the session's CSRF token; no JavaScript.
 */
export function accountPage(v: AccountView): string {
  const csrf = `<input type="hidden" name="csrf" value="${esc(v.csrf)}">`;
  const rows = v.apps.map((a) => {
    const who = a.clientKind === 'cimd'
      ? `<span class="host">${esc(a.clientHost)}</span>${a.clientName ? `<br><span class="muted">calls itself “${esc(a.clientName)}”</span>` : ''}`
      : `${esc(a.clientName ?? a.clientHost)}<br><span class="muted">${esc(a.clientHost)}</span>`;
    const scopes = a.scopes.length ? a.scopes.map((s) => `<code>${esc(s)}</code>`).join(' ') : '<span class="muted">none</span>';
    return `<tr><td>${who}</td><td>${esc(a.resourceName)}<br><code>${esc(a.resource)}</code></td><td>${scopes}</td><td>${when(a.created_at)}</td><td>${when(a.last_used_at)}</td>
<td><form method="post" action="${esc(v.revokeAction)}">${csrf}<button type="submit" name="grant" value="${esc(a.grant_id)}" class="secondary">Revoke</button></form></td></tr>`;
  });
  const table = v.apps.length
    ? `<table><thead><tr><th>Application</th><th>Access to</th><th>Permissions</th><th>Connected</th><th>Last used</th><th></th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`
    : '<p class="muted" id="no-apps">No application has access to your account.</p>';
  return page(
    'Connected apps',
    `<h1>Connected apps</h1><p>Signed in as <strong>${esc(v.username)}</strong>. These applications can act for you until you revoke them; revoking takes effect within a second.</p>
${v.notice ? `<div class="warn" role="status">${esc(v.notice)}</div>` : ''}${table}
<form method="post" action="${esc(v.logoutAction)}">${csrf}<div class="row"><button type="submit" class="secondary">Sign out</button></div></form>`,
    { wide: true },
  );
}
